import { describe, expect, it } from 'vitest';
import { namesBigInput } from '../../../src/cli/prestart.js';

const fixture = 'fixtures/ldap-dropped.pcapng'; // a few KB

describe('starting the decoding thread early', () => {
  it('happens for a reading command naming a file at least the threshold', () => {
    expect(namesBigInput(['flows', fixture], 1)).toBe(true);
    expect(namesBigInput(['analyze', '--quiet', fixture, '--out', 'x'], 1)).toBe(true);
    expect(namesBigInput(['roles', fixture], 1)).toBe(true);
  });

  it('does not happen for small files, other commands, missing files or --workers 0', () => {
    expect(namesBigInput(['flows', fixture], 1e12)).toBe(false);
    expect(namesBigInput(['catalog', fixture], 1)).toBe(false);
    expect(namesBigInput(['flows', 'no-such-file.pcap'], 1)).toBe(false);
    expect(namesBigInput(['flows', fixture, '--workers', '0'], 1)).toBe(false);
    expect(namesBigInput(['flows', '--workers=0', fixture], 1)).toBe(false);
    expect(namesBigInput(['flows', fixture, '--workers', '1'], 1)).toBe(false);
    expect(namesBigInput(['flows', fixture, '--workers', '2'], 1)).toBe(true);
    expect(namesBigInput([], 1)).toBe(false);
  });
});
