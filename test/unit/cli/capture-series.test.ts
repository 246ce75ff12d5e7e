import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planReading, seriesKey } from '../../../src/cli/capture-series.js';
import type { InputFile } from '../../../src/cli/inputs.js';
import { writePcap } from '../../support/pcap-writer.js';
import { PcapngWriter } from '../../support/pcapng-writer.js';
import { mulberry32 } from '../../support/rng.js';

const T = 1_714_557_600_000_000;

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flowaudit-series-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function capture(name: string, firstMicros: number | null): Promise<InputFile> {
  const path = join(dir, name);
  const records = firstMicros === null ? [] : [{ tsMicros: firstMicros, data: new Uint8Array(60) }];
  const bytes = writePcap({ byteOrder: 'le', linkType: 1, records });
  await writeFile(path, bytes);
  return { path, size: bytes.length };
}

describe('seriesKey', () => {
  it('is the folder and the name with its digits left out, as ring buffers number their files', () => {
    expect(seriesKey('/c/aadc_00001_20240501100000.pcapng')).toBe(seriesKey('/c/aadc_00002_20240501100512.pcapng'));
    // tcpdump -C: the first file has no number.
    expect(seriesKey('/c/trace.pcap')).toBe(seriesKey('/c/trace.pcap1'));
    expect(seriesKey('/c/trace.pcap1')).toBe(seriesKey('/c/trace.pcap12'));
    expect(seriesKey('/c/trace.pcap')).not.toBe(seriesKey('/c/trace.pcapng'));
    expect(seriesKey('/c/aadc_1.pcap')).not.toBe(seriesKey('/d/aadc_2.pcap'));
    expect(seriesKey('/c/aadc_1.pcap')).not.toBe(seriesKey('/c/dc_1.pcap'));
  });
});

describe('planReading', () => {
  it('puts the files of a series in time order as one job, and every other file in a job of its own, in input order', async () => {
    const files = [
      await capture('ring_00003.pcap', T + 20_000_000),
      await capture('other.pcap', T),
      await capture('ring_00001.pcap', T),
      await capture('ring_00002.pcap', T + 10_000_000),
      await capture('ring_00009.pcap', null), // no packet: its time is unknown, read on its own
      { path: join(dir, 'ring_00010.pcap'), size: 0 }, // missing: the reader reports it
    ];
    await writeFile(join(dir, 'log_1.log'), '#Fields: date time\n');
    files.push({ path: join(dir, 'log_1.log'), size: 19 }, { path: join(dir, 'log_2.log'), size: 0 });
    const jobs = await planReading(files);
    expect(jobs.map((j) => j.files)).toEqual([[2, 3, 0], [1], [4], [5], [6], [7]]);
    expect(jobs[0].nextFirst).toEqual([T + 10_000_000, T + 20_000_000, null]);
    expect(jobs.slice(1).every((j) => j.nextFirst.length === 1 && j.nextFirst[0] === null)).toBe(true);
  });

  it('splits pcapng files by their last packet time: two hosts capturing at once make two series, read apart', async () => {
    const pcapng = async (name: string, from: number, to: number): Promise<InputFile> => {
      const w = new PcapngWriter().shb('le').idb({ linkType: 1 });
      for (let t = from; t <= to; t += 1_000_000) w.epb({ interfaceId: 0, tsMicros: t, data: new Uint8Array(60) });
      const bytes = w.isb(0).finish();
      const path = join(dir, name);
      await writeFile(path, bytes);
      return { path, size: bytes.length };
    };
    const S = 1_000_000;
    // Host 1's ring (h1_*) and host 2's (h2_*) cover the same minutes; their names differ only in digits.
    const files = [
      await pcapng('h1_00001.pcapng', T, T + 59 * S),
      await pcapng('h1_00002.pcapng', T + 60 * S, T + 119 * S),
      await pcapng('h2_00001.pcapng', T + 2 * S, T + 61 * S),
      await pcapng('h2_00002.pcapng', T + 62 * S, T + 121 * S),
      await pcapng('h3_00001.pcapng', T + 30 * S, T + 40 * S), // a third host, one file
    ];
    const jobs = await planReading(files);
    expect(jobs.map((j) => j.files)).toEqual([[0, 1], [2, 3], [4]]);
    expect(jobs[0].nextFirst).toEqual([T + 60 * S, null]);
  });

  it('makes no series when the input format is forced to a log format, nor of standard input', async () => {
    const files = [await capture('a_1.pcap', T), await capture('a_2.pcap', T + 1)];
    expect((await planReading(files, 'pfirewall')).map((j) => j.files)).toEqual([[0], [1]]);
    expect((await planReading(files, 'pcap')).map((j) => j.files)).toEqual([[0, 1]]);
    expect((await planReading([{ path: '-', size: 0 }, ...files])).map((j) => j.files)).toEqual([[0], [1, 2]]);
  });

  it('reads the first packet time of gzip-compressed captures too, from their first bytes only', async () => {
    const gz = async (name: string, t: number): Promise<InputFile> => {
      // Enough packets that the first 64 KiB hold only part of the compressed stream.
      const records = Array.from({ length: 400 }, (_, k) => ({ tsMicros: t + k, data: randomBytes(600) }));
      const bytes = gzipSync(writePcap({ byteOrder: 'le', linkType: 1, records }));
      const path = join(dir, name);
      await writeFile(path, bytes);
      return { path, size: bytes.length };
    };
    const files = [await gz('z_2.pcap.gz', T + 60_000_000), await gz('z_1.pcap.gz', T)];
    expect(files[0].size).toBeGreaterThan(64 * 1024);
    const jobs = await planReading(files);
    expect(jobs).toEqual([{ files: [1, 0], nextFirst: [T + 60_000_000, null] }]);
  });

  it('puts every input in exactly one job, once, whatever the names, times and damage', async () => {
    const rand = mulberry32(7);
    const sub = join(dir, 'many');
    await rm(sub, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(sub));
    const files: InputFile[] = [];
    for (let k = 0; k < 60; k++) {
      const name = `${['cap', 'dc', 'x'][Math.floor(rand() * 3)]}_${Math.floor(rand() * 5)}.${rand() < 0.8 ? 'pcap' : 'pcapng'}${k}`;
      const path = join(sub, name);
      const kind = rand();
      const bytes =
        kind < 0.6
          ? writePcap({ byteOrder: rand() < 0.5 ? 'le' : 'be', linkType: 1, records: [{ tsMicros: T + Math.floor(rand() * 5) * 1_000_000, data: new Uint8Array(60) }] })
          : kind < 0.8
            ? writePcap({ byteOrder: 'le', linkType: 1, records: [{ tsMicros: T, data: new Uint8Array(60) }] }).subarray(0, Math.floor(rand() * 44))
            : new TextEncoder().encode('not a capture');
      await writeFile(path, bytes);
      files.push({ path, size: bytes.length });
    }
    files.push(files[3]); // the same file twice (expandInputs drops repeats; a job list must not break on one)
    const jobs = await planReading(files);
    const seen = jobs.flatMap((j) => j.files).sort((a, b) => a - b);
    expect(seen).toEqual(files.map((_, i) => i));
    for (const j of jobs) {
      expect(j.nextFirst.length).toBe(j.files.length);
      expect(j.nextFirst[j.files.length - 1]).toBeNull();
    }
    expect(jobs.some((j) => j.files.length > 1)).toBe(true);
  });
});
