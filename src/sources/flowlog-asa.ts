/**
 * Cisco ASA and Firepower Threat Defense syslog (`%ASA-…` and `%FTD-…` messages), as the firewall
 * sends them to a syslog server or keeps them in its buffer. The messages that say what happened
 * to a connection (Cisco's "Syslog Messages" reference):
 *
 * - denies, each one packet the firewall dropped: 106023 (`Deny tcp src inside:10.0.0.20/50123 dst
 *   outside:10.0.1.11/389 by access-group "inside_in"`), 106001 (inbound TCP denied), 106006
 *   (inbound UDP denied), 106015 (a TCP packet of no connection, midstream), and 106100 (an ACL
 *   entry with `log`: permitted or denied);
 * - the connection table: 302013/302015 `Built {inbound|outbound} {TCP|UDP} connection ID for
 *   IF:ADDR/PORT (…) to IF:ADDR/PORT (…)`, and 302014/302016 `Teardown … duration H:MM:SS bytes N
 *   REASON`. For an outbound connection the first address is the responder, for an inbound one the
 *   initiator. The teardown reason says how a TCP connection ended: `SYN Timeout`, no answer to
 *   the SYN (S0); a reset with no bytes, refused (REJ); `TCP FINs` and the rest, completed.
 *
 * Denied packets of one attempt make one flow (drop-runs.ts). A UDP teardown counts the bytes of
 * both ways together, so whether a request was answered is not said (outcome unknown). A
 * connection built but not torn down in the log is let through, its outcome unknown.
 */

import type { DiagnosticCode } from '../common/diagnostics.js';
import type { ConnState, FlowLogFacts, Outcome, Transport } from '../flows/types.js';
import { CappedTexts, DropRuns, flowOfDropRun } from './drop-runs.js';
import { flowLogUid, forEachLineRange, makeLogFlow } from './flowlog-common.js';
import { ASA_MESSAGE } from './input.js';
import { readSyslogStamp, syslogReader, type SyslogLogOptions } from './syslog-stamp.js';
import type { ByteInput, FileSummary, FlowSink, ReadContext } from './types.js';

export type AsaOptions = SyslogLogOptions;

/** An endpoint `inside:10.0.0.20/50123` (an IPv6 address holds colons: the interface ends at the first). */
const EP = '[^:\\s]+:([^/\\s]+)/(\\d+)';
const DENY_106023 = new RegExp(`^Deny (tcp|udp|icmp) src [^:\\s]+:([^/\\s]+)(?:/(\\d+))? dst [^:\\s]+:([^/\\s]+)(?:/(\\d+))?(?: \\(type (\\d+), code (\\d+)\\))? by access-group "([^"]*)"`);
const DENY_106001 = /^Inbound TCP connection denied from ([^/\s]+)\/(\d+) to ([^/\s]+)\/(\d+) flags ([A-Z ]*?) +on interface/;
const DENY_106006 = /^Deny inbound UDP from ([^/\s]+)\/(\d+) to ([^/\s]+)\/(\d+)/;
const DENY_106015 = /^Deny TCP \(no connection\) from ([^/\s]+)\/(\d+) to ([^/\s]+)\/(\d+)/;
const ACL_106100 = /^access-list (\S+) (permitted|denied|est-allowed) (tcp|udp|icmp) [^/\s]+\/([^(\s]+)\((\d+)\) -> [^/\s]+\/([^(\s]+)\((\d+)\)/;
/** After an endpoint: its mapped socket and, with identity firewall, a user, each in parentheses. */
const GROUPS = '(?:\\s*\\([^)]*\\))*';
const BUILT = new RegExp(`^Built (inbound|outbound) (TCP|UDP) connection (\\d+) for ${EP}${GROUPS} to ${EP}`);
const TEARDOWN = new RegExp(`^Teardown (TCP|UDP) connection (\\d+) for ${EP}${GROUPS} to ${EP}${GROUPS} duration (\\d+):(\\d{2}):(\\d{2}) bytes (\\d+)\\s*(.*)$`);

/** Connections built and not yet torn down, held at most; past it the oldest is let go (outcome unknown). */
const MAX_OPEN_CONNECTIONS = 100_000;
/** DropRun state bit: a denied TCP packet of no new attempt. */
const DROP_MIDSTREAM = 1;

interface Built {
  proto: Transport;
  origH: string;
  origP: number;
  respH: string;
  respP: number;
  ts: number;
  line: number;
}

/** Reads an ASA or FTD log and pushes its flows to `onFlow`; other lines and messages are skipped. */
export async function readAsa(input: ByteInput, ctx: ReadContext & AsaOptions, onFlow: FlowSink): Promise<FileSummary> {
  const file = input.name;
  const diag = ctx.diag;
  const { zone, nowMs, fileHash, addresses, timeouts } = syslogReader(file, ctx);
  let localStamps = false;
  let records = 0;
  let firstTs: number | null = null;
  let lastTs: number | null = null;
  /** Access groups and lists, numbered to keep in a held run's state. */
  const acls = new CappedTexts();
  const drops = new DropRuns([timeouts.tcpInactivity, timeouts.udpInactivity, timeouts.icmpInactivity], (run, first, last, bytes) => {
    const acl = acls.text(run.state >>> 1);
    const log: FlowLogFacts = { action: 'Deny', records: run.lines };
    if (acl !== '') log.rule = acl;
    const reason = `denied by the Cisco firewall${acl !== '' ? ` (access list ${JSON.stringify(acl)})` : ''}`;
    onFlow(flowOfDropRun(run, first, last, bytes, { file, fileHash, midstream: (run.state & DROP_MIDSTREAM) !== 0, reason, log }));
  });
  const open = new Map<string, Built>();

  const bad = (code: DiagnosticCode, lineNo: number, offset: number, detail: string): void => {
    diag.report(code, { file, offset, index: lineNo }, `line ${lineNo}: ${detail}`);
  };
  const emit = (b: Built, outcome: Outcome, connState: ConnState, reason: string, duration: number, bytes: number, action: string, lineNo: number) => {
    onFlow(
      makeLogFlow({
        uid: flowLogUid(fileHash, b.line, lineNo),
        ts: b.ts,
        duration,
        proto: b.proto,
        origH: b.origH,
        origP: b.origP,
        respH: b.respH,
        respP: b.respP,
        connState,
        origPkts: 0,
        origBytes: bytes,
        respPkts: 0,
        respBytes: 0,
        outcome,
        reason,
        evidence: { file, line: b.line },
        log: { action, records: lineNo === b.line ? 1 : 2 },
      }),
    );
  };
  const stillOpen = (b: Built, lineNo: number) =>
    emit(b, 'unknown', 'OTH', 'connection allowed by the Cisco firewall (Built); its Teardown is not in this log', 0, 0, 'Built', lineNo);
  const addr = (text: string): string | null => addresses.canonical(text);

  const result = await forEachLineRange(input, (text, start, end, lineNo, offset) => {
    const line = text.slice(start, end);
    const m = ASA_MESSAGE.exec(line);
    if (m === null) return;
    const id = m[1];
    const msg = m[2];
    if (!/^(?:1060(?:01|06|15|23)|106100|3020(?:13|14|15|16))$/.test(id)) return;
    records++;
    const stamp = readSyslogStamp(line, zone, nowMs);
    if (stamp === null) {
      bad('log_bad_time', lineNo, offset, `no time stamp before %ASA-${id}; skipped`);
      return;
    }
    if (stamp.local) localStamps = true;
    const ts = stamp.ts;
    if (firstTs === null || ts < firstTs) firstTs = ts;
    if (lastTs === null || ts > lastTs) lastTs = ts;

    const deny = (proto: string, src: string, sport: number, dst: string, dport: number, acl: string, midstream: boolean, syn: boolean) => {
      const a = addr(src);
      const b = addr(dst);
      if (a === null || b === null || !(sport >= 0 && sport <= 65535 && dport >= 0 && dport <= 65535)) {
        bad('log_bad_line', lineNo, offset, `bad address or port in %ASA-${id}; skipped`);
        return;
      }
      const transport = proto === 'tcp' ? 0 : proto === 'udp' ? 1 : 2;
      drops.add(transport, a, sport, b, dport, 0, (acls.id(acl) << 1) | (midstream ? DROP_MIDSTREAM : 0), ts, 0, syn, -1, lineNo);
    };

    let d: RegExpExecArray | null;
    switch (id) {
      case '106023':
        if ((d = DENY_106023.exec(msg)) !== null) {
          const icmp = d[1] === 'icmp';
          deny(d[1], d[2], icmp ? Number(d[6] ?? 0) : Number(d[3]), d[4], icmp ? Number(d[7] ?? 0) : Number(d[5]), d[8], false, d[1] === 'tcp');
        }
        return;
      case '106001':
        if ((d = DENY_106001.exec(msg)) !== null) {
          const flags = d[5].split(' ');
          const syn = flags.includes('SYN');
          deny('tcp', d[1], Number(d[2]), d[3], Number(d[4]), '', !syn || flags.includes('ACK'), syn && !flags.includes('ACK'));
        }
        return;
      case '106006':
        if ((d = DENY_106006.exec(msg)) !== null) deny('udp', d[1], Number(d[2]), d[3], Number(d[4]), '', false, false);
        return;
      case '106015':
        if ((d = DENY_106015.exec(msg)) !== null) deny('tcp', d[1], Number(d[2]), d[3], Number(d[4]), '', true, false);
        return;
      case '106100': {
        if ((d = ACL_106100.exec(msg)) === null) return;
        if (d[2] === 'denied') {
          deny(d[3], d[4], Number(d[5]), d[6], Number(d[7]), d[1], false, d[3] === 'tcp');
          return;
        }
        const a = addr(d[4]);
        const b = addr(d[6]);
        if (a === null || b === null) return;
        const proto = d[3] as Transport;
        emit(
          { proto, origH: a, origP: Number(d[5]), respH: b, respP: Number(d[7]), ts, line: lineNo },
          'completed',
          'OTH',
          `permitted by the Cisco firewall (access list ${JSON.stringify(d[1])})`,
          0,
          0,
          'permitted',
          lineNo,
        );
        return;
      }
      case '302013':
      case '302015': {
        if ((d = BUILT.exec(msg)) === null) return;
        const inbound = d[1] === 'inbound';
        const first = addr(d[4]);
        const second = addr(d[6]);
        if (first === null || second === null) return;
        const b: Built = inbound
          ? { proto: d[2] === 'TCP' ? 'tcp' : 'udp', origH: first, origP: Number(d[5]), respH: second, respP: Number(d[7]), ts, line: lineNo }
          : { proto: d[2] === 'TCP' ? 'tcp' : 'udp', origH: second, origP: Number(d[7]), respH: first, respP: Number(d[5]), ts, line: lineNo };
        if (open.size >= MAX_OPEN_CONNECTIONS) {
          const [oldestId, oldest] = open.entries().next().value as [string, Built];
          open.delete(oldestId);
          stillOpen(oldest, oldest.line);
        }
        open.set(`${d[2]}${d[3]}`, b);
        return;
      }
      default: {
        // 302014, 302016: Teardown.
        if ((d = TEARDOWN.exec(msg)) === null) return;
        const key = `${d[1]}${d[2]}`;
        let b = open.get(key);
        open.delete(key);
        if (b === undefined) {
          // Built before the log began: the server is the side on the lower port.
          const first = addr(d[3]);
          const second = addr(d[5]);
          if (first === null || second === null) return;
          const p1 = Number(d[4]);
          const p2 = Number(d[6]);
          const firstServes = p1 <= p2;
          b = {
            proto: d[1] === 'TCP' ? 'tcp' : 'udp',
            origH: firstServes ? second : first,
            origP: firstServes ? p2 : p1,
            respH: firstServes ? first : second,
            respP: firstServes ? p1 : p2,
            ts,
            line: lineNo,
          };
        }
        const duration = ((Number(d[7]) * 60 + Number(d[8])) * 60 + Number(d[9])) * 1_000_000;
        const bytes = Number(d[10]);
        const why = d[11].trim();
        let outcome: Outcome;
        let state: ConnState;
        let reason: string;
        if (b.proto === 'udp') {
          outcome = 'unknown';
          state = 'OTH';
          reason = `UDP connection through the Cisco firewall ended${why !== '' ? ` (${why})` : ''}: its log counts the bytes of both ways together, so whether the request was answered is not said`;
        } else if (/SYN Timeout/i.test(why)) {
          outcome = 'unanswered';
          state = 'S0';
          reason = 'S0: SYN Timeout at the Cisco firewall (no answer to the SYN within its timeout)';
        } else if (/Reset/i.test(why) && bytes === 0) {
          outcome = 'refused';
          state = 'REJ';
          reason = `REJ: reset before any data (${why} at the Cisco firewall)`;
        } else {
          outcome = 'completed';
          state = /FINs/i.test(why) ? 'SF' : 'OTH';
          reason = `connection through the Cisco firewall ended${why !== '' ? ` (${why})` : ''} after ${bytes} bytes`;
        }
        emit(b, outcome, state, reason, duration, bytes, 'Teardown', lineNo);
      }
    }
  });
  drops.flush();
  for (const b of open.values()) stillOpen(b, b.line);
  const summary: FileSummary = { file, format: 'asa', records, bytes: result.bytes, firstTs, lastTs, complete: true };
  if (localStamps) summary.timeZone = { name: zone.name, assumed: zone.assumed };
  return summary;
}
