/**
 * The sample policy of pair aggregates: which few flows a pair keeps as evidence. A pure function
 * of the set of flows, decided by a total order (time, then uid, then evidence), so summaries of
 * parts merge exactly (see summary.ts).
 */

import { SAMPLES_PER_AGGREGATE, type FlowSample } from './summary-types.js';
import type { ConnState, Flow, FlowEvidence, Outcome } from './types.js';

/** Every conn_state, in the order of their codes in {@link SampleColumns} and pair rows. */
export const CONN_STATES: readonly ConnState[] = ['S0', 'S1', 'SF', 'REJ', 'S2', 'S3', 'RSTO', 'RSTR', 'RSTOS0', 'RSTRH', 'SH', 'SHR', 'OTH'];
export const CONN_STATE_INDEX = Object.fromEntries(CONN_STATES.map((s, i) => [s, i])) as Record<ConnState, number>;
/**
 * The code of a conn_state (its index in {@link CONN_STATES}), for the per-flow path: a switch on
 * the constant strings rather than a keyed lookup on an object; -1 for a value not in the list.
 */
export function connStateCode(state: ConnState): number {
  switch (state) {
    case 'S0':
      return 0;
    case 'S1':
      return 1;
    case 'SF':
      return 2;
    case 'REJ':
      return 3;
    case 'S2':
      return 4;
    case 'S3':
      return 5;
    case 'RSTO':
      return 6;
    case 'RSTR':
      return 7;
    case 'RSTOS0':
      return 8;
    case 'RSTRH':
      return 9;
    case 'SH':
      return 10;
    case 'SHR':
      return 11;
    case 'OTH':
      return 12;
    default:
      return -1;
  }
}
/** Every outcome, in the order of their codes (bit 1 << code in an outcome mask). */
export const OUTCOMES: readonly Outcome[] = ['completed', 'refused', 'unanswered', 'unknown'];

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

/** Distinct reason texts kept for sharing (see {@link internReason}); beyond it, samples keep their own copy. */
const MAX_INTERNED_REASONS = 20_000;

/**
 * One string per distinct reason text. Readers format a reason per flow (`allowed by NSG rule X;
 * 9 packets sent, 36 back`): without sharing, every sample would hold its own copy.
 */
export function internReason(reasons: Map<string, string>, reason: string): string {
  // The size is read on every call, not only for a new text: a read that first runs minutes into a
  // capture (its first new reason) threw away the optimised fold around it.
  const room = reasons.size < MAX_INTERNED_REASONS;
  const known = reasons.get(reason);
  if (known !== undefined) return known;
  if (room) reasons.set(reason, reason);
  return reason;
}


/** Numbers per sample slot in {@link SampleColumns.nums}: ts, origP, frame, line, record, tuple (NaN: absent). */
export const SN = 6;

/** Positions in a pair's block of slots (slot j is position j % SLOT_BLOCK of block j / SLOT_BLOCK). */
const SLOT_BLOCK = SAMPLES_PER_AGGREGATE;

/**
 * An empty array that already holds any value kind. A `[]` starts as an array of small integers
 * and changes its hidden class at its first string; the columns at positions a pair's later samples
 * use stay empty for long, and their first write, minutes into a capture, threw away the
 * optimised code that reads the columns.
 */
function emptyObjectArray<T>(): T[] {
  const list: T[] = [];
  list.push(undefined as T);
  list.length = 0;
  return list;
}

/**
 * One string column of {@link SampleColumns}, kept by position in the block: one array per
 * position, indexed by block. A pair table gives each pair a block of SAMPLES_PER_AGGREGATE slots,
 * and most pairs of a capture never get a second sample: their first samples fill one dense array
 * in pair order (each new pair appends to it) instead of every fifth element of an array five
 * times longer, whose stores past the end and regrowth cost a capture with one pair per flow.
 * A slot never written reads as undefined.
 */
class SlotStrings<T extends string | undefined> {
  private readonly byPosition: T[][] = Array.from({ length: SLOT_BLOCK }, () => emptyObjectArray<T>());

  get(j: number): T {
    const k = j % SLOT_BLOCK;
    return this.byPosition[k][(j - k) / SLOT_BLOCK];
  }

  set(j: number, value: T): void {
    const k = j % SLOT_BLOCK;
    const list = this.byPosition[k];
    const at = (j - k) / SLOT_BLOCK;
    // Filled up to `at` first: a write far past the end would turn the array into a slow dictionary.
    // Up to and with `at`: the common append (a new pair's first sample) goes through the same push
    // as the rare fill, so V8 knows that push before it optimises this (a push first run minutes
    // into a capture threw the optimised fold away).
    while (list.length <= at) list.push(undefined as T);
    list[at] = value;
  }

  /** Like {@link set}, but an undefined value is not written to a slot that reads undefined anyway. */
  setIfAny(j: number, value: T): void {
    if (value !== undefined || this.get(j) !== undefined) this.set(j, value);
  }
}

/**
 * Samples in columns, by slot: numbers in one Float64Array, conn_state and outcome codes in a
 * Uint8Array, and the strings (file, reason, rule, uid) in columns of references to shared strings
 * (see SlotStrings). A summary's ~5 samples per pair as objects took ~250 bytes each (object,
 * property store, boxed time); here ~110, with no object per sample for the collector to trace.
 */
export class SampleColumns {
  nums: Float64Array;
  /** Per slot: conn_state code, outcome code. */
  codes: Uint8Array;
  readonly files = new SlotStrings<string>();
  readonly reasons = new SlotStrings<string>();
  /** Most samples have no rule (captures never do): then the column is not written at all. */
  readonly rules = new SlotStrings<string | undefined>();
  readonly uids = new SlotStrings<string>();

  constructor(slots: number) {
    this.nums = new Float64Array(slots * SN);
    this.codes = new Uint8Array(slots * 2);
    this.ensure(slots);
  }

  /**
   * Room for `slots` slots: the typed arrays are replaced by larger ones when needed. The string
   * columns grow as slots are written (a slot never written reads as undefined), so a new pair costs
   * no per-slot fill.
   */
  ensure(slots: number): void {
    if (this.nums.length < slots * SN) {
      const nums = new Float64Array(slots * SN);
      nums.set(this.nums);
      this.nums = nums;
      const codes = new Uint8Array(slots * 2);
      codes.set(this.codes);
      this.codes = codes;
    }
  }

  /** Slot `to` := slot `from` of `src`. */
  copy(to: number, src: SampleColumns, from: number): void {
    const a = to * SN;
    const b = from * SN;
    const n = this.nums;
    const m = src.nums;
    n[a] = m[b];
    n[a + 1] = m[b + 1];
    n[a + 2] = m[b + 2];
    n[a + 3] = m[b + 3];
    n[a + 4] = m[b + 4];
    n[a + 5] = m[b + 5];
    this.codes[2 * to] = src.codes[2 * from];
    this.codes[2 * to + 1] = src.codes[2 * from + 1];
    this.files.set(to, src.files.get(from));
    this.reasons.set(to, src.reasons.get(from));
    this.rules.setIfAny(to, src.rules.get(from));
    this.uids.set(to, src.uids.get(from));
  }

  /** Slot `j` := the sample of `flow` (outcome code `outcome`); `reasons` shares reason texts. */
  setFlow(j: number, flow: Flow, outcome: number, reasons: Map<string, string>): void {
    const a = j * SN;
    const n = this.nums;
    const e = flow.evidence;
    n[a] = flow.ts;
    n[a + 1] = flow.origP;
    n[a + 2] = e.frame ?? NaN;
    n[a + 3] = e.line ?? NaN;
    n[a + 4] = e.record ?? NaN;
    n[a + 5] = e.tuple ?? NaN;
    this.codes[2 * j] = Math.max(0, connStateCode(flow.connState));
    this.codes[2 * j + 1] = outcome;
    this.files.set(j, e.file);
    this.reasons.set(j, internReason(reasons, flow.reason));
    this.rules.setIfAny(j, flow.log?.rule);
    this.uids.set(j, flow.uid);
  }

  /** Slot `j` := `s`. */
  setSample(j: number, s: FlowSample): void {
    const a = j * SN;
    const n = this.nums;
    n[a] = s.ts;
    n[a + 1] = s.origP;
    n[a + 2] = s.frame ?? NaN;
    n[a + 3] = s.line ?? NaN;
    n[a + 4] = s.record ?? NaN;
    n[a + 5] = s.tuple ?? NaN;
    this.codes[2 * j] = CONN_STATE_INDEX[s.connState];
    this.codes[2 * j + 1] = OUTCOMES.indexOf(s.outcome);
    this.files.set(j, s.file);
    this.reasons.set(j, s.reason);
    this.rules.setIfAny(j, s.rule);
    this.uids.set(j, s.uid);
  }

  /** Whether slot `j`'s sample came from a capture (it has a frame number). */
  hasFrame(j: number): boolean {
    const frame = this.nums[j * SN + 2];
    return frame === frame; // NaN: absent
  }

  /** Slot `j` as a sample object (a new one). */
  toSample(j: number): FlowSample {
    const a = j * SN;
    const n = this.nums;
    const s: FlowSample = {
      file: this.files.get(j),
      uid: this.uids.get(j),
      ts: n[a],
      origP: n[a + 1],
      connState: CONN_STATES[this.codes[2 * j]],
      outcome: OUTCOMES[this.codes[2 * j + 1]],
      reason: this.reasons.get(j),
    };
    if (n[a + 2] === n[a + 2]) s.frame = n[a + 2];
    if (n[a + 3] === n[a + 3]) s.line = n[a + 3];
    if (n[a + 4] === n[a + 4]) s.record = n[a + 4];
    if (n[a + 5] === n[a + 5]) s.tuple = n[a + 5];
    const rule = this.rules.get(j);
    if (rule !== undefined) s.rule = rule;
    return s;
  }
}

/** An evidence number for comparison: absent (NaN) counts as -1, as in {@link compareEvidence}. */
function ev(x: number): number {
  return x === x ? x : -1;
}

/** compareSamples(slot i of `a`, slot j of `b`). */
export function compareSlots(a: SampleColumns, i: number, b: SampleColumns, j: number): number {
  const x = a.nums;
  const y = b.nums;
  const p = i * SN;
  const q = j * SN;
  if (x[p] !== y[q]) return x[p] - y[q];
  const u = cmpStr(a.uids.get(i), b.uids.get(j));
  if (u !== 0) return u;
  const f = cmpStr(a.files.get(i), b.files.get(j));
  if (f !== 0) return f;
  for (let k = 2; k < SN; k++) {
    const d = ev(x[p + k]) - ev(y[q + k]);
    if (d !== 0) return d;
  }
  return 0;
}

/** compareSamples(sample of `flow`, slot j of `c`) without building the sample. */
function compareFlowToSlot(flow: Flow, c: SampleColumns, j: number): number {
  const y = c.nums;
  const q = j * SN;
  if (flow.ts !== y[q]) return flow.ts - y[q];
  const u = cmpStr(flow.uid, c.uids.get(j));
  if (u !== 0) return u;
  const e = flow.evidence;
  const f = cmpStr(e.file, c.files.get(j));
  if (f !== 0) return f;
  return (
    (e.frame ?? -1) - ev(y[q + 2]) ||
    (e.line ?? -1) - ev(y[q + 3]) ||
    (e.record ?? -1) - ev(y[q + 4]) ||
    (e.tuple ?? -1) - ev(y[q + 5])
  );
}

/**
 * Adds one flow's sample (outcome code `outcome`) to the `n` samples in slots base .. base + n - 1
 * of `c`: exactly `selectSamples([...samples, the sample of flow])`, in place and without touching a
 * slot when the policy drops it. The slots hold that policy's output, so they are sorted; the
 * flow's sample goes after every sample not above it (stable sort). With SAMPLES_PER_AGGREGATE + 1
 * candidates, the policy keeps the first of each outcome (at most 4) and fills in time order, so
 * exactly one is dropped: the last candidate whose outcome an earlier candidate already has.
 * Returns the new number of samples.
 */
export function addSampleToSlots(
  c: SampleColumns,
  base: number,
  n: number,
  flow: Flow,
  outcome: number,
  reasons: Map<string, string>,
): number {
  let pos = n;
  while (pos > 0 && compareFlowToSlot(flow, c, base + pos - 1) < 0) pos--;
  const codes = c.codes;
  if (n < SAMPLES_PER_AGGREGATE) {
    for (let k = n; k > pos; k--) c.copy(base + k, c, base + k - 1);
    c.setFlow(base + pos, flow, outcome, reasons);
    return n + 1;
  }
  if (pos === n) {
    // Later than every sample: dropped unless the first of its outcome.
    for (let k = 0; k < pos; k++) if (codes[2 * (base + k) + 1] === outcome) return n;
  }
  // Candidate k of the virtual sorted list: slot k before pos, the flow at pos, slot k - 1 after.
  let seen = 0;
  let drop = -1;
  for (let k = 0; k <= n; k++) {
    const bit = 1 << (k < pos ? codes[2 * (base + k) + 1] : k === pos ? outcome : codes[2 * (base + k - 1) + 1]);
    if (seen & bit) drop = k;
    else seen |= bit;
  }
  if (drop === pos) return n;
  // Remove the dropped sample and place the new one, shifting only what lies between.
  if (drop < pos) {
    for (let k = drop; k < pos - 1; k++) c.copy(base + k, c, base + k + 1);
    c.setFlow(base + pos - 1, flow, outcome, reasons);
  } else {
    for (let k = drop - 1; k > pos; k--) c.copy(base + k, c, base + k - 1);
    c.setFlow(base + pos, flow, outcome, reasons);
  }
  return n;
}

/**
 * {@link selectSamples} on the `n` candidates in slots 0 .. n - 1 of `cand` (in that order for
 * ties, as a stable sort keeps them), writing the chosen ones, sorted, to slots `base` .. of
 * `out`. Returns how many were chosen.
 */
export function selectSlots(cand: SampleColumns, n: number, out: SampleColumns, base: number): number {
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    // Insertion sort: stable, and the lists are short.
    let k = order.length;
    while (k > 0 && compareSlots(cand, order[k - 1], cand, i) > 0) k--;
    order.splice(k, 0, i);
  }
  const chosen = new Uint8Array(n);
  let count = 0;
  let seen = 0;
  for (const i of order) {
    if (count >= SAMPLES_PER_AGGREGATE) break;
    const bit = 1 << cand.codes[2 * i + 1];
    if (!(seen & bit)) {
      seen |= bit;
      chosen[i] = 1;
      count++;
    }
  }
  for (const i of order) {
    if (count >= SAMPLES_PER_AGGREGATE) break;
    if (!chosen[i]) {
      chosen[i] = 1;
      count++;
    }
  }
  let k = 0;
  for (const i of order) if (chosen[i]) out.copy(base + k++, cand, i);
  return k;
}
