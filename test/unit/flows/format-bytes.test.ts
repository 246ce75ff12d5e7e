import { describe, expect, it } from 'vitest';
import { RowBuffer } from '../../../src/flows/format-bytes.js';
import { formatZeekRow, writeZeekRow } from '../../../src/flows/format-zeek.js';
import type { Flow } from '../../../src/flows/types.js';
import { SAMPLE_DNS_FLOW } from '../../support/flow-samples.js';

const base: Flow = { ...SAMPLE_DNS_FLOW, evidence: { ...SAMPLE_DNS_FLOW.evidence } };

/** The bytes writeZeekRow produces for `flows`, through a buffer small enough to grow. */
function written(flows: Flow[]): Buffer {
  const out = new RowBuffer(16);
  for (const f of flows) writeZeekRow(f, out);
  return Buffer.from(out.buf.subarray(0, out.pos));
}

/** What the string path gave on output: the rows encoded as UTF-8. */
const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('Zeek rows written as bytes', () => {
  const cases: [string, Partial<Flow>][] = [
    ['a plain row', {}],
    ['no duration (unset duration and bytes)', { duration: 0, service: undefined, history: '' }],
    ['time at a whole second and small fractions', { ts: 1_700_000_000_000_000, duration: 5 }],
    ['time before 1970 (negative)', { ts: -1_500_000 }],
    ['fractional and huge numbers', { ts: 1.5, duration: 0.25, origBytes: 2 ** 60, respIpBytes: 1e21 }],
    ['ports and counts at their limits', { origP: 0, respP: 65535, origPkts: 2 ** 31, respPkts: Number.MAX_SAFE_INTEGER, respIpBytes: 2 ** 53 - 9 }],
    ['the largest exact time', { ts: Number.MAX_SAFE_INTEGER, duration: Number.MAX_SAFE_INTEGER - 1 }],
    ['IPv6 addresses', { origH: '2001:db8::1', respH: 'fe80::1:2:3:4' }],
    ['strings Zeek escapes', { service: 'a\tb\\c', history: '-', uid: '' }],
    ['non-ASCII text', { service: 'héllo-日本-😀', history: 'x\u{7f}' }],
    ['a lone surrogate', { service: 'a\ud800b' }],
  ];
  for (const [name, change] of cases) {
    it(`matches formatZeekRow for ${name}`, () => {
      const flow = { ...base, ...change };
      expect(written([flow]).equals(utf8(formatZeekRow(flow)))).toBe(true);
    });
  }

  it('appends rows one after another, growing the buffer', () => {
    const flows = Array.from({ length: 200 }, (_, i) => ({ ...base, ts: base.ts + i * 1_234_567, origP: i * 300 }));
    expect(written(flows).equals(utf8(flows.map(formatZeekRow).join('')))).toBe(true);
  });
});
