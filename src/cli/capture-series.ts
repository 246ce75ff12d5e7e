/**
 * Rotating captures. A capture left running for hours to catch an intermittent sync failure is
 * written as a ring buffer: `dumpcap -b filesize:…` (`aadc_00001_20240501100000.pcapng`,
 * `aadc_00002_…`), `tcpdump -C` (`trace.pcap`, `trace.pcap1` …), `tcpdump -G`. A connection that
 * spans the moment one file ends and the next begins is one connection: read file by file, a
 * SYN at the end of one file and its SYN-ACK at the start of the next read as an attempt nobody
 * answered (S0, blocked) and an answer nobody asked for.
 *
 * So the files of one series are read in time order by one reader, through one flow table that
 * goes on from a file into the next. Files are of a series when their names differ only in their
 * digits, in one folder (the ring buffer's own naming), each is a pcap or pcapng file whose first
 * packet time its first bytes give (sources/capture-start.ts), and the next one starts no earlier
 * than the last packet of the one before: two captures of the same time (two hosts at once) never
 * continue each other, since one connection would then be counted twice. Everything else is read
 * file by file, as before.
 *
 * Every reader (flows, the main thread and the reading threads of analyze and roles) goes through
 * the files the same way, job by job: {@link planReading}, then {@link readInTurn}.
 */
import { open } from 'node:fs/promises';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { basename, dirname } from 'node:path';
import type { FlowTable } from '../flows/table.js';
import type { Flow } from '../flows/types.js';
import { firstPacketMicros, lastPacketMicros } from '../sources/capture-start.js';
import type { ByteInput, InputFormat } from '../sources/types.js';
import type { InputFile } from './inputs.js';
import { dropOpened, openAhead } from './read.js';

/** Files one reader reads in turn: a capture series, or a single file. */
export interface ReadJob {
  /** Indexes into the input files, in reading order. */
  files: number[];
  /**
   * Per position: the first packet time (µs) of the next file of the series, which the flow table
   * may go on into; null after the last file (and for a single file).
   */
  nextFirst: (number | null)[];
}

/** Bytes read from each candidate file to find its first packet time. */
const PEEK_BYTES = 64 * 1024;
/** Files peeked at once. */
const PEEK_CONCURRENCY = 16;

/**
 * The name a ring buffer's files share: their folder and their name with every run of digits
 * replaced (`aadc_#_#.pcapng`), a number at the very end left out: `tcpdump -C` names its files
 * `trace.pcap`, `trace.pcap1`, `trace.pcap2` …
 */
export function seriesKey(path: string): string {
  return `${dirname(path)}\u0000${basename(path).replace(/\d+$/, '').replace(/\d+/g, '#')}`;
}

/**
 * Groups the inputs into jobs (see the module comment), in the order of the first input of each
 * job. Only files whose names make a group of two or more are opened here, for their first bytes:
 * a tree of hourly flow-log files costs nothing.
 */
export async function planReading(files: readonly InputFile[], inputFormat?: InputFormat): Promise<ReadJob[]> {
  const single = (i: number): ReadJob => ({ files: [i], nextFirst: [null] });
  const canBeCapture = inputFormat === undefined || inputFormat === 'pcap' || inputFormat === 'pcapng';
  const groups = new Map<string, number[]>();
  if (canBeCapture) {
    files.forEach((f, i) => {
      if (f.path === '-') return;
      const key = seriesKey(f.path);
      const g = groups.get(key);
      if (g) g.push(i);
      else groups.set(key, [i]);
    });
  }
  const candidates = [...groups.values()].filter((g) => g.length >= 2).flat();
  const spans = new Map<number, { first: number; last: number | null }>();
  await forEachLimited(candidates, PEEK_CONCURRENCY, async (i) => {
    const span = await peekSpan(files[i].path);
    if (span !== null) spans.set(i, span);
  });
  const jobs: ReadJob[] = [];
  const inSeries = new Set<number>();
  for (const g of groups.values()) {
    const timed = g.filter((i) => spans.has(i)).sort((a, b) => spans.get(a)!.first - spans.get(b)!.first || a - b);
    for (const chain of chainsOf(timed, spans)) {
      if (chain.length < 2) continue;
      for (const i of chain) inSeries.add(i);
      jobs.push({ files: chain, nextFirst: chain.map((_, k) => (k + 1 < chain.length ? spans.get(chain[k + 1])!.first : null)) });
    }
  }
  files.forEach((_, i) => {
    if (!inSeries.has(i)) jobs.push(single(i));
  });
  const firstOf = (j: ReadJob) => j.files.reduce((m, i) => Math.min(m, i), Infinity);
  return jobs.sort((a, b) => firstOf(a) - firstOf(b));
}

/**
 * The files of one name group (in first-packet order) split into chains of files that follow each
 * other. When every file's last packet time is known (pcapng), a file goes after the chain whose
 * last file ended latest at or before its first packet: captures of the same time (two hosts at
 * once) each make a chain of their own, and are read in parallel. Otherwise the group stays one
 * chain, and the reader tells at each file whether the next one follows (CaptureSeries).
 */
function chainsOf(timed: readonly number[], spans: ReadonlyMap<number, { first: number; last: number | null }>): number[][] {
  if (timed.length < 2) return [timed.slice()];
  if (timed.some((i) => spans.get(i)!.last === null)) return [timed.slice()];
  const chains: number[][] = [];
  for (const i of timed) {
    const first = spans.get(i)!.first;
    let best = -1;
    let bestLast = -Infinity;
    for (let c = 0; c < chains.length; c++) {
      const last = spans.get(chains[c][chains[c].length - 1])!.last!;
      if (last <= first && last > bestLast) {
        best = c;
        bestLast = last;
      }
    }
    if (best >= 0) chains[best].push(i);
    else chains.push([i]);
  }
  return chains;
}

/**
 * The first packet time of a capture file, from its first bytes (of a gzip file, what they
 * decompress to), and the last one from its last bytes when it is a pcapng file (null otherwise);
 * null when the file is not a capture, or its first bytes do not say.
 */
async function peekSpan(path: string): Promise<{ first: number; last: number | null } | null> {
  let fh;
  try {
    fh = await open(path, 'r');
    const buf = Buffer.alloc(PEEK_BYTES);
    const { bytesRead } = await fh.read(buf, 0, PEEK_BYTES, 0);
    let head: Uint8Array = buf.subarray(0, bytesRead);
    if (head[0] === 0x1f && head[1] === 0x8b) {
      // A gzip stream cut short decompresses as far as it goes with a sync flush (no error); its end cannot be read alone.
      const first = firstPacketMicros(gunzipSync(head, { finishFlush: zlibConstants.Z_SYNC_FLUSH }));
      return first === null ? null : { first, last: null };
    }
    const first = firstPacketMicros(head);
    if (first === null) return null;
    const { size } = await fh.stat();
    let tail: Uint8Array = head;
    if (size > bytesRead) {
      head = Buffer.from(head); // the tail is read into the same buffer
      const { bytesRead: n } = await fh.read(buf, 0, PEEK_BYTES, size - PEEK_BYTES);
      tail = buf.subarray(0, n);
    }
    return { first, last: lastPacketMicros(head, tail) };
  } catch {
    return null; // the reader will say what is wrong with the file
  } finally {
    await fh?.close();
  }
}

async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(lanes);
}

/**
 * The flow table a series shares while one reader reads its files in turn (read.ts). Flows are
 * handed to the current file's sink (`route`), so each file's counts stay its own.
 */
export class CaptureSeries {
  /** The table still holding the flows of the file before, when this file continues it. */
  table: FlowTable | null = null;
  /** The current file's flow sink. */
  route: (flow: Flow) => void = () => undefined;
  /** The next file's first packet time, set by the reader before each file; null: none. */
  nextFirst: number | null = null;
  /** The file whose flows {@link table} holds. */
  lastFile: string | null = null;

  /** True when `table` goes on into the next file: it starts no earlier than this one's last packet. */
  continuesAfter(table: FlowTable): boolean {
    return this.nextFirst !== null && this.nextFirst >= table.latestTime;
  }

  /** Emits the flows still held (a file of the series was not read as a capture, or the series ended). */
  end(): void {
    const t = this.table;
    this.table = null;
    t?.flush();
  }
}

/**
 * Reads the files of the jobs `next` gives (jobs.length or more: none left), one at a time, each
 * opened while the one before is read (see {@link openAhead}), so a reader never waits for a file
 * to open. The files of one job (a rotating capture) share a {@link CaptureSeries}. Stops before
 * the next file once `stop` says so, closing the file opened ahead.
 */
export async function readInTurn(
  files: InputFile[],
  jobs: readonly ReadJob[],
  next: () => number,
  read: (index: number, opened: Promise<ByteInput> | null, series: CaptureSeries | undefined) => Promise<void>,
  stop: () => boolean = () => false,
): Promise<void> {
  let job = next();
  let pos = 0;
  let opened = job < jobs.length ? openAhead(files[jobs[job].files[0]]) : null;
  let series = new CaptureSeries();
  while (job < jobs.length && !stop()) {
    const { files: indexes, nextFirst } = jobs[job];
    // The file after this one: the next of this job, or the first of the next job (claimed now).
    let followingJob = job;
    let followingPos = pos + 1;
    if (followingPos >= indexes.length) {
      followingJob = next();
      followingPos = 0;
    }
    const current = opened;
    opened = followingJob < jobs.length ? openAhead(files[jobs[followingJob].files[followingPos]]) : null;
    series.nextFirst = nextFirst[pos];
    await read(indexes[pos], current, indexes.length > 1 ? series : undefined);
    if (followingJob !== job) {
      series.end();
      series = new CaptureSeries();
    }
    job = followingJob;
    pos = followingPos;
  }
  series.end();
  dropOpened(opened);
}
