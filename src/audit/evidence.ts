/**
 * Evidence and timelines for findings, built from pair aggregates (never from raw flows).
 */
import type { FlowSample, PairAggregate, Timeline } from '../flows/summary-types.js';
import { MAX_TIMELINE_BUCKETS } from '../flows/summary-types.js';
import type { Outcome } from '../flows/types.js';
import type { EvidenceRef } from './types.js';

/** Evidence items per finding or unexpected flow. */
export const EVIDENCE_PER_FINDING = 5;

/** Failures first: they are what a person opens the capture for. */
const OUTCOME_RANK: Record<Outcome, number> = { refused: 0, unanswered: 1, unknown: 2, completed: 3 };

/** One sample as report evidence. */
export function evidenceFromSample(agg: PairAggregate, s: FlowSample): EvidenceRef {
  const ref: EvidenceRef = {
    file: s.file,
    ts: s.ts,
    conn_state: s.connState,
    outcome: s.outcome,
    reason: s.reason,
    src_port: s.origP,
    dst_port: agg.respP,
    transport: agg.proto,
    uid: s.uid,
  };
  if (s.frame !== undefined) ref.frame = s.frame;
  if (s.line !== undefined) ref.line = s.line;
  if (s.record !== undefined) ref.record = s.record;
  if (s.tuple !== undefined) ref.tuple = s.tuple;
  return ref;
}

/**
 * Up to `limit` evidence items from the aggregates' samples: refused, then unanswered, then
 * undetermined, then completed flows; earliest first within each; one per flow uid.
 */
export function pickEvidence(aggs: readonly PairAggregate[], limit = EVIDENCE_PER_FINDING): EvidenceRef[] {
  const all: EvidenceRef[] = [];
  for (const a of aggs) for (const s of a.samples) all.push(evidenceFromSample(a, s));
  all.sort(
    (x, y) =>
      OUTCOME_RANK[x.outcome] - OUTCOME_RANK[y.outcome] ||
      x.ts - y.ts ||
      (x.uid < y.uid ? -1 : x.uid > y.uid ? 1 : 0),
  );
  const seen = new Set<string>();
  const out: EvidenceRef[] = [];
  for (const e of all) {
    if (out.length >= limit) break;
    if (seen.has(e.uid)) continue;
    seen.add(e.uid);
    out.push(e);
  }
  return out;
}

/** True when any sample came from a packet capture (it has a frame number). */
export function seenInCapture(aggs: Iterable<PairAggregate>): boolean {
  for (const a of aggs) for (const s of a.samples) if (s.frame !== undefined) return true;
  return false;
}

const DEFAULT_TIMELINE_WIDTH = 1_000_000;

/**
 * Sums timelines. Each is first brought to the widest width among them (bucket starts are multiples of
 * the width since the epoch, so re-bucketing is exact for the doubling widths FlowSummary uses); the
 * width keeps doubling while the result has more than {@link MAX_TIMELINE_BUCKETS} buckets.
 */
export function mergeTimelines(timelines: readonly Timeline[]): Timeline {
  let width = DEFAULT_TIMELINE_WIDTH;
  let any = false;
  for (const t of timelines) {
    if (t.buckets.length === 0) continue;
    width = any ? Math.max(width, t.width) : t.width;
    any = true;
  }
  if (!any) return { width, buckets: [] };
  for (;;) {
    const sums = new Map<number, [number, number, number]>();
    for (const t of timelines) {
      for (const [start, completed, failed] of t.buckets) {
        const s = Math.floor(start / width) * width;
        const b = sums.get(s);
        if (b) {
          b[1] += completed;
          b[2] += failed;
        } else sums.set(s, [s, completed, failed]);
      }
    }
    if (sums.size <= MAX_TIMELINE_BUCKETS) {
      return { width, buckets: [...sums.values()].sort((a, b) => a[0] - b[0]) };
    }
    width *= 2;
  }
}
