import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DiagnosticSink, type DataQuality } from '../common/diagnostics.js';
import { packageRoot } from '../common/package-root.js';
import { FlowSummary } from '../flows/summary.js';
import type { FlowSummaryData } from '../flows/summary-types.js';
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

/** One file's contribution, as a worker sends it. */
interface FileContribution {
  index: number;
  read: FileReadResult;
  summary: FlowSummaryData;
  quality: DataQuality;
}

/** Messages between the main thread and a worker (see worker.ts). */
export type WorkerMessage =
  | { type: 'result'; result: FileContribution }
  | { type: 'progress'; bytes: number; flows: number }
  | { type: 'fatal'; message: string; stack?: string };

/**
 * Reads one file into a summary and data-quality snapshot of its own. Both the single-threaded
 * path and the workers use this, and the caller merges contributions in file order: a run with
 * workers gives exactly the result of a run without.
 */
export async function readContribution(
  file: InputFile,
  index: number,
  opts: ReadOptions,
  onBytes?: (bytes: number) => void,
): Promise<FileContribution> {
  const c = await readFileSummary(file, index, opts, onBytes);
  return { index, read: c.read, summary: c.summary.toData({ share: true }), quality: c.quality };
}

/** One file read into a live {@link FlowSummary} (not yet snapshotted), for the main thread. */
interface LocalContribution {
  read: FileReadResult;
  summary: FlowSummary;
  quality: DataQuality;
}

async function readFileSummary(
  file: InputFile,
  index: number,
  opts: ReadOptions,
  onBytes?: (bytes: number) => void,
): Promise<LocalContribution> {
  const diag = new DiagnosticSink();
  const summary = new FlowSummary();
  let input: { bytesConsumed(): number } | null = null;
  const timer = onBytes ? setInterval(() => input && onBytes(input.bytesConsumed()), 200) : null;
  try {
    const read = await readOneFile(file, opts, diag, (f) => summary.add(f), (i) => (input = i));
    return { read, summary, quality: diag.toDataQuality() };
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

/** Reads every file and folds the flows into one summary. */
export async function collectSummary(files: InputFile[], opts: CollectOptions): Promise<Collected> {
  const out: Collected = { summary: new FlowSummary(), diag: new DiagnosticSink(), files: [] };
  const record = (read: FileReadResult, quality: DataQuality) => {
    out.diag.merge(quality);
    out.files.push(read);
    opts.onFileDone?.(read, quality);
  };
  const fold = (c: FileContribution) => {
    out.summary.merge(c.summary);
    record(c.read, c.quality);
  };
  const progress = opts.progress;
  if (opts.workers <= 1) {
    for (let i = 0; i < files.length; i++) {
      if (progress) progress.currentFile = files[i].path;
      const base = progress ? progress.bytesDone : 0;
      const c = await readFileSummary(files[i], i, opts.read, progress ? (b) => (progress.bytesDone = base + b) : undefined);
      if (progress) {
        progress.bytesDone = base + files[i].size;
        progress.filesDone++;
        progress.flows += c.read.flows;
      }
      if (i === 0) {
        // The first file's summary becomes the total as it is: merging a snapshot into an empty
        // summary gives the same content (every cap and choice is the same), but deep-copies every
        // pair twice (toData, then merge), which costs about as much as reading a large capture.
        out.summary = c.summary;
      } else {
        out.summary.merge(c.summary.toData({ share: true }));
      }
      record(c.read, c.quality);
    }
    return out;
  }
  await runWorkers(files, opts, fold);
  return out;
}

/**
 * Hands files to `opts.workers` threads one at a time (the next file goes to whichever worker is
 * free, so one big file does not hold the others up) and folds results strictly in file order.
 */
async function runWorkers(
  files: InputFile[],
  opts: CollectOptions,
  fold: (c: FileContribution) => void,
): Promise<void> {
  const script = join(packageRoot(), 'dist', 'src', 'cli', 'worker.js');
  const pending = new Map<number, FileContribution>();
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
        const c = m.result;
        inFlightBytes.set(w, 0);
        doneBytes += files[c.index].size;
        if (progress) {
          progress.filesDone++;
          progress.flows += c.read.flows;
          progress.bytesDone = doneBytes;
        }
        pending.set(c.index, c);
        while (pending.has(nextToFold)) {
          fold(pending.get(nextToFold)!);
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
