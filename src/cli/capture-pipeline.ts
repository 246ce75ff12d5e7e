import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { InputError, type DiagnosticCode, type DiagnosticSink } from '../common/diagnostics.js';
import { packageRoot } from '../common/package-root.js';
import { BatchPacket } from '../flows/packet-batch.js';
import type { PacketFields } from '../decode/types.js';
import type { FileSummary } from '../sources/types.js';
import { replayEvent, type DiagnosticEvent, type FromDecodeThread, type ThreadError } from './decode-thread-protocol.js';

/** Below this size a capture is decoded in the reading thread: starting a thread costs ~50 ms. */
export const DECODE_THREAD_MIN_BYTES = 64 * 1024 * 1024;

/**
 * Receives a decoded packet (reused object: valid during the call only) and, when `keyAt` is not
 * -1, its flow key at `key[keyAt ..]` (FlowTable.addPacketWithKey).
 */
export type PacketWithKeySink = (pkt: PacketFields, key: Int32Array, keyAt: number) => void;

/**
 * Reads a capture with its decoding in a second thread (decode-thread.ts): that thread reads and
 * decodes frames, this one receives the packets in batches and hands each to `onPacket` (the flow
 * table), in file order, with every diagnostic replayed at the same place as in a single-threaded
 * run. The result (packets, diagnostics, summary, errors) is the same as readCapture + decodeFrame
 * in this thread; only the time differs.
 *
 * One decoding thread serves the whole process, one file at a time; it is started on first use
 * and does not keep the process alive between files.
 */
export class CaptureDecodeThread {
  private static instance: CaptureDecodeThread | null = null;

  /** {@link shared}, or null when no thread can be started here (the caller decodes in its own). */
  static tryShared(headStart?: string): CaptureDecodeThread | null {
    try {
      return CaptureDecodeThread.shared(headStart);
    } catch {
      return null;
    }
  }

  /**
   * The process's decoding thread, started on first use. `headStart` names a capture the thread may
   * begin on at once, before it is asked to (see decode-thread.ts): only a thread started now takes it.
   */
  static shared(headStart?: string): CaptureDecodeThread {
    if (!CaptureDecodeThread.instance) CaptureDecodeThread.instance = new CaptureDecodeThread(headStart);
    return CaptureDecodeThread.instance;
  }

  private readonly worker: Worker;
  private nextId = 1;
  private active: {
    id: number;
    onMessage: (m: FromDecodeThread) => void;
    onFailure: (e: Error) => void;
  } | null = null;
  /** Files wait here while another one is read (callers normally read one at a time anyway). */
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(headStart?: string) {
    this.worker = new Worker(join(packageRoot(), 'dist', 'src', 'cli', 'decode-thread.js'), { workerData: { headStart } });
    this.worker.on('message', (m: FromDecodeThread) => this.active?.onMessage(m));
    const broken = (e: Error) => {
      // The thread is gone: later files start a new one.
      if (CaptureDecodeThread.instance === this) CaptureDecodeThread.instance = null;
      this.active?.onFailure(e);
    };
    this.worker.on('error', broken);
    this.worker.on('exit', (code) => broken(new Error(`capture decoding thread exited (code ${code})`)));
    // After the listeners: adding a 'message' listener refs the thread again.
    this.worker.unref();
  }

  /**
   * Reads and decodes `path` in the decoding thread; `onPacket` gets every decoded packet (the
   * object is reused: valid during the call only) and `onBytes` the bytes consumed so far.
   * @throws InputError as readCapture does (unreadable, not a capture, empty); system call errors
   *   keep their `code` and `syscall`.
   */
  read(path: string, diag: DiagnosticSink, onPacket: PacketWithKeySink, onBytes?: (bytes: number) => void): Promise<FileSummary> {
    const run = this.tail.then(() => this.readNow(path, diag, onPacket, onBytes));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private readNow(path: string, diag: DiagnosticSink, onPacket: PacketWithKeySink, onBytes?: (bytes: number) => void): Promise<FileSummary> {
    const id = this.nextId++;
    this.worker.ref();
    return new Promise<FileSummary>((resolve, reject) => {
      const finish = (fn: () => void) => {
        this.active = null;
        this.worker.unref();
        fn();
      };
      const replayAll = (events: DiagnosticEvent[]) => {
        for (const e of events) replayEvent(diag, e);
      };
      this.active = {
        id,
        onFailure: (e) => finish(() => reject(e)),
        onMessage: (m) => {
          if (m.id !== id) return;
          try {
            if (m.type === 'batch') {
              deliverBatch(m, diag, onPacket);
              this.worker.postMessage({ type: 'credit', buffer: m.buffer }, [m.buffer]);
              onBytes?.(m.bytes);
            } else if (m.type === 'end') {
              replayAll(m.events);
              onBytes?.(m.bytes);
              finish(() => resolve(m.summary));
            } else {
              replayAll(m.events);
              finish(() => reject(fromThreadError(m.error)));
            }
          } catch (err) {
            // A failure in onPacket (a bug of ours): the thread may still be sending this file.
            void this.worker.terminate();
            finish(() => reject(err as Error));
          }
        },
      };
      this.worker.postMessage({ type: 'file', id, path });
    });
  }
}

function fromThreadError(t: ThreadError): Error {
  if (t.kind === 'input') return new InputError(t.code as DiagnosticCode, t.file ?? '', t.offset ?? 0, t.message);
  const err = new Error(t.message) as NodeJS.ErrnoException;
  if (t.kind === 'errno') {
    err.code = t.code;
    err.syscall = t.syscall;
  } else if (t.stack) {
    err.stack = t.stack;
  }
  return err;
}

/**
 * Hands each packet of a batch to `onPacket`, each of its diagnostics replayed before the packet it
 * came before. A function of its own: this loop is what V8 optimises while it runs (on-stack
 * replacement), and with the once-per-batch code around it in the same function, the optimised
 * loop took in callees that had run too rarely to have type feedback yet (the credit's
 * postMessage) and was thrown away at the end of batch after batch (20 to 40 times a 1 GB capture).
 */
function deliverBatch(m: Extract<FromDecodeThread, { type: 'batch' }>, diag: DiagnosticSink, onPacket: PacketWithKeySink): void {
  const batch = new BatchPacket(m.buffer, m.count, m.extras);
  const words = batch.words;
  const events = m.events;
  const slots = m.eventSlots;
  let e = 0;
  for (let slot = 0; slot < m.count; slot++) {
    while (e < slots.length && slots[e] <= slot) replayEvent(diag, events[e++]);
    batch.moveTo(slot);
    onPacket(batch, words, batch.keyAt);
  }
  while (e < events.length) replayEvent(diag, events[e++]);
}
