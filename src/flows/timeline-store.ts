/**
 * The attempts-over-time histograms of every pair aggregate of a summary, in one pool of typed
 * arrays (see Timeline in summary-types.ts for the semantics, timeline.ts for the one-object form).
 *
 * A summary holds tens of thousands of timelines of up to MAX_TIMELINE_BUCKETS buckets each; as
 * one JS array per pair they took ~2 KB a pair (24 bytes a bucket plus array slack) and made up
 * half of a summary's heap. Here a bucket is 8 bytes: its start in seconds in a Uint32Array and
 * its two counts in a Uint16Array (a bucket rarely holds more than a few attempts). Each array is
 * widened, once for the whole store, if a value ever does not fit: counts to a Uint32Array past
 * 2^16 - 1 and to a Float64Array past 2^32 - 1; starts to a Float64Array before 1970, after 2106,
 * or not a whole second (starts are then kept in microseconds). Each timeline owns a block of 2^k
 * buckets; blocks grow by moving to the next size and freed blocks are reused. When the pool is
 * full it is compacted in place if enough of it is free, else grown fourfold (see {@link grow}),
 * with no second copy of the pool kept. The pool's arrays can be handed to another thread as
 * transferables (see {@link TimelineStore.exportData}).
 *
 * Buckets start at multiples of `width` since the epoch and widths only double from 1 s, so the
 * result does not depend on the order attempts are added or timelines merged (exact; the width is
 * the smallest doubling of 1 s at which every attempt fits in MAX_TIMELINE_BUCKETS buckets).
 */

import { MAX_TIMELINE_BUCKETS, type Timeline } from './summary-types.js';
import { TIMELINE_START_WIDTH } from './timeline.js';

/**
 * Numbers per timeline in `meta`: width (µs), bucket count, block offset (buckets), block size
 * class, and the last bucket's start (as in `starts`; -Infinity when there is none) and counts (a
 * copy: the pool is written through). With the last bucket here, the common attempt (in the last
 * bucket, or after it) is placed without reading the pool, only writing it: on a summary of tens
 * of thousands of pairs those reads were two cache misses per flow.
 *
 * A timeline of at most one bucket has no block (offset and class {@link NO_BLOCK}): that bucket is
 * the last one, whole in `meta`. Most pairs of a large capture or log have one flow, or all their
 * flows within a second; a block each cost them an allocation and writes to two more arrays
 * (~0.5 µs a pair). A timeline gets its block at its second bucket, or when the pool must be read
 * (see {@link TimelineStore.materialize}).
 */
const META = 7;
const M_WIDTH = 0;
const M_LEN = 1;
const M_OFF = 2;
const M_CLASS = 3;
const M_LAST = 4;
const M_LAST_COMPLETED = 5;
const M_LAST_FAILED = 6;
/** Offset and class of a timeline without a block (see META). */
const NO_BLOCK = -1;

/** Size classes: a block of class k holds 2^k buckets; the largest holds MAX_TIMELINE_BUCKETS. */
const MAX_CLASS = Math.ceil(Math.log2(MAX_TIMELINE_BUCKETS));

const MAX_U32 = 0xffffffff;

/** Bucket counts: widened from 16 to 32 bits, and then to doubles, as values need. */
type Counts = Uint16Array | Uint32Array | Float64Array;

/** The largest count `c` holds. */
function countLimit(c: Counts): number {
  return c instanceof Uint16Array ? 0xffff : c instanceof Uint32Array ? MAX_U32 : Infinity;
}

/** Microseconds per unit of a start in a Uint32Array pool (starts are whole seconds there). */
const SECOND = 1_000_000;

/** A store's arrays as they travel between threads (all transferable). */
export interface TimelineStoreData {
  /** Timelines in the store. */
  count: number;
  /** Per timeline: width, bucket count, block offset, size class. */
  meta: Float64Array;
  /** Bucket starts, by block, in units of `unit` µs. */
  starts: Uint32Array | Float64Array;
  /** Microseconds per unit of `starts`: 1e6 (whole seconds, Uint32Array) or 1 (Float64Array). */
  unit: number;
  /** Per bucket: completed, failed. */
  counts: Counts;
}

/** One timeline of a store, read through the store (the shape the audit reads). */
export class StoredTimeline implements Timeline {
  constructor(
    private readonly store: TimelineStore,
    private readonly id: number,
  ) {}

  get width(): number {
    return this.store.widthOf(this.id);
  }

  /** A fresh array on every read (callers own it). */
  get buckets(): [number, number, number][] {
    return this.store.bucketsOf(this.id);
  }

  /**
   * Plain data for JSON.stringify, which reads own properties only (the fields here are getters).
   * A structured clone does not call it: it would copy the store behind the timeline and none of
   * the fields; a store goes to another thread as {@link TimelineStore.exportData}.
   */
  toJSON(): Timeline {
    return { width: this.width, buckets: this.buckets };
  }
}

export class TimelineStore {
  private count = 0;
  private meta: Float64Array = new Float64Array(META * 64);
  /** Bucket starts in units of `unit` µs (see the module comment). */
  private starts: Uint32Array | Float64Array = new Uint32Array(256);
  private unit = SECOND;
  private counts: Counts = new Uint16Array(512);
  /** countLimit(counts). */
  private countMax = 0xffff;
  /** Buckets of the pool handed out so far (blocks in use or free). */
  private used = 0;
  /** Offsets of free blocks, per size class. */
  private free: number[][] = Array.from({ length: MAX_CLASS + 1 }, () => []);
  /**
   * Buckets in blocks in use (the rest of `used` is free blocks). Counted as blocks are handed out
   * and given back, not as free blocks are reused: a count on that path, first taken minutes into
   * a capture, threw away the optimised code that allocates (the pair table's insert).
   */
  private liveBuckets = 0;
  private scratch: MergeScratch = emptyScratch();
  /** A bucket without a block, as (start, completed, failed), for {@link mergeFrom}; and its counts. */
  private readonly oneBucket = new Float64Array(3);
  private readonly oneBucketCounts = this.oneBucket.subarray(1);

  /** Timelines in the store; ids are 0 .. size - 1 in creation order. */
  get size(): number {
    return this.count;
  }

  /**
   * Room for `timelines` timelines in all, so that creating them does not grow `meta` step by step
   * (the pair table calls this when it grows). The pool is not grown: a first bucket needs none.
   */
  reserve(timelines: number): void {
    if (this.meta.length < timelines * META) {
      const meta = new Float64Array(timelines * META);
      meta.set(this.meta);
      this.meta = meta;
    }
  }

  /** A new empty timeline (width 1 s, no block); returns its id. */
  create(): number {
    const id = this.count++;
    if (this.meta.length < this.count * META) this.meta = grow(this.meta, this.count * META);
    const m = id * META;
    this.meta[m + M_WIDTH] = TIMELINE_START_WIDTH;
    this.meta[m + M_LEN] = 0;
    this.meta[m + M_OFF] = NO_BLOCK;
    this.meta[m + M_CLASS] = NO_BLOCK;
    this.meta[m + M_LAST] = -Infinity;
    return id;
  }

  widthOf(id: number): number {
    return this.meta[id * META + M_WIDTH];
  }

  bucketsOf(id: number): [number, number, number][] {
    const m = id * META;
    const len = this.meta[m + M_LEN];
    const off = this.meta[m + M_OFF];
    const out: [number, number, number][] = [];
    if (off === NO_BLOCK) {
      if (len === 1) out.push([this.meta[m + M_LAST] * this.unit, this.meta[m + M_LAST_COMPLETED], this.meta[m + M_LAST_FAILED]]);
      return out;
    }
    for (let i = off; i < off + len; i++) out.push([this.starts[i] * this.unit, this.counts[2 * i], this.counts[2 * i + 1]]);
    return out;
  }

  /** Adds `completed` and `failed` attempts at time `ts` (microseconds) to timeline `id`. */
  add(id: number, ts: number, completed: number, failed: number): void {
    const meta = this.meta;
    const m = id * META;
    for (;;) {
      const width = meta[m + M_WIDTH];
      const len = meta[m + M_LEN];
      const off = meta[m + M_OFF];
      let start = Math.floor(ts / width) * width / this.unit;
      if (this.unit !== 1 && start !== start >>> 0) {
        this.widenStarts();
        start = Math.floor(ts / width) * width;
      }
      // Where the bucket of `start` is, or goes. Flows often arrive in time order: in or after the
      // last bucket (known from the meta copy, without reading the pool); else a binary search.
      const last = meta[m + M_LAST];
      let at: number;
      let found: boolean;
      if (start >= last) {
        found = start === last;
        at = len - (found ? 1 : 0); // one subtraction for both, not one run only for a repeat
      } else {
        // Before the last bucket, so there is one: read from the pool, where it must be.
        if (off === NO_BLOCK) {
          this.materialize(id);
          continue;
        }
        const starts = this.starts;
        let lo = off;
        let hi = off + len - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (starts[mid] < start) lo = mid + 1;
          else hi = mid;
        }
        found = lo < off + len && starts[lo] === start;
        at = lo - off;
      }
      if (!found) {
        if (len >= MAX_TIMELINE_BUCKETS) {
          // Full: coarsening first and then placing the attempt gives the same timeline as placing it
          // and coarsening (folding is exact), without ever needing a block above the largest class.
          this.coarsen(id, this.doublingsToFit(id, start, off + at));
          continue;
        }
        this.insertEmpty(id, at, start);
      }
      // One path for a new bucket and an existing one, a pair's first flow and its later ones: V8
      // optimises the fold on a capture's first flows, and a path first taken minutes later (a
      // pair's second flow, in a capture where most pairs have one) threw that code away.
      this.addAt(id, at, completed, failed);
      return;
    }
  }

  /**
   * How many doublings of full timeline `id`'s width it takes for its buckets and a new one at
   * `start` (not among them; it would go at position `at` of the pool) to fit in
   * MAX_TIMELINE_BUCKETS: what doubling one step at a time and retrying reaches, found in one pass
   * instead of one pass per doubling (attempts hours apart in a 1 s timeline took a dozen). Buckets
   * only ever merge as the width doubles, so that is the fewest doublings at which two neighbours
   * (in start order) share a bucket; starts that are q1 and q2 widths from the epoch share one
   * from the doubling that clears the highest bit in which q1 and q2 differ. Returns 1 (one step)
   * when a start is too far from the epoch for 32-bit arithmetic.
   */
  private doublingsToFit(id: number, start: number, at: number): number {
    const meta = this.meta;
    const m = id * META;
    const w = meta[m + M_WIDTH];
    const off = meta[m + M_OFF];
    const end = off + meta[m + M_LEN];
    const u = this.unit;
    const s = this.starts;
    const q = (start * u) / w;
    if (q !== (q | 0)) return 1;
    let fewest = 32;
    if (at > off) fewest = Math.min(fewest, highestDifferingBit((s[at - 1] * u) / w, q));
    if (at < end) fewest = Math.min(fewest, highestDifferingBit(q, (s[at] * u) / w));
    let prev = (s[off] * u) / w;
    if (prev !== (prev | 0)) return 1;
    for (let i = off + 1; i < end; i++) {
      const next = (s[i] * u) / w;
      if (next !== (next | 0)) return 1;
      fewest = Math.min(fewest, highestDifferingBit(prev, next));
      prev = next;
    }
    return fewest >= 32 ? 1 : Math.max(1, fewest);
  }

  /**
   * Folds `n` buckets of another timeline of width `width` into timeline `id` (exactly); the
   * source arrays are only read. `starts[from + i]` and `counts[2 * (from + i)]`, `counts[2 * (from + i) + 1]`.
   */
  mergeBuckets(
    id: number,
    width: number,
    starts: ArrayLike<number>,
    counts: ArrayLike<number>,
    from: number,
    n: number,
    unit = 1,
  ): void {
    const m = id * META;
    const meta = this.meta;
    this.materialize(id);
    while (meta[m + M_WIDTH] < width) this.coarsen(id, 1);
    const w = meta[m + M_WIDTH];
    const len = meta[m + M_LEN];
    const off = meta[m + M_OFF];
    // The other side brought to width w (it is never wider than w here), in µs; then the two
    // merged. In scratch arrays: a worker's summary is merged a timeline at a time, tens of
    // thousands of them, and arrays per call made the merge's garbage.
    const sc = this.mergeScratch(len + n);
    const { os, oc, of, ms, mc, mf } = sc;
    let no = 0;
    for (let i = from; i < from + n; i++) {
      const s = Math.floor((starts[i] * unit) / w) * w;
      if (no > 0 && os[no - 1] === s) {
        oc[no - 1] += counts[2 * i];
        of[no - 1] += counts[2 * i + 1];
      } else {
        os[no] = s;
        oc[no] = counts[2 * i];
        of[no] = counts[2 * i + 1];
        no++;
      }
    }
    if (no === 0) return;
    const u = this.unit;
    const st = this.starts;
    const c = this.counts;
    let nm = 0;
    let i = off;
    let j = 0;
    while (i < off + len || j < no) {
      if (j >= no || (i < off + len && st[i] * u < os[j])) {
        ms[nm] = st[i] * u;
        mc[nm] = c[2 * i];
        mf[nm] = c[2 * i + 1];
        i++;
      } else if (i >= off + len || os[j] < st[i] * u) {
        ms[nm] = os[j];
        mc[nm] = oc[j];
        mf[nm] = of[j];
        j++;
      } else {
        ms[nm] = os[j];
        mc[nm] = c[2 * i] + oc[j];
        mf[nm] = c[2 * i + 1] + of[j];
        i++;
        j++;
      }
      nm++;
    }
    let width2 = w;
    while (nm > MAX_TIMELINE_BUCKETS) {
      width2 *= 2;
      nm = foldInPlace(ms, mc, mf, nm, width2);
    }
    this.setBuckets(id, width2, ms, mc, mf, nm);
  }

  /** Scratch columns for {@link mergeBuckets} with room for `n` buckets (reused from call to call). */
  private mergeScratch(n: number): MergeScratch {
    if (this.scratch.os.length < n) {
      const size = Math.max(n, 2 * MAX_TIMELINE_BUCKETS);
      this.scratch = {
        os: new Float64Array(size),
        oc: new Float64Array(size),
        of: new Float64Array(size),
        ms: new Float64Array(size),
        mc: new Float64Array(size),
        mf: new Float64Array(size),
      };
    }
    return this.scratch;
  }

  /**
   * Takes over another store's arrays (an empty store only; `d` must not be used again): timeline
   * i of `d` becomes timeline i here, without copying a bucket.
   */
  adopt(d: TimelineStoreData): void {
    if (this.count !== 0) throw new Error('TimelineStore.adopt: the store is not empty');
    this.count = d.count;
    this.meta = d.meta;
    this.starts = d.starts;
    this.unit = d.unit;
    this.counts = d.counts;
    this.countMax = countLimit(d.counts);
    let live = 0;
    let end = 0;
    for (let id = 0; id < d.count; id++) {
      const m = id * META;
      if (d.meta[m + M_OFF] === NO_BLOCK) continue;
      live += 1 << d.meta[m + M_CLASS];
      end = Math.max(end, d.meta[m + M_OFF] + (1 << d.meta[m + M_CLASS]));
    }
    // Free blocks of the other store are not known here: count them as free space, reclaimed by the next compaction.
    this.used = end;
    this.liveBuckets = live;
  }

  /** Folds timeline `other` of `src` into timeline `id` of this store. */
  mergeFrom(id: number, src: TimelineStoreData, other: number): void {
    const m = other * META;
    const meta = src.meta;
    if (meta[m + M_OFF] === NO_BLOCK) {
      // Its one bucket (if any) is in its meta (see META).
      if (meta[m + M_LEN] === 0) return;
      const one = this.oneBucket;
      one[0] = meta[m + M_LAST];
      one[1] = meta[m + M_LAST_COMPLETED];
      one[2] = meta[m + M_LAST_FAILED];
      this.mergeBuckets(id, meta[m + M_WIDTH], one, this.oneBucketCounts, 0, 1, src.unit);
      return;
    }
    this.mergeBuckets(id, meta[m + M_WIDTH], src.starts, src.counts, meta[m + M_OFF], meta[m + M_LEN], src.unit);
  }

  /** Folds a timeline in the plain form ({ width, buckets }) into timeline `id`. */
  mergeTimeline(id: number, t: Timeline): void {
    const b = t.buckets;
    const starts = b.map((x) => x[0]);
    const counts: number[] = [];
    for (const x of b) counts.push(x[1], x[2]);
    this.mergeBuckets(id, t.width, starts, counts, 0, b.length);
  }

  /** The store's arrays (trimmed copies unless `transfer`: then the live arrays, and the store must not be used again). */
  exportData(transfer: boolean): TimelineStoreData {
    if (transfer) return { count: this.count, meta: this.meta, starts: this.starts, unit: this.unit, counts: this.counts };
    return {
      count: this.count,
      meta: this.meta.slice(0, this.count * META),
      starts: this.starts.slice(0, this.used),
      unit: this.unit,
      counts: this.counts.slice(0, 2 * this.used),
    };
  }

  private bump(i: number, completed: number, failed: number): void {
    const c = this.counts;
    this.setCounts(i, c[2 * i] + completed, c[2 * i + 1] + failed);
  }

  /**
   * Makes bucket `at` of timeline `id` a new, empty one starting at `start`, after moving the
   * buckets from `at` on up by one (room must exist for one more bucket below the cap).
   */
  private insertEmpty(id: number, at: number, start: number): void {
    const meta = this.meta;
    const m = id * META;
    const len = meta[m + M_LEN];
    if (meta[m + M_OFF] === NO_BLOCK) {
      if (len === 0) {
        // The first bucket: in the meta only (see META).
        meta[m + M_LEN] = 1;
        meta[m + M_LAST] = start;
        meta[m + M_LAST_COMPLETED] = 0;
        meta[m + M_LAST_FAILED] = 0;
        return;
      }
      this.materialize(id);
    }
    if (len === 1 << meta[m + M_CLASS]) this.moveToClass(id, meta[m + M_CLASS] + 1);
    const off = meta[m + M_OFF];
    const p = off + at;
    // copyWithin, not a loop: an append runs it too (moving nothing), so it is no path of its own.
    this.starts.copyWithin(p + 1, p, off + len);
    this.counts.copyWithin(2 * p + 2, 2 * p, 2 * (off + len));
    this.starts[p] = start;
    this.counts[2 * p] = 0;
    this.counts[2 * p + 1] = 0;
    meta[m + M_LEN] = len + 1;
    if (at === len) {
      meta[m + M_LAST] = start;
      meta[m + M_LAST_COMPLETED] = 0;
      meta[m + M_LAST_FAILED] = 0;
    }
  }

  /** Adds attempts to bucket `at` of timeline `id`. */
  private addAt(id: number, at: number, completed: number, failed: number): void {
    const meta = this.meta;
    const m = id * META;
    const off = meta[m + M_OFF];
    const i = off + at;
    if (at === meta[m + M_LEN] - 1) {
      // The last bucket: its counts come from the meta copy (see META), and the pool is only
      // written (a read of its line, when not in the cache, waits for it), if it has a block.
      const a = meta[m + M_LAST_COMPLETED] + completed;
      const b = meta[m + M_LAST_FAILED] + failed;
      meta[m + M_LAST_COMPLETED] = a;
      meta[m + M_LAST_FAILED] = b;
      if (off !== NO_BLOCK) this.setCounts(i, a, b);
    } else {
      this.bump(i, completed, failed);
    }
  }

  /** Copies timeline `id`'s last bucket to its meta (after its buckets changed). */
  private noteLast(id: number): void {
    const meta = this.meta;
    const m = id * META;
    const len = meta[m + M_LEN];
    if (len === 0) {
      meta[m + M_LAST] = -Infinity;
      return;
    }
    const i = meta[m + M_OFF] + len - 1;
    meta[m + M_LAST] = this.starts[i];
    meta[m + M_LAST_COMPLETED] = this.counts[2 * i];
    meta[m + M_LAST_FAILED] = this.counts[2 * i + 1];
  }

  /** Doubles the width of timeline `id` `doublings` times, folding neighbours together in place. */
  private coarsen(id: number, doublings: number): void {
    this.materialize(id);
    const meta = this.meta;
    const m = id * META;
    const w = meta[m + M_WIDTH] * 2 ** doublings;
    const off = meta[m + M_OFF];
    const end = off + meta[m + M_LEN];
    const u = this.unit;
    if (u !== 1) {
      // Starts at the new width must still be whole seconds (they are, unless a width is not).
      for (let i = off; i < end; i++) {
        const k = (Math.floor((this.starts[i] * u) / w) * w) / u;
        if (k !== k >>> 0) {
          this.widenStarts();
          break;
        }
      }
    }
    meta[m + M_WIDTH] = w;
    const s = this.starts;
    const unit = this.unit;
    let out = off;
    for (let i = off; i < end; i++) {
      const start = (Math.floor((s[i] * unit) / w) * w) / unit;
      if (out > off && s[out - 1] === start) {
        const c = this.counts; // re-read: setCounts may have widened it
        this.setCounts(out - 1, c[2 * out - 2] + c[2 * i], c[2 * out - 1] + c[2 * i + 1]);
      } else {
        s[out] = start;
        this.setCounts(out, this.counts[2 * i], this.counts[2 * i + 1]);
        out++;
      }
    }
    meta[m + M_LEN] = out - off;
    this.noteLast(id);
  }

  private setCounts(i: number, a: number, b: number): void {
    if (a > this.countMax || b > this.countMax) this.widenCounts(Math.max(a, b));
    this.counts[2 * i] = a;
    this.counts[2 * i + 1] = b;
  }

  /** Replaces the counts array by a wider one that holds `value`. */
  private widenCounts(value: number): void {
    this.counts = value > MAX_U32 ? Float64Array.from(this.counts) : Uint32Array.from(this.counts);
    this.countMax = countLimit(this.counts);
  }

  /** Replaces timeline `id`'s buckets with the first `n` of (ms, mc, mf) at `width`. */
  private setBuckets(id: number, width: number, ms: Float64Array, mc: Float64Array, mf: Float64Array, n: number): void {
    this.materialize(id);
    const m = id * META;
    let cls = 0;
    while (1 << cls < n) cls++;
    if (cls > this.meta[m + M_CLASS]) this.moveToClass(id, cls);
    if (this.unit !== 1) {
      for (let k = 0; k < n; k++) {
        const key = ms[k] / this.unit;
        if (key !== key >>> 0) {
          this.widenStarts();
          break;
        }
      }
    }
    const off = this.meta[m + M_OFF];
    for (let k = 0; k < n; k++) {
      this.starts[off + k] = ms[k] / this.unit;
      this.setCounts(off + k, mc[k], mf[k]);
    }
    this.meta[m + M_WIDTH] = width;
    this.meta[m + M_LEN] = n;
    this.noteLast(id);
  }

  /**
   * Gives timeline `id` a block, with its bucket (if any) in it, when it has none (see META): before
   * anything that reads or rewrites its buckets in the pool.
   */
  private materialize(id: number): void {
    const meta = this.meta;
    const m = id * META;
    if (meta[m + M_OFF] !== NO_BLOCK) return;
    const off = this.alloc(0);
    meta[m + M_OFF] = off;
    meta[m + M_CLASS] = 0;
    if (meta[m + M_LEN] === 1) {
      this.starts[off] = meta[m + M_LAST];
      this.setCounts(off, meta[m + M_LAST_COMPLETED], meta[m + M_LAST_FAILED]);
    }
  }

  /** Moves timeline `id` to a block of class `cls` (larger than its own), freeing the old block. */
  private moveToClass(id: number, cls: number): void {
    const meta = this.meta;
    const m = id * META;
    const to = this.alloc(cls);
    const from = meta[m + M_OFF];
    const len = meta[m + M_LEN];
    this.starts.copyWithin(to, from, from + len);
    this.counts.copyWithin(2 * to, 2 * from, 2 * (from + len));
    // An integer (`| 0`; offsets are far below 2^31): `meta` is a Float64Array, and a double pushed
    // turned the free list into an array of doubles, whose new hidden class threw away the
    // optimised code that allocates blocks (the pair table's insert, where it is inlined).
    this.free[meta[m + M_CLASS]].push(from | 0);
    this.liveBuckets -= 1 << meta[m + M_CLASS];
    meta[m + M_OFF] = to;
    meta[m + M_CLASS] = cls;
  }

  /** Switches the starts to microseconds in a Float64Array (a start that is not a whole second in 0 .. 2^32 - 1). */
  private widenStarts(): void {
    if (this.unit === 1) return;
    const wide = new Float64Array(this.starts.length);
    for (let i = 0; i < this.used; i++) wide[i] = this.starts[i] * this.unit;
    for (let id = 0; id < this.count; id++) this.meta[id * META + M_LAST] *= this.unit;
    this.starts = wide;
    this.unit = 1;
  }

  /**
   * Slides every block towards the front of the pool, in offset order, dropping the free ones: in
   * place (a block only ever moves down), so no second copy of the pool is needed.
   */
  private compact(): void {
    const meta = this.meta;
    // Ids sorted by block offset, as offset * mul + id (exact in a double: offsets and mul are far below 2^26).
    const mul = 2 ** Math.ceil(Math.log2(this.count + 1));
    let blocks = 0;
    for (let id = 0; id < this.count; id++) if (meta[id * META + M_OFF] !== NO_BLOCK) blocks++;
    const order = new Float64Array(blocks);
    for (let id = 0, k = 0; id < this.count; id++) {
      const off = meta[id * META + M_OFF];
      if (off !== NO_BLOCK) order[k++] = off * mul + id;
    }
    order.sort();
    let at = 0;
    for (let k = 0; k < order.length; k++) {
      const id = order[k] % mul;
      const m = id * META;
      const off = meta[m + M_OFF];
      const len = meta[m + M_LEN];
      if (off !== at && len > 0) {
        this.starts.copyWithin(at, off, off + len);
        this.counts.copyWithin(2 * at, 2 * off, 2 * (off + len));
      }
      meta[m + M_OFF] = at;
      at += 1 << meta[m + M_CLASS];
    }
    this.used = at;
    this.free = Array.from({ length: MAX_CLASS + 1 }, () => []);
  }

  /** Offset of a free block of class `cls`. */
  private alloc(cls: number): number {
    const size = 1 << cls;
    this.liveBuckets += size;
    const reused = this.free[cls].pop();
    if (reused !== undefined) return reused;
    if (this.used + size > this.starts.length) {
      // Full: compact when a sixth of the pool is free blocks, else grow.
      if ((this.used - this.liveBuckets) * 6 >= this.starts.length) this.compact();
      if (this.used + size > this.starts.length) {
        this.starts = grow(this.starts, this.used + size);
        this.counts = grow(this.counts, 2 * this.starts.length); // always two counts per start
      }
    }
    const off = this.used;
    this.used += size;
    return off;
  }
}

/**
 * The number of the highest bit in which the 32-bit integers `a` and `b` differ, plus one: how
 * many halvings (arithmetic shifts) make them equal. 32 when their signs differ (never).
 */
function highestDifferingBit(a: number, b: number): number {
  return 32 - Math.clz32(a ^ b);
}

/** Scratch columns of a merge: the other timeline's buckets (os, oc, of) and the merged ones (ms, mc, mf). */
interface MergeScratch {
  os: Float64Array;
  oc: Float64Array;
  of: Float64Array;
  ms: Float64Array;
  mc: Float64Array;
  mf: Float64Array;
}

function emptyScratch(): MergeScratch {
  const none = new Float64Array(0);
  return { os: none, oc: none, of: none, ms: none, mc: none, mf: none };
}

/** Folds the first `n` buckets of (s, c, f) to `width` in place; returns their new number. */
function foldInPlace(s: Float64Array, c: Float64Array, f: Float64Array, n: number, width: number): number {
  let out = 0;
  for (let i = 0; i < n; i++) {
    const start = Math.floor(s[i] / width) * width;
    if (out > 0 && s[out - 1] === start) {
      c[out - 1] += c[i];
      f[out - 1] += f[i];
    } else {
      s[out] = start;
      c[out] = c[i];
      f[out] = f[i];
      out++;
    }
  }
  return out;
}

/**
 * A copy of `a` with room for at least `min` elements, growing fourfold (as the pair table does):
 * the new array's pages past the copied part stay untouched, so not resident, until buckets use
 * them, while every growth leaves the old array as garbage, resident until V8 collects it. Growing
 * by a quarter made four times the pool's final size of such garbage over a run, and the peak RSS
 * of a two-thread analyze of a 44k-pair NSG tree ~20 MB higher.
 */
function grow<T extends Float64Array | Uint32Array | Uint16Array>(a: T, min: number): T {
  let n = Math.max(a.length, 16);
  while (n < min) n *= 4;
  const b = new (a.constructor as { new (n: number): T })(n);
  b.set(a);
  return b;
}
