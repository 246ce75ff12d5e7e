import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectSummary } from '../../../src/cli/collect.js';
import type { InputFile } from '../../../src/cli/inputs.js';
import { readOneFile } from '../../../src/cli/read.js';
import { chooseWorkers } from '../../../src/cli/reading-threads.js';
import { DiagnosticSink } from '../../../src/common/diagnostics.js';
import { nsgRecord, recordsFile } from '../../support/flowlog-builder.js';

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
    const out = await collectSummary(files, { read: {}, workers: 0, onFileDone: (r) => done.push(r.file) });
    expect(done).toEqual(files.map((f) => f.path));
    expect(out.files.map((f) => f.flows)).toEqual([2, 0, 2, 2]);
    expect(out.diag.failedFiles.map((f) => [f.file, f.code])).toEqual([[files[1].path, 'input_unreadable']]);
    // The same flows as reading each file on its own.
    let flows = 0;
    for (const f of files) flows += (await readOneFile(f, {}, new DiagnosticSink(), () => undefined)).flows;
    expect(out.summary.toData().flows).toBe(flows);
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
