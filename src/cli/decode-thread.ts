import { parentPort, workerData } from 'node:worker_threads';
import { InputError } from '../common/diagnostics.js';
import { decodeFrame, endCapture } from '../decode/frame.js';
import { PACKET_SLOT_BYTES, PacketBatchWriter } from '../flows/packet-batch.js';
import { Packet } from '../decode/types.js';
import { readCapture } from '../sources/capture.js';
import { closeInput, openInput } from '../sources/input.js';
import type { ByteInput, FileSummary } from '../sources/types.js';
import { RecordingDiagnostics, type FromDecodeThread, type ThreadError, type ToDecodeThread } from './decode-thread-protocol.js';

/**
 * The capture decoding thread: reads a capture file and decodes its frames into packets, which it
 * sends to the main thread in batches (capture-pipeline.ts); the main thread runs the flow table.
 * Reading and decoding take about a third of the work on a large capture, so with both cores the
 * two halves overlap instead of adding up.
 *
 * Memory in flight is bounded: at most {@link MAX_BATCHES_IN_FLIGHT} batches wait in the main
 * thread before this thread stops reading (it waits before pulling the next chunk of the file),
 * plus what one chunk decodes into.
 */
export const BATCH_PACKETS = 16384;
/** The first batch of a file is small, and each next one twice the last: the main thread starts work early. */
const FIRST_BATCH_PACKETS = 256;
const MAX_BATCHES_IN_FLIGHT = 8;

const port = parentPort;
if (!port) throw new Error('decode-thread.ts must run as a worker thread');

// The first ArrayBuffer a thread ever transfers invalidates V8's "ArrayBufferDetaching" protector,
// and with it every optimised function that reads a typed array: here the whole decoding path
// (frame, IPv4, IPv6, the key of a flow ...), compiled again at once. The first batch of a head
// start is only transferred when the main thread asks for the file, which `analyze` (loading its
// audit modules) did after that path was optimised, in 4 runs of 6 on the 1 GB bench capture:
// 0.1-0.2 s more compiling, on the cores that decoding needs. Detaching an empty buffer now, before
// any of that code runs, pays the invalidation while nothing depends on it.
const detachedOnce = new ArrayBuffer(0);
structuredClone(detachedOnce, { transfer: [detachedOnce] });

const pool: ArrayBuffer[] = [];
let inFlight = 0;
let wake: (() => void) | null = null;

/** How a decoding job hands its messages on: to the main thread, or held while it is a head start. */
interface Job {
  id: number;
  path: string;
  post: (msg: FromDecodeThread, transfer?: ArrayBuffer[]) => void;
  /** Set when a head start turns out to be for nothing: the reading stops at the next chunk. */
  cancelled: boolean;
}

/**
 * A file this thread started on before the main thread asked for it (prestart.ts names the big
 * capture on the command line, so that reading and decoding begin while the rest of the program is
 * still loading). Its messages are held until the main thread asks for that path; if it asks for
 * another one first, the head start is dropped.
 */
interface HeadStart {
  job: Job;
  held: { msg: FromDecodeThread; transfer?: ArrayBuffer[] }[];
}

let headStart: HeadStart | null = null;
/** The job being decoded (or the last one): files are taken one at a time, in order. */
let queue: Promise<void> = Promise.resolve();

const headStartPath = (workerData as { headStart?: string } | null)?.headStart;
if (typeof headStartPath === 'string') {
  const held: HeadStart['held'] = [];
  const job: Job = { id: 0, path: headStartPath, post: (msg, transfer) => held.push({ msg, transfer }), cancelled: false };
  headStart = { job, held };
  queue = decodeFile(job);
}

port.on('message', (m: ToDecodeThread) => {
  if (m.type === 'credit') {
    inFlight--;
    pool.push(m.buffer);
    const w = wake;
    wake = null;
    w?.();
    return;
  }
  const start = headStart;
  headStart = null;
  if (start !== null && start.job.path === m.path) {
    // The main thread asks for the file already under way: send what is held, then go on live.
    start.job.id = m.id;
    for (const { msg, transfer } of start.held) port.postMessage({ ...msg, id: m.id }, transfer ?? []);
    start.held.length = 0;
    start.job.post = (msg, transfer) => port.postMessage(msg, transfer ?? []);
    return;
  }
  if (start !== null) dropHeadStart(start);
  // One file at a time: the main thread sends the next only after this one's 'end' or 'error'.
  const job: Job = { id: m.id, path: m.path, post: (msg, transfer) => port.postMessage(msg, transfer ?? []), cancelled: false };
  queue = queue.then(() => decodeFile(job));
});

/**
 * Stops a head start nobody asked for and takes back the batch buffers it holds, and those it still
 * sends while it stops (the rest of the chunk under way, the last part-filled batch): each counted
 * in `inFlight` when sent, they would otherwise shrink the window of every file after.
 */
function dropHeadStart(start: HeadStart): void {
  start.job.cancelled = true;
  for (const { msg } of start.held) takeBack(msg);
  start.held.length = 0;
  start.job.post = takeBack;
  const w = wake;
  wake = null;
  w?.();
}

/** Counts a batch that will not reach the main thread as credited, and keeps its buffer. */
function takeBack(msg: FromDecodeThread): void {
  if (msg.type === 'batch') {
    inFlight--;
    pool.push(msg.buffer);
  }
}

function newBuffer(): ArrayBuffer {
  return pool.pop() ?? new ArrayBuffer(BATCH_PACKETS * PACKET_SLOT_BYTES);
}

/** Resolves once fewer than MAX_BATCHES_IN_FLIGHT batches are waiting in the main thread. */
async function roomForMore(): Promise<void> {
  while (inFlight >= MAX_BATCHES_IN_FLIGHT) await new Promise<void>((resolve) => (wake = resolve));
}

/** The input's chunks, pulled only while the main thread keeps up. */
function gated(input: ByteInput, job: Job): ByteInput {
  const source = input.chunks;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      await roomForMore();
      if (job.cancelled) return;
      yield chunk;
    }
  }
  return { ...input, chunks: chunks(), bytesConsumed: () => input.bytesConsumed() };
}

async function decodeFile(job: Job): Promise<void> {
  const diag = new RecordingDiagnostics();
  const writer = new PacketBatchWriter(newBuffer(), BATCH_PACKETS);
  writer.limit = FIRST_BATCH_PACKETS;
  const pkt = new Packet();
  let input: ByteInput | null = null;
  const send = () => {
    const events = diag.take();
    const msg: FromDecodeThread = {
      type: 'batch',
      id: job.id,
      buffer: writer.buffer,
      count: writer.count,
      extras: writer.extras,
      events,
      eventSlots: events.map((e) => e.slot),
      bytes: input ? input.bytesConsumed() : 0,
    };
    inFlight++;
    job.post(msg, [writer.buffer]);
    const limit = writer.limit;
    writer.reset(newBuffer());
    writer.limit = Math.min(BATCH_PACKETS, limit * 2);
    diag.slot = 0;
  };
  try {
    input = await openInput(job.path);
    let summary: FileSummary;
    try {
      summary = await readCapture(gated(input, job), { diag }, (frame) => {
        if (decodeFrame(frame, pkt, diag)) {
          writer.put(pkt);
          diag.slot = writer.count;
          if (writer.full) send();
        }
      });
    } finally {
      endCapture(pkt, diag);
    }
    if (writer.count > 0) send();
    job.post({ type: 'end', id: job.id, summary, events: diag.take(), bytes: input.bytesConsumed() });
  } catch (e) {
    // Packets decoded before the failure still go first, as in a single-threaded run.
    if (writer.count > 0) send();
    job.post({ type: 'error', id: job.id, error: toThreadError(e), events: diag.take() });
  } finally {
    if (input) await closeInput(input).catch(() => undefined);
  }
}

function toThreadError(e: unknown): ThreadError {
  if (e instanceof InputError) return { kind: 'input', message: e.message, code: e.code, file: e.file, offset: e.offset };
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === 'object' && typeof err.syscall === 'string') {
    return { kind: 'errno', message: err.message, code: err.code, syscall: err.syscall };
  }
  return { kind: 'bug', message: err?.message ?? String(e), stack: err?.stack };
}
