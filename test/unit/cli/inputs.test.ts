import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { matchesGlob } from '../../../src/cli/glob.js';
import { expandInputs } from '../../../src/cli/inputs.js';
import { parseTimeOption } from '../../../src/cli/options.js';
import { UsageError } from '../../../src/common/diagnostics.js';

// The walk's listings and stats go through these spies (the real calls unless a test says otherwise).
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return { ...real, readdir: vi.fn(real.readdir), stat: vi.fn(real.stat) };
});

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

  describe('of a big tree', () => {
    afterEach(() => {
      vi.mocked(fsp.readdir).mockRestore();
      vi.mocked(fsp.stat).mockRestore();
    });
    const big = mkdtempSync(join(tmpdir(), 'flowaudit-inputs-big-'));
    const names: string[] = [];
    for (let d = 0; d < 20; d++) {
      for (let h = 0; h < 24; h++) {
        const name = join(`d=${String(d).padStart(2, '0')}`, `h=${String(h).padStart(2, '0')}`, 'PT1H.json');
        mkdirSync(join(big, name, '..'), { recursive: true });
        writeFileSync(join(big, name), '{}');
        names.push(name);
      }
    }

    it('keeps a bounded number of listings and stats in flight (memory), and finds every file, sorted', async () => {
      const real = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises');
      let inFlight = 0;
      let most = 0;
      const counted = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
        most = Math.max(most, ++inFlight);
        try {
          return await fn(...args);
        } finally {
          inFlight--;
        }
      };
      vi.mocked(fsp.readdir).mockImplementation(counted(real.readdir) as typeof fsp.readdir);
      vi.mocked(fsp.stat).mockImplementation(counted(real.stat) as typeof fsp.stat);
      const got = await expandInputs([big], { include: [], exclude: [] });
      expect(got.map((f) => f.path.slice(big.length + 1))).toEqual([...names].sort());
      expect(got.every((f) => f.size === 2)).toBe(true);
      expect(most).toBeGreaterThan(1); // still side by side
      expect(most).toBeLessThanOrEqual(32);
    });

    it('reports the first folder in listing order that cannot be listed, whichever failed first', async () => {
      const real = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises');
      const first = join(big, 'd=03', 'h=05');
      const later = join(big, 'd=17', 'h=20');
      let laterFailed = false;
      vi.mocked(fsp.readdir).mockImplementation((async (path: string, options: never) => {
        if (path === later) {
          laterFailed = true;
          throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
        }
        if (path === first) {
          // Fails only once the later folder has failed.
          while (!laterFailed) await new Promise((resolve) => setTimeout(resolve, 1));
          throw Object.assign(new Error('EIO'), { code: 'EIO' });
        }
        return real.readdir(path, options);
      }) as typeof fsp.readdir);
      await expect(expandInputs([big], { include: [], exclude: [] })).rejects.toThrow(`${first}: cannot list folder (EIO)`);
    });
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
