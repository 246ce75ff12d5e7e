/**
 * Windows Defender Firewall log (pfirewall.log): W3C-style text, one event per line.
 *
 * Header lines start with `#`: `#Version: 1.5`, `#Software: Microsoft Windows Firewall`,
 * `#Time Format: Local`, `#Fields: date time action protocol src-ip dst-ip src-port dst-port size
 * tcpflags tcpsyn tcpack tcpwin icmptype icmpcode info path [pid]`. Columns are taken from the
 * `#Fields` line (any order, pid or not; a later `#Fields` line replaces the earlier one).
 * Fields are separated by one space; `-` is empty. Times are LOCAL to the logging host; the zone
 * comes from the caller (`tz`), UTC when none is given (FileSummary.timeZone says which, and
 * whether it was assumed).
 *
 * One line is one flow with orig = src-ip:src-port and resp = dst-ip:dst-port (the log writes
 * the packet's own direction, so src is the originator), with one exception: the firewall logs a
 * DROP per packet, so the dropped packets of one attempt (a SYN and its retransmissions, a UDP
 * request sent again) are one flow, as a capture of them would be. DROP lines with the same
 * 5-tuple and path make one flow while each comes within the transport's inactivity timeout of
 * the one before (Zeek's defaults: TCP 5 min, UDP and ICMP 1 min; `--tcp-timeout`,
 * `--udp-timeout`), with their count (`log.records`, the originator's packets and bytes,
 * `synCount`); see drop-runs.ts. ICMP lines carry their type and code in origP and respP (Zeek
 * conn.log's convention for ICMP). `path` gives the direction relative to the logging host:
 * SEND = src is this host, RECEIVE = dst is this host, FORWARD = neither.
 *
 * Outcome mapping:
 *
 * | action            | outcome   | connState                         | reason (example)                                                     |
 * |-------------------|-----------|-----------------------------------|----------------------------------------------------------------------|
 * | ALLOW             | completed | OTH                               | allowed in by the Windows Firewall of the receiving host (RECEIVE; this log does not show replies) |
 * | DROP              | refused   | S0 (OTH for a TCP packet w/o SYN) | DROP by the Windows Firewall of the receiving host (RECEIVE)         |
 * | OPEN, OPEN-INBOUND| completed | OTH                               | connection opened through the Windows Firewall (OPEN), closed after 4 s |
 * | CLOSE             | completed | OTH                               | merged into its OPEN line (same 5-tuple) when the OPEN is held; else its own flow |
 * | INFO-EVENTS-LOST  | (no flow) |                                   | diagnostic log_events_lost; counter evidence_gap_events_lost += the count in `info` |
 *
 * Why ALLOW is `completed`: the line proves the connection passed this host's firewall (for
 * RECEIVE, it reached the host), which is what an audit of required ports asks; the log never
 * shows replies, so the connState stays OTH (not SF) and the reason says so. A DROP is silent to
 * the sender, so a capture would show S0: that is the state given.
 *
 * Lines with protocols other than TCP, UDP and ICMP (IGMP is common) are reported
 * (`log_unsupported_protocol`) and not turned into flows. Bad lines are reported (`log_bad_line`,
 * `log_bad_time`, `log_bad_field`) with their line number and skipped.
 */

import type { DiagnosticCode } from '../common/diagnostics.js';
import { InputError } from '../common/diagnostics.js';
import { DEFAULT_TIMEOUTS, type ConnState, type Flow, type FlowLogFacts, type FlowTimeouts, type Outcome, type Transport } from '../flows/types.js';
import {
  AddressCache,
  AddressSlots,
  flowLogUid,
  forEachLineRange,
  hashString,
  parseUint,
  protocolForMessage,
  sameChars,
  transportOf,
} from './flowlog-common.js';
import { ASSUMED_UTC, civilToMillis, daysInMonth, parseTimezone } from './flowlog-time.js';
import type { LocalTimeZone } from './flowlog-time.js';
import { DropRuns, flowOfDropRun } from './drop-runs.js';
import type { ByteInput, FileSummary, FlowSink, ReadContext } from './types.js';

export { parseTimezone } from './flowlog-time.js';
export type { LocalTimeZone } from './flowlog-time.js';

/** Options of {@link readPfirewall}. */
export interface PfirewallOptions {
  /** Zone of the log's local times: an IANA name, an offset, or a parsed zone. Default: UTC (assumed). */
  tz?: string | LocalTimeZone;
  /** Inactivity timeouts that end a run of DROP lines of one 5-tuple (default: DEFAULT_TIMEOUTS). */
  timeouts?: Partial<FlowTimeouts>;
  /** The logging host's own address, when known; otherwise it is inferred. */
  localAddress?: string;
}

/** The columns written by current Windows versions (pid is the newer, optional last column). */
export const PFIREWALL_DEFAULT_FIELDS = [
  'date', 'time', 'action', 'protocol', 'src-ip', 'dst-ip', 'src-port', 'dst-port', 'size',
  'tcpflags', 'tcpsyn', 'tcpack', 'tcpwin', 'icmptype', 'icmpcode', 'info', 'path',
];

const REQUIRED_FIELDS = ['date', 'time', 'action', 'protocol', 'src-ip', 'dst-ip'];

/** Column indices of one #Fields layout; -1 when absent. */
interface Layout {
  date: number;
  time: number;
  action: number;
  protocol: number;
  src: number;
  dst: number;
  sport: number;
  dport: number;
  size: number;
  tcpflags: number;
  icmptype: number;
  icmpcode: number;
  info: number;
  path: number;
  pid: number;
  /** Fields a line needs to reach every required column. */
  minFields: number;
  count: number;
}

function layoutOf(names: string[]): Layout {
  const idx = (n: string): number => names.indexOf(n);
  const l: Layout = {
    date: idx('date'),
    time: idx('time'),
    action: idx('action'),
    protocol: idx('protocol'),
    src: idx('src-ip'),
    dst: idx('dst-ip'),
    sport: idx('src-port'),
    dport: idx('dst-port'),
    size: idx('size'),
    tcpflags: idx('tcpflags'),
    icmptype: idx('icmptype'),
    icmpcode: idx('icmpcode'),
    info: idx('info'),
    path: idx('path'),
    pid: idx('pid'),
    minFields: 0,
    count: names.length,
  };
  l.minFields = Math.max(l.date, l.time, l.action, l.protocol, l.src, l.dst) + 1;
  return l;
}

/** Reasons are fixed per (action, path), so none is formatted per line. */
function reasonFor(action: 'ALLOW' | 'DROP', path: string, local: string | undefined): string {
  const on = local === undefined ? '' : ` on ${local}`;
  if (action === 'ALLOW') {
    switch (path) {
      case 'SEND': return `allowed out by the Windows Firewall of the sending host${on} (SEND; this log does not show replies)`;
      case 'RECEIVE': return `allowed in by the Windows Firewall of the receiving host${on} (RECEIVE; this log does not show replies)`;
      case 'FORWARD': return `forwarded by the Windows Firewall${on} (FORWARD; this log does not show replies)`;
      default: return `allowed by the Windows Firewall${on} (this log does not show replies)`;
    }
  }
  switch (path) {
    case 'SEND': return `DROP by the Windows Firewall of the sending host${on} (SEND)`;
    case 'RECEIVE': return `DROP by the Windows Firewall of the receiving host${on} (RECEIVE)`;
    case 'FORWARD': return `DROP by the Windows Firewall${on} (FORWARD)`;
    default: return `DROP by the Windows Firewall${on}`;
  }
}

/** True for addresses that can be a host's own: not multicast, broadcast, unspecified or loopback. */
function isHostAddressCandidate(a: string): boolean {
  if (a.includes(':')) {
    const c0 = a.charCodeAt(0);
    if (a === '::' || a === '::1') return false;
    return !((c0 === 102 || c0 === 70) && (a.charCodeAt(1) === 102 || a.charCodeAt(1) === 70)); // ffxx:: multicast
  }
  const firstOctet = parseUint(a, 0, a.indexOf('.'));
  if (firstOctet >= 224 || firstOctet === 0 || firstOctet === 127) return false;
  return !a.endsWith('.255');
}

interface HeldOpen {
  flow: Flow;
  localTs: number;
}

/** Parses `YYYY-MM-DD` + `HH:MM:SS[.frac]` to local wall-clock milliseconds-as-UTC; NaN when bad. */
function parseLocalMillis(date: string, time: string): number {
  if (date.length !== 10 || date.charCodeAt(4) !== 45 || date.charCodeAt(7) !== 45) return NaN;
  const y = parseUint(date, 0, 4);
  const mo = parseUint(date, 5, 7);
  const d = parseUint(date, 8, 10);
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return NaN;
  if (time.length < 8 || time.charCodeAt(2) !== 58 || time.charCodeAt(5) !== 58) return NaN;
  const h = parseUint(time, 0, 2);
  const mi = parseUint(time, 3, 5);
  const s = parseUint(time, 6, 8);
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60) return NaN;
  let ms = 0;
  if (time.length > 8) {
    if (time.charCodeAt(8) !== 46) return NaN;
    const frac = time.slice(9, 12).padEnd(3, '0');
    ms = parseUint(frac);
    if (ms < 0) return NaN;
  }
  return civilToMillis(y, mo, d, h, mi, s) + ms;
}

const OPEN_HOLD_LIMIT = 65_536;
const MAX_FIELDS = 40;
const PATH_NONE = 0;
const PATH_SEND = 1;
const PATH_RECEIVE = 2;
const PATH_FORWARD = 3;
const PATH_NAMES = ['-', 'SEND', 'RECEIVE', 'FORWARD'];
/** DropRuns state code of a run whose first line dropped a packet that opens nothing (OTH). */
const DROP_MIDSTREAM = 1;

/**
 * Reads one pfirewall.log and pushes one flow per line (an OPEN and its CLOSE make one flow, the
 * DROP lines of one attempt too) to `onFlow`, synchronously. `FileSummary.records` counts data
 * lines (every non-blank line that is not a `#` header, INFO-EVENTS-LOST and bad lines included);
 * `timeZone` and `localAddress` say how times were read and which host wrote the log.
 * @throws InputError (`log_no_fields_header`) when a #Fields line lacks a required column.
 * @throws UsageError when `ctx.tz` is not a zone.
 */
export async function readPfirewall(
  input: ByteInput,
  ctx: ReadContext & PfirewallOptions,
  onFlow: FlowSink,
): Promise<FileSummary> {
  const file = input.name;
  const diag = ctx.diag;
  const zone: LocalTimeZone = ctx.tz === undefined ? ASSUMED_UTC : typeof ctx.tz === 'string' ? parseTimezone(ctx.tz) : ctx.tz;
  const givenLocal = ctx.localAddress === undefined ? undefined : (new AddressCache().canonical(ctx.localAddress) ?? ctx.localAddress);
  const fileHash = hashString(file);
  const addressSlots = new AddressSlots();
  const allowReasons = PATH_NAMES.map((p) => reasonFor('ALLOW', p, givenLocal));
  const dropReasons = PATH_NAMES.map((p) => reasonFor('DROP', p, givenLocal));
  const localVotes = new Map<string, number>();
  const held = new Map<string, HeldOpen>();
  const timeouts = { ...DEFAULT_TIMEOUTS, ...ctx.timeouts };
  const drops = new DropRuns([timeouts.tcpInactivity, timeouts.udpInactivity, timeouts.icmpInactivity], (run, firstTs, lastTs, bytes) => {
    const log: FlowLogFacts = run.path === PATH_NONE ? { action: 'DROP', records: run.lines } : { action: 'DROP', direction: PATH_NAMES[run.path], records: run.lines };
    if (run.pid >= 0) log.pid = run.pid;
    // The line's own reason, whatever the run's size (the audit lists a pair's distinct refusal
    // texts): the size is in the counts, log.records and synCount.
    onFlow(flowOfDropRun(run, firstTs, lastTs, bytes, { file, fileHash, midstream: run.state === DROP_MIDSTREAM, reason: dropReasons[run.path], log }));
  });

  let layout: Layout | null = null;
  let warnedNoFields = false;
  let dataLines = 0;
  let firstTs: number | null = null;
  let lastTs: number | null = null;
  let lastDate = '';
  let lastTime = '';
  let lastTs0 = 0;

  const bad = (code: DiagnosticCode, lineNo: number, offset: number, detail: string): void => {
    diag.report(code, { file, offset, index: lineNo }, `line ${lineNo}: ${detail}`);
  };

  const emitHeld = (h: HeldOpen): void => onFlow(h.flow);

  // Field boundaries of the current line (reused: no array of strings per line). The line is the
  // range [lineStart, lineEnd) of `line`, which is usually the whole decoded chunk: characters are
  // read in place, and only the columns that become values are cut out as strings.
  const starts = new Int32Array(MAX_FIELDS);
  const ends = new Int32Array(MAX_FIELDS);
  let line = '';
  const text = (k: number): string => (k >= 0 && k < fieldCount ? line.slice(starts[k], ends[k]) : '-');
  const isEmpty = (k: number): boolean => k < 0 || k >= fieldCount || (ends[k] - starts[k] === 1 && line.charCodeAt(starts[k]) === 45);
  const is = (k: number, word: string): boolean => k >= 0 && k < fieldCount && ends[k] - starts[k] === word.length && sameChars(line, starts[k], word);
  /** A numeric column: `-` or absent → 0; -1 when not a number. */
  const num = (k: number): number => (isEmpty(k) ? 0 : parseUint(line, starts[k], ends[k]));
  let fieldCount = 0;

  /** Canonical address in column `k` of the current line; null when it is not an address. */
  const addressAt = (k: number): string | null => addressSlots.at(line, starts[k], ends[k]);

  const onLine = (chunkText: string, lineStart: number, lineEnd: number, lineNo: number, offset: number): void => {
    if (lineEnd === lineStart) return;
    if (chunkText.charCodeAt(lineStart) === 35 /* # */) {
      const current = chunkText.slice(lineStart, lineEnd);
      if (current.startsWith('#Fields:')) {
        const names = current.slice(8).trim().split(/\s+/).map((n) => n.toLowerCase());
        const missing = REQUIRED_FIELDS.filter((n) => !names.includes(n));
        if (missing.length > 0) {
          throw new InputError(
            'log_no_fields_header',
            file,
            offset,
            `${file}: line ${lineNo}: the #Fields line lacks ${missing.join(', ')} (found: ${names.join(' ')}); expected a Windows Firewall log`,
          );
        }
        layout = layoutOf(names);
      }
      return;
    }
    line = chunkText;
    // Split at single spaces, recording boundaries only. Locals, not the closure's variables: the
    // loop runs for every character of the file.
    const t = chunkText;
    const fieldStarts = starts;
    const fieldEnds = ends;
    let n = 0;
    let start = lineStart;
    for (let i = lineStart; i < lineEnd; i++) {
      if (t.charCodeAt(i) === 32) {
        if (n < MAX_FIELDS) {
          fieldStarts[n] = start;
          fieldEnds[n] = i;
        }
        n++;
        start = i + 1;
      }
    }
    if (n < MAX_FIELDS) {
      starts[n] = start;
      ends[n] = lineEnd;
    }
    fieldCount = Math.min(n + 1, MAX_FIELDS);
    if (n + 1 === 1 && line.slice(lineStart, lineEnd).trim().length === 0) return;
    dataLines++;
    if (layout === null) {
      if (!warnedNoFields) {
        warnedNoFields = true;
        bad('log_no_fields_header', lineNo, offset, 'data before any #Fields line: reading the standard Windows Firewall columns');
      }
      layout = layoutOf(n + 1 >= 18 ? [...PFIREWALL_DEFAULT_FIELDS, 'pid'] : PFIREWALL_DEFAULT_FIELDS);
    }
    const L: Layout = layout;
    if (n + 1 < L.minFields) {
      bad('log_bad_line', lineNo, offset, `${n + 1} fields where the #Fields line names ${L.count}; skipped`);
      return;
    }
    // Time: lines come in time order, so most share the previous line's second.
    let ts: number;
    if (lastDate.length === ends[L.date] - starts[L.date] && sameChars(line, starts[L.date], lastDate) &&
        lastTime.length === ends[L.time] - starts[L.time] && sameChars(line, starts[L.time], lastTime)) {
      ts = lastTs0;
    } else {
      const date = text(L.date);
      const time = text(L.time);
      const local = parseLocalMillis(date, time);
      if (Number.isNaN(local)) {
        bad('log_bad_time', lineNo, offset, `bad date/time ${JSON.stringify(`${date} ${time}`.slice(0, 40))}; skipped`);
        return;
      }
      ts = zone.toUtcMillis(local) * 1000;
      lastDate = date;
      lastTime = time;
      lastTs0 = ts;
    }
    let action: string;
    if (is(L.action, 'ALLOW')) action = 'ALLOW';
    else if (is(L.action, 'DROP')) action = 'DROP';
    else action = text(L.action);
    if (action === 'INFO-EVENTS-LOST') {
      const lost = isEmpty(L.info) ? -1 : num(L.info);
      diag.report(
        'log_events_lost',
        { file, offset, index: lineNo },
        `line ${lineNo}: the firewall lost ${lost < 0 ? 'an unknown number of events' : lost === 1 ? '1 event' : `${lost} events`} here: a gap in the evidence`,
      );
      diag.count('evidence_gap_events_lost', lost >= 0 ? lost : 0);
      diag.count('evidence_gaps');
      noteTs(ts);
      return;
    }
    const proto: Transport | null = is(L.protocol, 'UDP') ? 'udp' : is(L.protocol, 'TCP') ? 'tcp' : transportOf(text(L.protocol));
    if (proto === null) {
      bad('log_unsupported_protocol', lineNo, offset, `protocol ${protocolForMessage(text(L.protocol))} is not TCP, UDP or ICMP; not a flow`);
      return;
    }
    const src = addressAt(L.src);
    const dst = addressAt(L.dst);
    if (src === null || dst === null) {
      bad('log_bad_line', lineNo, offset, `bad address ${JSON.stringify(text(src === null ? L.src : L.dst).slice(0, 60))}; skipped`);
      return;
    }
    let origP: number;
    let respP: number;
    if (proto === 'icmp') {
      origP = num(L.icmptype);
      respP = num(L.icmpcode);
    } else {
      origP = num(L.sport);
      respP = num(L.dport);
    }
    if (origP < 0 || respP < 0 || (proto !== 'icmp' && (origP > 65535 || respP > 65535))) {
      bad('log_bad_field', lineNo, offset, `bad ${proto === 'icmp' ? 'ICMP type/code' : 'port'}; skipped`);
      return;
    }
    const pathCode = is(L.path, 'SEND') ? PATH_SEND : is(L.path, 'RECEIVE') ? PATH_RECEIVE : is(L.path, 'FORWARD') ? PATH_FORWARD : PATH_NONE;
    const size = num(L.size);
    const pid = isEmpty(L.pid) ? -1 : num(L.pid);

    let outcome: Outcome;
    let connState: ConnState;
    let why: string;
    switch (action) {
      case 'ALLOW':
        outcome = 'completed';
        connState = 'OTH';
        why = allowReasons[pathCode];
        break;
      case 'DROP': {
        // A dropped TCP packet without SYN (or with SYN+ACK) is midstream, not an attempt.
        const flags = proto === 'tcp' && !isEmpty(L.tcpflags) ? text(L.tcpflags) : '';
        const midstream = flags !== '' && (flags.indexOf('S') < 0 || flags.indexOf('A') >= 0);
        // Held in its run (see DropRuns): the run's flow is made when it ends.
        noteTs(ts);
        if (pathCode === PATH_SEND) vote(src);
        else if (pathCode === PATH_RECEIVE) vote(dst);
        const transport = proto === 'tcp' ? 0 : proto === 'udp' ? 1 : 2;
        drops.add(transport, src, origP, dst, respP, pathCode, midstream ? DROP_MIDSTREAM : 0, ts, size > 0 ? size : 0, flags === 'S', pid, lineNo);
        return;
      }
      case 'OPEN':
      case 'OPEN-INBOUND':
        outcome = 'completed';
        connState = 'OTH';
        why = action === 'OPEN' ? 'connection opened through the Windows Firewall (OPEN), no CLOSE in this log' : 'inbound connection opened through the Windows Firewall (OPEN-INBOUND), no CLOSE in this log';
        break;
      case 'CLOSE':
        outcome = 'completed';
        connState = 'OTH';
        why = 'connection closed (CLOSE); its OPEN is not in this log';
        break;
      default:
        bad('log_bad_field', lineNo, offset, `unknown action ${JSON.stringify(action.slice(0, 30))}; skipped`);
        return;
    }
    noteTs(ts);
    if (pathCode === PATH_SEND) vote(src);
    else if (pathCode === PATH_RECEIVE) vote(dst);

    const flow: Flow = {
      uid: flowLogUid(fileHash, lineNo),
      ts,
      duration: 0,
      proto,
      origH: src,
      origP,
      respH: dst,
      respP,
      connState,
      history: '',
      origPkts: 1,
      origBytes: size > 0 ? size : 0,
      origIpBytes: size > 0 ? size : 0,
      respPkts: 0,
      respBytes: 0,
      respIpBytes: 0,
      outcome,
      reason: why,
      observedBy: 'flowlog',
      evidence: { file, line: lineNo },
      log: pathCode === PATH_NONE ? { action, records: 1 } : { action, direction: PATH_NAMES[pathCode], records: 1 },
    };
    if (pid >= 0) flow.log!.pid = pid;

    if (action === 'OPEN' || action === 'OPEN-INBOUND' || action === 'CLOSE') {
      const key = `${proto}|${src}|${origP}|${dst}|${respP}`;
      if (action === 'CLOSE') {
        const open = held.get(key);
        if (open !== undefined) {
          held.delete(key);
          const o = open.flow;
          o.duration = Math.max(0, ts - o.ts);
          o.reason = `${o.log!.action === 'OPEN' ? 'connection opened through the Windows Firewall (OPEN)' : 'inbound connection opened through the Windows Firewall (OPEN-INBOUND)'}, closed (CLOSE, line ${lineNo}) after ${Math.round(o.duration / 1_000_000)} s`;
          o.log!.records = 2;
          onFlow(o);
          return;
        }
        onFlow(flow);
        return;
      }
      const previous = held.get(key);
      if (previous !== undefined) {
        held.delete(key);
        emitHeld(previous);
      }
      if (held.size >= OPEN_HOLD_LIMIT) {
        const oldest = held.entries().next().value!;
        held.delete(oldest[0]);
        emitHeld(oldest[1]);
      }
      held.set(key, { flow, localTs: ts });
      return;
    }
    onFlow(flow);
  };

  function noteTs(ts: number): void {
    if (firstTs === null || ts < firstTs) firstTs = ts;
    if (lastTs === null || ts > lastTs) lastTs = ts;
  }

  // Votes are counted in runs: consecutive lines mostly name the same host address.
  let runAddr = '';
  let runVotes = 0;
  function vote(addr: string): void {
    if (givenLocal !== undefined) return;
    if (addr === runAddr) {
      runVotes++;
      return;
    }
    flushVotes();
    runAddr = addr;
    runVotes = 1;
  }
  function flushVotes(): void {
    if (runVotes > 0) localVotes.set(runAddr, (localVotes.get(runAddr) ?? 0) + runVotes);
    runVotes = 0;
  }

  const result = await forEachLineRange(input, onLine);
  flushVotes();
  for (const h of held.values()) emitHeld(h);
  held.clear();
  drops.flush();
  diag.count('log_lines', dataLines);

  const summary: FileSummary = {
    file,
    format: 'pfirewall',
    records: dataLines,
    bytes: result.bytes,
    firstTs,
    lastTs,
    complete: true,
    timeZone: { name: zone.name, assumed: zone.assumed },
  };
  const local = givenLocal ?? inferLocal(localVotes);
  if (local !== undefined) summary.localAddress = local;
  return summary;
}

/** The most-voted host address candidate; ties go to the address seen first. */
function inferLocal(votes: Map<string, number>): string | undefined {
  let best: string | undefined;
  let bestVotes = 0;
  for (const [addr, n] of votes) {
    if (n > bestVotes && isHostAddressCandidate(addr)) {
      best = addr;
      bestVotes = n;
    }
  }
  return best;
}
