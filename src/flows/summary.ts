/**
 * FlowSummary folds flows into bounded aggregates (summary-types.ts): per (transport, originator,
 * responder, responder port) pair, names learned from DNS answers and TLS SNI, DNS lookup outcomes
 * per name, RPC endpoint-mapper handouts, outcome counts and the time window.
 *
 * Every choice that keeps only part of the data (samples, capped lists, "first seen" evidence) is a
 * pure function of the set of flows, decided by a total order (time, then uid / evidence), never by
 * arrival order. So summarising parts (workers, files) and merging their `toData()` gives exactly the
 * summary of the whole, as long as no cap on the number of entries (pairs, names ...) is hit.
 */

import { describeIcmpRefusal } from './outcome.js';
import {
  SAMPLES_PER_AGGREGATE,
  type DnsLookupStats,
  type FlowSample,
  type FlowSummaryData,
  type NameObservation,
  type PairAggregate,
} from './summary-types.js';
import { addToTimeline, copyTimeline, mergeTimeline, newTimeline } from './timeline.js';
import type { Flow, FlowEvidence, Outcome } from './types.js';

/** Default cap on pair aggregates; flows beyond it are only counted (`overflowFlows`). */
export const DEFAULT_MAX_PAIRS = 200_000; // ~1 KB each: the audit state stays near 200 MB whatever the input
/** Distinct ICMP refusal texts and deny-rule names kept per pair (the smallest, in string order). */
export const MAX_ICMP_REASONS = 8;
export const MAX_DENY_RULES = 8;
/** Caps on names, DNS names, servers per DNS name and EPM handouts. */
export const MAX_NAMES = 200_000;
export const MAX_DNS_NAMES = 100_000;
export const MAX_DNS_SERVERS = 8;
export const MAX_EPM_HANDOUTS = 10_000;
/** Depth limit when following CNAME chains (guards against loops in hostile answers). */
const MAX_CNAME_DEPTH = 10;

const OUTCOMES: readonly Outcome[] = ['completed', 'refused', 'unanswered', 'unknown'];

export interface FlowSummaryOptions {
  /** Cap on pair aggregates (default {@link DEFAULT_MAX_PAIRS}). */
  maxPairs?: number;
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function evidenceNumbers(e: FlowEvidence): [number, number, number, number] {
  return [e.frame ?? -1, e.line ?? -1, e.record ?? -1, e.tuple ?? -1];
}

/** Total order on (time, evidence): earlier first; ties broken by file, then frame/line/record/tuple. */
function compareEvidence(ta: number, a: FlowEvidence, tb: number, b: FlowEvidence): number {
  if (ta !== tb) return ta - tb;
  const f = cmpStr(a.file, b.file);
  if (f !== 0) return f;
  const x = evidenceNumbers(a);
  const y = evidenceNumbers(b);
  for (let i = 0; i < 4; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

function compareSamples(a: FlowSample, b: FlowSample): number {
  if (a.ts !== b.ts) return a.ts - b.ts;
  const u = cmpStr(a.uid, b.uid);
  return u !== 0 ? u : compareEvidence(a.ts, a, b.ts, b);
}

/**
 * The sample policy: the earliest flow of each outcome, then the earliest others, up to
 * SAMPLES_PER_AGGREGATE, returned in time order. Closed under union, hence exact under merge.
 */
export function selectSamples(candidates: FlowSample[]): FlowSample[] {
  const sorted = candidates.slice().sort(compareSamples);
  const chosen = new Set<FlowSample>();
  const seenOutcome = new Set<Outcome>();
  for (const s of sorted) {
    if (chosen.size >= SAMPLES_PER_AGGREGATE) break;
    if (!seenOutcome.has(s.outcome)) {
      seenOutcome.add(s.outcome);
      chosen.add(s);
    }
  }
  for (const s of sorted) {
    if (chosen.size >= SAMPLES_PER_AGGREGATE) break;
    chosen.add(s);
  }
  return sorted.filter((s) => chosen.has(s));
}

/**
 * Adds one flow's sample to a pair: exactly `selectSamples([...p.samples, s])`, without its sort
 * and sets while the pair holds fewer than SAMPLES_PER_AGGREGATE samples (then every candidate is
 * kept, so the result is the stable sorted insertion of `s`). Runs once per flow.
 */
function addSample(p: PairAggregate, s: FlowSample): void {
  const list = p.samples;
  if (list.length >= SAMPLES_PER_AGGREGATE) {
    p.samples = selectSamples([...list, s]);
    return;
  }
  // `list` is sorted (selectSamples output); a stable sort puts `s` after every sample not above it.
  let i = list.length;
  while (i > 0 && compareSamples(list[i - 1], s) > 0) i--;
  list.splice(i, 0, s);
}

/** Adds `value` to a sorted, capped, distinct list (keeps the smallest `cap` strings). */
function addCapped(list: string[], value: string, cap: number): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  if (list[lo] === value) return;
  if (lo >= cap) return;
  list.splice(lo, 0, value);
  if (list.length > cap) list.length = cap;
}

function sampleOf(flow: Flow): FlowSample {
  const s: FlowSample = {
    file: flow.evidence.file,
    uid: flow.uid,
    ts: flow.ts,
    origP: flow.origP,
    connState: flow.connState,
    outcome: flow.outcome,
    reason: flow.reason,
  };
  if (flow.evidence.frame !== undefined) s.frame = flow.evidence.frame;
  if (flow.evidence.line !== undefined) s.line = flow.evidence.line;
  if (flow.evidence.record !== undefined) s.record = flow.evidence.record;
  if (flow.evidence.tuple !== undefined) s.tuple = flow.evidence.tuple;
  if (flow.log?.rule !== undefined) s.rule = flow.log.rule;
  return s;
}

function copyEvidence(e: FlowEvidence): FlowEvidence {
  const c: FlowEvidence = { file: e.file };
  if (e.frame !== undefined) c.frame = e.frame;
  if (e.line !== undefined) c.line = e.line;
  if (e.record !== undefined) c.record = e.record;
  if (e.tuple !== undefined) c.tuple = e.tuple;
  return c;
}

function copyPair(p: PairAggregate): PairAggregate {
  return {
    ...p,
    connStates: { ...p.connStates },
    samples: p.samples.map((s) => ({ ...s })),
    icmpReasons: p.icmpReasons.slice(),
    denyRules: p.denyRules.slice(),
    timeline: copyTimeline(p.timeline),
  };
}

/** (transport, port) as one number for the pair index. */
function portSlot(proto: string, respP: number): number {
  return respP * 4 + (proto === 'tcp' ? 0 : proto === 'udp' ? 1 : 2);
}

function pairKey(proto: string, origH: string, respH: string, respP: number): string {
  return `${proto}|${origH}|${respH}|${respP}`;
}

/** Addresses named by each answer owner name, following CNAME chains backwards to every alias. */
function namesFromAnswers(answers: { name: string; type: string; data: string }[]): { name: string; address: string }[] {
  const aliasesOf = new Map<string, string[]>(); // CNAME target → owner names
  for (const a of answers) {
    if (a.type !== 'CNAME') continue;
    const list = aliasesOf.get(a.data);
    if (list) list.push(a.name);
    else aliasesOf.set(a.data, [a.name]);
  }
  const out: { name: string; address: string }[] = [];
  for (const a of answers) {
    if (a.type !== 'A' && a.type !== 'AAAA') continue;
    const seen = new Set<string>([a.name]);
    let frontier = [a.name];
    for (let depth = 0; depth < MAX_CNAME_DEPTH && frontier.length > 0; depth++) {
      const nextFrontier: string[] = [];
      for (const n of frontier) for (const alias of aliasesOf.get(n) ?? []) {
        if (!seen.has(alias)) {
          seen.add(alias);
          nextFrontier.push(alias);
        }
      }
      frontier = nextFrontier;
    }
    for (const name of seen) out.push({ name, address: a.data });
  }
  return out;
}

/**
 * Aggregates flows for the audit. `add` per flow, `merge` another summary's data (a worker's),
 * `toData` for a serialisable, deterministic snapshot (sorted, deep-copied).
 */
export class FlowSummary {
  private readonly maxPairs: number;
  private flows = 0;
  private firstTs: number | null = null;
  private lastTs: number | null = null;
  private readonly pairs = new Map<string, PairAggregate>();
  private overflowFlows = 0;
  private readonly names = new Map<string, NameObservation>();
  private readonly dns = new Map<string, DnsLookupStats>();
  private readonly epm = new Map<string, { client: string; server: string; ports: number[]; ts: number }>();
  private readonly outcomes: Record<Outcome, number> = { completed: 0, refused: 0, unanswered: 0, unknown: 0 };

  constructor(opts: FlowSummaryOptions = {}) {
    this.maxPairs = opts.maxPairs ?? DEFAULT_MAX_PAIRS;
  }

  /** Folds one flow in. The flow is not kept (only copies of the parts that are sampled). */
  add(flow: Flow): void {
    this.flows++;
    this.widenWindow(flow.ts, flow.ts + flow.duration);
    this.outcomes[flow.outcome]++;
    this.addToPair(flow);

    if (flow.dns) {
      for (const { name, address } of namesFromAnswers(flow.dns.answers)) {
        this.observeName({ name, address, source: 'dns', evidence: copyEvidence(flow.evidence), ts: flow.ts });
      }
      this.addDnsLookups(flow);
    }
    if (flow.sni) {
      this.observeName({ name: flow.sni, address: flow.respH, source: 'sni', evidence: copyEvidence(flow.evidence), ts: flow.ts });
    }
    if (flow.epmPorts && flow.epmPorts.length > 0) {
      this.observeEpm({ client: flow.origH, server: flow.respH, ports: flow.epmPorts.slice().sort((a, b) => a - b), ts: flow.ts });
    }
  }

  /** Folds another summary's data in (exact, see the module comment). `data` is not modified. */
  merge(data: FlowSummaryData): void {
    this.flows += data.flows;
    if (data.firstTs !== null) this.widenWindow(data.firstTs, data.firstTs);
    if (data.lastTs !== null) this.widenWindow(data.lastTs, data.lastTs);
    for (const o of OUTCOMES) this.outcomes[o] += data.outcomes[o] ?? 0;
    this.overflowFlows += data.overflowFlows;
    for (const p of data.pairs) {
      const key = pairKey(p.proto, p.origH, p.respH, p.respP);
      const mine = this.pairs.get(key);
      if (mine) this.mergePair(mine, p);
      else if (this.pairs.size < this.maxPairs) this.insertPair(key, copyPair(p));
      else this.overflowFlows += p.flows;
    }
    for (const n of data.names) this.observeName({ ...n, evidence: copyEvidence(n.evidence) });
    for (const d of data.dns) this.mergeDnsStats(d);
    for (const e of data.epm) this.observeEpm({ ...e, ports: e.ports.slice() });
  }

  /** A serialisable snapshot: deep copies, sorted for stable output. */
  /**
   * The summary as plain data, sorted. With `share`, the result holds this summary's own objects
   * instead of copies: for a summary that is never touched again (the final one, or a worker's
   * before it is posted, which clones anyway), it saves copying every aggregate.
   */
  toData(opts: { share?: boolean } = {}): FlowSummaryData {
    if (opts.share) return this.sharedData();
    const pairs = [...this.pairs.values()].map(copyPair);
    pairs.sort(
      (a, b) => cmpStr(a.proto, b.proto) || cmpStr(a.origH, b.origH) || cmpStr(a.respH, b.respH) || a.respP - b.respP,
    );
    const names = [...this.names.values()].map((n) => ({ ...n, evidence: copyEvidence(n.evidence) }));
    names.sort((a, b) => cmpStr(a.name, b.name) || cmpStr(a.address, b.address) || cmpStr(a.source, b.source));
    const dns = [...this.dns.values()].map((d) => ({ ...d, servers: d.servers.slice(), firstEvidence: { ...d.firstEvidence } }));
    dns.sort((a, b) => cmpStr(a.name, b.name));
    const epm = [...this.epm.values()].map((e) => ({ ...e, ports: e.ports.slice() }));
    epm.sort((a, b) => a.ts - b.ts || cmpStr(a.client, b.client) || cmpStr(a.server, b.server) || cmpStr(a.ports.join(','), b.ports.join(',')));
    return {
      flows: this.flows,
      firstTs: this.firstTs,
      lastTs: this.lastTs,
      pairs,
      names,
      dns,
      epm,
      overflowFlows: this.overflowFlows,
      outcomes: { ...this.outcomes },
    };
  }

  private sharedData(): FlowSummaryData {
    const pairs = [...this.pairs.values()];
    pairs.sort(
      (a, b) => cmpStr(a.proto, b.proto) || cmpStr(a.origH, b.origH) || cmpStr(a.respH, b.respH) || a.respP - b.respP,
    );
    const names = [...this.names.values()];
    names.sort((a, b) => cmpStr(a.name, b.name) || cmpStr(a.address, b.address) || cmpStr(a.source, b.source));
    const dns = [...this.dns.values()];
    dns.sort((a, b) => cmpStr(a.name, b.name));
    const epm = [...this.epm.values()];
    epm.sort((a, b) => a.ts - b.ts || cmpStr(a.client, b.client) || cmpStr(a.server, b.server) || cmpStr(a.ports.join(','), b.ports.join(',')));
    return {
      flows: this.flows,
      firstTs: this.firstTs,
      lastTs: this.lastTs,
      pairs,
      names,
      dns,
      epm,
      overflowFlows: this.overflowFlows,
      outcomes: { ...this.outcomes },
    };
  }

  private widenWindow(first: number, last: number): void {
    if (this.firstTs === null || first < this.firstTs) this.firstTs = first;
    if (this.lastTs === null || last > this.lastTs) this.lastTs = last;
  }

  /**
   * The hot-path index over `pairs`: origH → respH → (port, transport) → aggregate. Address
   * strings come from the readers' caches and keep their hash, so three lookups cost less than
   * building and hashing a fresh key string per flow.
   */
  private readonly index = new Map<string, Map<string, Map<number, PairAggregate>>>();

  private lookupPair(proto: string, origH: string, respH: string, respP: number): PairAggregate | undefined {
    return this.index.get(origH)?.get(respH)?.get(portSlot(proto, respP));
  }

  private insertPair(key: string, p: PairAggregate): void {
    this.pairs.set(key, p);
    let byResp = this.index.get(p.origH);
    if (!byResp) this.index.set(p.origH, (byResp = new Map()));
    let byPort = byResp.get(p.respH);
    if (!byPort) byResp.set(p.respH, (byPort = new Map()));
    byPort.set(portSlot(p.proto, p.respP), p);
  }

  private addToPair(flow: Flow): void {
    const respP = flow.proto === 'icmp' ? 0 : flow.respP;
    let p = this.lookupPair(flow.proto, flow.origH, flow.respH, respP);
    if (!p) {
      const key = pairKey(flow.proto, flow.origH, flow.respH, respP);
      if (this.pairs.size >= this.maxPairs) {
        this.overflowFlows++;
        return;
      }
      p = {
        proto: flow.proto,
        origH: flow.origH,
        respH: flow.respH,
        respP,
        flows: 0,
        completed: 0,
        refused: 0,
        unanswered: 0,
        unknown: 0,
        firstTs: flow.ts,
        lastTs: flow.ts + flow.duration,
        connStates: {},
        samples: [],
        icmpReasons: [],
        denyRules: [],
        bytes: 0,
        timeline: newTimeline(),
      };
      this.insertPair(key, p);
    }
    p.flows++;
    p[flow.outcome]++;
    if (flow.ts < p.firstTs) p.firstTs = flow.ts;
    if (flow.ts + flow.duration > p.lastTs) p.lastTs = flow.ts + flow.duration;
    p.connStates[flow.connState] = (p.connStates[flow.connState] ?? 0) + 1;
    p.bytes += flow.origBytes + flow.respBytes;
    // Most flows of a busy pair cannot enter its samples: when the list is full, already holds this
    // outcome and ends before this flow, selectSamples would drop the flow, so skip building it.
    const samples = p.samples;
    const full = samples.length >= SAMPLES_PER_AGGREGATE;
    if (!(full && flow.ts > samples[samples.length - 1].ts && samples.some((x) => x.outcome === flow.outcome))) {
      addSample(p, sampleOf(flow));
    }
    if (flow.icmp) addCapped(p.icmpReasons, describeIcmpRefusal(flow.icmp), MAX_ICMP_REASONS);
    if (flow.outcome === 'refused' && flow.log?.rule) addCapped(p.denyRules, flow.log.rule, MAX_DENY_RULES);
    const completed = flow.outcome === 'completed' ? 1 : 0;
    const failed = flow.outcome === 'refused' || flow.outcome === 'unanswered' ? 1 : 0;
    if (completed + failed > 0) addToTimeline(p.timeline, flow.ts, completed, failed);
  }

  private mergePair(mine: PairAggregate, other: PairAggregate): void {
    mine.flows += other.flows;
    mine.completed += other.completed;
    mine.refused += other.refused;
    mine.unanswered += other.unanswered;
    mine.unknown += other.unknown;
    if (other.firstTs < mine.firstTs) mine.firstTs = other.firstTs;
    if (other.lastTs > mine.lastTs) mine.lastTs = other.lastTs;
    for (const [state, n] of Object.entries(other.connStates)) {
      const k = state as keyof PairAggregate['connStates'];
      mine.connStates[k] = (mine.connStates[k] ?? 0) + (n ?? 0);
    }
    mine.bytes += other.bytes;
    mine.samples = selectSamples([...mine.samples, ...other.samples.map((s) => ({ ...s }))]);
    for (const r of other.icmpReasons) addCapped(mine.icmpReasons, r, MAX_ICMP_REASONS);
    for (const r of other.denyRules) addCapped(mine.denyRules, r, MAX_DENY_RULES);
    mergeTimeline(mine.timeline, other.timeline);
  }

  private observeName(n: NameObservation): void {
    const key = `${n.source}|${n.name}|${n.address}`;
    const mine = this.names.get(key);
    if (!mine) {
      if (this.names.size < MAX_NAMES) this.names.set(key, n);
      return;
    }
    if (compareEvidence(n.ts ?? 0, n.evidence, mine.ts ?? 0, mine.evidence) < 0) {
      mine.evidence = n.evidence;
      mine.ts = n.ts;
    }
  }

  private addDnsLookups(flow: Flow): void {
    const dns = flow.dns!;
    const seen = new Set<string>();
    for (const q of dns.queries) {
      if (seen.has(q.name)) continue;
      seen.add(q.name);
      const rcode = dns.rcode;
      this.mergeDnsStats({
        name: q.name,
        queries: 1,
        answered: rcode === 0 ? 1 : 0,
        nxdomain: rcode === 3 ? 1 : 0,
        servfail: rcode === 2 ? 1 : 0,
        otherError: rcode !== null && rcode !== 0 && rcode !== 2 && rcode !== 3 ? 1 : 0,
        unanswered: rcode === null ? 1 : 0,
        servers: [flow.respH],
        firstEvidence: { ...copyEvidence(flow.evidence), ts: flow.ts },
      });
    }
  }

  private mergeDnsStats(d: DnsLookupStats): void {
    const mine = this.dns.get(d.name);
    if (!mine) {
      if (this.dns.size >= MAX_DNS_NAMES) return;
      const copy: DnsLookupStats = { ...d, servers: [], firstEvidence: { ...d.firstEvidence } };
      for (const s of d.servers) addCapped(copy.servers, s, MAX_DNS_SERVERS);
      this.dns.set(d.name, copy);
      return;
    }
    mine.queries += d.queries;
    mine.answered += d.answered;
    mine.nxdomain += d.nxdomain;
    mine.servfail += d.servfail;
    mine.otherError += d.otherError;
    mine.unanswered += d.unanswered;
    for (const s of d.servers) addCapped(mine.servers, s, MAX_DNS_SERVERS);
    if (compareEvidence(d.firstEvidence.ts, d.firstEvidence, mine.firstEvidence.ts, mine.firstEvidence) < 0) {
      mine.firstEvidence = { ...d.firstEvidence };
    }
  }

  private observeEpm(e: { client: string; server: string; ports: number[]; ts: number }): void {
    const key = `${e.client}|${e.server}|${e.ports.join(',')}`;
    const mine = this.epm.get(key);
    if (!mine) {
      if (this.epm.size < MAX_EPM_HANDOUTS) this.epm.set(key, e);
      return;
    }
    if (e.ts < mine.ts) mine.ts = e.ts;
  }
}
