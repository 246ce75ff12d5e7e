import { describe, expect, it } from 'vitest';
import { busiestFirst, cutFromTally } from '../../../src/audit/evaluate.js';
import { compareAddresses } from '../../../src/common/ip.js';

/** The reference: every id sorted by flows (descending), then address order, then id. */
function reference(ids: number[], flows: Float64Array, addresses: string[], limit: number): number[] {
  return ids
    .slice()
    .sort((x, y) => flows[y] - flows[x] || compareAddresses(addresses[x], addresses[y]) || x - y)
    .slice(0, limit);
}

describe('busiestFirst', () => {
  const addresses = ['10.0.0.9', '10.0.0.10', '2001:db8::1', '9.9.9.9', '10.0.0.100', '::1', '10.0.0.2', '010.0.0.2'];
  const flows = Float64Array.from([5, 3, 3, 3, 7, 3, 1, 1]);
  const ids = addresses.map((_, i) => i);

  it('keeps the busiest, breaking ties at the cut by address order', () => {
    // Four addresses tie at 3 flows for the last two places: 9.9.9.9 and 10.0.0.10 come first.
    expect(busiestFirst(ids, flows, addresses, 4).map((i) => addresses[i])).toEqual(['10.0.0.100', '10.0.0.9', '9.9.9.9', '10.0.0.10']);
  });

  it('equals a full sort for every limit, equal spellings of one address in id order', () => {
    for (let limit = 0; limit <= ids.length + 1; limit++) {
      expect(busiestFirst(ids, flows, addresses, limit)).toEqual(reference(ids, flows, addresses, limit));
    }
  });

  it('equals a full sort on many addresses, small counts, large ones (4096 and more) and both', () => {
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const many = Array.from({ length: 400 }, (_, i) => (i % 7 === 0 ? `2001:db8::${i.toString(16)}` : `10.${i % 3}.${(i * 7) % 256}.${(i * 13) % 256}`));
    const manyIds = many.map((_, i) => i);
    for (const spread of [(x: number) => Math.floor(x * 6), (x: number) => 4000 + Math.floor(x * 300), (x: number) => (x < 0.9 ? Math.floor(x * 4) : 5000 + Math.floor(x * 9))]) {
      const counts = Float64Array.from(many, () => spread(rnd()));
      for (const limit of [1, 5, 40, 200, 399, 400]) {
        expect(busiestFirst(manyIds, counts, many, limit)).toEqual(reference(manyIds, counts, many, limit));
      }
    }
  });

  it('looks only at the ids it is given', () => {
    const some = Int32Array.from([1, 3, 6]);
    expect(busiestFirst(some, flows, addresses, 10)).toEqual([3, 1, 6]);
  });
});

describe('cutFromTally', () => {
  // Entry v: how many addresses have v flows; the last entry: those with 4 or more.
  const tally = Int32Array.from([9, 5, 3, 2, 1]);

  it('gives the flow count of the limit-th busiest, and the number of addresses', () => {
    expect(cutFromTally(tally, 2)).toEqual({ cut: 3, total: 20 }); // one with 4+, then two with 3
    expect(cutFromTally(tally, 3)).toEqual({ cut: 3, total: 20 });
    expect(cutFromTally(tally, 4)).toEqual({ cut: 2, total: 20 });
    expect(cutFromTally(tally, 19)).toEqual({ cut: 0, total: 20 });
  });

  it('gives no cut when every address is kept, or the cut lies in the last entry (counts it does not tell apart)', () => {
    expect(cutFromTally(tally, 20)).toEqual({ cut: null, total: 20 });
    expect(cutFromTally(tally, 1)).toEqual({ cut: null, total: 20 });
    expect(cutFromTally(new Int32Array(5), 1)).toEqual({ cut: null, total: 0 });
  });
});
