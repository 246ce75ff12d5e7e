import { parentPort, workerData } from 'node:worker_threads';
import { FlowSummary, transferList } from '../flows/summary.js';
import { readIntoSummary, type WorkerMessage } from './collect.js';
import type { InputFile } from './inputs.js';
import type { ReadOptions } from './read.js';

/**
 * A reading thread: receives files one at a time and folds their flows into one summary of its
 * own, reporting each file as it finishes; on `done` it sends the summary and exits. The main
 * thread merges the summaries (collect.ts): the result equals a single-threaded run.
 */
const port = parentPort;
if (!port) throw new Error('worker.ts must run as a worker thread');
const read = (workerData as { read: ReadOptions }).read;
const summary = new FlowSummary();

port.on('message', async (m: { type: 'file'; index: number; file: InputFile } | { type: 'done' }) => {
  try {
    if (m.type === 'done') {
      // The pair table's own typed arrays are transferred, not cloned: this summary is not touched again.
      const data = summary.toTransfer({ transfer: true });
      port.postMessage({ type: 'summary', summary: data } satisfies WorkerMessage, transferList(data));
      port.close();
      return;
    }
    const report = await readIntoSummary(m.file, m.index, read, summary, (bytes) =>
      port.postMessage({ type: 'progress', bytes } satisfies WorkerMessage),
    );
    port.postMessage({ type: 'file', report } satisfies WorkerMessage);
  } catch (e) {
    const err = e as Error;
    port.postMessage({ type: 'fatal', message: err.message, stack: err.stack } satisfies WorkerMessage);
  }
});
