import { isMainThread } from 'node:worker_threads';
import { DiagnosticSink, InputError, type DiagnosticCode } from '../common/diagnostics.js';
import { decodeFrame, endCapture } from '../decode/frame.js';
import { Packet } from '../decode/types.js';
import { FlowTable } from '../flows/table.js';
import type { Flow, FlowTimeouts } from '../flows/types.js';
import { readCapture } from '../sources/capture.js';
import { closeInput, openInput, sniffFormat } from '../sources/input.js';
import type { ByteInput, FileSummary, InputFormat } from '../sources/types.js';
import { unsupportedFormatHint } from '../sources/unsupported.js';
import { CaptureDecodeThread, DECODE_THREAD_MIN_BYTES } from './capture-pipeline.js';
import { CapturePoint } from './capture-point.js';
import { ConnectionPrints, type ConnectionPrintsData } from './connection-prints.js';
import type { CaptureSeries } from './capture-series.js';
import type { InputFile } from './inputs.js';

/** Options that shape how every file is read; the same in the main thread and in workers. */
export interface ReadOptions {
  /** Overrides sniffing (`--input-format`). */
  inputFormat?: InputFormat;
  /** Zone for logs with local times (pfirewall): IANA name or offset. */
  tz?: string;
  /** The Windows Firewall log's own host address, when the user knows it. */
  localAddress?: string;
  /** CSV column mapping (`--columns`). */
  columns?: Record<string, string>;
  /** Window, microseconds since the epoch: flows that end before `since` or start after `until` are left out. */
  since?: number;
  until?: number;
  timeouts?: Partial<FlowTimeouts>;
  maxFlows?: number;
  /**
   * Decode captures in a second thread while this one assembles flows (capture-pipeline.ts):
   * `auto` (the default) for captures of at least {@link DECODE_THREAD_MIN_BYTES} read in the main
   * thread, `never` for `--workers 0`, `always` for tests. Results are the same either way.
   */
  decodeThread?: 'auto' | 'always' | 'never';
  /** `onFlow` keeps no flow past its call: see ReadContext.transientFlows. */
  transientFlows?: boolean;
  /**
   * False when the flows only go into a summary, which does not depend on their order: a
   * capture's flows still open at its end then come unsorted (FlowTableOptions.orderedFlush).
   */
  orderedFlows?: boolean;
  /**
   * Keep a print of up to this many connections of each capture (connection-prints.ts), so that
   * captures holding the same connections (both ends captured at once) can be found: set when
   * there are two inputs or more.
   */
  connectionPrints?: number;
}


/** What reading one file gave: its summary (null when it could not be read at all) and its flow count. */
export interface FileReadResult {
  file: string;
  summary: FileSummary | null;
  flows: number;
  /** Flows left out by --since/--until. */
  outsideWindow: number;
  /**
   * The hosts this file observes from: a Windows Firewall log's own host (SEND: the source,
   * RECEIVE: the destination), an NSG or VNet flow log's protected addresses (I: the destination,
   * O: the source), a capture's capturing host (capture-point.ts: the address on a side of every
   * host-to-host flow in it). Null for logs whose records carry no direction, and for captures
   * whose flows no one address takes part in (a mirror port's).
   */
  observed: string[] | null;
  /** A capture that holds one conversation only: its two ends (capture-point.ts), also its `observed`. */
  conversation?: [string, string];
  /** A file of a rotating capture: the file before it, whose flow table went on into this one (capture-series.ts). */
  continues?: string;
  /**
   * A log whose every flow was refused (denied or dropped): it records no traffic its firewall let
   * through (Windows Firewall logging dropped packets only, an export filtered to denies), so the
   * absence of allowed traffic in it proves nothing.
   */
  deniedOnly?: boolean;
  /** A capture's connection prints (ReadOptions.connectionPrints). */
  prints?: ConnectionPrintsData;
  /**
   * A Windows Firewall log without a single DROP line. Its "Log dropped packets" setting may be off
   * (the Windows default), and then an attempt its firewall dropped left no trace in it.
   */
  noDropsLogged?: boolean;
}

/** Past this many observed hosts a log is treated as seeing everything (a busy NSG). */
const MAX_OBSERVED_HOSTS = 4096;

/**
 * Reads one input file of any supported format and hands every flow in the window to `onFlow`
 * (`opening`: the file already being opened, see {@link openAhead}).
 * File-level failures (unreadable, unknown format) are recorded in `diag` as failed files and the
 * function returns normally, so the caller goes on with the other files. A capture gets a flow
 * table of its own, unless it is a file of a rotating capture (`series`, see capture-series.ts):
 * then the table of the file before goes on into it, and on into the next file when that one
 * starts no earlier than this one's last packet. A capture's flow table tells `onOpenFlows` how many
 * flows it holds open, as each flow starts (FlowTableOptions.onOpenFlows).
 */
export async function readOneFile(
  file: InputFile,
  opts: ReadOptions,
  diag: DiagnosticSink,
  onFlow: (flow: Flow) => void,
  onInput?: (input: { bytesConsumed(): number }) => void,
  opening?: Promise<ByteInput>,
  series?: CaptureSeries,
  onOpenFlows?: (open: number) => void,
): Promise<FileReadResult> {
  const result: FileReadResult = { file: file.path, summary: null, flows: 0, outsideWindow: 0, observed: null };
  const observed = new Set<string>();
  let observedUnknown = false;
  const capturePoint = new CapturePoint();
  const prints = opts.connectionPrints !== undefined ? new ConnectionPrints(opts.connectionPrints) : null;
  const observe = (flow: Flow) => {
    const dir = flow.log?.direction;
    if (dir === 'I' || dir === 'RECEIVE') observed.add(flow.respH);
    else if (dir === 'O' || dir === 'SEND') observed.add(flow.origH);
    else observedUnknown = true;
  };
  const since = opts.since ?? -Infinity;
  const until = opts.until ?? Infinity;
  const windowed = opts.since !== undefined || opts.until !== undefined;
  /** A log's refused flows: when they are all its flows, it is a log of denials only (`deniedOnly`). */
  let refusedFlows = 0;
  const emit = (flow: Flow) => {
    if (windowed && (flow.ts + flow.duration < since || flow.ts > until)) {
      result.outsideWindow++;
      return;
    }
    result.flows++;
    if (flow.observedBy === 'flowlog') {
      if (flow.outcome === 'refused') refusedFlows++;
      if (!observedUnknown) observe(flow);
    } else {
      capturePoint.add(flow);
      prints?.add(flow);
    }
    onFlow(flow);
  };

  let input: ByteInput;
  try {
    input = await (opening ?? openInput(file.path));
  } catch (e) {
    series?.end();
    recordFailure(diag, file.path, e);
    return result;
  }
  // In a decoding thread the bytes are counted there (see below).
  let threadBytes = -1;
  const opened = input;
  onInput?.({ bytesConsumed: () => (threadBytes >= 0 ? threadBytes : opened.bytesConsumed()) });
  try {
    const format = opts.inputFormat ?? sniffFormat(input.head);
    if (format !== 'pcap' && format !== 'pcapng') series?.end();
    if (format === 'pcap' || format === 'pcapng') {
      const newTable = (onFlow: (flow: Flow) => void) =>
        new FlowTable({ onFlow, diag, timeouts: opts.timeouts, maxFlows: opts.maxFlows, orderedFlush: opts.orderedFlows !== false, onOpenFlows });
      let table: FlowTable;
      if (series) {
        series.route = emit;
        if (series.table && series.lastFile !== null) result.continues = series.lastFile;
        table = series.table ?? newTable((flow) => series.route(flow));
        series.table = null;
      } else {
        table = newTable(emit);
      }
      table.setFile(file.path, diag);
      try {
        const thread = useDecodeThread(file, opts) ? CaptureDecodeThread.tryShared() : null;
        let delivered = 0;
        if (thread) {
          threadBytes = 0;
          try {
            result.summary = await thread.read(
              file.path,
              diag,
              (pkt, key, keyAt) => {
                delivered++;
                if (keyAt >= 0) table.addPacketWithKey(pkt, key, keyAt);
                else table.addPacket(pkt);
              },
              (bytes) => (threadBytes = bytes),
            );
          } catch (e) {
            // The thread itself failed before it sent anything (it could not start): decode here
            // instead; this thread's copy of the input is still unread. Anything else is reported.
            if (delivered > 0 || e instanceof InputError || typeof (e as NodeJS.ErrnoException)?.syscall === 'string') throw e;
            threadBytes = -1;
          }
        }
        if (result.summary === null) {
          const pkt = new Packet();
          try {
            result.summary = await readCapture(input, { diag }, (frame) => {
              if (decodeFrame(frame, pkt, diag)) table.addPacket(pkt);
            });
          } finally {
            endCapture(pkt, diag);
          }
        }
      } finally {
        // Whatever stopped the file, the flows read before it are reported, unless the next file
        // of a rotating capture goes on with them.
        if (series?.continuesAfter(table)) {
          series.table = table;
          series.lastFile = file.path;
        } else table.flush();
      }
    } else if (format === 'pktmon') {
      result.summary = await readPktmon(file, input, opts, diag, emit, onOpenFlows);
    } else if (format === 'unknown') {
      const hint = unsupportedFormatHint(input.head, file.path);
      throw new InputError(
        'input_unknown_format',
        file.path,
        0,
        `${file.path}: not a format flowaudit reads (expected a pcap or pcapng capture, a Windows Firewall log, ` +
          `a Linux, pfSense, OPNsense, Cisco ASA, FortiGate or Palo Alto firewall log, a pktmon trace as text, an NSG or VNet flow log, an Azure Firewall log, or a CSV export with a header row); ${hint ?? `first bytes: ${describeHead(input.head)}`}`,
      );
    } else {
      // Loaded on first use: a capture run does not pay for the log parsers (csv-parse among them).
      const { readFlowLog } = await import('../sources/flowlog.js');
      result.summary = await readFlowLog(
        format,
        input,
        { diag, tz: opts.tz, localAddress: opts.localAddress, columns: opts.columns, transientFlows: opts.transientFlows, timeouts: opts.timeouts },
        emit,
      );
    }
    if (format !== 'pcap' && format !== 'pcapng' && format !== 'pktmon' && !observedUnknown && observed.size > 0 && observed.size <= MAX_OBSERVED_HOSTS) {
      result.observed = [...observed].sort();
    }
    if (format === 'pktmon' && result.summary?.tracedOn !== undefined) {
      // pktmon names the host it ran on (the direction of each packet): no guess from the flows.
      result.observed = result.summary.tracedOn;
    } else if (format === 'pcap' || format === 'pcapng' || format === 'pktmon') {
      result.observed = capturePoint.hosts();
      const conversation = capturePoint.conversation();
      if (conversation !== null) result.conversation = conversation;
    }
    if (prints !== null && (format === 'pcap' || format === 'pcapng' || format === 'pktmon')) result.prints = prints.data();
    if (format !== 'pcap' && format !== 'pcapng' && format !== 'pktmon' && result.flows > 0 && refusedFlows === result.flows) result.deniedOnly = true;
    if (format === 'pfirewall' && result.flows > 0 && refusedFlows === 0) result.noDropsLogged = true;
    if (result.summary && result.summary.records === 0 && result.flows === 0) {
      diag.report('input_empty', { file: file.path, offset: 0, index: 0 }, `${file.path}: no records`);
    }
  } catch (e) {
    recordFailure(diag, file.path, e);
  } finally {
    if (result.outsideWindow > 0) diag.count('flows_outside_window', result.outsideWindow);
    // Readers close what they read to the end; this covers the early exits (unknown format).
    await closeInput(input);
  }
  return result;
}

/**
 * A pktmon text trace: its packets through a flow table, as a capture's, and each flow that did
 * not complete marked with the drop pktmon recorded for it. Evidence points at the header line of
 * the flow's first packet.
 */
async function readPktmon(
  file: InputFile,
  input: ByteInput,
  opts: ReadOptions,
  diag: DiagnosticSink,
  emit: (flow: Flow) => void,
  onOpenFlows?: (open: number) => void,
): Promise<FileSummary> {
  const { readPktmonText, PktmonDrops } = await import('../sources/pktmon-text.js');
  const drops = new PktmonDrops(diag);
  const table = new FlowTable({
    onFlow: (flow) => {
      drops.mark(flow);
      // The header line of its first packet, as a line (a person opens the text there) and as its
      // frame: the audit takes a sample with a frame for one from packets (what a capture can show).
      flow.evidence = { file: flow.evidence.file, frame: flow.evidence.frame, line: flow.evidence.frame };
      emit(flow);
    },
    diag,
    timeouts: opts.timeouts,
    maxFlows: opts.maxFlows,
    orderedFlush: opts.orderedFlows !== false,
    onOpenFlows,
  });
  table.setFile(file.path, diag);
  try {
    return await readPktmonText(input, { diag, tz: opts.tz }, (pkt) => table.addPacket(pkt), drops);
  } finally {
    table.flush();
  }
}

/**
 * Starts opening `file` (and reading its first chunk) ahead of {@link readOneFile}, so that a
 * thread reading many files one after another does not wait for each to open: pass the result as
 * readOneFile's `opening`. A failure surfaces there, reported as usual. Null for standard input.
 */
export function openAhead(file: InputFile): Promise<ByteInput> | null {
  if (file.path === '-') return null;
  const opening = openInput(file.path);
  opening.catch(() => undefined); // handled by whoever reads it; not an unhandled rejection meanwhile
  return opening;
}

/** Closes a file opened by {@link openAhead} that will not be read after all. */
export function dropOpened(opened: Promise<ByteInput> | null): void {
  void opened?.then(closeInput, () => undefined);
}

function useDecodeThread(file: InputFile, opts: ReadOptions): boolean {
  const mode = opts.decodeThread ?? 'auto';
  if (mode === 'never' || file.path === '-' || !isMainThread) return false;
  return mode === 'always' || file.size >= DECODE_THREAD_MIN_BYTES;
}

function recordFailure(diag: DiagnosticSink, file: string, e: unknown): void {
  if (e instanceof InputError) {
    diag.fail({ file, code: e.code, offset: e.offset, message: e.message });
    return;
  }
  if (e && typeof e === 'object' && 'code' in e && typeof (e as NodeJS.ErrnoException).syscall === 'string') {
    const err = e as NodeJS.ErrnoException;
    diag.fail({ file, code: 'input_unreadable', offset: -1, message: `${file}: cannot read (${err.code})` });
    return;
  }
  // Anything else is a bug of ours, not bad input: let it surface with its stack.
  throw e;
}

/** A short, printable rendering of a file's first bytes for "unknown format" messages. */
function describeHead(head: Uint8Array): string {
  const n = Math.min(16, head.length);
  if (n === 0) return '(empty file)';
  let printable = true;
  for (let i = 0; i < n; i++) if (head[i] < 0x20 || head[i] > 0x7e) printable = false;
  if (printable) return JSON.stringify(Buffer.from(head.subarray(0, n)).toString('latin1'));
  return Array.from(head.subarray(0, Math.min(8, n)), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** Exposed for messages: the code a failure was recorded under. */
export type { DiagnosticCode };
