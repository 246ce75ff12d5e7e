import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('does not happen when analyze or roles will read with several threads, which decode captures themselves', () => {
    expect(bigInputOf(['analyze', fixture, '--workers', '2'], 1)).toBeNull();
    expect(bigInputOf(['roles', '--workers=3', fixture], 1)).toBeNull();
    expect(bigInputOf(['analyze', fixture, 'fixtures/logs'], 1)).toBeNull(); // a folder's files may go to reading threads
    // Many files, 4 MiB or more: both cores read (when there are two).
    const dir = mkdtempSync(join(tmpdir(), 'flowaudit-prestart-'));
    const many = [0, 1, 2, 3].map((i) => join(dir, `part${i}.pcap`));
    for (const f of many) writeFileSync(f, Buffer.alloc(1024 * 1024 + 1));
    expect(bigInputOf(['analyze', ...many], 1)).toBe(availableParallelism() > 1 ? null : many[0]);
    expect(bigInputOf(['analyze', ...many.slice(0, 3)], 1)).toBe(many[0]);
    // flows reads every file in this thread, whatever --workers says.
    expect(bigInputOf(['flows', ...many, 'fixtures/logs', '--workers', '2'], 1)).toBe(many[0]);
  });

  it('happens with standard input among the inputs (read in this thread, whatever --workers says)', () => {
    expect(bigInputOf(['analyze', '-', fixture, '--workers', '2'], 1)).toBe(fixture);
  });

  it('takes option values for what they are, not for inputs', () => {
    expect(bigInputOf(['analyze', fixture, '--out', 'fixtures', '-f', 'json', '--quiet'], 1)).toBe(fixture);
    expect(bigInputOf(['analyze', '--inventory', 'fixtures/inventory.yaml', fixture], 1)).toBe(fixture);
    expect(bigInputOf(['analyze', '-q', fixture, '--out=fixtures'], 1)).toBe(fixture);
  });
});
