import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { matchesGlob } from '../../../src/cli/glob.js';
import { expandInputs } from '../../../src/cli/inputs.js';
import { parseTimeOption } from '../../../src/cli/options.js';
import { UsageError } from '../../../src/common/diagnostics.js';

describe('input expansion', () => {
  const root = mkdtempSync(join(tmpdir(), 'flowaudit-inputs-'));
  const files = [
    'y=2024/m=05/d=01/h=10/m=00/macAddress=000D3A/PT1H.json',
    'y=2024/m=05/d=01/h=09/m=00/macAddress=000D3A/PT1H.json',
    'y=2024/m=05/d=01/h=09/m=00/macAddress=000D3A/notes.txt',
    'y=2024/m=05/d=02/h=00/m=00/macAddress=000D3A/PT1H.json.gz',
    '.hidden',
  ];
  for (const f of files) {
    mkdirSync(join(root, f, '..'), { recursive: true });
    writeFileSync(join(root, f), '{}');
  }

  it('walks folders recursively in a stable, sorted order, skipping hidden files', async () => {
    const got = (await expandInputs([root], { include: [], exclude: [] })).map((f) => f.path.slice(root.length + 1));
    expect(got).toEqual([files[1], files[2], files[0], files[3]]);
  });

  it('--include and --exclude filter what a walk finds, by base name when the glob has no slash', async () => {
    const inc = await expandInputs([root], { include: ['PT1H.json*'], exclude: [] });
    expect(inc.map((f) => f.path.endsWith('notes.txt'))).not.toContain(true);
    expect(inc).toHaveLength(3);
    const exc = await expandInputs([root], { include: [], exclude: ['**/d=02/**'] });
    expect(exc.map((f) => f.path).some((p) => p.includes('d=02'))).toBe(false);
    expect(exc).toHaveLength(3);
  });

  it('a file named explicitly is read whatever the globs say; a missing one is a usage error', async () => {
    const explicit = join(root, files[2]);
    expect(await expandInputs([explicit], { include: ['*.json'], exclude: [] })).toHaveLength(1);
    await expect(expandInputs([join(root, 'nope.pcap')], { include: [], exclude: [] })).rejects.toBeInstanceOf(UsageError);
  });

  it('glob semantics', () => {
    expect(matchesGlob('a/b/PT1H.json', 'PT1H.json')).toBe(true);
    expect(matchesGlob('a/b/c.pcapng', '*.{pcap,pcapng}')).toBe(true);
    expect(matchesGlob('a/b/c.log', '*.{pcap,pcapng}')).toBe(false);
    expect(matchesGlob('x/y=2024/m=05/f', '**/m=05/**')).toBe(true);
    expect(matchesGlob('x/m=06/f', '**/m=05/**')).toBe(false);
  });
});

describe('--since / --until', () => {
  it('reads ISO 8601 (UTC unless a zone is given) and Unix seconds, to microseconds', () => {
    expect(parseTimeOption('--since', '2024-05-01')).toBe(Date.UTC(2024, 4, 1) * 1000);
    expect(parseTimeOption('--since', '2024-05-01T10:00:00')).toBe(Date.UTC(2024, 4, 1, 10) * 1000);
    expect(parseTimeOption('--since', '2024-05-01T12:00:00+02:00')).toBe(Date.UTC(2024, 4, 1, 10) * 1000);
    expect(parseTimeOption('--since', '1714557600')).toBe(1714557600 * 1_000_000);
    expect(() => parseTimeOption('--since', 'yesterday')).toThrow(/--since "yesterday": expected an ISO 8601 time/);
  });
});
