/**
 * The audit proper: catalog rules × role hosts × aggregated flows → findings, plus the traffic no
 * rule names (unexpected) and the addresses that hold no role (unknown endpoints).
 *
 * Works only on {@link FlowSummaryData} (pair aggregates), so its cost is bounded by the number of
 * distinct (orig, resp, transport, port) combinations, not by the number of flows.
 */
import type { CatalogRule, Condition, Role, RuleTransport } from '../catalog/types.js';
import { formatIsoMicros } from '../common/time.js';
import { failedLookups, type DnsLookupStats, type FlowSummaryData, type PairAggregate, type Timeline } from '../flows/summary-types.js';
import type { RoleMap } from '../roles/types.js';
import { CLIENT_PORTS, everyFilterRead, filterExcludes, parseCaptureFilter, type FilterExpr, type FlowSide } from './capture-filter.js';
import { filterForDnsNames, filterForFlow, filterForPorts, type PortSpec } from './display-filter.js';
import { mergeTimelines, pickEvidence } from './evidence.js';
import { judgeTraffic, tallyAggregates } from './judge.js';
import { addressOrder, isIpv6, sortAddresses } from '../common/ip.js';
import { isGroupAddress, isLinkLocalAddress } from '../roles/address-scope.js';
import { hostsWithRoles, peekHost } from '../roles/host-map.js';
import { pairIndexFor, PROTO_ICMP, PROTO_TCP, type PairGroups, type PairIndex } from '../roles/pair-index.js';
import { addressSortKey, compareAddresses, compareStatus, sortRoles } from './order.js';
import { ruleApplies, ruleConditions } from '../catalog/match.js';
import { formatRulePorts, formatRuleTransport, nameBelongsToRole, ruleCoversPort } from './rule-match.js';
import { completedOneWay, undetermined } from './one-way.js';
import { describeLookups, firstFew, formatDurationMicros } from './text.js';
import type { AuditOptions, CrossCheckAnswer, Finding, FindingStatus, LogWithoutDrops, ObservedFrom, UnexpectedFlow, UnknownEndpoint } from './types.js';

/** Unexpected flows kept in the result (the total is kept too). */
export const MAX_UNEXPECTED = 500;
/** Unknown endpoints kept in the result (the total is kept too). */
export const MAX_UNKNOWN_ENDPOINTS = 200;
const MAX_UNKNOWN_NAMES = 5;
const MAX_UNKNOWN_PORTS = 20;
/** DNS names quoted in one reason or filter. */
const MAX_DNS_NAMES = 3;

/** Said wherever a required flow is missing from a capture. */
export const CAPTURE_BLIND_SPOT =
  "a capture cannot see what the capturing host's own firewall drops before the capture point (a pktmon trace records Windows' drops " +
  'with their reason: audit the text `pktmon etl2txt trace.etl --out trace.txt` writes)';

/** Said instead of {@link CAPTURE_BLIND_SPOT} where the packets come from pktmon traces, which record Windows' drops. */
export const PKTMON_NO_DROP =
  'pktmon records the packets its host drops (its firewall, a closed port), and none of this traffic was dropped there: it never reached ' +
  "that host's network stack, or was blocked before any packet was built (an outbound connection Windows Firewall blocks, which pfirewall.log logs)";

/**
 * Whether the firewall of a log without a DROP line (AuditOptions.logsWithoutDrops) could have
 * dropped traffic between `src` and `dst` unlogged: it is on one of them, or its host is not known.
 */
export function couldHaveDropped(log: LogWithoutDrops, src: string | null, dst: string | null): boolean {
  return log.hosts === null || (src !== null && log.hosts.includes(src)) || (dst !== null && log.hosts.includes(dst));
}

/**
 * Roles whose hosts are interchangeable cloud addresses (one DNS answer gives several): the source
 * needs to reach the service, not each address. Pairs without traffic are not listed one by one; when
 * the source reached none of them, one finding names the role (dst null).
 */
const SERVICE_ROLES: ReadonlySet<Role> = new Set<Role>(['azure-ad', 'crl', 'health-service']);
/**
 * Roles that stand for a population of clients: not every user device contacts every WAP. Pairs
 * without traffic are not listed; when no member reached a server, one finding names the role (src null).
 */
const POPULATION_ROLES: ReadonlySet<Role> = new Set<Role>(['users']);

/** What another capture holds of a finding's failed attempts (Evaluator.crossCaptures), per capture. */
interface CrossTally {
  /** Not in it at all. */
  absent: number;
  /** In it, answered there. */
  answered: number;
  /** In it, unanswered there too. */
  unanswered: number;
  /** Of the absent ones, those a reset refused: the reset came from between the two. */
  resets: number;
  /** The files the attempts were sampled from. */
  from: Set<string>;
}

/** Ports explicit web proxies listen on (Squid 3128, the common 8080 family, Zscaler's 9400 ...). */
const PROXY_PORTS: ReadonlySet<number> = new Set([3128, 8000, 8080, 8081, 8118, 8888, 9090, 9400]);

/** Connect's default sync cycle: data shorter than this may simply not contain a sync. */
const SYNC_CYCLE_MICROS = 30 * 60 * 1_000_000;

/** How reasons name the inputs that observe from known hosts (AuditOptions.observedFrom). */
const OBSERVERS: Record<ObservedFrom, { host: string; observe: string; they: string }> = {
  logs: { host: 'a host the logs observe', observe: 'the logs observe', they: 'they' },
  capture: { host: 'the host whose traffic the capture holds', observe: 'the capture holds only the traffic of', they: 'it' },
  captures: { host: 'a host whose traffic the captures hold', observe: 'the captures hold only the traffic of', they: 'they' },
  'captures and logs': { host: 'a host the captures and logs observe', observe: 'the captures and logs observe', they: 'they' },
};

export interface EvaluateResult {
  findings: Finding[];
  unexpected: UnexpectedFlow[];
  unknown_endpoints: UnknownEndpoint[];
  /** Unexpected aggregates before the cap. */
  unexpected_total: number;
  /** Unknown endpoints before the cap. */
  unknown_endpoints_total: number;
  /** Flows of role hosts to multicast and broadcast addresses, left out of `unexpected` (see Evaluator.isGroup). */
  group_flows: number;
  /**
   * Required findings not-applicable because the inputs could not show their traffic: between
   * hosts they do not observe (observedHosts), or outside every capture filter.
   */
  unobservable: number;
}

function pairKey(orig: string, resp: string): string {
  return `${orig} ${resp}`;
}

function emptyTimeline(): Timeline {
  return { width: 1_000_000, buckets: [] };
}

/** Everything the rule loop looks up, indexed once. */
class AuditIndex {
  readonly hostRoles = new Map<string, Set<Role>>();
  /** The pairs by address id. */
  readonly index: PairIndex;
  /** 1 for the ids of hosts with roles. */
  readonly isRoleHost: Uint8Array;
  /** The ids of hosts with roles (those in a pair). */
  readonly roleHostIds: number[] = [];
  readonly roleHosts = new Map<Role, string[]>();
  /** Aggregates between two role hosts (the only pairs rules ask about), by pairKey. */
  readonly pairs = new Map<string, PairAggregate[]>();
  /**
   * Flows per role host (either side). Only role hosts are ever asked about (findings name role
   * hosts): counting every client address would cost most of the audit on large captures.
   */
  readonly hostFlows = new Map<string, number>();
  /** Role hosts with at least one sample from a packet capture. */
  readonly hostInCapture = new Set<string>();
  anyCapture = false;
  /** Endpoint-mapper handouts per client→server pair. */
  readonly epm = new Map<string, Set<number>>();
  private readonly dnsByRole = new Map<Role, DnsLookupStats[]>();

  constructor(
    readonly summary: FlowSummaryData,
    roles: RoleMap,
    readonly opts: AuditOptions,
  ) {
    for (const info of hostsWithRoles(roles)) {
      const address = info.address;
      const set = new Set(info.roles.map((r) => r.role));
      this.hostRoles.set(address, set);
      for (const r of set) {
        let list = this.roleHosts.get(r);
        if (!list) this.roleHosts.set(r, (list = []));
        list.push(address);
      }
    }
    // Parsed once per address, not in every comparison (hundreds of DCs, IPv6 ones among them).
    for (const [role, list] of this.roleHosts) this.roleHosts.set(role, sortAddresses(list));
    // Per-pair work by address id (see PairIndex): role hosts are few, pairs and clients many.
    const index = (this.index = pairIndexFor(summary.pairs));
    const isRoleHost = (this.isRoleHost = new Uint8Array(index.size));
    // Each role host with its id, looked up once (undefined: in no pair).
    const roleHostIds = Array.from(this.hostRoles.keys(), (address) => ({ address, id: index.idOf(address) }));
    for (const { id } of roleHostIds) {
      if (id === undefined) continue;
      isRoleHost[id] = 1;
      this.roleHostIds.push(id);
    }
    // Only the role hosts' own pairs are walked (their flows come from the index, every address of
    // which is in a pair): a pass over every pair after reading cost as much as the rules.
    const pairs = summary.pairs;
    const { byOrig, byResp, resp } = index;
    for (const { address, id } of roleHostIds) {
      if (id === undefined) continue;
      this.hostFlows.set(address, index.flowsPerAddress[id]);
      if (this.seenInCapture(byOrig, id) || this.seenInCapture(byResp, id)) {
        this.hostInCapture.add(address);
        this.anyCapture = true;
      }
      // Pairs between two role hosts, each from its originator's list (the latest first: nothing depends on the order).
      for (let i = byOrig.first[id]; i >= 0; i = byOrig.next[i]) {
        if (isRoleHost[resp[i]] === 0) continue;
        const a = pairs[i];
        const key = pairKey(a.origH, a.respH);
        let list = this.pairs.get(key);
        if (!list) this.pairs.set(key, (list = []));
        list.push(a);
      }
    }
    // Data from a capture at all? (a capture whose role hosts are not in it still is one)
    if (!this.anyCapture) {
      for (let i = 0; i < pairs.length && !this.anyCapture; i++) this.anyCapture = index.hasCaptureSample(i);
    }
    for (const e of summary.epm) {
      const key = pairKey(e.client, e.server);
      let set = this.epm.get(key);
      if (!set) this.epm.set(key, (set = new Set()));
      for (const p of e.ports) set.add(p);
    }
  }

  /** True when one of the pairs of `id` in `groups` has a sample from a packet capture. */
  private seenInCapture(groups: PairGroups, id: number): boolean {
    for (let i = groups.first[id]; i >= 0; i = groups.next[i]) if (this.index.hasCaptureSample(i)) return true;
    return false;
  }

  hostsOf(role: Role): string[] {
    return this.roleHosts.get(role) ?? [];
  }

  /** DNS lookup stats of names that the catalog's endpoint patterns give to `role`. */
  dnsOfRole(role: Role): DnsLookupStats[] {
    let list = this.dnsByRole.get(role);
    if (!list) {
      list = this.summary.dns.filter((d) => nameBelongsToRole(d.name, role, this.opts.catalog.endpoints));
      list.sort((a, b) => failedLookups(b) - failedLookups(a) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      this.dnsByRole.set(role, list);
    }
    return list;
  }

  /** Handed-out ports for this client→server pair, sorted; empty when the data shows no handout. */
  epmPorts(client: string, server: string): number[] {
    const set = this.epm.get(pairKey(client, server));
    return set ? [...set].sort((a, b) => a - b) : [];
  }

  /**
   * The aggregates that count as this rule's attempts from `src` to `dst`. For the dynamic RPC rule,
   * when the endpoint mapper's handouts for this pair are known, only flows to handed-out ports count
   * (whatever the range: a DC's range may have been changed); otherwise any flow in the range.
   */
  ruleAggregates(rule: CatalogRule, src: string, dst: string): { aggs: PairAggregate[]; epmPorts: number[] } {
    const list = this.pairs.get(pairKey(src, dst)) ?? [];
    if (rule.dynamicRpc) {
      const epmPorts = this.epmPorts(src, dst);
      if (epmPorts.length > 0) {
        const handed = new Set(epmPorts);
        const aggs = list.filter((a) => a.proto !== 'icmp' && rule.transports.includes(a.proto) && handed.has(a.respP));
        return { aggs, epmPorts };
      }
    }
    return { aggs: list.filter((a) => ruleCoversPort(rule, a.proto, a.respP)), epmPorts: [] };
  }

  /**
   * The busiest host without a role that `src` reaches over TCP on a port proxies listen on, with
   * that port and its flow count; null when there is none. A proxy whose requests flowaudit reads
   * is not listed this way (its requests count as the flows they ask for).
   */
  likelyProxy(src: string): { address: string; port: number; flows: number } | null {
    const id = this.index.idOf(src);
    if (id === undefined) return null;
    const { byOrig, resp, port, proto, flows } = this.index;
    let best = -1;
    for (let i = byOrig.first[id]; i >= 0; i = byOrig.next[i]) {
      if (proto[i] !== PROTO_TCP || !PROXY_PORTS.has(port[i]) || this.isRoleHost[resp[i]] === 1) continue;
      if (best < 0 || flows[i] > flows[best]) best = i;
    }
    return best < 0 ? null : { address: this.index.addresses[resp[best]], port: port[best], flows: flows[best] };
  }

  /** True when the data about these hosts comes from a packet capture. */
  fromCapture(src: string | null, dst: string | null): boolean {
    if (!this.anyCapture) return false;
    if (src !== null && this.hostInCapture.has(src)) return true;
    if (dst !== null && this.hostInCapture.has(dst)) return true;
    // Neither host appears in any sample: the only data there is comes from a capture.
    const known = (h: string | null) => h !== null && this.hostFlows.has(h);
    return !known(src) && !known(dst);
  }
}

function totalAttempts(aggs: readonly PairAggregate[]): number {
  let n = 0;
  for (const a of aggs) n += a.flows;
  return n;
}

function portText(rule: CatalogRule): string {
  return `${formatRulePorts(rule)}/${formatRuleTransport(rule)}`;
}

/** A finding with no traffic: counts zero, filled by the caller. */
function blankFinding(rule: CatalogRule, src: string | null, dst: string | null): Finding {
  const f: Finding = {
    rule_id: rule.id,
    table: rule.table,
    protocol: rule.protocol,
    transport: formatRuleTransport(rule),
    ports: formatRulePorts(rule),
    src_role: rule.from,
    dst_role: rule.to,
    src,
    dst,
    status: 'not-applicable',
    required: rule.required,
    reason: '',
    attempts: 0,
    completed: 0,
    refused: 0,
    unanswered: 0,
    first_ts: null,
    last_ts: null,
    conn_states: {},
    evidence: [],
    display_filter: '',
    hints: [],
    timeline: emptyTimeline(),
  };
  const conditions = ruleConditions(rule);
  if (conditions.length > 0) f.condition = conditions[0];
  if (conditions.length > 1) f.conditions = conditions.slice();
  return f;
}

function portSpecFor(rule: CatalogRule, epmPorts: readonly number[]): PortSpec {
  return epmPorts.length > 0 ? epmPorts.map((p) => ({ from: p, to: p })) : [{ from: rule.ports.from, to: rule.ports.to }];
}

/** `ldaps`, or `seamless-sso or password-writeback`. */
function conditionText(rule: CatalogRule): string {
  return ruleConditions(rule).join(' or ');
}

function ruleTransports(rule: CatalogRule): RuleTransport[] {
  return (['tcp', 'udp'] as const).filter((t) => rule.transports.includes(t));
}

/** Evaluates every rule; see the module comment. */
class Evaluator {
  private readonly idx: AuditIndex;
  private readonly features: Set<Condition>;

  constructor(
    private readonly summary: FlowSummaryData,
    roles: RoleMap,
    opts: AuditOptions,
  ) {
    this.idx = new AuditIndex(summary, roles, opts);
    this.features = opts.features;
  }

  private readonly groupMemo = new Map<number, boolean>();

  /**
   * True when pair-index id `id` addresses a group, not a host: multicast and the limited broadcast
   * (isGroupAddress), or an IPv4 address ending in .255 that only ever received unanswered UDP and
   * sent nothing, as a subnet's broadcast address does (NetBIOS 137/138, DHCP, Wake-on-LAN). Windows
   * hosts send to them whatever the firewall (LLMNR, mDNS, SSDP, WS-Discovery): listed as unexpected
   * traffic, they would fill every audit of a real capture, and fail any run with --fail-on unexpected.
   */
  private isGroup(id: number): boolean {
    const { index } = this.idx;
    const address = index.addresses[id];
    // Asked of every address of a capture's tens of thousands: only a subnet's broadcast address
    // needs its pairs looked at (and remembered); isGroupAddress is cheap on the rest.
    if (!address.endsWith('.255')) return isGroupAddress(address);
    let group = this.groupMemo.get(id);
    if (group !== undefined) return group;
    group = isGroupAddress(address);
    if (!group && index.byOrig.count[id] === 0) {
      group = true;
      for (let i = index.byResp.first[id]; i >= 0 && group; i = index.byResp.next[i]) {
        if (index.proto[i] === PROTO_TCP || index.completed[i] > 0) group = false;
      }
    }
    this.groupMemo.set(id, group);
    return group;
  }

  /** True when the rule has no condition or any of its conditions is turned on. */
  private applicable(rule: CatalogRule): boolean {
    return ruleApplies(rule, this.features);
  }

  private readonly oneWayMemo = new Map<string, boolean>();

  /** True when TCP connections from `src` to `dst` were captured one way only (see one-way.ts). */
  private capturedOneWay(src: string, dst: string): boolean {
    const key = pairKey(src, dst);
    let oneWay = this.oneWayMemo.get(key);
    if (oneWay === undefined) {
      oneWay = (this.idx.pairs.get(key) ?? []).some(completedOneWay);
      this.oneWayMemo.set(key, oneWay);
    }
    return oneWay;
  }

  /** Flows from `src` to `dst` that completed, whatever their port. */
  private completedBetween(src: string, dst: string): number {
    let n = 0;
    for (const a of this.idx.pairs.get(pairKey(src, dst)) ?? []) n += a.completed;
    return n;
  }

  /** One rule and one pair that had traffic. */
  private judged(rule: CatalogRule, src: string, dst: string, aggs: PairAggregate[], epmPorts: number[]): Finding {
    const f = blankFinding(rule, src, dst);
    // A capture that lacks dst's answers to src proves no UDP request between them unanswered.
    const oneWay = this.capturedOneWay(src, dst);
    const unprovable = oneWay && aggs.some((a) => a.proto === 'udp' && a.unanswered > 0);
    const j = judgeTraffic(ruleTransports(rule), unprovable ? aggs.map((a) => (a.proto === 'udp' ? undetermined(a) : a)) : aggs);
    f.status = j.status;
    f.attempts = j.tally.attempts;
    f.completed = j.tally.completed;
    f.refused = j.tally.refused;
    f.unanswered = j.tally.unanswered;
    f.first_ts = j.tally.firstTs;
    f.last_ts = j.tally.lastTs;
    f.conn_states = j.tally.connStates;
    let reason = j.reason;
    if (epmPorts.length > 0) reason = `to the ports the endpoint mapper handed out (${epmPorts.join(', ')}): ${reason}`;
    if (!this.applicable(rule)) {
      const twin = this.applicableTwin(rule);
      if (twin) {
        // The seamless-SSO 443 rule and the sync 443 rule name the same traffic: judging both
        // would report one failure twice.
        f.status = 'not-applicable';
        reason = `condition ${conditionText(rule)} is off, and the same traffic is judged under ${twin.id}`;
      } else reason += ` (condition ${conditionText(rule)} is off, but its traffic was seen, so it is judged)`;
    }
    f.reason = reason;
    f.hints = j.hints;
    if (oneWay && (unprovable || f.status === 'blocked' || f.status === 'partial')) {
      f.hints.unshift(
        `the capture holds no answer of ${dst} to ${src} even on connections ${src} shows were answered: it sees one direction only between them, so these requests may have been answered`,
      );
    }
    const tcpDemanded = this.kerberosOverTcp(rule, src, dst);
    if (tcpDemanded !== undefined) {
      const tcp = aggs.filter((a) => a.proto === 'tcp');
      if (tcp.some((a) => a.flows > 0) && tcp.every((a) => a.completed === 0)) {
        // The UDP exchanges that completed were the KDC's error saying to use TCP: nothing worked.
        if (f.status === 'partial') f.status = 'blocked';
        f.reason += '; the KDC told the client to ask over TCP (KRB_ERR_RESPONSE_TOO_BIG), and no TCP attempt completed';
        f.hints.unshift(`${tcpDemanded}: a ticket this large (an account in many groups) comes only over TCP 88, so Kerberos fails while TCP 88 does, whatever UDP does`);
      }
    }
    if (f.status === 'blocked' || f.status === 'partial') {
      const cross = this.crossCaptures(aggs, src, dst);
      if (cross !== null) {
        f.reason += `; ${cross.clause}`;
        f.hints.unshift(cross.hint);
      }
    }
    f.evidence = pickEvidence(aggs);
    f.display_filter = filterForPorts(src, dst, ruleTransports(rule), portSpecFor(rule, epmPorts));
    f.timeline = mergeTimelines(aggs.map((a) => a.timeline));
    return f;
  }

  /**
   * What another capture of the same time says about the failed attempts sampled here (both ends
   * captured at once, AuditOptions.crossCheck): not in it (dropped between the two capture
   * points), answered there (the answer lost on the way back), or unanswered there too. The
   * verdict most samples give; null when no other capture could tell.
   */
  private crossCaptures(aggs: readonly PairAggregate[], src: string, dst: string): { clause: string; hint: string } | null {
    const check = this.idx.opts.crossCheck;
    if (check === undefined) return null;
    const tally = new Map<string, CrossTally>();
    for (const a of aggs) {
      if (a.proto === 'icmp') continue;
      for (const s of a.samples) {
        if (s.outcome !== 'refused' && s.outcome !== 'unanswered') continue;
        if (s.file === undefined) continue;
        const answer: CrossCheckAnswer | undefined = check({ file: s.file, proto: a.proto, origH: a.origH, origP: s.origP, respH: a.respH, respP: a.respP, ts: s.ts });
        if (answer === undefined) continue;
        let t = tally.get(answer.file);
        if (t === undefined) tally.set(answer.file, (t = { absent: 0, answered: 0, unanswered: 0, resets: 0, from: new Set() }));
        t.from.add(s.file);
        if (!answer.seen) {
          t.absent++;
          if (s.connState === 'REJ' || s.connState === 'RSTOS0' || s.connState === 'RSTR') t.resets++;
        } else if (answer.answered && (s.connState === 'S0' || s.connState === 'OTH')) t.answered++;
        else if (!answer.answered) t.unanswered++;
      }
    }
    let best: [string, CrossTally] | null = null;
    for (const e of tally) {
      const n = e[1].absent + e[1].answered + e[1].unanswered;
      if (n > 0 && (best === null || n > best[1].absent + best[1].answered + best[1].unanswered)) best = e;
    }
    if (best === null) return null;
    const [other, t] = best;
    const here = [...t.from].join(', ');
    const attempts = (n: number) => `${n} failed attempt${n === 1 ? '' : 's'} sampled from ${here}`;
    if (t.absent >= t.answered && t.absent >= t.unanswered) {
      return {
        clause: `not in ${other}, captured at the same time: dropped between the two capture points`,
        hint:
          `${attempts(t.absent)} ${t.absent === 1 ? 'is' : 'are'} not in ${other}, captured at the same time: ${t.absent === 1 ? 'it' : 'they'} never reached that capture point, so something between the two dropped ${t.absent === 1 ? 'it' : 'them'} ` +
          `(a network firewall, an NSG, a router's ACL)${t.resets > 0 ? `; the reset${t.resets === 1 ? '' : 's'} ${here} shows came from it, not from ${dst}` : ''}`,
      };
    }
    if (t.answered >= t.unanswered) {
      return {
        clause: `answered in ${other}, captured at the same time: the answer was lost on the way back`,
        hint: `${other}, captured at the same time, shows ${attempts(t.answered)} answered: the answer${t.answered === 1 ? ' was' : 's were'} lost on the way back to ${src} (a stateful firewall that missed the request, asymmetric routing)`,
      };
    }
    return {
      clause: `unanswered in ${other} too, captured at the same time`,
      hint:
        `${other}, captured at the same time, holds ${attempts(t.unanswered)} too, unanswered there as well: ${t.unanswered === 1 ? 'it' : 'they'} crossed the path between the two capture points and ` +
        `went unanswered beyond it (on ${dst} itself, when ${other} was taken there: its own firewall, or nothing listening)`,
    };
  }

  /**
   * True when the data could have shown this address's traffic. Data that holds traffic of some
   * role hosts but none of this one was taken elsewhere (a capture on the sync server cannot see
   * WAP-to-AD FS traffic), so absence there proves nothing. When the data holds no role host at
   * all, every host counts as visible: the user must hear that nothing required was seen.
   */
  private visible(address: string | null): boolean {
    if (address === null) return false;
    const observed = this.idx.opts.observedHosts;
    if (observed) return observed.has(address);
    if (this.idx.hostFlows.has(address)) return true;
    this.someRoleHostVisible ??= [...this.idx.hostRoles.keys()].some((h) => this.idx.hostFlows.has(h));
    return !this.someRoleHostVisible;
  }
  private someRoleHostVisible: boolean | undefined;

  private observedText(): string {
    const hosts = [...(this.idx.opts.observedHosts ?? [])];
    return hosts.slice(0, 3).join(', ') + (hosts.length > 3 ? `, and ${hosts.length - 3} more` : '');
  }

  /** How the reasons name the inputs that observe from known hosts. */
  private get observers(): (typeof OBSERVERS)[ObservedFrom] {
    return OBSERVERS[this.idx.opts.observedFrom ?? 'logs'];
  }

  /** An applicable rule for the same role pair that covers the same transport and ports, if any. */
  private applicableTwin(rule: CatalogRule): CatalogRule | undefined {
    return this.idx.opts.catalog.rules.find(
      (r) =>
        r !== rule &&
        r.from === rule.from &&
        r.to === rule.to &&
        this.applicable(r) &&
        r.transports.some((t) => rule.transports.includes(t)) &&
        r.ports.from <= rule.ports.from &&
        r.ports.to >= rule.ports.to,
    );
  }

  /** Status of a rule that saw no traffic: missing when required and applicable. */
  private absentStatus(rule: CatalogRule): { status: FindingStatus; why: string } {
    if (!this.applicable(rule)) {
      const conditions = ruleConditions(rule);
      return {
        status: 'not-applicable',
        why: `condition ${conditionText(rule)} is off (turn it on with --feature ${conditions[0]}) and no traffic was seen`,
      };
    }
    if (!rule.required) return { status: 'not-applicable', why: 'optional rule, and no traffic was seen' };
    if (this.idx.opts.deniedOnly) {
      return {
        status: 'not-applicable',
        why: 'none was seen, and the logs hold only denied or dropped traffic: what their firewalls let through is not in them, so its absence proves nothing',
      };
    }
    return { status: 'missing', why: '' };
  }

  /**
   * Why the rule's traffic between `src` and `dst` (null: a host of the role, unknown) could not be
   * in the captures: every capture filter of every input leaves out all of its packets (see
   * AuditOptions.captureFilterSets). Null when one may have let it through, or is not read.
   */
  private filteredOut(rule: CatalogRule, src: string | null, dst: string | null): string | null {
    const sets = this.idx.opts.captureFilterSets;
    if (!sets || sets.length === 0 || rule.transports.length === 0) return null;
    const client: FlowSide = { address: src, cloud: SERVICE_ROLES.has(rule.from), ports: CLIENT_PORTS };
    const server: FlowSide = { address: dst, cloud: SERVICE_ROLES.has(rule.to), ports: rule.ports };
    const used = new Set<string>();
    for (const filters of sets) {
      if (filters.length === 0) return null;
      for (const text of filters) {
        const parsed = this.parsedFilter(text);
        if (parsed === null || !filterExcludes(parsed, client, server, rule.transports)) return null;
        used.add(text);
      }
    }
    const between = src !== null && dst !== null ? `between ${src} and ${dst}` : src !== null ? `from ${src}` : dst !== null ? `to ${dst}` : 'between these roles';
    const which = [...used].map((t) => JSON.stringify(t)).join(', ');
    return `the capture filter${used.size === 1 ? '' : 's'} ${which} let${used.size === 1 ? 's' : ''} no packet of ${rule.protocol} ${portText(rule)} ${between} through: the capture could not hold it`;
  }

  private parsedFilter(text: string): FilterExpr | null {
    let e = this.filters.get(text);
    if (e === undefined) this.filters.set(text, (e = parseCaptureFilter(text)));
    return e;
  }
  private readonly filters = new Map<string, FilterExpr | null>();
  /** See EvaluateResult.unobservable. */
  unobservable = 0;
  private filtersRead: boolean | undefined;

  /** True when every input is a capture taken on one host, and `address` is one of theirs (InputInfo.captured_on). */
  private capturedOn(address: string): boolean {
    const from = this.idx.opts.observedFrom;
    return (from === 'capture' || from === 'captures') && this.idx.opts.onlyConversation === undefined && (this.idx.opts.observedHosts?.has(address) ?? false);
  }

  /**
   * Why an `occasional` rule that the data could have shown is not missing after all; null when
   * it is (not occasional, or lookups of its destination role's names failed: the data shows why).
   */
  private occasionalAbsence(rule: CatalogRule): string | null {
    if (!rule.occasional || this.dnsClause(rule.to).text !== '') return null;
    return `${rule.protocol} ${portText(rule)} happens only now and then (the catalog marks it occasional), and none was seen in the window the data covers: its absence proves nothing`;
  }

  private windowText(): string {
    const { firstTs, lastTs } = this.summary;
    if (firstTs === null || lastTs === null) return 'the data holds no flows';
    return `${formatIsoMicros(firstTs)} – ${formatIsoMicros(lastTs)}, ${formatDurationMicros(lastTs - firstTs)}`;
  }

  private missingHints(rule: CatalogRule, src: string | null, dst: string | null): string[] {
    const hints: string[] = [];
    if (this.idx.fromCapture(src, dst)) {
      const filters = this.idx.opts.captureFilters ?? [];
      // Filters read here that left the traffic out made it not-applicable (filteredOut): one still
      // missing passed them.
      if (filters.length > 0 && !(this.filtersRead ??= everyFilterRead(this.idx.opts.captureFilterSets))) {
        hints.push(`the capture was taken with a capture filter (${filters.join('; ')}): traffic it left out was never captured`);
      }
      // Likelier than anything below: the capture holds one conversation, and this is not it.
      const pair = this.idx.opts.onlyConversation;
      if (pair && !(src !== null && dst !== null && pair.includes(src) && pair.includes(dst))) {
        const [a, b] = pair;
        const known = src !== null && pair.includes(src) ? src : dst !== null && pair.includes(dst) ? dst : null;
        const where = known === null ? 'on either of them' : `on ${known === a ? b : a}`;
        hints.push(`every flow in the capture is between ${a} and ${b}: taken ${where}, or filtered to these two hosts, it could not show this traffic`);
      }
      if (dst !== null && this.capturedOn(dst) && (src === null || !this.capturedOn(src))) {
        // Taken on the server: what its own firewall drops on arrival is in the capture all the same.
        const client = src ?? 'the client';
        hints.push(
          `the capture was taken on ${dst}, the server: an attempt that reached it would show, even one its own firewall then dropped ` +
            `(a capture sees arriving packets before Windows Filtering Platform does); none arrived, so ${client} never made one, ` +
            `or it was stopped on the way (by ${client}'s own firewall, or a firewall between them)`,
        );
      } else hints.push(this.idx.opts.dropsTraced === true ? PKTMON_NO_DROP : CAPTURE_BLIND_SPOT);
    }
    const silent = (this.idx.opts.logsWithoutDrops ?? []).filter((l) => couldHaveDropped(l, src, dst)).map((l) => l.file);
    if (silent.length > 0) {
      const which = silent.length === 1 ? silent[0] : `${silent.length} of the Windows Firewall logs (${firstFew(silent, 2)})`;
      hints.push(`${which} logged no dropped packet: if "Log dropped packets" is off there (the Windows default), a dropped attempt left no trace`);
    }
    if (src !== null && !this.idx.hostFlows.has(src)) {
      hints.push(`the data holds no traffic of ${src} at all: was the capture or log taken where its traffic passes?`);
    } else if (src !== null && dst !== null && !this.idx.hostFlows.has(dst)) {
      // The client is in the data and this server is not: it had no need of it (a DC its locator
      // did not pick), or could not reach it in a way the data shows. Only a test can tell.
      const why = rule.to === 'dc' ? ' (a client talks to the DCs its locator picks, or to its preferred DCs)' : '';
      // Test-NetConnection tries one TCP port: offered for rules of one port over TCP.
      const test =
        rule.ports.from === rule.ports.to && rule.transports.includes('tcp')
          ? `a test from ${src} tells whether it can (Test-NetConnection ${dst} -Port ${rule.ports.from})`
          : `a test from ${src} tells whether it can`;
      hints.push(`the data holds no traffic of ${dst} at all, to or from anyone: ${src} may not have needed it in the window${why}; ${test}`);
    } else if (src !== null && dst !== null && rule.ports.from === 88 && this.completedBetween(src, dst) > 0) {
      hints.push(
        `other traffic from ${src} to ${dst} completed: a client that holds Kerberos tickets (they last up to 10 hours) asks the KDC for none; ` +
          `\`klist purge\` (and \`klist -li 0x3e7 purge\` for the machine's own tickets) on ${src} before capturing makes it ask again`,
      );
    }
    if (rule.dynamicRpc && src !== null && dst !== null) {
      const epm = (this.idx.pairs.get(pairKey(src, dst)) ?? []).filter((a) => a.proto === 'tcp' && a.respP === 135);
      if (epm.length > 0 && epm.every((a) => a.completed === 0)) {
        hints.push(`the endpoint mapper (MS-RPC 135) on ${dst} never answered ${src}: it hands out the dynamic port, so no port could be tried; 135 comes first`);
      }
    }
    if (ruleConditions(rule).length > 0) {
      hints.push(`this traffic happens only with ${conditionText(rule)}: it may not have occurred in the window`);
    }
    const { firstTs, lastTs } = this.summary;
    if (firstTs !== null && lastTs !== null && lastTs - firstTs < SYNC_CYCLE_MICROS) {
      hints.push(
        `the data covers only ${formatDurationMicros(lastTs - firstTs)}: Connect syncs every 30 minutes by default, a longer capture may show it`,
      );
    }
    return hints;
  }

  /** A concrete pair that saw none of the rule's traffic. */
  private absentPair(rule: CatalogRule, src: string, dst: string): Finding {
    const f = blankFinding(rule, src, dst);
    const { status, why } = this.absentStatus(rule);
    f.status = status;
    const epmPorts = rule.dynamicRpc ? this.idx.epmPorts(src, dst) : [];
    const occasional = status === 'missing' ? this.occasionalAbsence(rule) : null;
    let filtered: string | null;
    if (status === 'missing' && !this.visible(src) && !this.visible(dst)) {
      // A capture on the sync server cannot see WAP-to-AD FS traffic: absence proves nothing.
      f.status = 'not-applicable';
      this.unobservable++;
      f.reason = this.idx.opts.observedHosts
        ? `neither ${src} nor ${dst} is ${this.observers.host} (${this.observedText()}): ${this.observers.they} cannot show traffic between them`
        : `neither ${src} nor ${dst} appears anywhere in the data: the capture or logs were not taken where their traffic passes`;
    } else if (occasional !== null) {
      f.status = 'not-applicable';
      f.reason = occasional;
    } else if (status === 'missing' && (filtered = this.filteredOut(rule, src, dst)) !== null) {
      f.status = 'not-applicable';
      f.reason = filtered;
      this.unobservable++;
    } else if (status === 'missing') {
      f.reason =
        epmPorts.length > 0
          ? `the endpoint mapper handed out ports ${epmPorts.join(', ')}, but no flow to them followed in the window the data covers (${this.windowText()})`
          : `never attempted in the window the data covers (${this.windowText()})`;
      f.hints = this.missingHints(rule, src, dst);
    } else f.reason = why;
    f.display_filter = filterForPorts(src, dst, ruleTransports(rule), portSpecFor(rule, epmPorts));
    return f;
  }

  /** DNS failures for a role's names, as a reason clause and the names to filter on. */
  private dnsClause(role: Role): { text: string; names: string[] } {
    const failing = this.idx.dnsOfRole(role).filter((d) => failedLookups(d) > 0);
    if (failing.length === 0) return { text: '', names: [] };
    const shown = failing.slice(0, MAX_DNS_NAMES);
    const more = failing.length > shown.length ? `; and ${failing.length - shown.length} more name(s)` : '';
    return {
      text: `lookups of its names failed: ${shown.map(describeLookups).join('; ')}${more} — a failed lookup is often the root cause`,
      names: shown.map((d) => d.name),
    };
  }

  /**
   * A finding that names a role instead of an address: `missingSide` has no host, or none of its
   * hosts took part. `knownHosts` are that role's hosts (empty when the role is absent).
   */
  private roleLevel(
    rule: CatalogRule,
    src: string | null,
    dst: string | null,
    missingSide: 'src' | 'dst',
    knownHosts: readonly string[],
  ): Finding {
    const f = blankFinding(rule, src, dst);
    const role = missingSide === 'dst' ? rule.to : rule.from;
    let { status, why } = this.absentStatus(rule);
    const other = missingSide === 'dst' ? src : dst;
    // With known observation points (host and NSG logs), "none of them was contacted" is proven only
    // when every one of them is observed: the DNS answered by an unobserved DC would not show.
    const hostsSeen = this.idx.opts.observedHosts
      ? knownHosts.length > 0 && knownHosts.every((h) => this.visible(h))
      : knownHosts.some((h) => this.visible(h));
    if (status === 'missing' && other !== null && !this.visible(other) && !hostsSeen) {
      status = 'not-applicable';
      this.unobservable++;
      why = this.idx.opts.observedHosts
        ? `${this.observers.observe} ${this.observedText()}: not ${other}, and not every ${role} host, so ${this.observers.they} cannot show whether this traffic happened`
        : `${other} appears nowhere in the data, and neither does any ${role} host: the capture or logs were not taken where their traffic passes`;
    }
    const occasional = status === 'missing' ? this.occasionalAbsence(rule) : null;
    if (occasional !== null) {
      status = 'not-applicable';
      why = occasional;
    }
    const filtered = status === 'missing' ? this.filteredOut(rule, src, dst) : null;
    if (filtered !== null) {
      status = 'not-applicable';
      why = filtered;
      this.unobservable++;
    }
    f.status = status;
    const dns = missingSide === 'dst' ? this.dnsClause(role) : { text: '', names: [] };
    let what: string;
    if (knownHosts.length === 0) {
      what = `no ${role} host is known in the data`;
      if (!dns.text) what += ' (no DNS answer, TLS SNI, inventory entry or behaviour names one)';
    } else {
      const list = firstFew(knownHosts, 3);
      const other = missingSide === 'dst' ? src : dst;
      what =
        missingSide === 'dst'
          ? `${other} contacted none of the ${knownHosts.length} known ${role} host(s) (${list}) on ${portText(rule)}`
          : `none of the ${knownHosts.length} known ${role} host(s) (${list}) contacted ${other} on ${portText(rule)}`;
    }
    if (status === 'missing') {
      const window = knownHosts.length > 0 ? ` in the window the data covers (${this.windowText()})` : '';
      f.reason = `${what}${window}${dns.text ? `; ${dns.text}` : ''}`;
      f.hints = this.missingHints(rule, src, dst);
      if (knownHosts.length === 0) {
        const proxy = missingSide === 'dst' && src !== null && SERVICE_ROLES.has(role) ? this.idx.likelyProxy(src) : null;
        if (proxy !== null) {
          // First: where a proxy is in use, it is the likeliest explanation.
          f.hints.unshift(
            `${src} talks to ${proxy.address}:${proxy.port} (${proxy.flows} flow${proxy.flows === 1 ? '' : 's'}), a port proxies listen on: ` +
              `if ${role} is reached through that proxy, its requests were not readable here (a proxy spoken to over TLS, or a request split across segments); the proxy's log has its answers`,
          );
        }
        const snapped = this.idx.opts.snappedFrames ?? 0;
        if (snapped > 0 && SERVICE_ROLES.has(role)) {
          // pktmon's default: 128 bytes of each packet, which cut DNS answers and TLS ClientHellos.
          // After a proxy (the likelier cause where there is one), before the generic causes.
          f.hints.splice(
            proxy !== null ? 1 : 0,
            0,
            `the capture kept only the first bytes of ${snapped} packet${snapped === 1 ? '' : 's'} (its snap length): the DNS answers and TLS server names ` +
              `that would name a host with role ${role} may be cut off; capture whole packets (pktmon start --capture --pkt-size 0, tcpdump -s 0)`,
          );
        }
        f.hints.push(`if a host with role ${role} exists, name it with --role ADDRESS=${role} or in an inventory`);
      }
    } else {
      f.reason = `${why}; ${what}${dns.text ? `; ${dns.text}` : ''}`;
    }
    f.display_filter =
      dns.names.length > 0
        ? filterForDnsNames(dns.names)
        : filterForPorts(src, dst, ruleTransports(rule), [{ from: rule.ports.from, to: rule.ports.to }]);
    return f;
  }

  /** The findings of one rule. */
  evaluateRule(rule: CatalogRule): Finding[] {
    const out: Finding[] = [];
    const srcHosts = this.idx.hostsOf(rule.from);
    const dstHosts = this.idx.hostsOf(rule.to);
    if (srcHosts.length === 0) {
      const f = blankFinding(rule, null, null);
      f.reason =
        dstHosts.length === 0
          ? `no host with role ${rule.from} or ${rule.to} in the data`
          : `no host with role ${rule.from} in the data`;
      f.display_filter = filterForPorts(null, null, ruleTransports(rule), [{ from: rule.ports.from, to: rule.ports.to }]);
      return [f];
    }
    if (dstHosts.length === 0) {
      for (const src of srcHosts) if (!this.laterAddressOfOne(src, srcHosts)) out.push(this.roleLevel(rule, src, null, 'dst', []));
      return out;
    }
    const srcGrouped = POPULATION_ROLES.has(rule.from) && !POPULATION_ROLES.has(rule.to);
    const dstGrouped = !srcGrouped && (SERVICE_ROLES.has(rule.to) || rule.anyDestination === true);
    if (srcGrouped) {
      for (const dst of dstHosts) {
        const before = out.length;
        for (const src of srcHosts) {
          if (src === dst) continue;
          const { aggs, epmPorts } = this.idx.ruleAggregates(rule, src, dst);
          if (totalAttempts(aggs) > 0) out.push(this.judged(rule, src, dst, aggs, epmPorts));
        }
        if (out.length === before) out.push(this.roleLevel(rule, null, dst, 'src', srcHosts.filter((h) => h !== dst)));
      }
    } else if (dstGrouped) {
      for (const src of srcHosts) {
        const before = out.length;
        for (const dst of dstHosts) {
          if (src === dst) continue;
          const { aggs, epmPorts } = this.idx.ruleAggregates(rule, src, dst);
          if (totalAttempts(aggs) > 0) out.push(this.judged(rule, src, dst, aggs, epmPorts));
        }
        // A dual-stack host's other address may have made the contact (or been named already).
        if (out.length > before || this.laterAddressOfOne(src, srcHosts)) continue;
        if (this.addresses(src).some((s) => s !== src && dstHosts.some((d) => d !== s && totalAttempts(this.idx.ruleAggregates(rule, s, d).aggs) > 0))) continue;
        out.push(this.roleLevel(rule, src, null, 'dst', dstHosts.filter((h) => h !== src)));
      }
    } else {
      // One finding per pair of hosts: a dual-stack host's traffic over either family is one
      // judgement (AuditOptions.hostGroups), named by the address pair that carried the most.
      const judgedHosts = new Set<string>();
      const dstSet = new Set(dstHosts);
      const srcSet = new Set(srcHosts);
      for (const src of srcHosts) {
        // No flow goes between an IPv4 and an IPv6 address: such pairs are never judged. A host with
        // no counterpart of its family at all gets one finding that says so, unless another address
        // of its host has one (and speaks for it).
        const sameFamily = dstHosts.filter((d) => d !== src && isIpv6(d) === isIpv6(src));
        if (sameFamily.length === 0) {
          const others = this.addresses(src).filter((s) => s !== src);
          if (!others.some((s) => dstHosts.some((d) => d !== s && isIpv6(d) === isIpv6(s)))) {
            const f = this.roleLevel(rule, src, null, 'dst', dstHosts.filter((h) => h !== src));
            if (f.status === 'missing') {
              f.reason += `; ${src} is an ${isIpv6(src) ? 'IPv6' : 'IPv4'} address and every known ${rule.to} host an ${isIpv6(src) ? 'IPv4' : 'IPv6'} one: no flow can go between them`;
            }
            out.push(f);
          }
          continue;
        }
        for (const dst of sameFamily) {
          const hosts = `${this.hostOf(src)} ${this.hostOf(dst)}`;
          if (judgedHosts.has(hosts)) continue;
          judgedHosts.add(hosts);
          // The address pairs of the two hosts, of one family each (the roles held by both ends).
          let main = { s: src, d: dst, attempts: -1 };
          const aggs: PairAggregate[] = [];
          const epm = new Set<number>();
          for (const s of this.addresses(src)) {
            if (!srcSet.has(s)) continue;
            for (const d of this.addresses(dst)) {
              if (!dstSet.has(d) || s === d || isIpv6(s) !== isIpv6(d)) continue;
              const r = this.idx.ruleAggregates(rule, s, d);
              const n = totalAttempts(r.aggs);
              if (n > main.attempts) main = { s, d, attempts: n };
              aggs.push(...r.aggs);
              for (const p of r.epmPorts) epm.add(p);
            }
          }
          if (totalAttempts(aggs) > 0) out.push(this.judged(rule, main.s, main.d, aggs, [...epm].sort((x, y) => x - y)));
          else out.push(this.absentPair(rule, src, dst));
        }
      }
    }
    if (out.length === 0) {
      const f = blankFinding(rule, null, null);
      f.reason = `the only ${rule.from} host is also the only ${rule.to} host (${srcHosts[0]}): no network flow to judge`;
      out.push(f);
    }
    return out;
  }

  /**
   * The KDC's demand to ask over TCP (AuditOptions.kerberosOverTcp) between the hosts of `src` and
   * `dst` (any address of either), for a rule on port 88; undefined when there is none.
   */
  private kerberosOverTcp(rule: CatalogRule, src: string, dst: string): string | undefined {
    const demands = this.idx.opts.kerberosOverTcp;
    if (demands === undefined || !(rule.ports.from <= 88 && rule.ports.to >= 88) || !rule.transports.includes('tcp')) return undefined;
    for (const s of this.addresses(src)) for (const d of this.addresses(dst)) {
      const said = demands.get(`${s} ${d}`);
      if (said !== undefined) return said;
    }
    return undefined;
  }

  /** The addresses of `address`'s host (AuditOptions.hostGroups): itself first, then the others. */
  private addresses(address: string): readonly string[] {
    const group = this.idx.opts.hostGroups?.get(address);
    return group === undefined ? [address] : [address, ...group.filter((a) => a !== address)];
  }

  /** One address that stands for `address`'s host: the first of its group (every member maps to that one array). */
  private hostOf(address: string): string {
    return this.idx.opts.hostGroups?.get(address)?.[0] ?? address;
  }

  /** True when an address of the same host comes before `address` in `hosts` (its finding speaks for both). */
  private laterAddressOfOne(address: string, hosts: readonly string[]): boolean {
    const group = this.idx.opts.hostGroups?.get(address);
    if (group === undefined) return false;
    for (const h of hosts) {
      if (h === address) return false;
      if (group.includes(h)) return true;
    }
    return false;
  }

  /** Is this aggregate's (transport, port) named by a rule for any role pair of its hosts? */
  private covered(a: PairAggregate, srcRoles: Set<Role>, dstRoles: Set<Role> | undefined): boolean {
    for (const rule of this.idx.opts.catalog.rules) {
      if (!srcRoles.has(rule.from)) continue;
      if (dstRoles && !dstRoles.has(rule.to)) continue;
      if (ruleCoversPort(rule, a.proto, a.respP)) return true;
      if (rule.dynamicRpc && a.proto !== 'icmp' && rule.transports.includes(a.proto)) {
        if (this.idx.epm.get(pairKey(a.origH, a.respH))?.has(a.respP)) return true;
      }
    }
    return false;
  }

  /**
   * Flows between role hosts, or from a role host to an address without a role, on a (transport,
   * port) no rule names for those roles. ICMP only when refused (pings are not worth a line).
   */
  unexpected(): { list: UnexpectedFlow[]; total: number; groupFlows: number } {
    const all: PairAggregate[] = [];
    let groupFlows = 0;
    const { byOrig, resp } = this.idx.index;
    for (const address of this.idx.hostRoles.keys()) {
      const id = this.idx.index.idOf(address);
      if (id === undefined) continue;
      for (let i = byOrig.first[id]; i >= 0; i = byOrig.next[i]) {
        const a = this.summary.pairs[i];
        if (a.origH === a.respH || a.flows === 0) continue;
        const srcRoles = this.idx.hostRoles.get(a.origH)!;
        if (a.proto === 'icmp' && a.refused === 0) continue;
        if (looksLikeReversedReply(a)) continue;
        if (this.covered(a, srcRoles, this.idx.hostRoles.get(a.respH))) continue;
        if (this.isGroup(resp[i])) {
          groupFlows += a.flows;
          continue;
        }
        all.push(a);
      }
    }
    // Decorated sort: address keys computed once per aggregate, not in every comparison.
    const keyed = all.map((a) => ({ a, key: `${addressSortKey(a.origH)} ${addressSortKey(a.respH)} ${a.proto}` }));
    keyed.sort((x, y) => y.a.flows - x.a.flows || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0) || x.a.respP - y.a.respP);
    const list = keyed.slice(0, MAX_UNEXPECTED).map(({ a }): UnexpectedFlow => {
      const t = tallyAggregates([a]);
      return {
        src: a.origH,
        dst: a.respH,
        src_roles: sortRoles(this.idx.hostRoles.get(a.origH) ?? []),
        dst_roles: sortRoles(this.idx.hostRoles.get(a.respH) ?? []),
        transport: a.proto,
        port: a.respP,
        attempts: t.attempts,
        completed: t.completed,
        refused: t.refused,
        unanswered: t.unanswered,
        first_ts: a.firstTs,
        last_ts: a.lastTs,
        evidence: pickEvidence([a]),
        display_filter: filterForFlow(a.origH, a.respH, a.proto, a.respP),
      };
    });
    return { list, total: all.length, groupFlows };
  }

  /**
   * The unknown endpoints to list (the MAX_UNKNOWN_ENDPOINTS busiest, see busiestFirst) and how many
   * there are. The pair table tallied its plain hosts' flow counts as it folded flows
   * (PairIndex.plainFlowTally): taking out the plain hosts that hold a role and adding the few
   * other addresses that count gives the rank of the last one listed without a pass over every
   * address, and one pass then picks them. (Filtering, tallying and picking were three passes over
   * 65k addresses, run once and cold after the last packet.)
   */
  private busiestUnknown(): { total: number; kept: number[] } {
    const { index, isRoleHost, roleHostIds } = this.idx;
    const flows = index.flowsPerAddress;
    const { size, plainHost, addresses } = index;
    const tally = index.plainFlowTally.slice();
    const last = tally.length - 1;
    // 1 for each unknown address: the plain hosts without a role, and the addresses not plainly
    // one host's that are neither a group nor a link-local one (few: looked at one by one).
    const unknownMark = plainHost.slice();
    for (const id of roleHostIds) {
      if (plainHost[id] === 1) tally[Math.min(flows[id], last)]--;
      unknownMark[id] = 0;
    }
    for (const id of index.notPlainHosts) {
      if (isRoleHost[id] === 0 && !this.isGroup(id) && !isLinkLocalAddress(addresses[id])) {
        unknownMark[id] = 1;
        tally[Math.min(flows[id], last)]++;
      }
    }
    const { cut, total } = cutFromTally(tally, MAX_UNKNOWN_ENDPOINTS);
    if (cut === null) {
      // All of them, or the cut among counts the tally does not tell apart.
      const unknown: number[] = [];
      for (let id = 0; id < size; id++) if (unknownMark[id] === 1) unknown.push(id);
      return { total, kept: busiestFirst(unknown, flows, addresses, MAX_UNKNOWN_ENDPOINTS) };
    }
    const chosen: number[] = [];
    const tied: number[] = [];
    for (let id = 0; id < size; id++) {
      const v = flows[id];
      if (v < cut || unknownMark[id] !== 1) continue;
      if (v > cut) chosen.push(id);
      else tied.push(id);
    }
    return { total, kept: busiestInOrder(chosen, tied, flows, addresses, MAX_UNKNOWN_ENDPOINTS) };
  }

  /** Addresses seen in flows that hold no role, most flows first; not group or link-local ones (they name no host a firewall between subnets sees). */
  unknownEndpoints(roles: RoleMap): { list: UnknownEndpoint[]; total: number } {
    // Tens of thousands of client addresses on a large capture: rank them by id in typed arrays,
    // and look closer (ports, names, address order) only at the few that are listed.
    const { index } = this.idx;
    const flows = index.flowsPerAddress;
    const { total, kept } = this.busiestUnknown();
    // The smallest distinct ports of each kept address, its pairs on either side (whatever their
    // order). Bounded: a scanner touching every port must not grow this list without limit.
    const ports = new Map<number, number[]>();
    for (const id of kept) {
      const list: number[] = [];
      for (const g of [index.byOrig, index.byResp]) {
        for (let i = g.first[id]; i >= 0; i = g.next[i]) {
          if (index.proto[i] !== PROTO_ICMP) addSmallest(list, index.port[i], MAX_UNKNOWN_PORTS);
        }
      }
      ports.set(id, list);
    }
    const keptSet = new Set(kept.map((id) => index.addresses[id]));
    const namesByAddr = new Map<string, string[]>();
    for (const n of this.summary.names) {
      if (!keptSet.has(n.address)) continue;
      let list = namesByAddr.get(n.address);
      if (!list) namesByAddr.set(n.address, (list = []));
      const name = n.name.toLowerCase();
      if (list.length < MAX_UNKNOWN_NAMES && !list.includes(name)) list.push(name);
    }
    const list = kept.map((id): UnknownEndpoint => {
      const address = index.addresses[id];
      const fromMap = peekHost(roles, address)?.names ?? [];
      const names = [...new Set([...fromMap, ...(namesByAddr.get(address) ?? [])])].slice(0, MAX_UNKNOWN_NAMES);
      return {
        address,
        names,
        flows: flows[id],
        ports: ports.get(id)!,
      };
    });
    return { list, total };
  }
}

/**
 * The flow count of the `limit`-th busiest address of `tally` (entry v: how many have v flows; the
 * last entry: how many have that many or more), and the number of addresses; `cut` is null when
 * the `limit`-th lies in the last entry, or there are no more than `limit`.
 */
export function cutFromTally(tally: Int32Array, limit: number): { cut: number | null; total: number } {
  let total = 0;
  for (let v = 0; v < tally.length; v++) total += tally[v];
  if (total <= limit) return { cut: null, total };
  let seen = tally[tally.length - 1];
  if (seen >= limit) return { cut: null, total };
  for (let v = tally.length - 2; v >= 0; v--) {
    seen += tally[v];
    if (seen >= limit) return { cut: v, total };
  }
  return { cut: null, total };
}

/** Adds `value` to the ascending `list` of distinct numbers, which keeps only its `cap` smallest. */
function addSmallest(list: number[], value: number, cap: number): void {
  let at = list.length;
  while (at > 0 && list[at - 1] > value) at--;
  if (list[at - 1] === value || at >= cap) return;
  list.splice(at, 0, value);
  if (list.length > cap) list.length = cap;
}

/** Flow counts below this are tallied one by one in {@link nthLargest}. */
const SMALL_COUNTS = 4096;

/**
 * The `limit`-th largest of `flows[ids[k]]` (1 <= limit <= ids.length). Flows are counts, and those
 * of a capture's clients small: a histogram finds it in one pass over them, where a copy and sort
 * of 50k values took two more. A sort when it lies among counts of SMALL_COUNTS or more (or values
 * that are no count).
 */
function nthLargest(ids: ArrayLike<number>, flows: Float64Array, limit: number): number {
  const tally = new Int32Array(SMALL_COUNTS);
  let large = 0;
  let other = 0;
  for (let k = 0; k < ids.length; k++) {
    const v = flows[ids[k]];
    if (v >= 0 && v < SMALL_COUNTS && v === Math.floor(v)) tally[v]++;
    else if (v >= SMALL_COUNTS) large++;
    else other++;
  }
  if (other === 0 && large < limit) {
    let seen = large;
    for (let v = SMALL_COUNTS - 1; v >= 0; v--) {
      seen += tally[v];
      if (seen >= limit) return v;
    }
  }
  const values = new Float64Array(ids.length);
  for (let k = 0; k < ids.length; k++) values[k] = flows[ids[k]];
  values.sort();
  return values[values.length - limit];
}

/**
 * The first `limit` of `ids` ordered by `flows` (descending), then by address (common/ip.ts order;
 * equal addresses by id). Only the addresses tied at the cut are put in address order, and only as
 * far as needed: most of a capture's clients never get parsed.
 */
export function busiestFirst(ids: ArrayLike<number>, flows: Float64Array, addresses: readonly string[], limit: number): number[] {
  if (ids.length <= limit) return busiestInOrder(Array.from(ids), [], flows, addresses, limit);
  const cut = nthLargest(ids, flows, limit);
  const chosen: number[] = [];
  const tied: number[] = [];
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k];
    if (flows[id] > cut) chosen.push(id);
    else if (flows[id] === cut) tied.push(id);
  }
  return busiestInOrder(chosen, tied, flows, addresses, limit);
}

/**
 * The end of {@link busiestFirst}: `chosen` (the ids above the cut, fewer than `limit`) and as many
 * of `tied` (the ids at the cut, in id order) as fit in `limit`, taken in address order, all sorted
 * by flows (descending), then by address.
 */
function busiestInOrder(chosen: number[], tied: readonly number[], flows: Float64Array, addresses: readonly string[], limit: number): number[] {
  if (tied.length > 0) {
    const tiedAddresses = new Array<string>(tied.length);
    for (let k = 0; k < tied.length; k++) tiedAddresses[k] = addresses[tied[k]];
    for (const k of addressOrder(tiedAddresses, limit - chosen.length)) chosen.push(tied[k]);
  }
  const order = addressOrder(chosen.map((id) => addresses[id]));
  const rank = new Map<number, number>();
  order.forEach((k, r) => rank.set(chosen[k], r));
  return chosen.sort((x, y) => flows[y] - flows[x] || rank.get(x)! - rank.get(y)!);
}

/**
 * A midstream flow whose "originator" sent from a well-known port to an ephemeral one is almost
 * surely the reply half of a connection that began before the data did; listing it as unexpected
 * traffic to an ephemeral port would be noise.
 */
function looksLikeReversedReply(a: PairAggregate): boolean {
  if (a.proto === 'icmp' || a.respP < 1024) return false;
  const states = Object.keys(a.connStates);
  if (states.length !== 1 || states[0] !== 'OTH') return false;
  return a.samples.length > 0 && a.samples.every((s) => s.origP > 0 && s.origP < 1024);
}

/**
 * Judges every catalog rule for every host pair its roles make, and lists unexpected traffic and
 * unknown endpoints. Deterministic: findings come sorted by status severity (blocked, partial,
 * missing, unexpected, ok, not-applicable), then catalog rule order, then source and destination
 * address (numeric; role-level findings without an address last).
 */
export function evaluateAudit(summary: FlowSummaryData, roles: RoleMap, opts: AuditOptions): EvaluateResult {
  const ev = new Evaluator(summary, roles, opts);
  const ranked: { f: Finding; rule: number }[] = [];
  opts.catalog.rules.forEach((rule, i) => {
    for (const f of ev.evaluateRule(rule)) ranked.push({ f, rule: i });
  });
  ranked.sort(
    (a, b) =>
      compareStatus(a.f.status, b.f.status) ||
      a.rule - b.rule ||
      compareAddresses(a.f.src, b.f.src) ||
      compareAddresses(a.f.dst, b.f.dst),
  );
  const unexpected = ev.unexpected();
  const unknown = ev.unknownEndpoints(roles);
  return {
    findings: ranked.map((r) => r.f),
    unexpected: unexpected.list,
    unknown_endpoints: unknown.list,
    unexpected_total: unexpected.total,
    unknown_endpoints_total: unknown.total,
    group_flows: unexpected.groupFlows,
    unobservable: ev.unobservable,
  };
}
