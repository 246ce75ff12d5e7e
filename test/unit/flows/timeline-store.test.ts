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
