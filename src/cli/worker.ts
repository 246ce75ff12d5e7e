import { parentPort, workerData } from 'node:worker_threads';
import { readContribution, type WorkerMessage } from './collect.js';
import type { InputFile } from './inputs.js';
import type { ReadOptions } from './read.js';

/**
 * A reading thread: receives files one at a time, reads each into its own summary and sends it
 * back. The main thread merges in file order (collect.ts), so results equal a single-threaded run.
 */
const port = parentPort;
if (!port) throw new Error('worker.ts must run as a worker thread');
const read = (workerData as { read: ReadOptions }).read;

port.on('message', async (m: { type: 'file'; index: number; file: InputFile } | { type: 'done' }) => {
  if (m.type === 'done') {
    port.close();
    return;
  }
  try {
    const result = await readContribution(m.file, m.index, read, (bytes) =>
      port.postMessage({ type: 'progress', bytes, flows: 0 } satisfies WorkerMessage),
    );
    port.postMessage({ type: 'result', result } satisfies WorkerMessage);
  } catch (e) {
    const err = e as Error;
    port.postMessage({ type: 'fatal', message: err.message, stack: err.stack } satisfies WorkerMessage);
  }
});
