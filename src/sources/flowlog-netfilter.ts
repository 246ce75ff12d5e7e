/**
 * Linux firewall logs: the lines the kernel writes for netfilter's LOG target (iptables, nftables
 * `log`), which ufw and firewalld use, as they reach a file: /var/log/ufw.log, kern.log, syslog,
 * `journalctl -k` (short or short-iso), or `dmesg`. A Samba domain controller, or a Linux router
 * between the sync server and its DCs, logs its drops so:
 *
 *     Nov 20 09:15:02 dc1 kernel: [12345.678901] [UFW BLOCK] IN=eth0 OUT= MAC=... SRC=10.0.0.20 DST=10.0.0.11 LEN=52 TOS=0x00 PREC=0x00 TTL=128 ID=4660 DF PROTO=TCP SPT=50123 DPT=389 WINDOW=64240 RES=0x00 SYN URGP=0
 *     2026-11-20T09:15:02.123456+01:00 gw kernel: filter_FWD_public_REJECT: IN=eth0 OUT=eth1 SRC=... PROTO=UDP SPT=53000 DPT=88 LEN=1200
 *
 * The fields are the kernel's (net/netfilter/nf_log_syslog.c): IN and OUT interfaces, SRC, DST,
 * PROTO, SPT and DPT (TYPE and CODE for ICMP), and the TCP flags as words. What the rule did is
 * not a field: it is in the prefix the rule gave, `[UFW BLOCK]`, `FINAL_REJECT:`, `DROP-IN:` ...
 * A prefix that says BLOCK, DROP, REJECT or DENY is a drop; ALLOW, ACCEPT or PASS let the packet
 * through; any other (`[UFW AUDIT]`, a bare LOG rule) logged it without saying (outcome unknown).
 *
 * Direction from the interfaces: IN alone, received by this host (RECEIVE); OUT alone, sent by it
 * (SEND); both, forwarded (FORWARD: the host is a router or firewall between the two). Dropped
 * packets of one attempt (a SYN and its retransmissions) make one flow, as pfirewall's do
 * (drop-runs.ts).
 *
 * Times: an ISO 8601 stamp with its zone is read as it says. A classic syslog stamp (`Nov 20
 * 09:15:02`) is local time without a year: read in `--tz` (UTC when not given), in the year that
 * puts it no more than a day ahead of now; `dmesg -T`'s bracketed local time is read in `--tz` too.
 * `dmesg`'s plain seconds since boot give no date at all: read
 * from 1970-01-01, and the file is reported so.
 */

import type { DiagnosticCode } from '../common/diagnostics.js';
import type { Transport } from '../flows/types.js';
import { CappedTexts, DropRuns, flowOfDropRun } from './drop-runs.js';
import { flowOfLoggedPacket, forEachLineRange } from './flowlog-common.js';
import { readSyslogStamp, syslogReader, type SyslogLogOptions } from './syslog-stamp.js';
import { isNetfilterLine } from './input.js';
import type { ByteInput, FileSummary, FlowSink, ReadContext } from './types.js';

export type NetfilterOptions = SyslogLogOptions;

const BOOT_STAMP = /\[\s*(\d+)\.(\d+)\]\s/;
const DROP_WORDS = /BLOCK|DROP|REJECT|DENY|DENIED/i;
const ALLOW_WORDS = /ALLOW|ACCEPT|PASS/i;

const PATH_RECEIVE = 1;
const PATH_SEND = 2;
const PATH_FORWARD = 3;
const PATH_NAMES = ['', 'RECEIVE', 'SEND', 'FORWARD'];
/** DropRun state bit: a dropped TCP packet that is no new attempt (no SYN, or a SYN-ACK). */
const DROP_MIDSTREAM = 1;

/** The value of `NAME=` in a kernel log line (up to the next space); undefined when absent. */
function field(line: string, name: string): string | undefined {
  const at = line.indexOf(` ${name}=`);
  if (at < 0) return undefined;
  const from = at + name.length + 2;
  const to = line.indexOf(' ', from);
  return line.slice(from, to < 0 ? line.length : to);
}

/** True when the TCP flag word stands alone among the fields (after RES=). */
function hasWord(line: string, word: string, from: number): boolean {
  let at = line.indexOf(` ${word}`, from);
  while (at >= 0) {
    const end = at + word.length + 1;
    if (end === line.length || line.charCodeAt(end) === 32) return true;
    at = line.indexOf(` ${word}`, end);
  }
  return false;
}

/**
 * Reads a netfilter log and pushes its flows to `onFlow`: one per dropped attempt, one per line
 * let through or logged. Lines that are no LOG line (other kernel messages in kern.log) are
 * skipped and not counted as bad.
 */
export async function readNetfilter(input: ByteInput, ctx: ReadContext & NetfilterOptions, onFlow: FlowSink): Promise<FileSummary> {
  const file = input.name;
  const diag = ctx.diag;
  const { zone, nowMs, fileHash, addresses, timeouts } = syslogReader(file, ctx);
  let localStamps = false;
  let undated = false;
  let unknownPrefixes = 0;
  let records = 0;
  let firstTs: number | null = null;
  let lastTs: number | null = null;
  const noteTs = (ts: number) => {
    if (firstTs === null || ts < firstTs) firstTs = ts;
    if (lastTs === null || ts > lastTs) lastTs = ts;
  };
  const reasonOf = (verb: string, prefix: string, path: number): string =>
    `${verb} by the Linux firewall${prefix !== '' ? ` (${JSON.stringify(prefix)})` : ''}${path === PATH_FORWARD ? ', forwarding' : ''}`;

  /** The rules' prefixes, numbered to keep in a held run's state beside the midstream bit (the run record holds no text). */
  const prefixes = new CappedTexts();
  const dropReason = (prefix: string, path: number): string => reasonOf(/REJECT/i.test(prefix) ? 'rejected' : 'dropped', prefix, path);
  const drops = new DropRuns([timeouts.tcpInactivity, timeouts.udpInactivity, timeouts.icmpInactivity], (run, first, last, bytes) => {
    onFlow(
      flowOfDropRun(run, first, last, bytes, {
        file,
        fileHash,
        midstream: (run.state & DROP_MIDSTREAM) !== 0,
        reason: dropReason(prefixes.text(run.state >>> 1), run.path),
        log: run.path === 0 ? { action: 'DROP', records: run.lines } : { action: 'DROP', direction: PATH_NAMES[run.path], records: run.lines },
      }),
    );
  });

  const bad = (code: DiagnosticCode, lineNo: number, offset: number, detail: string): void => {
    diag.report(code, { file, offset, index: lineNo }, `line ${lineNo}: ${detail}`);
  };

  const result = await forEachLineRange(input, (text, start, end, lineNo, offset) => {
    const whole = text.slice(start, end);
    if (!isNetfilterLine(whole)) return;
    records++;
    let ts: number;
    let line = whole;
    const stamp = readSyslogStamp(whole, zone, nowMs);
    if (stamp !== null) {
      ts = stamp.ts;
      if (stamp.local) localStamps = true;
      line = whole.slice(stamp.end);
    } else {
      const boot = BOOT_STAMP.exec(whole);
      if (boot === null) {
        bad('log_bad_time', lineNo, offset, 'no time stamp before the firewall fields; skipped');
        return;
      }
      undated = true;
      ts = Number(boot[1]) * 1_000_000 + Math.round(Number(`0.${boot[2].slice(0, 6)}`) * 1e6);
    }
    // The rule's prefix: the text before IN=, after the stamp, the host and `kernel:` (and dmesg's uptime).
    const inAt = line.indexOf(' IN=');
    let head = ` ${line.slice(0, inAt)}`;
    const kernel = /^.*\bkernel(?::| - - -)/.exec(head);
    if (kernel !== null) head = head.slice(kernel[0].length);
    const prefix = head.replace(BOOT_STAMP, ' ').trim();
    const verdict = DROP_WORDS.test(prefix) ? 'DROP' : ALLOW_WORDS.test(prefix) ? 'ALLOW' : 'LOG';
    if (verdict === 'LOG') unknownPrefixes++;

    const protoText = field(line, 'PROTO') ?? '';
    const proto: Transport | null = protoText === 'TCP' ? 'tcp' : protoText === 'UDP' || protoText === 'UDPLITE' ? 'udp' : protoText === 'ICMP' || protoText === 'ICMPv6' ? 'icmp' : null;
    if (proto === null) {
      bad('log_unsupported_protocol', lineNo, offset, `protocol ${JSON.stringify(protoText.slice(0, 20))} is not TCP, UDP or ICMP; not a flow`);
      return;
    }
    const src = addresses.canonical(field(line, 'SRC') ?? '');
    const dst = addresses.canonical(field(line, 'DST') ?? '');
    if (src === null || dst === null) {
      bad('log_bad_line', lineNo, offset, 'bad SRC or DST address; skipped');
      return;
    }
    const inIf = field(line, 'IN') ?? '';
    const outIf = field(line, 'OUT') ?? '';
    const path = inIf !== '' && outIf !== '' ? PATH_FORWARD : inIf !== '' ? PATH_RECEIVE : outIf !== '' ? PATH_SEND : 0;
    let sport: number;
    let dport: number;
    if (proto === 'icmp') {
      sport = Number(field(line, 'TYPE') ?? NaN);
      dport = Number(field(line, 'CODE') ?? NaN);
    } else {
      sport = Number(field(line, 'SPT') ?? NaN);
      dport = Number(field(line, 'DPT') ?? NaN);
    }
    if (!Number.isInteger(sport) || !Number.isInteger(dport) || sport < 0 || dport < 0 || sport > 65535 || dport > 65535) {
      // A fragment other than the first carries no ports: no flow of its own.
      bad('log_bad_field', lineNo, offset, `no ${proto === 'icmp' ? 'ICMP type/code' : 'ports'} (a later fragment?); skipped`);
      return;
    }
    const size = Number(field(line, 'LEN') ?? 0) || 0;
    noteTs(ts);
    const flagsFrom = line.indexOf(' RES=');
    const syn = proto === 'tcp' && flagsFrom >= 0 && hasWord(line, 'SYN', flagsFrom);
    const ack = proto === 'tcp' && flagsFrom >= 0 && hasWord(line, 'ACK', flagsFrom);

    if (verdict === 'DROP') {
      const transport = proto === 'tcp' ? 0 : proto === 'udp' ? 1 : 2;
      const midstream = proto === 'tcp' && (!syn || ack);
      drops.add(transport, src, sport, dst, dport, path, (prefixes.id(prefix) << 1) | (midstream ? DROP_MIDSTREAM : 0), ts, size, syn && !ack, -1, lineNo);
      return;
    }
    onFlow(
      flowOfLoggedPacket({
        file,
        fileHash,
        line: lineNo,
        ts,
        proto,
        origH: src,
        origP: sport,
        respH: dst,
        respP: dport,
        bytes: size,
        outcome: verdict === 'ALLOW' ? 'completed' : 'unknown',
        reason:
          verdict === 'ALLOW'
            ? reasonOf('let through', prefix, path)
            : `logged by the Linux firewall${prefix !== '' ? ` (${JSON.stringify(prefix)})` : ''}, which does not say whether it let the packet through`,
        log: path === 0 ? { action: verdict, records: 1 } : { action: verdict, direction: PATH_NAMES[path], records: 1 },
      }),
    );
  });
  drops.flush();
  if (undated) {
    diag.report(
      'log_bad_time',
      { file, offset: 0, index: 0 },
      `${file}: dmesg's stamps count seconds since boot, with no date: times are read from 1970-01-01 (dmesg -T or journalctl -k -o short-iso give dated lines)`,
    );
  }
  if (unknownPrefixes > 0) diag.count('netfilter_lines_without_verdict', unknownPrefixes);
  const summary: FileSummary = {
    file,
    format: 'netfilter',
    records,
    bytes: result.bytes,
    firstTs,
    lastTs,
    complete: true,
  };
  if (localStamps) summary.timeZone = { name: zone.name, assumed: zone.assumed };
  return summary;
}
