/**
 * Assembles the whole audit result (= report.json): findings, verdict, hosts, data quality.
 */
import type { Catalog, Condition } from '../catalog/types.js';
import { ALL_CONDITIONS } from '../catalog/types.js';
import type { DataQuality } from '../common/diagnostics.js';
import { failedLookups, type DnsLookupStats, type FlowSummaryData } from '../flows/summary-types.js';
import { hostsWithRoles } from '../roles/host-map.js';
import { connectCandidatesHint } from '../roles/render.js';
import type { HostInfo, RoleMap, RoleSource } from '../roles/types.js';
import { couldHaveDropped, evaluateAudit } from './evaluate.js';
import { compareStatus, STATUS_ORDER } from './order.js';
import { addressOrder } from '../common/ip.js';
import { ANSWER_KINDS, tieAnswersToFindings } from './answers.js';
import { everyFilterRead } from './capture-filter.js';
import { withOneWayDns } from './one-way.js';
import { hostGroups } from '../roles/host-groups.js';
import { firstFew, plural } from './text.js';
import type { AuditResult, CrossCheck, Finding, FindingStatus, InputInfo, LogWithoutDrops, ObservedFrom } from './types.js';

/** What fails the run unless `--fail-on` says otherwise. */
export const DEFAULT_FAIL_ON: readonly FindingStatus[] = ['blocked', 'missing'];

/** DNS names with failed lookups kept in the result. */
export const MAX_DNS_FAILURES = 100;
/** Failing findings named in the one-line verdict. */
const VERDICT_EXAMPLES = 3;

export interface BuildAuditArgs {
  summary: FlowSummaryData;
  roles: RoleMap;
  catalog: Catalog;
  features: Set<Condition>;
  inputs: InputInfo[];
  dataQuality: DataQuality;
  version: string;
  generatedAt: Date;
  /** Statuses of REQUIRED findings that fail the run (`--fail-on`); `unexpected` fails on any unexpected flow. */
  failOn: readonly FindingStatus[];
  assumedTimezone?: string;
  /** See AuditOptions.observedHosts. */
  observedHosts?: ReadonlySet<string>;
  /** See AuditOptions.observedFrom. */
  observedFrom?: ObservedFrom;
  /** See AuditOptions.captureFilterSets. */
  captureFilterSets?: string[][];
  /** See AuditOptions.onlyConversation. */
  onlyConversation?: [string, string];
  /** See AuditOptions.logsWithoutDrops; by default the inputs marked no_drops_logged, each seeing any host. */
  logsWithoutDrops?: LogWithoutDrops[];
  /** See AuditOptions.crossCheck. */
  crossCheck?: CrossCheck;
}

const SOURCE_STRENGTH: readonly RoleSource[] = ['inventory', 'cli', 'dns', 'sni', 'http', 'proxy', 'log', 'inferred'];

/** The strongest source among a host's role assignments (`inventory` beats `dns` beats `inferred`). */
export function strongestRoleSource(host: HostInfo): string {
  let best = -1;
  for (const r of host.roles) {
    const i = SOURCE_STRENGTH.indexOf(r.source);
    if (i >= 0 && (best < 0 || i < best)) best = i;
  }
  return best < 0 ? 'none' : SOURCE_STRENGTH[best];
}


/** `connect 10.0.0.20 → dc 10.0.0.10 LDAP 389/tcp blocked`. */
export function describeFindingShort(f: Finding): string {
  const side = (role: string, addr: string | null) => (addr === null ? `${role} (no host)` : `${role} ${addr}`);
  return `${side(f.src_role, f.src)} → ${side(f.dst_role, f.dst)} ${f.protocol} ${f.ports}/${f.transport} ${f.status}`;
}

/**
 * The verdict: fail when any REQUIRED finding has a status in `failOn` (or, with `unexpected` in
 * `failOn`, when any unexpected flow was found).
 */
export function computeVerdict(
  findings: readonly Finding[],
  unexpectedTotal: number,
  failOn: readonly FindingStatus[],
): AuditResult['verdict'] {
  const counts = Object.fromEntries(STATUS_ORDER.map((s) => [s, 0])) as Record<FindingStatus, number>;
  for (const f of findings) counts[f.status]++;
  counts.unexpected += unexpectedTotal;

  const required = findings.filter((f) => f.required);
  const requiredCounts = Object.fromEntries(STATUS_ORDER.map((s) => [s, 0])) as Record<FindingStatus, number>;
  for (const f of required) requiredCounts[f.status]++;
  const failSet = new Set(failOn);
  const failing = required.filter((f) => failSet.has(f.status) && f.status !== 'unexpected');
  failing.sort((a, b) => compareStatus(a.status, b.status));
  const unexpectedFails = failSet.has('unexpected') && unexpectedTotal > 0;

  if (failing.length > 0 || unexpectedFails) {
    const parts: string[] = [];
    for (const s of STATUS_ORDER) {
      if (s === 'unexpected' || !failSet.has(s) || requiredCounts[s] === 0) continue;
      parts.push(parts.length === 0 ? `${plural(requiredCounts[s], 'required flow', 'required flows')} ${s}` : `${requiredCounts[s]} ${s}`);
    }
    if (unexpectedFails) parts.push(plural(unexpectedTotal, 'unexpected flow', 'unexpected flows'));
    const examples = failing.slice(0, VERDICT_EXAMPLES).map(describeFindingShort);
    if (failing.length > VERDICT_EXAMPLES) examples.push(`and ${failing.length - VERDICT_EXAMPLES} more`);
    const tail = examples.length > 0 ? ` (${examples.join('; ')})` : '';
    return { summary: `FAIL: ${parts.join(', ')}${tail}`, status: 'fail', counts };
  }

  const judged = required.filter((f) => f.status !== 'not-applicable');
  if (judged.length === 0) {
    return {
      summary: 'PASS (nothing judged): no required rule applies to the hosts found; check the roles (--inventory, --role)',
      status: 'pass',
      counts,
    };
  }
  const ok = requiredCounts.ok;
  if (ok === judged.length) {
    return { summary: `PASS: all ${plural(judged.length, 'required flow', 'required flows')} seen and completed`, status: 'pass', counts };
  }
  const others: string[] = [];
  for (const s of STATUS_ORDER) {
    if (s === 'ok' || s === 'not-applicable' || s === 'unexpected' || requiredCounts[s] === 0) continue;
    others.push(`${requiredCounts[s]} ${s}`);
  }
  return {
    summary: `PASS: ${ok} of ${judged.length} required flows seen and completed; ${others.join(', ')} (not in --fail-on)`,
    status: 'pass',
    counts,
  };
}

/**
 * Why nothing was judged, when it is for want of a Connect server though domain controllers were
 * found, and what to do: the hosts without a role that talk LDAP or Kerberos to the DCs (the role
 * assigner's candidates, RoleMap.connectCandidates), with the --role that makes one of them the
 * Connect server. Null in any other case.
 */
function connectServerHint(roles: RoleMap): string | null {
  if (!roles.connectCandidates) return null;
  const dcs = hostsWithRoles(roles).filter((h) => h.roles.some((r) => r.role === 'dc')).length;
  return (
    `${plural(dcs, 'domain controller', 'domain controllers')} found, but no Connect server, from which the required rules start; ` +
    connectCandidatesHint(roles.connectCandidates)
  );
}

/** Process exit code for a result: 1 when the verdict fails, else 0 (2 is the CLI's, for usage errors). */
export function exitCodeFor(result: AuditResult): 0 | 1 {
  return result.verdict.status === 'fail' ? 1 : 0;
}

/** `a.log holds`, or `5 logs (a.log, b.log, c.log, …) hold`: the subject of an evidence gap about some files. */
function logsHold(files: readonly string[], kind: string): string {
  if (files.length === 1) return `${files[0]} holds`;
  return `${files.length} ${kind} (${firstFew(files, 3)}) hold`;
}

/** Packets the capturing machines dropped, over all inputs (InputInfo.dropped_at_capture). */
function droppedAtCapture(inputs: readonly InputInfo[]): number {
  let n = 0;
  for (const i of inputs) n += i.dropped_at_capture ?? 0;
  return n;
}

/** Counter value, 0 when absent. */
function counter(dq: DataQuality, name: string): number {
  return dq.counters[name] ?? 0;
}

function diagnosticCount(dq: DataQuality, code: string): number {
  return dq.diagnostics.find((d) => d.code === code)?.count ?? 0;
}

/** The KDCs' demands to ask over TCP (`kerberos_udp_too_big`), by `client server` (AuditOptions.kerberosOverTcp). */
function kerberosOverTcp(dq: DataQuality): Map<string, string> | undefined {
  const d = dq.diagnostics.find((x) => x.code === 'kerberos_udp_too_big');
  if (d === undefined) return undefined;
  const out = new Map<string, string>();
  for (const e of d.examples) if (e.subject !== undefined) out.set(`${e.subject.client} ${e.subject.server}`, `${e.detail} (${e.origin.file} frame ${e.origin.index})`);
  return out;
}

/** Where the data itself says it is incomplete: each line one gap a reader must keep in mind. */
export function listEvidenceGaps(summary: FlowSummaryData, dq: DataQuality, inputs: readonly InputInfo[]): string[] {
  const gaps: string[] = [];
  const lost = Math.max(diagnosticCount(dq, 'log_events_lost'), counter(dq, 'log_events_lost'));
  if (lost > 0) {
    gaps.push(
      `Windows Firewall log lost events (INFO-EVENTS-LOST) ${plural(lost, 'time', 'times')}: flows in those gaps are not in the data`,
    );
  }
  const evicted = Math.max(diagnosticCount(dq, 'flow_evicted'), counter(dq, 'flows_evicted'));
  if (evicted > 0) {
    gaps.push(`${plural(evicted, 'flow was', 'flows were')} evicted from the full flow table before it ended: its outcome may be incomplete`);
  }
  if (summary.overflowFlows > 0) {
    gaps.push(
      `${plural(summary.overflowFlows, 'flow', 'flows')} beyond the host-pair cap could not be attributed to a host pair: findings may undercount`,
    );
  }
  for (const i of inputs) if (!i.complete) gaps.push(`${i.file} was read only in part (see failed files and diagnostics)`);
  const failedNotListed = dq.failedFiles.filter((ff) => !inputs.some((i) => i.file === ff.file && !i.complete));
  if (failedNotListed.length > 0) gaps.push(`${plural(failedNotListed.length, 'input file', 'input files')} could not be read (see failed files)`);
  const unknown = summary.outcomes?.unknown ?? 0;
  if (unknown > 0) {
    gaps.push(
      `${plural(unknown, 'flow has', 'flows have')} an undetermined outcome (seen midstream, or a log without return counts)`,
    );
  }
  const snapped = counter(dq, 'frames_snapped');
  if (snapped > 0) {
    gaps.push(
      `${plural(snapped, 'frame was', 'frames were')} captured only in part (the capture's snap length): host names in DNS answers and ` +
        `TLS ClientHellos past the cut are not read, so fewer hosts may be named (pktmon keeps 128 bytes of each packet unless started with --pkt-size 0)`,
    );
  }
  const copies = counter(dq, 'frames_duplicate');
  if (copies > 0) {
    gaps.push(
      `${plural(copies, 'frame was a second copy', 'frames were second copies')} of a packet logged just before (pktmon, Npcap or NFLOG log ` +
        `one packet more than once): each packet is counted once`,
    );
  }
  const deniedOnly = inputs.filter((i) => i.denied_only === true).map((i) => i.file);
  if (deniedOnly.length > 0) {
    gaps.push(
      `${logsHold(deniedOnly, 'logs')} ` +
        `only denied or dropped traffic: a Windows Firewall logs allowed connections only when "Log successful connections" is on, ` +
        `and an export may have been filtered to denials. Traffic the firewall let through is not in it, so its absence proves nothing`,
    );
  }
  const withoutDrops = inputs.filter((i) => i.no_drops_logged === true).map((i) => i.file);
  if (withoutDrops.length > 0) {
    gaps.push(
      `${logsHold(withoutDrops, 'Windows Firewall logs')} ` +
        `no DROP line: if "Log dropped packets" is off (the Windows default), an attempt the firewall dropped left no trace and reads as never made`,
    );
  }
  const dropped = droppedAtCapture(inputs);
  if (dropped > 0) {
    gaps.push(
      `the capturing machine dropped ${plural(dropped, 'packet', 'packets')}, by the capture's own interface statistics ` +
        `(${inputs.filter((i) => (i.dropped_at_capture ?? 0) > 0).map((i) => i.file).join(', ')}): they are not in the capture, ` +
        `so an attempt that looks unanswered may have been answered; capture with a larger buffer (dumpcap -B) or a narrower scope`,
    );
  }
  // Each pair of captures once (both list the other).
  for (const i of inputs) {
    for (const s of i.same_connections ?? []) {
      if (inputs.findIndex((x) => x.file === s.file) < inputs.indexOf(i)) continue;
      gaps.push(
        `${i.file} and ${s.file} hold the same ${plural(s.connections, 'connection', 'connections')} (both ends captured at the same time, ` +
          `or one host captured twice): each is counted once per file, so attempts between those hosts count it twice`,
      );
    }
  }
  const oneWay = counter(dq, 'flows_one_way');
  if (oneWay > 0) {
    gaps.push(
      `${plural(oneWay, 'TCP connection was', 'TCP connections were')} captured one way only: the originator acknowledged answers the capture ` +
        `does not hold (a one-way SPAN or tap, asymmetric routing past the capture point, a capture filter). They count as completed; ` +
        `requests between the same hosts that look unanswered may have been answered too (see flow_one_way under diagnostics)`,
    );
  }
  for (const a of ANSWER_KINDS) {
    const n = counter(dq, a.counter);
    if (n > 0) gaps.push(a.gap(n));
  }
  const otherProtocols = diagnosticCount(dq, 'log_unsupported_protocol');
  if (otherProtocols > 0) {
    gaps.push(
      `${plural(otherProtocols, 'log line was', 'log lines were')} of a protocol other than TCP, UDP and ICMP (a Windows Firewall ` +
        `logs IGMP, protocol 2): not flows, so left out (see log_unsupported_protocol under diagnostics)`,
    );
  }
  // Each of these has its own line above: not counted again as a problem.
  const accounted = new Set([
    'log_events_lost',
    'flow_evicted',
    'frame_duplicate',
    'flow_one_way',
    'kerberos_udp_too_big',
    'log_unsupported_protocol',
    ...ANSWER_KINDS.map((a) => a.code),
  ]);
  let damaged = 0;
  for (const d of dq.diagnostics) if (!accounted.has(d.code)) damaged += d.count;
  if (damaged > 0) gaps.push(`${plural(damaged, 'problem was', 'problems were')} reported while reading (see diagnostics): data there was skipped`);
  return gaps;
}

function dnsFailures(summary: FlowSummaryData): DnsLookupStats[] {
  return summary.dns
    .filter((d) => failedLookups(d) > 0)
    .sort((a, b) => failedLookups(b) - failedLookups(a) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, MAX_DNS_FAILURES);
}

function windowOf(summary: FlowSummaryData, inputs: readonly InputInfo[]): AuditResult['window'] {
  if (summary.firstTs !== null && summary.lastTs !== null) return { first_ts: summary.firstTs, last_ts: summary.lastTs };
  let first: number | null = null;
  let last: number | null = null;
  for (const i of inputs) {
    if (i.first_ts !== null && (first === null || i.first_ts < first)) first = i.first_ts;
    if (i.last_ts !== null && (last === null || i.last_ts > last)) last = i.last_ts;
  }
  return { first_ts: first, last_ts: last };
}

/** Builds the complete result the renderers print and report.json holds. */
export function buildAuditResult(args: BuildAuditArgs): AuditResult {
  const { roles, catalog, features } = args;
  // Lookups to a DNS server whose answers the capture lacks are not failures (see one-way.ts).
  const summary = withOneWayDns(args.summary);
  const snappedFrames = args.dataQuality.counters.frames_snapped ?? 0;
  const captureFilters = [...new Set(args.inputs.flatMap((i) => i.capture_filters ?? []))];
  // Logs of denials only (and no other input with records): the traffic they let through is in none of them.
  const withRecords = args.inputs.filter((i) => i.records > 0);
  const deniedOnly = withRecords.length > 0 && withRecords.every((i) => i.denied_only === true);
  const packetInputs = args.inputs.filter((i) => i.format === 'pcap' || i.format === 'pcapng' || i.format === 'pktmon');
  const dropsTraced = packetInputs.length > 0 && packetInputs.every((i) => i.format === 'pktmon');
  const logsWithoutDrops = args.logsWithoutDrops ?? args.inputs.filter((i) => i.no_drops_logged === true).map((i) => ({ file: i.file, hosts: null }));
  // The groups the roles were shared by; a role map made elsewhere (tests) gets them from every
  // name the data gives, not only role hosts': one end of a conversation ties the other.
  const groups =
    roles.hostGroups ??
    hostGroups([...hostsWithRoles(roles), ...summary.names.map((n) => ({ address: n.address, names: [n.name.toLowerCase().replace(/\.$/, '')] }))], args.inputs);
  const evaluated = evaluateAudit(summary, roles, {
    catalog,
    features,
    observedHosts: args.observedHosts,
    observedFrom: args.observedFrom,
    captureFilterSets: args.captureFilterSets,
    onlyConversation: args.onlyConversation,
    snappedFrames,
    captureFilters,
    deniedOnly,
    logsWithoutDrops,
    dropsTraced,
    crossCheck: args.crossCheck,
    hostGroups: groups,
    kerberosOverTcp: kerberosOverTcp(args.dataQuality),
  });
  tieAnswersToFindings(evaluated.findings, args.dataQuality);
  const verdict = computeVerdict(evaluated.findings, evaluated.unexpected_total, args.failOn);
  // A pass that judged only what the inputs could show says how much more it could not.
  const judgedAny = evaluated.findings.some((f) => f.required && f.status !== 'not-applicable');
  if (verdict.status === 'pass' && judgedAny && evaluated.unobservable > 0) {
    const inputs = args.observedFrom === 'capture' ? 'the capture' : args.observedFrom === 'captures' ? 'the captures' : 'the data';
    verdict.summary += `; ${evaluated.unobservable} more not judged: outside what ${inputs} can show`;
  }
  if (verdict.status === 'pass' && verdict.counts['not-applicable'] === evaluated.findings.length) {
    const hint = connectServerHint(roles);
    if (hint !== null) verdict.summary = `PASS (nothing judged): ${hint}`;
  }
  // A filter at capture time leaves out traffic for good: said before anyone opens a firewall for it,
  // unless every filter was read, and what it left out is not-applicable already (capture-filter.ts).
  if (captureFilters.length > 0 && verdict.counts.missing > 0 && !everyFilterRead(args.captureFilterSets)) {
    verdict.summary += `; the capture was taken with a capture filter (${captureFilters.join('; ')}): traffic it left out reads as missing`;
  }
  if (evaluated.findings.some((f) => f.status === 'missing' && logsWithoutDrops.some((l) => couldHaveDropped(l, f.src, f.dst)))) {
    verdict.summary += `; ${logsWithoutDrops.length === 1 ? 'the Windows Firewall log holds' : 'the Windows Firewall logs hold'} no DROP line: if dropped packets are not logged, a missing flow may have been dropped`;
  }
  if (deniedOnly) {
    verdict.summary += `; the logs hold only denied traffic: what their firewalls let through cannot be judged (have allowed connections logged too)`;
  }
  // Packets the capturing machine could not keep: an answer among them makes its attempt look unanswered.
  const dropped = droppedAtCapture(args.inputs);
  if (dropped > 0 && verdict.counts.blocked + verdict.counts.partial > 0) {
    verdict.summary += `; the capturing machine dropped ${plural(dropped, 'packet', 'packets')} (the capture's own statistics): an attempt that looks unanswered may have been answered`;
  }
  const oneWay = args.dataQuality.counters.flows_one_way ?? 0;
  // A capture that lacks one direction makes requests look unanswered: said before anyone acts on a failure.
  if (oneWay > 0) verdict.summary += `; the capture lacks the answers of ${plural(oneWay, 'TCP connection', 'TCP connections')} (one direction only, see the report)`;
  // Not a flow's status (the connections complete), but what breaks a sync that "passes".
  for (const a of ANSWER_KINDS) {
    const n = args.dataQuality.counters[a.counter] ?? 0;
    if (n > 0) verdict.summary += a.verdict(n);
  }
  // In address order, each address parsed once (a comparator parsed both per comparison).
  const withRoles = hostsWithRoles(roles);
  const hosts = Array.from(addressOrder(withRoles.map((h) => h.address)), (k) => withRoles[k]).map((h) => ({
      address: h.address,
      names: h.names.slice(),
      roles: h.roles.map((r) => ({ ...r })),
      role_source: strongestRoleSource(h),
    }));
  const result: AuditResult = {
    schema: 'flowaudit/report@1',
    generated_at: args.generatedAt.toISOString(),
    tool: { name: 'flowaudit', version: args.version },
    verdict,
    inputs: args.inputs.map((i) => ({ ...i })),
    window: windowOf(summary, args.inputs),
    catalog: { name: catalog.name, title: catalog.title, source: catalog.source, rules: catalog.rules.length, file: catalog.file },
    features: ALL_CONDITIONS.filter((c) => features.has(c)),
    hosts,
    findings: evaluated.findings,
    unexpected: evaluated.unexpected,
    unexpected_total: evaluated.unexpected_total,
    group_flows: evaluated.group_flows,
    unknown_endpoints: evaluated.unknown_endpoints,
    unknown_endpoints_total: evaluated.unknown_endpoints_total,
    dns_failures: dnsFailures(summary),
    data_quality: {
      counters: { ...args.dataQuality.counters },
      diagnostics: args.dataQuality.diagnostics.map((d) => ({ ...d, examples: d.examples.slice() })),
      failedFiles: args.dataQuality.failedFiles.slice(),
      flows: summary.flows,
      evidence_gaps: listEvidenceGaps(summary, args.dataQuality, args.inputs),
    },
  };
  if (args.assumedTimezone !== undefined) result.assumed_timezone = args.assumedTimezone;
  return result;
}
