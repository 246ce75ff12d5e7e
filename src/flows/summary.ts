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
import { copyTimeline, PairTimeline, type TimelineLike } from './timeline.js';
import type { Flow, FlowEvidence, Outcome } from './types.js';

/**
 * Replaces the repeated strings of samples (file, reason, rule) with indexes into one table, in
 * place, for sending `data` to another thread: a structured clone copies a string once per use,
 * and every sample repeats its file's full path. Undo with {@link unpackSampleStrings}. `data` is
 * unusable until then.
 */
export function packSampleStrings(data: FlowSummaryData): string[] {
  const table: string[] = [];
  const ids = new Map<string, number>();
  const id = (v: string): number => {
    let i = ids.get(v);
    if (i === undefined) {
      i = table.length;
      table.push(v);
      ids.set(v, i);
    }
    return i;
  };
  for (const p of data.pairs) {
    for (const smp of p.samples) {
      const packed = smp as unknown as Record<string, unknown>;
      packed.file = id(smp.file);
      packed.reason = id(smp.reason);
      if (smp.rule !== undefined) packed.rule = id(smp.rule);
    }
  }
  return table;
}

/** Restores what {@link packSampleStrings} packed, in place; equal strings come out as one string. */
export function unpackSampleStrings(data: FlowSummaryData, table: readonly string[]): void {
  for (const p of data.pairs) {
    for (const smp of p.samples) {
      const packed = smp as unknown as Record<string, number | undefined>;
      smp.file = table[packed.file!];
      smp.reason = table[packed.reason!];
      if (packed.rule !== undefined) smp.rule = table[packed.rule];
    }
  }
}

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

/** A pair aggregate as the summary keeps it: the timeline in its compact live form. */
interface LivePair extends PairAggregate {
  timeline: PairTimeline;
}

/** Shared empty list for icmpReasons / denyRules until a pair gets its first entry (most never do). */
const NO_STRINGS = Object.freeze([]) as unknown as string[];

const OUTCOME_BIT: Record<Outcome, number> = { completed: 1, refused: 2, unanswered: 4, unknown: 8 };

/** compareSamples(sample of `flow`, `s`) without building the sample. */
function compareFlowToSample(flow: Flow, s: FlowSample): number {
  if (flow.ts !== s.ts) return flow.ts - s.ts;
  const u = cmpStr(flow.uid, s.uid);
  if (u !== 0) return u;
  const e = flow.evidence;
  const f = cmpStr(e.file, s.file);
  if (f !== 0) return f;
  const x = evidenceNumbers(e);
  const y = evidenceNumbers(s);
  for (let i = 0; i < 4; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

/**
 * Adds one flow's sample to a pair: exactly `selectSamples([...p.samples, sampleOf(flow)])`, in
 * place and without building the sample when the policy drops it. `p.samples` is that policy's
 * output, so it is sorted; the flow's sample goes after every sample not above it (stable sort).
 * With SAMPLES_PER_AGGREGATE + 1 candidates, the policy keeps the first of each outcome (at most 4)
 * and fills in time order, so exactly one is dropped: the last candidate whose outcome an earlier
 * candidate already has.
 */
function addSample(p: PairAggregate, flow: Flow, reasons: Map<string, string>): void {
  const list = p.samples;
  let pos = list.length;
  while (pos > 0 && compareFlowToSample(flow, list[pos - 1]) < 0) pos--;
  if (list.length < SAMPLES_PER_AGGREGATE) {
    insertAt(list, pos, sampleOf(flow, reasons));
    return;
  }
  if (pos === list.length) {
    // The usual case once a pair is busy: later than every sample, so dropped unless the first of its outcome.
    const outcome = flow.outcome;
    for (let k = 0; k < pos; k++) if (list[k].outcome === outcome) return;
  }
  // Candidate k of the virtual sorted list: list[k] before pos, the flow at pos, list[k - 1] after.
  let seen = 0;
  let drop = -1;
  for (let k = 0; k <= list.length; k++) {
    const bit = OUTCOME_BIT[k < pos ? list[k].outcome : k === pos ? flow.outcome : list[k - 1].outcome];
    if (seen & bit) drop = k;
    else seen |= bit;
  }
  if (drop === pos) return;
  // Remove the dropped sample and place the new one, shifting only what lies between (no splice).
  const s = sampleOf(flow, reasons);
  if (drop < pos) {
    for (let k = drop; k < pos - 1; k++) list[k] = list[k + 1];
    list[pos - 1] = s;
  } else {
    for (let k = drop - 1; k > pos; k--) list[k] = list[k - 1];
    list[pos] = s;
  }
}

/** `list.splice(at, 0, item)` without splice's overhead (short lists). */
function insertAt<T>(list: T[], at: number, item: T): void {
  list.push(item);
  for (let k = list.length - 1; k > at; k--) list[k] = list[k - 1];
  list[at] = item;
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

/** Distinct reason texts kept for sharing (see {@link internReason}); beyond it, samples keep their own copy. */
const MAX_INTERNED_REASONS = 20_000;

/**
 * One string per distinct reason text. Readers format a reason per flow (`allowed by NSG rule X;
 * 9 packets sent, 36 back`): without sharing, every sample would hold its own copy.
 */
function internReason(reasons: Map<string, string>, reason: string): string {
  const known = reasons.get(reason);
  if (known !== undefined) return known;
  if (reasons.size < MAX_INTERNED_REASONS) reasons.set(reason, reason);
  return reason;
}

function sampleOf(flow: Flow, reasons: Map<string, string>): FlowSample {
  const s: FlowSample = {
    file: flow.evidence.file,
    uid: flow.uid,
    ts: flow.ts,
    origP: flow.origP,
    connState: flow.connState,
    outcome: flow.outcome,
    reason: internReason(reasons, flow.reason),
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

/**
 * A live pair from another summary's data. With `adopt`, the data's own objects are taken over
 * (the caller never reads them again); otherwise everything is copied.
 */
function livePair(p: PairAggregate, adopt: boolean): LivePair {
  const timeline = p.timeline as TimelineLike;
  if (adopt) {
    const live = p as LivePair;
    let t: PairTimeline;
    if (timeline instanceof PairTimeline) t = timeline;
    else {
      t = new PairTimeline();
      t.width = timeline.width;
      if (timeline.cells) t.cells = timeline.cells;
      else t.merge(timeline);
    }
    live.timeline = t;
    if (live.icmpReasons.length === 0) live.icmpReasons = NO_STRINGS;
    if (live.denyRules.length === 0) live.denyRules = NO_STRINGS;
    return live;
  }
  return {
    ...p,
    connStates: { ...p.connStates },
    samples: p.samples.map((s) => ({ ...s })),
    icmpReasons: p.icmpReasons.length === 0 ? NO_STRINGS : p.icmpReasons.slice(),
    denyRules: p.denyRules.length === 0 ? NO_STRINGS : p.denyRules.slice(),
    timeline: PairTimeline.from(timeline),
  };
}

/** (transport, port) as one number for the pair index. */
function portSlot(proto: string, respP: number): number {
  return respP * 4 + (proto === 'tcp' ? 0 : proto === 'udp' ? 1 : 2);
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
  /** Every pair aggregate, in creation order (see `index`). */
  private readonly pairs: LivePair[] = [];
  private overflowFlows = 0;
  private readonly names = new Map<string, NameObservation>();
  private readonly dns = new Map<string, DnsLookupStats>();
  private readonly epm = new Map<string, { client: string; server: string; ports: number[]; ts: number }>();
  /** Shared reason texts of samples (see internReason). */
  private readonly reasons = new Map<string, string>();
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

  /**
   * Folds another summary's data in (exact, see the module comment). `data` is not modified, unless
   * `adopt` is set: then its objects are taken over instead of copied (for data nobody reads again,
   * such as a worker's summary just received).
   */
  merge(data: FlowSummaryData, opts: { adopt?: boolean } = {}): void {
    const adopt = opts.adopt === true;
    this.flows += data.flows;
    if (data.firstTs !== null) this.widenWindow(data.firstTs, data.firstTs);
    if (data.lastTs !== null) this.widenWindow(data.lastTs, data.lastTs);
    for (const o of OUTCOMES) this.outcomes[o] += data.outcomes[o] ?? 0;
    this.overflowFlows += data.overflowFlows;
    for (const p of data.pairs) {
      const mine = this.lookupPair(p.proto, p.origH, p.respH, p.respP);
      if (mine) this.mergePair(mine, p);
      else if (this.pairs.length < this.maxPairs) this.insertPair(livePair(p, adopt));
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
    const pairs = this.sortedPairs().map(copyPair);
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
    const pairs: PairAggregate[] = this.sortedPairs();
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

  /** The pairs sorted by (transport, originator, responder, responder port). */
  private sortedPairs(): LivePair[] {
    const pairs = this.pairs.slice();
    pairs.sort((a, b) => cmpStr(a.proto, b.proto) || cmpStr(a.origH, b.origH) || cmpStr(a.respH, b.respH) || a.respP - b.respP);
    return pairs;
  }

  /**
   * The hot-path index over `pairs`: origH → respH → (port, transport) → aggregate. Address strings
   * come from the readers' caches and keep their hash, so these lookups cost less than building
   * and hashing a key string per flow. A level with a single entry holds the aggregate itself
   * instead of a Map: most originators (clients) have one pair, and a Map each would dominate
   * both the time to create pairs and the memory they take.
   */
  private readonly index = new Map<string, LivePair | Map<string, LivePair | Map<number, LivePair>>>();

  private lookupPair(proto: string, origH: string, respH: string, respP: number): LivePair | undefined {
    const byResp = this.index.get(origH);
    if (byResp === undefined) return undefined;
    const slot = portSlot(proto, respP);
    if (!(byResp instanceof Map)) {
      return byResp.respH === respH && portSlot(byResp.proto, byResp.respP) === slot ? byResp : undefined;
    }
    const byPort = byResp.get(respH);
    if (byPort === undefined) return undefined;
    if (!(byPort instanceof Map)) return portSlot(byPort.proto, byPort.respP) === slot ? byPort : undefined;
    return byPort.get(slot);
  }

  /** Adds a pair that lookupPair does not find. */
  private insertPair(p: LivePair): void {
    this.pairs.push(p);
    const level1 = this.index.get(p.origH);
    if (level1 === undefined) {
      this.index.set(p.origH, p);
      return;
    }
    let byResp: Map<string, LivePair | Map<number, LivePair>>;
    if (level1 instanceof Map) byResp = level1;
    else {
      byResp = new Map([[level1.respH, level1]]);
      this.index.set(p.origH, byResp);
    }
    const level2 = byResp.get(p.respH);
    if (level2 === undefined) byResp.set(p.respH, p);
    else if (level2 instanceof Map) level2.set(portSlot(p.proto, p.respP), p);
    else {
      byResp.set(
        p.respH,
        new Map([
          [portSlot(level2.proto, level2.respP), level2],
          [portSlot(p.proto, p.respP), p],
        ]),
      );
    }
  }

  private addToPair(flow: Flow): void {
    const respP = flow.proto === 'icmp' ? 0 : flow.respP;
    let p = this.lookupPair(flow.proto, flow.origH, flow.respH, respP);
    if (!p) {
      if (this.pairs.length >= this.maxPairs) {
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
        icmpReasons: NO_STRINGS,
        denyRules: NO_STRINGS,
        bytes: 0,
        timeline: new PairTimeline(),
      };
      this.insertPair(p);
    }
    p.flows++;
    // A switch, not p[flow.outcome]++: named stores stay monomorphic on this per-flow path.
    let completed = 0;
    let failed = 0;
    switch (flow.outcome) {
      case 'completed':
        p.completed++;
        completed = 1;
        break;
      case 'refused':
        p.refused++;
        failed = 1;
        break;
      case 'unanswered':
        p.unanswered++;
        failed = 1;
        break;
      default:
        p.unknown++;
    }
    if (flow.ts < p.firstTs) p.firstTs = flow.ts;
    if (flow.ts + flow.duration > p.lastTs) p.lastTs = flow.ts + flow.duration;
    p.connStates[flow.connState] = (p.connStates[flow.connState] ?? 0) + 1;
    p.bytes += flow.origBytes + flow.respBytes;
    addSample(p, flow, this.reasons);
    if (flow.icmp) {
      if (p.icmpReasons === NO_STRINGS) p.icmpReasons = [];
      addCapped(p.icmpReasons, describeIcmpRefusal(flow.icmp), MAX_ICMP_REASONS);
    }
    if (flow.outcome === 'refused' && flow.log?.rule) {
      if (p.denyRules === NO_STRINGS) p.denyRules = [];
      addCapped(p.denyRules, flow.log.rule, MAX_DENY_RULES);
    } else if (flow.outcome === 'refused' && flow.observedBy === 'flowlog') {
      // A firewall DROP with no rule name (Windows Firewall, CSV exports): its reason says who
      // refused it; without it the audit would read the S0 of a deny as "SYN unanswered".
      if (p.icmpReasons === NO_STRINGS) p.icmpReasons = [];
      addCapped(p.icmpReasons, flow.reason, MAX_ICMP_REASONS);
    }
    if (completed + failed > 0) p.timeline.add(flow.ts, completed, failed);
  }

  private mergePair(mine: LivePair, other: PairAggregate): void {
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
    if (other.icmpReasons.length > 0) {
      if (mine.icmpReasons === NO_STRINGS) mine.icmpReasons = [];
      for (const r of other.icmpReasons) addCapped(mine.icmpReasons, r, MAX_ICMP_REASONS);
    }
    if (other.denyRules.length > 0) {
      if (mine.denyRules === NO_STRINGS) mine.denyRules = [];
      for (const r of other.denyRules) addCapped(mine.denyRules, r, MAX_DENY_RULES);
    }
    mine.timeline.merge(other.timeline as TimelineLike);
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
