import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DiagnosticSink, type DataQuality } from '../common/diagnostics.js';
import { packageRoot } from '../common/package-root.js';
import { FlowSummary, type FlowSummaryTransfer } from '../flows/summary.js';
import type { InputFile } from './inputs.js';
import type { ProgressState } from './progress.js';
import { readOneFile, type FileReadResult, type ReadOptions } from './read.js';

/** The whole input folded into one summary, with its data quality and per-file results. */
export interface Collected {
  summary: FlowSummary;
  diag: DiagnosticSink;
  files: FileReadResult[];
}

export interface CollectOptions {
  read: ReadOptions;
  /** Worker threads to use; 0 or 1 reads in this thread. */
  workers: number;
  progress?: ProgressState;
  /** Called in file order once each file is done (the CLI prints its problems). */
  onFileDone?: (result: FileReadResult, quality: DataQuality) => void;
}

/** What a worker reports for one file: how reading went (its flows went into the worker's summary). */
export interface FileReport {
  index: number;
  read: FileReadResult;
  quality: DataQuality;
}

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
): Promise<FileReport> {
  const diag = new DiagnosticSink();
  let input: { bytesConsumed(): number } | null = null;
  const timer = onBytes ? setInterval(() => input && onBytes(input.bytesConsumed()), 200) : null;
  try {
    const read = await readOneFile(file, opts, diag, (f) => summary.add(f), (i) => (input = i));
    return { index, read, quality: diag.toDataQuality() };
  } finally {
    if (timer) clearInterval(timer);
  }
}

/** How many workers are worth starting for these files: both cores when there are many files. */
export function chooseWorkers(files: InputFile[], requested: number | undefined): number {
  if (requested !== undefined) return Math.max(0, Math.floor(requested));
  if (files.length < 4 || files.some((f) => f.path === '-')) return 0;
  const total = files.reduce((s, f) => s + f.size, 0);
  if (total < 4 * 1024 * 1024) return 0; // thread start-up costs more than it saves
  return Math.min(files.length, Math.max(1, availableParallelism()));
}

/**
 * Reads every file and folds the flows into one summary. With workers, each thread builds its own
 * summary and the main thread merges them at the end. FlowSummary.merge is exact and does not
 * depend on order (samples, names and capped lists are chosen by a total order on the data), so
 * the result equals a single-threaded run whichever thread read which file; per-file results and
 * data quality are folded strictly in file order.
 */
export async function collectSummary(files: InputFile[], opts: CollectOptions): Promise<Collected> {
  const out: Collected = { summary: new FlowSummary(), diag: new DiagnosticSink(), files: [] };
  const record = (r: FileReport) => {
    out.diag.merge(r.quality);
    out.files.push(r.read);
    opts.onFileDone?.(r.read, r.quality);
  };
  const progress = opts.progress;
  if (opts.workers <= 1) {
    for (let i = 0; i < files.length; i++) {
      if (progress) progress.currentFile = files[i].path;
      const base = progress ? progress.bytesDone : 0;
      const r = await readIntoSummary(files[i], i, opts.read, out.summary, progress ? (b) => (progress.bytesDone = base + b) : undefined);
      if (progress) {
        progress.bytesDone = base + files[i].size;
        progress.filesDone++;
        progress.flows += r.read.flows;
      }
      record(r);
    }
    return out;
  }
  // Each worker's summary is folded in as it arrives; its pair table comes as transferred typed
  // arrays (no clone, no object per pair): the first is adopted as they are, the others are read
  // once by the merge and dropped.
  await runWorkers(files, opts, record, (s) => out.summary.mergeTransfer(s, { adopt: true }));
  return out;
}

/**
 * Hands files to `opts.workers` threads one at a time (the next file goes to whichever worker is
 * free, so one big file does not hold the others up), folds the per-file reports strictly in file
 * order, and hands each worker's summary to `onSummary` as it arrives.
 */
async function runWorkers(
  files: InputFile[],
  opts: CollectOptions,
  record: (r: FileReport) => void,
  onSummary: (s: FlowSummaryTransfer) => void,
): Promise<void> {
  const script = join(packageRoot(), 'dist', 'src', 'cli', 'worker.js');
  const pending = new Map<number, FileReport>();
  let nextToFold = 0;
  let nextToSend = 0;
  const progress = opts.progress;
  const inFlightBytes = new Map<Worker, number>();
  let doneBytes = 0;

  await new Promise<void>((resolve, reject) => {
    let live = 0;
    let failed = false;
    const sendNext = (w: Worker) => {
      if (nextToSend < files.length) {
        const index = nextToSend++;
        w.postMessage({ type: 'file', index, file: files[index] });
      } else {
        w.postMessage({ type: 'done' });
      }
    };
    for (let k = 0; k < opts.workers; k++) {
      const w = new Worker(script, { workerData: { read: opts.read } });
      live++;
      w.on('message', (m: WorkerMessage) => {
        if (m.type === 'progress') {
          inFlightBytes.set(w, m.bytes);
          if (progress) {
            let sum = doneBytes;
            for (const b of inFlightBytes.values()) sum += b;
            progress.bytesDone = sum;
          }
          return;
        }
        if (m.type === 'fatal') {
          failed = true;
          const err = new Error(m.message);
          err.stack = m.stack;
          reject(err);
          return;
        }
        if (m.type === 'summary') {
          try {
            onSummary(m.summary);
          } catch (e) {
            failed = true;
            reject(e as Error);
          }
          return;
        }
        const r = m.report;
        inFlightBytes.set(w, 0);
        doneBytes += files[r.index].size;
        if (progress) {
          progress.filesDone++;
          progress.flows += r.read.flows;
          progress.bytesDone = doneBytes;
        }
        pending.set(r.index, r);
        while (pending.has(nextToFold)) {
          record(pending.get(nextToFold)!);
          pending.delete(nextToFold);
          nextToFold++;
        }
        sendNext(w);
      });
      w.on('error', (e) => {
        failed = true;
        reject(e);
      });
      w.on('exit', () => {
        live--;
        if (live === 0 && !failed) resolve();
      });
      sendNext(w);
    }
  });
}
