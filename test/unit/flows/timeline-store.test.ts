import { describe, expect, it } from 'vitest';
import { TimelineStore } from '../../../src/flows/timeline-store.js';

/** Microseconds of 2023-11-14, a whole second. */
const T0 = 1_700_000_000_000_000;

describe('TimelineStore pool', () => {
  it('reuses the space of the blocks timelines outgrow, and keeps every bucket', () => {
    // 3,000 timelines that each grow one bucket a round, all in step: every round moves them to a
    // larger block together, so the blocks they leave are never reused by another timeline and
    // only a compaction gives their space back.
    const store = new TimelineStore();
    const ids = Array.from({ length: 3000 }, () => store.create());
    const rounds = 40;
    for (let round = 0; round < rounds; round++) for (const id of ids) store.add(id, T0 + round * 1_000_000 + id, 1, 0);
    for (const id of [0, 1234, 2999]) {
      expect(store.bucketsOf(id)).toEqual(Array.from({ length: rounds }, (_, r) => [T0 + r * 1_000_000, 1, 0]));
    }
    // Live: a block of 64 buckets each (40 rounded up to a power of two). Without compaction the
    // pool would also hold every block left behind (1 + 2 + ... + 32 buckets a timeline): 2x.
    const live = ids.length * 64;
    expect(store.exportData(false).starts.length).toBeLessThan(1.5 * live);
  });
});

describe('TimelineStore timelines of one bucket', () => {
  it('keep their bucket without a block of the pool, and give it a block at the second bucket', () => {
    const store = new TimelineStore();
    const ids = Array.from({ length: 2000 }, () => store.create());
    // Two attempts in the same second: still one bucket.
    for (const id of ids) {
      store.add(id, T0 + id * 1_000_000 + 10, 1, 0);
      store.add(id, T0 + id * 1_000_000 + 20, 0, 1);
    }
    expect(store.exportData(false).starts.length).toBe(0);
    expect(store.bucketsOf(7)).toEqual([[T0 + 7_000_000, 1, 1]]);
    // An attempt a second earlier goes before the bucket, which must then be read from the pool.
    store.add(7, T0 + 6_000_000, 1, 0);
    expect(store.bucketsOf(7)).toEqual([
      [T0 + 6_000_000, 1, 0],
      [T0 + 7_000_000, 1, 1],
    ]);
    expect(store.bucketsOf(8)).toEqual([[T0 + 8_000_000, 1, 1]]);
    expect(store.exportData(false).starts.length).toBeGreaterThan(0);
  });

  it('merge into another store and are adopted with their bucket', () => {
    const src = new TimelineStore();
    const empty = src.create();
    const one = src.create();
    src.add(one, T0 + 5_000_000, 2, 0);
    src.add(one, T0 + 5_500_000, 0, 3);
    const data = src.exportData(false);

    const dst = new TimelineStore();
    const a = dst.create();
    dst.add(a, T0 + 4_000_000, 1, 0);
    dst.mergeFrom(a, data, one);
    dst.mergeFrom(a, data, empty);
    expect(dst.bucketsOf(a)).toEqual([
      [T0 + 4_000_000, 1, 0],
      [T0 + 5_000_000, 2, 3],
    ]);
    const b = dst.create();
    dst.mergeFrom(b, data, one);
    expect(dst.bucketsOf(b)).toEqual([[T0 + 5_000_000, 2, 3]]);

    const adopter = new TimelineStore();
    adopter.adopt(src.exportData(true));
    expect(adopter.bucketsOf(empty)).toEqual([]);
    expect(adopter.bucketsOf(one)).toEqual([[T0 + 5_000_000, 2, 3]]);
    adopter.add(one, T0 + 9_000_000, 1, 0);
    expect(adopter.bucketsOf(one)).toEqual([
      [T0 + 5_000_000, 2, 3],
      [T0 + 9_000_000, 1, 0],
    ]);
  });

  it('widen their counts and starts like any other', () => {
    const store = new TimelineStore();
    const id = store.create();
    store.add(id, T0, 70_000, 0); // past a 16-bit count, kept in the meta
    expect(store.bucketsOf(id)).toEqual([[T0, 70_000, 0]]);
    store.add(id, T0 + 3_000_000, 1, 0); // the block now holds it
    expect(store.bucketsOf(id)).toEqual([
      [T0, 70_000, 0],
      [T0 + 3_000_000, 1, 0],
    ]);
    const before1970 = store.create();
    const plain = store.create();
    store.add(plain, T0 + 8_000_000, 1, 0);
    // A start before 1970 does not fit the pool's whole-second starts: every start, in a block or
    // not, is then kept in microseconds.
    store.add(before1970, -5_000_000, 0, 1);
    expect(store.bucketsOf(before1970)).toEqual([[-5_000_000, 0, 1]]);
    expect(store.bucketsOf(plain)).toEqual([[T0 + 8_000_000, 1, 0]]);
    expect(store.bucketsOf(id)[1]).toEqual([T0 + 3_000_000, 1, 0]);
  });
});
