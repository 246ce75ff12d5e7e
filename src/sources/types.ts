import type { DiagnosticSink, Origin } from '../common/diagnostics.js';
import type { Flow } from '../flows/types.js';

/**
 * One captured frame, as a capture reader hands it out.
 *
 * The object AND its `data` view are reused: both are valid only during the `onFrame` callback
 * that receives them. Copy what you need to keep. (This is why readers push frames to a
 * synchronous callback instead of yielding them from an async generator: one promise per packet
 * costs more than the whole decode at the 1 GB/s target. Readers still await I/O per chunk, so
 * the consumer applies backpressure simply by being synchronous.)
 */
export interface Frame {
  origin: Origin;
  /** Capture time, integer microseconds since the epoch (nanosecond files are truncated). */
  tsMicros: number;
  /** LINKTYPE_* value of the interface this frame came from (FCS bits stripped). */
  linkType: number;
  /** pcapng interface id (0 for classic pcap). */
  interfaceId: number;
  capturedLen: number;
  originalLen: number;
  /** Captured bytes; a view into the reader's buffer. */
  data: Uint8Array;
}

/** Called once per frame, synchronously. Must not keep `frame` or `frame.data`. */
export type FrameSink = (frame: Frame) => void;

/** Called once per flow that a flow-log source produces (log records become flows directly). */
export type FlowSink = (flow: Flow) => void;

/**
 * An opened input: a name, an optional size for progress, and a pull-based stream of chunks
 * (already decompressed when the file was gzip). Chunks may be reused by the producer after the
 * next pull; readers copy what spans chunk boundaries into their own growable buffer.
 */
export interface ByteInput {
  /** Path as given by the user, or `-`. */
  name: string;
  /** Size in bytes of the file on disk (compressed size for .gz), when known. */
  size?: number;
  /** True when the bytes were gunzipped on the fly. */
  gzip: boolean;
  /** The first bytes (up to 4 KiB) for format sniffing; the chunks below start at offset 0 still. */
  head: Uint8Array;
  chunks: AsyncIterable<Uint8Array>;
  /** Compressed bytes consumed so far (for a progress bar). */
  bytesConsumed(): number;
}

/** What a file looks like, decided from its bytes, never from its name. */
export type InputFormat =
  | 'pcap'
  | 'pcapng'
  | 'pfirewall'
  | 'nsg'
  | 'vnet'
  | 'azfw'
  | 'csv'
  | 'pktmon'
  | 'netfilter'
  | 'filterlog'
  | 'asa'
  | 'keyvalue'
  | 'panos'
  | 'unknown';

/** Per-file summary a reader returns when it is done (or stopped by damage). */
export interface FileSummary {
  file: string;
  format: InputFormat;
  /** Frames (captures) or records/lines (logs) read. */
  records: number;
  /** Bytes of the (decompressed) stream read. */
  bytes: number;
  /** First and last timestamps seen, microseconds; null when none. */
  firstTs: number | null;
  lastTs: number | null;
  /** False when the reader stopped before the end because of damage. */
  complete: boolean;
  /**
   * Logs with local times (pfirewall, CSV without a zone): the zone the times were read in, and
   * whether it was assumed (no `--tz` given, so UTC) rather than given. Reports state it.
   */
  timeZone?: { name: string; assumed: boolean };
  /**
   * pfirewall: the logging host's own address, as given (`localAddress`) or inferred (the unicast
   * address seen most often as the source of SEND lines and the destination of RECEIVE lines).
   */
  localAddress?: string;
  /**
   * pktmon text: the traced host's addresses (the destinations of the packets it received and the
   * sources of those it sent, as pktmon's Direction says), when they are a host's few.
   */
  tracedOn?: string[];
  /**
   * pcapng: the capture filters the file's interfaces were captured with (if_filter), as text:
   * traffic they excluded was never captured, so its absence proves nothing.
   */
  captureFilters?: string[];
  /**
   * pcapng: every interface the file describes has its capture filter among `captureFilters`, so
   * every packet in it passed one of them (audit/capture-filter.ts judges what they left out).
   */
  everyInterfaceFiltered?: boolean;
  /**
   * pcapng: packets the capturing machine dropped (isb_ifdrop + isb_osdrop of each interface's last
   * statistics block), when more than none: answers among them are missing from the capture.
   */
  droppedAtCapture?: number;
}

/** Context every source reader receives. */
export interface ReadContext {
  diag: DiagnosticSink;
  /**
   * The flow sink keeps no flow past its call (FlowSummary.add copies what it keeps): a reader may
   * then hand out one flow object, refilled for every flow, instead of a new one per flow. Without
   * it, every flow is a new object the sink may keep.
   */
  transientFlows?: boolean;
}
