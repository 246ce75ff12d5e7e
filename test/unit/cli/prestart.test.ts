import { describe, expect, it } from 'vitest';
import { bigInputOf } from '../../../src/cli/prestart.js';

const fixture = 'fixtures/ldap-dropped.pcapng'; // a few KB

describe('starting the decoding thread early', () => {
  it('happens for a reading command naming a file at least the threshold', () => {
    expect(bigInputOf(['flows', fixture], 1)).toBe(fixture);
    expect(bigInputOf(['analyze', '--quiet', fixture, '--out', 'x'], 1)).toBe(fixture);
    expect(bigInputOf(['roles', fixture], 1)).toBe(fixture);
  });

  it('does not happen for small files, other commands, missing files or --workers 0', () => {
    expect(bigInputOf(['flows', fixture], 1e12)).toBeNull();
    expect(bigInputOf(['catalog', fixture], 1)).toBeNull();
    expect(bigInputOf(['flows', 'no-such-file.pcap'], 1)).toBeNull();
    expect(bigInputOf(['flows', fixture, '--workers', '0'], 1)).toBeNull();
    expect(bigInputOf(['flows', '--workers=0', fixture], 1)).toBeNull();
    expect(bigInputOf(['flows', fixture, '--workers', '1'], 1)).toBeNull();
    expect(bigInputOf(['flows', fixture, '--workers', '2'], 1)).toBe(fixture);
    expect(bigInputOf([], 1)).toBeNull();
  });
});
