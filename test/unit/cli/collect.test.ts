import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { collectSummary } from '../../../src/cli/collect.js';
import type { InputFile } from '../../../src/cli/inputs.js';
import { readOneFile } from '../../../src/cli/read.js';
import { chooseWorkers } from '../../../src/cli/reading-threads.js';
import { DiagnosticSink } from '../../../src/common/diagnostics.js';
import { openInput } from '../../../src/sources/input.js';
import { nsgRecord, recordsFile } from '../../support/flowlog-builder.js';
import { writePcap } from '../../support/pcap-writer.js';

// Opening a file goes through this spy (the real openInput unless a test says otherwise).
vi.mock('../../../src/sources/input.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/sources/input.js')>();
  return { ...real, openInput: vi.fn(real.openInput) };
});

const T0 = 1714557600;

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flowaudit-collect-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function nsgFile(name: string, hour: number): Promise<InputFile> {
  const tuple = (sport: number) => ({
    ts: T0 + hour * 3600, src: '10.1.0.4', dst: '10.1.0.10', sport, dport: 389, proto: 'T' as const, dir: 'O' as const, action: 'A' as const,
  });
  const content = recordsFile([nsgRecord({ version: 1, groups: [{ rule: 'UserRule_AllowLdap', tuples: [tuple(50000 + hour), tuple(51000 + hour)] }] })]);
  const path = join(dir, name);
  await writeFile(path, content);
  return { path, size: Buffer.byteLength(content) };
}

describe('collectSummary in one thread', () => {
  it('reads every file in order, the next one opened while the current is read, and reports one that cannot be read in its place', async () => {
    const files = [await nsgFile('a.json', 0), { path: join(dir, 'missing.json'), size: 0 }, await nsgFile('b.json', 1), await nsgFile('c.json', 2)];
    const done: string[] = [];
    const events: string[] = [];
    const real = await vi.importActual<typeof import('../../../src/sources/input.js')>('../../../src/sources/input.js');
    vi.mocked(openInput).mockImplementation((path, options) => {
      events.push(`open ${basename(path)}`);
      return real.openInput(path, options);
    });
    let out;
    try {
      out = await collectSummary(files, {
        read: {},
        workers: 0,
        onFileDone: (r) => {
          done.push(r.file);
          events.push(`done ${basename(r.file)}`);
        },
      });
    } finally {
      vi.mocked(openInput).mockRestore();
    }
    expect(done).toEqual(files.map((f) => f.path));
    // Each file is opened before the one ahead of it is done, the missing one too (it fails when read).
    expect(events).toEqual([
      'open a.json', 'open missing.json', 'done a.json', 'open b.json', 'done missing.json', 'open c.json', 'done b.json', 'done c.json',
    ]);
    expect(out.files.map((f) => f.flows)).toEqual([2, 0, 2, 2]);
    expect(out.diag.failedFiles.map((f) => [f.file, f.code])).toEqual([[files[1].path, 'input_unreadable']]);
    // The same flows as reading each file on its own.
    let flows = 0;
    for (const f of files) flows += (await readOneFile(f, {}, new DiagnosticSink(), () => undefined)).flows;
    expect(out.summary.toData().flows).toBe(flows);
  });
});

describe('collectSummary over a rotating capture', () => {
  it('reads its files in time order but reports every file in input order, in one thread or several', async () => {
    // Given newest first: the series is read oldest first, the reports still come in input order.
    const files: InputFile[] = [];
    for (const k of [3, 2, 1]) {
      const path = join(dir, `ring_${k}.pcap`);
      const bytes = writePcap({ byteOrder: 'le', linkType: 1, records: [{ tsMicros: (T0 + k) * 1_000_000, data: new Uint8Array(60) }] });
      await writeFile(path, bytes);
      files.push({ path, size: bytes.length });
    }
    const log = await nsgFile('hour0.json', 0);
    for (const workers of [0, 2]) {
      const done: string[] = [];
      const out = await collectSummary([log, ...files], { read: {}, workers, onFileDone: (r) => done.push(basename(r.file)) });
      expect(done).toEqual(['hour0.json', 'ring_3.pcap', 'ring_2.pcap', 'ring_1.pcap']);
      expect(out.files.map((f) => [basename(f.file), f.continues && basename(f.continues)])).toEqual([
        ['hour0.json', undefined],
        ['ring_3.pcap', 'ring_2.pcap'],
        ['ring_2.pcap', 'ring_1.pcap'],
        ['ring_1.pcap', undefined],
      ]);
    }
  });
});

describe('collectSummary with reading threads (each takes the next file from a shared counter)', () => {
  async function manyFiles(): Promise<InputFile[]> {
    const files: InputFile[] = [];
    for (let h = 0; h < 9; h++) files.push(await nsgFile(`hour${h}.json`, h));
    const junk = join(dir, 'junk.json');
    await writeFile(junk, '\u0000\u0001 not a flow log');
    // A missing file and one of no known format among good ones.
    files.splice(3, 0, { path: join(dir, 'gone.json'), size: 0 });
    files.splice(7, 0, { path: junk, size: 20 });
    return files;
  }

  /** Everything a run gives, as plain data. */
  async function run(files: InputFile[], workers: number) {
    const done: string[] = [];
    const out = await collectSummary(files, { read: {}, workers, onFileDone: (r) => done.push(r.file) });
    return { done, files: out.files, quality: out.diag.toDataQuality(), summary: out.summary.toData() };
  }

  it('reads every file, reports the ones that fail in their place, and gives what one thread gives', async () => {
    const files = await manyFiles();
    const one = await run(files, 0);
    expect(one.done).toEqual(files.map((f) => f.path));
    expect(one.quality.failedFiles.map((f) => [basename(f.file), f.code])).toEqual([
      ['gone.json', 'input_unreadable'],
      ['junk.json', 'input_unknown_format'],
    ]);
    expect(one.files.filter((f) => f.flows === 2)).toHaveLength(9);
    expect(await run(files, 2)).toEqual(one);
    expect(await run(files, 3)).toEqual(one);
  });

  it('works with more reading threads than files', async () => {
    const files = (await manyFiles()).slice(0, 2);
    const one = await run(files, 0);
    expect(one.summary.flows).toBe(4);
    expect(await run(files, 5)).toEqual(one);
    expect(await run(files.slice(0, 1), 4)).toEqual(await run(files.slice(0, 1), 0));
    expect(await run([], 3)).toEqual(await run([], 0));
  });
});

describe('chooseWorkers', () => {
  const many = Array.from({ length: 8 }, (_, i) => ({ path: `f${i}.json`, size: 1 << 20 }));

  it('gives the number of threads asked for, or both cores for many files', () => {
    expect(chooseWorkers(many, 3)).toBe(3);
    expect(chooseWorkers(many, 0)).toBe(0);
    expect(chooseWorkers(many.slice(0, 3), undefined)).toBe(0);
    expect(chooseWorkers(many, undefined)).toBeGreaterThanOrEqual(1);
  });

  it('keeps standard input in this thread, whatever --workers says (a worker thread would read it as empty)', () => {
    const withStdin = [...many.slice(0, 4), { path: '-', size: 0 }, ...many.slice(4)];
    expect(chooseWorkers(withStdin, undefined)).toBe(0);
    expect(chooseWorkers(withStdin, 2)).toBe(0);
    expect(chooseWorkers(withStdin, 4)).toBe(0);
  });
});
