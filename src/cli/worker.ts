import { parentPort, workerData } from 'node:worker_threads';
import { FlowSummary, transferList } from '../flows/summary.js';
import { readInTurn } from './capture-series.js';
import { claimJob, readIntoSummary, type WorkerData, type WorkerMessage } from './collect.js';

/**
 * A reading thread: claims jobs (a file, or the files of a rotating capture) one at a time from the counter it shares with the other readers
 * (see collect.ts) and folds their flows into one summary of its own, reporting each file as it
 * finishes; when no file is left it sends the summary and exits. The main thread merges the
 * summaries: the result equals a single-threaded run.
 */
const port = parentPort;
if (!port) throw new Error('worker.ts must run as a worker thread');
const { read, files, jobs, next } = workerData as WorkerData;
const summary = new FlowSummary();

void (async () => {
  try {
    await readInTurn(files, jobs, () => claimJob(next), async (index, opened, series) => {
      const report = await readIntoSummary(
        files[index],
        index,
        read,
        summary,
        (bytes) => port.postMessage({ type: 'progress', bytes } satisfies WorkerMessage),
        opened,
        series,
      );
      port.postMessage({ type: 'file', report } satisfies WorkerMessage);
    });
    // The pair table's own typed arrays are transferred, not cloned: this summary is not touched again.
    const data = summary.toTransfer({ transfer: true });
    port.postMessage({ type: 'summary', summary: data } satisfies WorkerMessage, transferList(data));
    port.close();
  } catch (e) {
    const err = e as Error;
    port.postMessage({ type: 'fatal', message: err.message, stack: err.stack } satisfies WorkerMessage);
  }
})();
