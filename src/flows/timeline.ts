/**
 * The bounded attempts-over-time histogram of a pair aggregate (see Timeline in summary-types.ts).
 *
 * Buckets start at multiples of `width` since the epoch and the width only ever doubles from 1 s, so
 * a coarser timeline is an exact fold of a finer one. The width ends as the smallest power-of-two
 * multiple of 1 s that fits all attempts in {@link MAX_TIMELINE_BUCKETS} buckets, whether the data
 * was added flow by flow or merged from parts: merging is exact.
 */

import { MAX_TIMELINE_BUCKETS, type Timeline } from './summary-types.js';

/** Initial bucket width: 1 s in microseconds. */
export const TIMELINE_START_WIDTH = 1_000_000;

/** An empty timeline. */
export function newTimeline(): Timeline {
  return { width: TIMELINE_START_WIDTH, buckets: [] };
}

function bucketStart(ts: number, width: number): number {
  return Math.floor(ts / width) * width;
}

/** Adds `completed` and `failed` attempts at time `ts` (microseconds). */
export function addToTimeline(t: Timeline, ts: number, completed: number, failed: number): void {
  const start = bucketStart(ts, t.width);
  const b = t.buckets;
  // Flows arrive mostly in time order: check the last bucket before searching.
  let lo = 0;
  let hi = b.length;
  if (hi > 0 && b[hi - 1][0] <= start) lo = hi - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (b[mid][0] < start) lo = mid + 1;
    else hi = mid;
  }
  if (lo < b.length && b[lo][0] === start) {
    b[lo][1] += completed;
    b[lo][2] += failed;
  } else {
    b.splice(lo, 0, [start, completed, failed]);
    // coarsen() replaces t.buckets, so test the live array, not `b`.
    while (t.buckets.length > MAX_TIMELINE_BUCKETS) coarsen(t);
  }
}

/** Doubles the bucket width, folding neighbours together. */
function coarsen(t: Timeline): void {
  t.width *= 2;
  const out: [number, number, number][] = [];
  for (const [start, c, f] of t.buckets) {
    const s = bucketStart(start, t.width);
    const last = out[out.length - 1];
    if (last && last[0] === s) {
      last[1] += c;
      last[2] += f;
    } else {
      out.push([s, c, f]);
    }
  }
  t.buckets = out;
}

/** Folds timeline `other` into `t` (exactly; `other` is not modified). */
export function mergeTimeline(t: Timeline, other: Timeline): void {
  const o: Timeline = { width: other.width, buckets: other.buckets.map((x) => [x[0], x[1], x[2]]) };
  while (t.width < o.width) coarsen(t);
  while (o.width < t.width) coarsen(o);
  const merged: [number, number, number][] = [];
  let i = 0;
  let j = 0;
  const a = t.buckets;
  const b = o.buckets;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i][0] < b[j][0])) merged.push(a[i++]);
    else if (i >= a.length || b[j][0] < a[i][0]) merged.push(b[j++]);
    else {
      merged.push([a[i][0], a[i][1] + b[j][1], a[i][2] + b[j][2]]);
      i++;
      j++;
    }
  }
  t.buckets = merged;
  while (t.buckets.length > MAX_TIMELINE_BUCKETS) coarsen(t);
}

/** A deep copy. */
export function copyTimeline(t: Timeline): Timeline {
  return { width: t.width, buckets: t.buckets.map((x) => [x[0], x[1], x[2]]) };
}
