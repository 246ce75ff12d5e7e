/**
 * The sample policy of pair aggregates: which few flows a pair keeps as evidence. A pure function
 * of the set of flows, decided by a total order (time, then uid, then evidence), so summaries of
 * parts merge exactly (see summary.ts).
 */

import { SAMPLES_PER_AGGREGATE, type FlowSample } from './summary-types.js';
import type { Flow, FlowEvidence, Outcome } from './types.js';

export function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function evidenceNumbers(e: FlowEvidence): [number, number, number, number] {
  return [e.frame ?? -1, e.line ?? -1, e.record ?? -1, e.tuple ?? -1];
}

/** Total order on (time, evidence): earlier first; ties broken by file, then frame/line/record/tuple. */
export function compareEvidence(ta: number, a: FlowEvidence, tb: number, b: FlowEvidence): number {
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

export const OUTCOME_BIT: Record<Outcome, number> = { completed: 1, refused: 2, unanswered: 4, unknown: 8 };

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
 * Adds one flow's sample to a pair's samples: exactly `selectSamples([...list, sampleOf(flow)])`,
 * in place and without building the sample when the policy drops it. `list` is that policy's
 * output, so it is sorted; the flow's sample goes after every sample not above it (stable sort).
 * With SAMPLES_PER_AGGREGATE + 1 candidates, the policy keeps the first of each outcome (at most 4)
 * and fills in time order, so exactly one is dropped: the last candidate whose outcome an earlier
 * candidate already has.
 */
export function addSample(list: FlowSample[], flow: Flow, reasons: Map<string, string>): void {
  let pos = list.length;
  while (pos > 0 && compareFlowToSample(flow, list[pos - 1]) < 0) pos--;
  if (list.length < SAMPLES_PER_AGGREGATE) {
    insertAt(list, pos, sampleOf(flow, reasons));
    return;
  }
  if (pos === list.length) {
    // Later than every sample: dropped unless the first of its outcome.
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

/** Distinct reason texts kept for sharing (see {@link internReason}); beyond it, samples keep their own copy. */
const MAX_INTERNED_REASONS = 20_000;

/**
 * One string per distinct reason text. Readers format a reason per flow (`allowed by NSG rule X;
 * 9 packets sent, 36 back`): without sharing, every sample would hold its own copy.
 */
export function internReason(reasons: Map<string, string>, reason: string): string {
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
