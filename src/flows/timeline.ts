/**
 * The bounded attempts-over-time histogram of a pair aggregate (see Timeline in summary-types.ts).
 *
 * Buckets start at multiples of `width` since the epoch and the width only ever doubles from 1 s, so
 * a coarser timeline is an exact fold of a finer one. The width ends as the smallest power-of-two
 * multiple of 1 s that fits all attempts in {@link MAX_TIMELINE_BUCKETS} buckets, whether the data
 * was added flow by flow or merged from parts: merging is exact.
 *
 * A summary holds one timeline per pair aggregate (tens of thousands, up to 64 buckets each), so the
 * live form is {@link PairTimeline}: one flat number array `[start, completed, failed, start, ...]`
 * (8 bytes per number, no object per bucket) that coarsens in place. Its `buckets` view, the shape
 * the rest of the program reads, is built only when asked for (the audit asks for a few pairs).
 */

import { MAX_TIMELINE_BUCKETS, type Timeline } from './summary-types.js';

/** Initial bucket width: 1 s in microseconds. */
export const TIMELINE_START_WIDTH = 1_000_000;

/** Numbers per bucket in {@link PairTimeline.cells}. */
const STRIDE = 3;

/** A timeline as it travels between threads: `cells` when it came from a PairTimeline (structured clone keeps only own fields). */
export interface TimelineLike {
  width: number;
  cells?: number[];
  buckets?: [number, number, number][];
}

/** The flat cells of any timeline form (a copy when it had to be built). */
function cellsOf(t: TimelineLike): number[] {
  if (t.cells) return t.cells;
  const out: number[] = [];
  for (const b of t.buckets ?? []) out.push(b[0], b[1], b[2]);
  return out;
}

/**
 * The live timeline of one pair aggregate. Implements {@link Timeline}: `buckets` is a fresh array
 * built from the cells on every read (callers own it).
 */
export class PairTimeline implements Timeline {
  /** Bucket width, microseconds. */
  width = TIMELINE_START_WIDTH;
  /** `[start (µs), completed, failed]` per bucket, sorted by start. */
  cells: number[] = [];

  get buckets(): [number, number, number][] {
    const c = this.cells;
    const out: [number, number, number][] = [];
    for (let i = 0; i < c.length; i += STRIDE) out.push([c[i], c[i + 1], c[i + 2]]);
    return out;
  }

  /** Adds `completed` and `failed` attempts at time `ts` (microseconds). */
  add(ts: number, completed: number, failed: number): void {
    const c = this.cells;
    const start = Math.floor(ts / this.width) * this.width;
    const n = c.length / STRIDE;
    // Flows often arrive in time order: check the last bucket before searching.
    let lo = 0;
    let hi = n;
    if (hi > 0 && c[(hi - 1) * STRIDE] <= start) lo = hi - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (c[mid * STRIDE] < start) lo = mid + 1;
      else hi = mid;
    }
    const at = lo * STRIDE;
    if (lo < n && c[at] === start) {
      c[at + 1] += completed;
      c[at + 2] += failed;
      return;
    }
    // Open a gap by hand: Array.prototype.splice costs several times more on arrays this small.
    c.push(0, 0, 0);
    for (let k = c.length - 1; k >= at + STRIDE; k--) c[k] = c[k - STRIDE];
    c[at] = start;
    c[at + 1] = completed;
    c[at + 2] = failed;
    while (c.length > MAX_TIMELINE_BUCKETS * STRIDE) this.coarsen();
  }

  /** Doubles the bucket width, folding neighbours together in place. */
  coarsen(): void {
    this.width *= 2;
    const w = this.width;
    const c = this.cells;
    let out = 0;
    for (let i = 0; i < c.length; i += STRIDE) {
      const s = Math.floor(c[i] / w) * w;
      if (out > 0 && c[out - STRIDE] === s) {
        c[out - STRIDE + 1] += c[i + 1];
        c[out - STRIDE + 2] += c[i + 2];
      } else {
        c[out] = s;
        c[out + 1] = c[i + 1];
        c[out + 2] = c[i + 2];
        out += STRIDE;
      }
    }
    c.length = out;
  }

  /** Folds `other` in (exactly; `other` is not modified). */
  merge(other: TimelineLike): void {
    let o = cellsOf(other);
    if (o.length === 0) {
      while (this.width < other.width) this.coarsen();
      return;
    }
    if (other.width < this.width) {
      const copy = new PairTimeline();
      copy.width = other.width;
      copy.cells = o === other.cells ? o.slice() : o;
      while (copy.width < this.width) copy.coarsen();
      o = copy.cells;
    }
    while (this.width < other.width) this.coarsen();
    const a = this.cells;
    const merged: number[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length || j < o.length) {
      if (j >= o.length || (i < a.length && a[i] < o[j])) {
        merged.push(a[i], a[i + 1], a[i + 2]);
        i += STRIDE;
      } else if (i >= a.length || o[j] < a[i]) {
        merged.push(o[j], o[j + 1], o[j + 2]);
        j += STRIDE;
      } else {
        merged.push(a[i], a[i + 1] + o[j + 1], a[i + 2] + o[j + 2]);
        i += STRIDE;
        j += STRIDE;
      }
    }
    this.cells = merged;
    while (this.cells.length > MAX_TIMELINE_BUCKETS * STRIDE) this.coarsen();
  }

  /** A live copy of any timeline form. */
  static from(t: TimelineLike): PairTimeline {
    const copy = new PairTimeline();
    copy.width = t.width;
    copy.cells = t.cells ? t.cells.slice() : cellsOf(t);
    return copy;
  }
}

/** A plain deep copy ({ width, buckets }) of any timeline form. */
export function copyTimeline(t: Timeline): Timeline {
  return { width: t.width, buckets: t.buckets.map((x) => [x[0], x[1], x[2]]) };
}
