import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DiagnosticSink, type DataQuality } from '../common/diagnostics.js';
import { packageRoot } from '../common/package-root.js';
import { FlowSummary, type FlowSummaryTransfer } from '../flows/summary.js';
import { timed, type StepTimes } from '../common/timing.js';
import type { Flow } from '../flows/types.js';
import type { InputFile } from './inputs.js';
import type { ProgressState } from './progress.js';
import { readOneFile, type FileReadResult, type ReadOptions } from './read.js';
import type { ByteInput } from '../sources/types.js';
import { planReading, readInTurn, type CaptureSeries, type ReadJob } from './capture-series.js';

/** The whole input folded into one summary, with its data quality and per-file results. */
export interface Collected {
  summary: FlowSummary;
  diag: DiagnosticSink;
  files: FileReadResult[];
}

export interface CollectOptions {
  read: ReadOptions;
  /** Reading threads, this one included: 0 or 1 reads in this thread only, N >= 2 adds N - 1 worker threads. */
  workers: number;
  progress?: ProgressState;
  /** Called in file order once each file is done (the CLI prints its problems). */
  onFileDone?: (result: FileReadResult, quality: DataQuality) => void;
  /** FLOWAUDIT_TIMING: the time this thread spends folding flows, as part "fold" of step "read". */
  times?: StepTimes | null;
}

/** What a worker reports for one file: how reading went (its flows went into the worker's summary). */
export interface FileReport {
  index: number;
  read: FileReadResult;
  quality: DataQuality;
}

/** What a worker thread starts with (see worker.ts). */
export interface WorkerData {
  read: ReadOptions;
  files: InputFile[];
  /** What each reader reads in turn: single files, and the files of a rotating capture together. */
  jobs: ReadJob[];
  /** The index of the next job to read, shared by all readers (see {@link claimJob}). */
  next: Int32Array;
}

/**
 * Claims the next job to read from the counter every reader shares (an Int32Array over a
 * SharedArrayBuffer): whichever reader is free takes it, with no round trip to another thread.
 * Returns its index (jobs.length or more: none left).
 */
export function claimJob(next: Int32Array): number {
  return Atomics.add(next, 0, 1);
}

/**
 * A recorder that folds per-file reports strictly in file order whatever order they come in (the
 * files of a rotating capture are read in time order, and readers finish when they finish).
 */
function inFileOrder(record: (r: FileReport) => void): (r: FileReport) => void {
  const pending = new Map<number, FileReport>();
  let nextToFold = 0;
  return (r) => {
    pending.set(r.index, r);
    while (pending.has(nextToFold)) {
      record(pending.get(nextToFold)!);
      pending.delete(nextToFold);
      nextToFold++;
    }
  };
}

/**
 * The young generation of a reading thread, in MB: 16 MB of new space instead of V8's default
 * 32 MB. A reader's young objects are per-file and short-lived, and the default young generation
 * was ~20 MB of the worker's resident heap; this costs a few dozen more scavenges (~70 ms of GC in
 * a 10 M-tuple NSG tree). The main thread keeps V8's default.
 */
const READER_YOUNG_GENERATION_MB = 16;

/** Messages from a worker to the main thread (see worker.ts). */
export type WorkerMessage =
  | { type: 'file'; report: FileReport }
  /** The worker's summary: its pair table as typed arrays, transferred rather than cloned (see FlowSummary.toTransfer). */
  | { type: 'summary'; summary: FlowSummaryTransfer }
  | { type: 'progress'; bytes: number }
  | { type: 'fatal'; message: string; stack?: string };

/**
 * Reads one file, adding its flows to `summary`; returns how reading went. Every thread keeps ONE
 * summary for all the files it reads: an hourly flow-log file touches nearly every host pair, so a
 * summary per file would be as large as the total, once per file.
 */
export async function readIntoSummary(
  file: InputFile,
  index: number,
  opts: ReadOptions,
  summary: FlowSummary,
  onBytes?: (bytes: number) => void,
  opened?: Promise<ByteInput> | null,
  series?: CaptureSeries,
  times?: StepTimes | null,
): Promise<FileReport> {
  const diag = new DiagnosticSink();
  const fold = times ? timed(times, 'fold', 'read', (f: Flow) => summary.add(f)) : (f: Flow) => summary.add(f);
  let input: { bytesConsumed(): number } | null = null;
  const timer = onBytes ? setInterval(() => input && onBytes(input.bytesConsumed()), 200) : null;
  try {
    // summary.add keeps no flow (only copies of what it samples): readers may reuse one flow object.
    const read = await readOneFile(
      file,
      { ...opts, transientFlows: true },
      diag,
      fold,
      (i) => (input = i),
      opened ?? undefined,
      series,
      (open) => summary.reserveFor(open),
    );
    return { index, read, quality: diag.toDataQuality() };
  } finally {
    if (timer) clearInterval(timer);
  }
}

/**
 * Reads every file and folds the flows into one summary. With `workers` >= 2, this thread reads
 * too, as one of the readers, alongside `workers - 1` worker threads: each worker builds its own
 * summary, which this thread folds into its own at the end. FlowSummary.merge is exact and does
 * not depend on order (samples, names and capped lists are chosen by a total order on the data),
 * so the result equals a single-threaded run whichever thread read which file; per-file results
 * and data quality are folded strictly in file order.
 */
export async function collectSummary(files: InputFile[], opts: CollectOptions): Promise<Collected> {
  const out: Collected = { summary: new FlowSummary(), diag: new DiagnosticSink(), files: [] };
  const record = inFileOrder((r: FileReport) => {
    out.diag.merge(r.quality);
    out.files.push(r.read);
    opts.onFileDone?.(r.read, r.quality);
  });
  const progress = opts.progress;
  const jobs = await planReading(files, opts.read.inputFormat);
  // A reader per job at most: a ring buffer's files are one job, which this thread then reads with
  // its decoding thread rather than one worker reading it alone while the others wait.
  if (Math.min(opts.workers, jobs.length) <= 1) {
    let next = 0;
    await readInTurn(files, jobs, () => next++, async (i, opened, series) => {
      if (progress) progress.currentFile = files[i].path;
      const base = progress ? progress.bytesDone : 0;
      const r = await readIntoSummary(
        files[i],
        i,
        opts.read,
        out.summary,
        progress ? (b) => (progress.bytesDone = base + b) : undefined,
        opened,
        series,
        opts.times,
      );
      if (progress) {
        progress.bytesDone = base + files[i].size;
        progress.filesDone++;
        progress.flows += r.read.flows;
      }
      record(r);
    });
    return out;
  }
  // Each worker's summary comes as transferred typed arrays (no clone, no object per pair) and is
  // read once by the merge, then dropped.
  await runReaders(files, jobs, { ...opts, workers: Math.min(opts.workers, jobs.length) }, out.summary, record, (s) => out.summary.mergeTransfer(s));
  return out;
}

/**
 * Lets this thread and `opts.workers - 1` worker threads read the files one at a time (each
 * reader claims the next file when it is free, see {@link claimFile}, so one big file does not
 * hold the others up, and no reader waits for this busy thread to hand it work), folds the
 * per-file reports strictly in file order, and hands each worker's summary to `onSummary` as it
 * arrives. This thread's flows go straight into `summary`.
 */
async function runReaders(
  files: InputFile[],
  jobs: ReadJob[],
  opts: CollectOptions,
  summary: FlowSummary,
  record: (r: FileReport) => void,
  onSummary: (s: FlowSummaryTransfer) => void,
): Promise<void> {
  const script = join(packageRoot(), 'dist', 'src', 'cli', 'worker.js');
  const next = new Int32Array(new SharedArrayBuffer(4));
  const progress = opts.progress;
  /** Bytes read so far of the file each reader is on (this thread's key: `self`). */
  const inFlightBytes = new Map<object, number>();
  const self = {};
  let doneBytes = 0;
  const showBytes = (reader: object, bytes: number) => {
    inFlightBytes.set(reader, bytes);
    if (!progress) return;
    let sum = doneBytes;
    for (const b of inFlightBytes.values()) sum += b;
    progress.bytesDone = sum;
  };
  const fileDone = (reader: object, r: FileReport) => {
    inFlightBytes.set(reader, 0);
    doneBytes += files[r.index].size;
    if (progress) {
      progress.filesDone++;
      progress.flows += r.read.flows;
      progress.bytesDone = doneBytes;
    }
    record(r);
  };
  // A big capture read here gets no decoding thread of its own: the cores are taken by the readers.
  const readHere: ReadOptions = { ...opts.read, decodeThread: opts.read.decodeThread === 'always' ? 'always' : 'never' };
  const workers: Worker[] = [];

  const workersDone = new Promise<void>((resolve, reject) => {
    let live = 0;
    let failed = false;
    /** Summaries received from workers that have not exited yet (see the 'exit' handler). */
    const summaries = new Map<Worker, FlowSummaryTransfer>();
    const fail = (e: Error) => {
      failed = true;
      reject(e);
    };
    for (let k = 0; k < opts.workers - 1; k++) {
      const w = new Worker(script, {
        workerData: { read: opts.read, files, jobs, next } satisfies WorkerData,
        resourceLimits: { maxYoungGenerationSizeMb: READER_YOUNG_GENERATION_MB },
      });
      workers.push(w);
      live++;
      w.on('message', (m: WorkerMessage) => {
        if (m.type === 'progress') showBytes(w, m.bytes);
        else if (m.type === 'fatal') {
          const err = new Error(m.message);
          err.stack = m.stack;
          fail(err);
        } else if (m.type === 'summary') {
          summaries.set(w, m.summary);
        } else {
          fileDone(w, m.report);
        }
      });
      w.on('error', fail);
      // A summary is folded in once its worker has exited, not when it arrives: by then the
      // worker's heap is gone, so this thread's summary, the worker's and the merge's own memory
      // are not held alongside a second heap (Node delivers a worker's messages before 'exit').
      w.on('exit', (code) => {
        const s = summaries.get(w);
        summaries.delete(w);
        if (!s && !failed) {
          // Killed from outside (out of memory, a signal) before it sent its summary: the flows of
          // the files it read would be missing from the audit without a word.
          fail(new Error(`a reading thread stopped (exit code ${code}) before it handed over its flows; the audit would miss them`));
        } else if (s && !failed) {
          try {
            onSummary(s);
          } catch (e) {
            fail(e as Error);
          }
        }
        live--;
        if (live === 0 && !failed) resolve();
      });
    }
  });
  let stopped = false;
  workersDone.catch(() => (stopped = true)); // rethrown below by Promise.all

  const readerDone = readInTurn(
    files,
    jobs,
    () => claimJob(next),
    async (index, opened, series) => {
      if (progress) progress.currentFile = files[index].path;
      fileDone(self, await readIntoSummary(files[index], index, readHere, summary, (b) => showBytes(self, b), opened, series, opts.times));
    },
    () => stopped,
  );
  try {
    await Promise.all([readerDone, workersDone]);
  } catch (e) {
    for (const w of workers) void w.terminate();
    throw e;
  }
}
