import { describe, expect, it } from 'vitest';
import { formatCount } from '../../../src/common/count.js';

describe('formatCount', () => {
  it('groups digits by three with commas, as en-US does', () => {
    for (const n of [0, 7, 999, 1000, 4512, 12_240_000, 1_234_567_890, -1234, 12.4, 12.6, 999.5]) {
      expect(formatCount(n), String(n)).toBe(new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }).format(n));
    }
  });
});
