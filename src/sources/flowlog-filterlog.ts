/**
 * pfSense and OPNsense firewall logs: `filterlog`'s lines, in the firewall's own log
 * (/var/log/filter.log) or as it sends them to a syslog server, one packet the packet filter (pf)
 * logged per line, its fields comma-separated after the syslog head (Netgate's "Raw Filter Log
 * Format"; OPNsense's filterlog description.txt):
 *
 *     Nov 20 09:15:02 fw filterlog[12345]: 5,,,1000000103,igb1,match,block,in,4,0x0,,127,4660,0,DF,6,tcp,52,10.0.0.20,10.0.1.11,50123,389,0,S,1000,,64240,,mss;nop;wscale;nop;nop;sackOK
 *     <134>1 2026-11-20T09:15:02.123456+01:00 fw filterlog 12345 - [meta sequenceId="7"] 5,,,1000000103,igb1,match,pass,in,6,0x00,0x00000,64,udp,17,60,2001:db8::20,2001:db8:1::11,61000,88,40
 *
 * Common fields: rule number, sub-rule, anchor, tracker (the rule's id), interface, reason, action
 * (pass, block, reject), direction (in, out: relative to the interface), IP version; then IPv4
 * (TOS, ECN, TTL, ID, offset, flags, protocol id, protocol, length, source, destination) or IPv6
 * (class, flow label, hop limit, protocol, protocol id, length, source, destination); then, for TCP
 * and UDP, source and destination port and data length (TCP: flags and more), for ICMP its type.
 *
 * A firewall between the hosts: its log shows the traffic of every host it routes, so it observes
 * no host of its own. Blocked packets of one attempt make one flow (drop-runs.ts); a packet passed
 * is a flow let through (pf logs the first packet of a connection its rule passes).
 */

import type { DiagnosticCode } from '../common/diagnostics.js';
import type { FlowLogFacts, Transport } from '../flows/types.js';
import { CappedTexts, DropRuns, flowOfDropRun } from './drop-runs.js';
import { flowOfLoggedPacket, forEachLineRange } from './flowlog-common.js';
import { FILTERLOG_FIELDS } from './input.js';
import { readSyslogStamp, syslogReader, type SyslogLogOptions } from './syslog-stamp.js';
import type { ByteInput, FileSummary, FlowSink, ReadContext } from './types.js';

export type FilterlogOptions = SyslogLogOptions;

/** DropRun state bit: a blocked TCP packet that is no new attempt (no SYN, or a SYN-ACK). */
const DROP_MIDSTREAM = 1;
/** DropRun state bit: the rule rejected (answered) rather than blocked silently. */
const DROP_REJECT = 2;

/** ICMP types as filterlog names them (pf's print of the type), to the number. */
const ICMP_TYPES: Readonly<Record<string, number>> = {
  reply: 0,
  unreach: 3,
  unreachproto: 3,
  unreachport: 3,
  unreachnet: 3,
  unreachhost: 3,
  redirect: 5,
  request: 8,
  timexceed: 11,
  paramprob: 12,
};

/**
 * Reads a filterlog log and pushes its flows to `onFlow`. Lines of other programs (a syslog
 * server's file holds them all) are skipped and not counted.
 */
export async function readFilterlog(input: ByteInput, ctx: ReadContext & FilterlogOptions, onFlow: FlowSink): Promise<FileSummary> {
  const file = input.name;
  const diag = ctx.diag;
  const { zone, nowMs, fileHash, addresses, timeouts } = syslogReader(file, ctx);
  let localStamps = false;
  let records = 0;
  let firstTs: number | null = null;
  let lastTs: number | null = null;
  /** The rules' tracker ids, numbered to keep in a held run's state (the run record holds no text). */
  const rules = new CappedTexts();
  const reasonOf = (action: string, rule: string): string =>
    `${action === 'reject' ? 'rejected' : action === 'block' ? 'blocked' : 'passed'} by the pfSense/OPNsense firewall${rule !== '' ? ` (rule ${rule})` : ''}`;

  const drops = new DropRuns([timeouts.tcpInactivity, timeouts.udpInactivity, timeouts.icmpInactivity], (run, first, last, bytes) => {
    const action = (run.state & DROP_REJECT) !== 0 ? 'reject' : 'block';
    const rule = rules.text(run.state >>> 2);
    const log: FlowLogFacts = { action, records: run.lines };
    if (rule !== '') log.rule = rule;
    onFlow(flowOfDropRun(run, first, last, bytes, { file, fileHash, midstream: (run.state & DROP_MIDSTREAM) !== 0, reason: reasonOf(action, rule), log }));
  });

  const bad = (code: DiagnosticCode, lineNo: number, offset: number, detail: string): void => {
    diag.report(code, { file, offset, index: lineNo }, `line ${lineNo}: ${detail}`);
  };

  const result = await forEachLineRange(input, (text, start, end, lineNo, offset) => {
    const line = text.slice(start, end);
    if (line.indexOf('filterlog') < 0) return;
    const m = FILTERLOG_FIELDS.exec(line);
    if (m === null) return;
    records++;
    const stamp = readSyslogStamp(line, zone, nowMs);
    if (stamp === null) {
      bad('log_bad_time', lineNo, offset, 'no time stamp before filterlog; skipped');
      return;
    }
    if (stamp.local) localStamps = true;
    const ts = stamp.ts;
    const f = line.slice(m.index + m[0].length - m[1].length).split(',');
    // Common fields: 0 rule, 1 sub-rule, 2 anchor, 3 tracker, 4 interface, 5 reason, 6 action, 7 direction, 8 version.
    const action = f[6];
    const v6 = f[8] === '6';
    // IPv4: 9 TOS, 10 ECN, 11 TTL, 12 ID, 13 offset, 14 flags, 15 protocol id, 16 protocol, 17 length, 18 src, 19 dst.
    // IPv6: 9 class, 10 flow label, 11 hop limit, 12 protocol, 13 protocol id, 14 length, 15 src, 16 dst.
    const protoName = (v6 ? f[12] : f[16])?.toLowerCase() ?? '';
    const at = v6 ? 15 : 18;
    const proto: Transport | null = protoName === 'tcp' ? 'tcp' : protoName === 'udp' ? 'udp' : protoName === 'icmp' || protoName === 'ipv6-icmp' || protoName === 'icmp6' ? 'icmp' : null;
    if (proto === null) {
      bad('log_unsupported_protocol', lineNo, offset, `protocol ${JSON.stringify(protoName.slice(0, 20))} is not TCP, UDP or ICMP; not a flow`);
      return;
    }
    const src = addresses.canonical(f[at] ?? '');
    const dst = addresses.canonical(f[at + 1] ?? '');
    if (src === null || dst === null) {
      bad('log_bad_line', lineNo, offset, 'bad source or destination address; skipped');
      return;
    }
    const size = Number(f[v6 ? 14 : 17]) || 0;
    let sport: number;
    let dport: number;
    let syn = false;
    let midstream = false;
    if (proto === 'icmp') {
      const type = f[at + 2] ?? '';
      sport = ICMP_TYPES[type] ?? (/^\d+$/.test(type) ? Number(type) : 0);
      dport = 0;
    } else {
      sport = Number(f[at + 2]);
      dport = Number(f[at + 3]);
      if (proto === 'tcp') {
        const flags = f[at + 5] ?? '';
        syn = flags.includes('S');
        midstream = !syn || flags.includes('A');
      }
    }
    if (!Number.isInteger(sport) || !Number.isInteger(dport) || sport < 0 || dport < 0 || sport > 65535 || dport > 65535) {
      bad('log_bad_field', lineNo, offset, 'bad ports; skipped');
      return;
    }
    if (firstTs === null || ts < firstTs) firstTs = ts;
    if (lastTs === null || ts > lastTs) lastTs = ts;
    const rule = f[3] !== '' && f[3] !== '0' ? f[3] : f[0];
    if (action === 'block' || action === 'reject') {
      const transport = proto === 'tcp' ? 0 : proto === 'udp' ? 1 : 2;
      const state = (rules.id(rule) << 2) | (action === 'reject' ? DROP_REJECT : 0) | (midstream ? DROP_MIDSTREAM : 0);
      drops.add(transport, src, sport, dst, dport, 0, state, ts, size, syn && !midstream, -1, lineNo);
      return;
    }
    const flow = flowOfLoggedPacket({
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
      outcome: 'completed',
      reason: reasonOf('pass', rule),
      log: { action, records: 1 },
    });
    if (rule !== '') flow.log!.rule = rule;
    onFlow(flow);
  });
  drops.flush();
  const summary: FileSummary = { file, format: 'filterlog', records, bytes: result.bytes, firstTs, lastTs, complete: true };
  if (localStamps) summary.timeZone = { name: zone.name, assumed: zone.assumed };
  return summary;
}
