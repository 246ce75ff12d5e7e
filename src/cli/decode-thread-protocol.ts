import { DiagnosticSink, type AnswerSubject, type DiagnosticCode, type FailedFile, type Origin } from '../common/diagnostics.js';
import type { PacketBatchExtras } from '../flows/packet-batch.js';
import type { FileSummary } from '../sources/types.js';

/**
 * Messages between the main thread and the capture decoding thread (decode-thread.ts, driven by
 * capture-pipeline.ts). One file at a time; batches of packets flow one way, their emptied buffers
 * flow back as credits, which is what bounds the memory in flight.
 */
export type ToDecodeThread =
  | { type: 'file'; id: number; path: string }
  /** A batch buffer handed back (transferred) once its packets were consumed. */
  | { type: 'credit'; buffer: ArrayBuffer };

export type FromDecodeThread =
  | {
      type: 'batch';
      id: number;
      buffer: ArrayBuffer;
      count: number;
      extras: PacketBatchExtras;
      /** Diagnostics raised while decoding, tagged with the slot they came before (see RecordingDiagnostics). */
      events: DiagnosticEvent[];
      /**
       * Each event's slot, apart: the packet loop reads these numbers, never the events, whose
       * three shapes made its optimised code throw itself away at a batch's first other kind.
       */
      eventSlots: number[];
      /** Bytes of the file consumed so far (progress). */
      bytes: number;
    }
  | { type: 'end'; id: number; summary: FileSummary; events: DiagnosticEvent[]; bytes: number }
  | { type: 'error'; id: number; error: ThreadError; events: DiagnosticEvent[] };

/** A thrown error as it crosses the thread boundary. */
export interface ThreadError {
  /** `input`: an InputError; `errno`: a system call failure; `bug`: anything else. */
  kind: 'input' | 'errno' | 'bug';
  message: string;
  code?: string;
  file?: string;
  offset?: number;
  syscall?: string;
  stack?: string;
}

/**
 * One diagnostic call, to be replayed in the main thread's sink at the same place in the packet
 * sequence as in a single-threaded run: before the packet in slot `slot` of the batch that carries
 * it (or after its last packet when `slot` equals the batch's count).
 */
export type DiagnosticEvent =
  | { slot: number; kind: 'count'; name: string; n: number }
  | { slot: number; kind: 'report'; code: DiagnosticCode; origin: Origin; detail: string; subject?: AnswerSubject }
  | { slot: number; kind: 'fail'; failed: FailedFile };

/** A sink that records every call as an event instead of keeping it (see {@link replayEvents}). */
export class RecordingDiagnostics extends DiagnosticSink {
  events: DiagnosticEvent[] = [];
  /** The slot the next event belongs before: the writer's packet count at the time. */
  slot = 0;

  /** This batch's count event per counter name: counts are summed, not sent one by one. */
  private counts = new Map<string, { slot: number; kind: 'count'; name: string; n: number }>();

  /**
   * Counter increments of one batch travel as one event per name, placed at the first one: a
   * counter's total and its first-seen order (which orders the report's counters) stay exactly
   * those of a single-threaded run; nothing reads a counter while a file is being read.
   */
  override count(name: string, n = 1): void {
    const known = this.counts.get(name);
    if (known) {
      known.n += n;
      return;
    }
    const e = { slot: this.slot, kind: 'count' as const, name, n };
    this.counts.set(name, e);
    this.events.push(e);
  }

  override report(code: DiagnosticCode, origin: Origin, detail: string, subject?: AnswerSubject): void {
    const e: DiagnosticEvent = { slot: this.slot, kind: 'report', code, origin: { file: origin.file, offset: origin.offset, index: origin.index }, detail };
    if (subject !== undefined) e.subject = { ...subject };
    this.events.push(e);
  }

  override fail(failed: FailedFile): void {
    this.events.push({ slot: this.slot, kind: 'fail', failed });
  }

  /** The events recorded since the last take, and a fresh list for the next batch. */
  take(): DiagnosticEvent[] {
    const e = this.events;
    this.events = [];
    this.counts.clear();
    return e;
  }
}

/** Replays one recorded event into `diag`. */
export function replayEvent(diag: DiagnosticSink, e: DiagnosticEvent): void {
  if (e.kind === 'count') diag.count(e.name, e.n);
  else if (e.kind === 'report') diag.report(e.code, e.origin, e.detail, e.subject);
  else diag.fail(e.failed);
}
