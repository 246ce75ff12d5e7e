import { InputError, type DiagnosticSink, type Origin } from '../common/diagnostics.js';
import { ChunkReader, reportStreamFailure } from './chunk-reader.js';
import type { ByteInput, FileSummary, Frame, FrameSink, ReadContext } from './types.js';

/** Block types, draft-ietf-opsawg-pcapng section 10.1 (and appendix for the obsolete ones). */
export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 0x00000001;
/** Obsolete Packet Block (appendix A). */
export const BT_PB = 0x00000002;
export const BT_SPB = 0x00000003;
export const BT_NRB = 0x00000004;
export const BT_ISB = 0x00000005;
export const BT_EPB = 0x00000006;
export const BT_IRIG_TIMESTAMP = 0x00000007;
export const BT_ARINC_429 = 0x00000008;
export const BT_SYSTEMD_JOURNAL = 0x00000009;
export const BT_DSB = 0x0000000a;
export const BT_CUSTOM = 0x00000bad;
export const BT_CUSTOM_NOCOPY = 0x40000bad;
/** Section 4.1: written as 0x1A2B3C4D in the writer's byte order. */
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Option codes (sections 3.5 and 4.2). */
const OPT_ENDOFOPT = 0;
export const IF_TSRESOL = 9;
const IF_FILTER = 11;
export const IF_TSOFFSET = 14;
/** if_filter's first byte (section 4.2): a libpcap filter string follows, or BPF instructions (8 bytes each). */
const FILTER_LIBPCAP = 0;
const FILTER_BPF = 1;
/** Capture filters kept per file, and characters per filter (a filter is one expression, not a document). */
const MAX_CAPTURE_FILTERS = 8;
const MAX_FILTER_CHARS = 500;
/** ISB options (section 4.6): packets the interface, and the operating system, dropped since the capture began. */
const ISB_IFDROP = 5;
const ISB_OSDROP = 7;
/** Interface id, timestamp high and low: the ISB's fixed part before its options. */
const ISB_FIXED = 12;

/**
 * Largest block we accept. Wireshark's ceiling for ordinary captures is 16 MiB; a larger length
 * is taken as damage (and never allocated for).
 */
export const PCAPNG_MAX_BLOCK_BYTES = 16 * 1024 * 1024;

/** Smallest possible block: type, total length, trailing total length (section 3.1). */
const MIN_BLOCK = 12;
/** Fixed part of each block, header and trailer included. */
const SHB_MIN = 28; // + byte-order magic, version, section length
const IDB_MIN = 20; // + linktype, reserved, snaplen
const EPB_MIN = 32; // + interface id, timestamp (2 x 32), captured and original length
const PB_MIN = 32; // + interface id (16), drops count (16), timestamp, captured and original length
const SPB_MIN = 16; // + original length

const EMPTY = new Uint8Array(0);
const TWO_32 = 4294967296;

/** How timestamps of an interface become microseconds. */
const enum TsKind {
  /** if_tsresol 6 (the default): units are already microseconds. */
  Micros,
  /** Finer power of ten (10^-7 .. 10^-12): exact division by `div` without BigInt. */
  Divide,
  /** Coarser power of ten (seconds .. 10^-5): multiply by `mul` while exact. */
  Multiply,
  /** Anything else (powers of two, 10^-13 and finer): BigInt, per packet. */
  Big,
}

interface Interface {
  linkType: number;
  /** 0 means no limit (section 4.2). */
  snaplen: number;
  kind: TsKind;
  /** Divide: units per microsecond, and 2^32 split as hiQuot * div + hiRem. */
  div: number;
  hiQuot: number;
  hiRem: number;
  /** Multiply: microseconds per unit. */
  mul: number;
  /** Big: units per second. */
  unitsPerSecond: bigint;
  /** if_tsoffset, in microseconds. */
  offsetMicros: number;
}

/**
 * Reads a pcapng stream (draft-ietf-opsawg-pcapng) and pushes every packet to `onFrame`,
 * synchronously; the Frame and its `data` view are reused and valid only during the call.
 *
 * - Sections: each Section Header Block sets the byte order of its section (a file may mix both)
 *   and resets the interface list.
 * - Interfaces (IDB): link type, snap length, if_tsresol (a power of ten, or of two when its top
 *   bit is set; default microseconds), if_tsoffset (seconds added to every timestamp) and
 *   if_filter, the capture filter (`FileSummary.captureFilters`: what it excluded was never captured).
 * - Interface statistics (ISB): isb_ifdrop and isb_osdrop, the packets the capturing machine could
 *   not keep (`FileSummary.droppedAtCapture`: the last statistics of each interface, summed).
 * - Packets: Enhanced (EPB), Simple (SPB) and the obsolete Packet Block (PB) are frames, numbered
 *   from 1 across the file as Wireshark numbers them: Wireshark also gives custom blocks and
 *   systemd journal blocks a frame number, so those advance the count without being delivered
 *   (`FileSummary.records` counts packets only, as capinfos does). `origin.offset` is the
 *   block's byte offset.
 *   An SPB has no timestamp: it gets the last timestamp seen before it in the file (0 before any),
 *   which keeps packet time monotonic for flow timeouts; it belongs to interface 0 and its
 *   captured length is min(original length, snap length, block body).
 * - NRB, DSB, custom and unknown blocks are skipped by their length.
 *
 * Damage never throws: a block length that is below 12, not a multiple of 4, above
 * {@link PCAPNG_MAX_BLOCK_BYTES}, past the end of the file, or different from its trailing copy is
 * reported (`pcapng_bad_block_length`, `pcapng_block_truncated`, `pcapng_trailer_mismatch`) and the
 * reader resynchronises on the next plausible block: a known type, a sane length and a matching
 * trailer, searched 4-byte aligned (`pcapng_resync` with the bytes skipped). A packet block
 * naming an undefined interface is reported (`pcapng_unknown_interface`) and skipped.
 * `FileSummary.complete` is false whenever bytes were skipped.
 *
 * @throws InputError when the stream does not begin with a usable Section Header Block.
 */
export async function readPcapng(input: ByteInput, ctx: ReadContext, onFrame: FrameSink): Promise<FileSummary> {
  const reader = new PcapngReader(input, ctx.diag, onFrame);
  try {
    return await reader.read();
  } finally {
    await reader.r.close();
  }
}

class PcapngReader {
  readonly r: ChunkReader;
  private readonly file: string;
  /** Byte order of the current section. */
  private le = true;
  /** Interfaces of the current section by id; null for an IDB too damaged to use. */
  private interfaces: (Interface | null)[] = [];
  /** Wireshark frame number of the last record (packet blocks and the records Wireshark numbers too). */
  private frameNo = 0;
  /** Packets delivered to onFrame. */
  private packets = 0;
  private lastTs = 0;
  private minTs = Infinity;
  private maxTs = -Infinity;
  private complete = true;
  /** The capture filters of the file's interfaces (if_filter), distinct, in the order first seen. */
  private readonly filters: string[] = [];
  /**
   * Interfaces described without a capture filter, or with one not kept (past MAX_CAPTURE_FILTERS):
   * with none, every packet of the file passed one of `filters` (FileSummary.everyInterfaceFiltered).
   */
  private interfacesUnfiltered = 0;
  private interfacesDescribed = 0;
  /** Packets dropped at capture, per interface of each section (`section:id`), from its last statistics block. */
  private readonly dropped = new Map<string, number>();
  private section = 0;
  private readonly origin: Origin;
  private readonly frame: Frame;

  constructor(
    input: ByteInput,
    private readonly diag: DiagnosticSink,
    private readonly onFrame: FrameSink,
  ) {
    this.file = input.name;
    this.r = new ChunkReader(input.chunks, input.name);
    this.origin = { file: input.name, offset: 0, index: 0 };
    this.frame = { origin: this.origin, tsMicros: 0, linkType: 0, interfaceId: 0, capturedLen: 0, originalLen: 0, data: EMPTY };
  }

  async read(): Promise<FileSummary> {
    const r = this.r;
    const file = this.file;
    if (!(await r.ensure(MIN_BLOCK))) {
      if (r.failure) throw r.failure;
      throw new InputError(
        'pcapng_block_truncated',
        file,
        0,
        `${file}: pcapng section header truncated: ${r.available()} of ${SHB_MIN} bytes`,
      );
    }
    if (rd32(r.buf, r.pos, true) !== BT_SHB) {
      throw new InputError('input_unknown_format', file, 0, `${file} is not a pcapng file: it does not begin with a section header block`);
    }
    const firstOrder = byteOrderAt(r.buf, r.pos + 8);
    if (firstOrder === null) {
      throw new InputError('pcapng_bad_byte_order_magic', file, 8, `${file}: pcapng section header has no valid byte-order magic`);
    }
    this.le = firstOrder;

    for (;;) {
      // Fast path: whole, well-formed blocks already buffered; anything else goes to the slow path.
      const buf = r.buf;
      const end = r.end;
      let pos = r.pos;
      while (end - pos >= MIN_BLOCK) {
        const type = rd32(buf, pos, this.le);
        let le = this.le;
        if (type === BT_SHB) {
          const order = byteOrderAt(buf, pos + 8);
          if (order === null) break;
          le = order;
        }
        const len = rd32(buf, pos + 4, le);
        if (len < MIN_BLOCK || (len & 3) !== 0 || len > PCAPNG_MAX_BLOCK_BYTES || end - pos < len) break;
        if (rd32(buf, pos + len - 4, le) !== len) break;
        this.processBlock(buf, pos, type, len, le);
        pos += len;
      }
      r.pos = pos;
      if (!(await this.slowStep())) break;
    }

    if (r.failure) {
      this.complete = false;
      reportStreamFailure(this.diag, r.failure, this.frameNo);
    }
    return {
      file,
      format: 'pcapng',
      records: this.packets,
      bytes: r.offset,
      firstTs: this.minTs === Infinity ? null : this.minTs,
      lastTs: this.maxTs === -Infinity ? null : this.maxTs,
      complete: this.complete,
      ...(this.filters.length > 0 ? { captureFilters: this.filters.slice() } : {}),
      ...(this.interfacesDescribed > 0 && this.interfacesUnfiltered === 0 ? { everyInterfaceFiltered: true } : {}),
      ...this.droppedSummary(),
    };
  }

  /**
   * Handles the block at the position when the fast path could not: more bytes needed, or a
   * damaged block. Returns false at the end of the stream.
   */
  private async slowStep(): Promise<boolean> {
    const r = this.r;
    const file = this.file;
    if (!(await r.ensure(MIN_BLOCK))) {
      const left = r.available();
      if (left > 0) {
        this.complete = false;
        const at = r.offset;
        this.diag.report(
          'pcapng_block_truncated',
          { file, offset: at, index: this.frameNo },
          `${file}: ${left} bytes at byte ${at} at the end of the file, too short for a block`,
        );
        r.skip(left);
      }
      return false;
    }
    const at = r.offset;
    const type = rd32(r.buf, r.pos, this.le);
    let le = this.le;
    if (type === BT_SHB) {
      const order = byteOrderAt(r.buf, r.pos + 8);
      if (order === null) {
        this.diag.report(
          'pcapng_bad_byte_order_magic',
          { file, offset: at, index: this.frameNo },
          `${file}: section header block at byte ${at} has no valid byte-order magic`,
        );
        return this.resync();
      }
      le = order;
    }
    const len = rd32(r.buf, r.pos + 4, le);
    if (len < MIN_BLOCK || (len & 3) !== 0 || len > PCAPNG_MAX_BLOCK_BYTES) {
      this.diag.report(
        'pcapng_bad_block_length',
        { file, offset: at, index: this.frameNo },
        `${file}: block at byte ${at} (type 0x${type.toString(16)}) has an impossible total length ${len}` +
          ` (must be a multiple of 4, at least ${MIN_BLOCK} and at most ${PCAPNG_MAX_BLOCK_BYTES})`,
      );
      return this.resync();
    }
    if (!(await r.ensure(len))) {
      this.diag.report(
        'pcapng_block_truncated',
        { file, offset: at, index: this.frameNo },
        `${file}: block at byte ${at} (type 0x${type.toString(16)}) claims ${len} bytes, ${r.available()} left before the end of the file`,
      );
      // The length may be damaged rather than the file cut: look for blocks in what is left. If
      // there are none, the diagnostic above already accounts for those bytes.
      return this.resync(false);
    }
    const trailer = rd32(r.buf, r.pos + len - 4, le);
    if (trailer !== len) {
      this.diag.report(
        'pcapng_trailer_mismatch',
        { file, offset: at, index: this.frameNo },
        `${file}: block at byte ${at} (type 0x${type.toString(16)}) has total length ${len} but its trailing copy says ${trailer}`,
      );
      return this.resync();
    }
    this.processBlock(r.buf, r.pos, type, len, le);
    r.skip(len);
    return true;
  }

  /**
   * Skips from the damaged block at the position to the next plausible block: a known block type,
   * a sane length and a trailing copy of that length that matches. Candidates are tried at every
   * byte, not only 4-byte aligned: blocks are aligned to each other, but garbage of odd length
   * spliced into a file (a broken writer, a bad copy) shifts everything after it, and the three
   * checks together make a false match vanishingly rare (a wrong trailer alone passes 1 in 2^32).
   * Returns false when no block is left.
   * @param reportAtEnd report `pcapng_resync` also when the search reaches the end of the file.
   */
  private async resync(reportAtEnd = true): Promise<boolean> {
    const r = this.r;
    const file = this.file;
    const from = r.offset;
    this.complete = false;
    r.skip(Math.min(1, r.available()));
    for (;;) {
      // Scan what is buffered without awaiting; leave the loop when a candidate needs more bytes.
      const buf = r.buf;
      const end = r.end;
      let p = r.pos;
      let need = 0;
      while (end - p >= MIN_BLOCK) {
        const len = this.plausibleLength(buf, p);
        if (len > 0) {
          if (end - p < len) {
            need = len;
            break;
          }
          if (this.trailerMatches(buf, p, len)) {
            r.pos = p;
            this.reportResync(from, r.offset);
            return true;
          }
        }
        p++;
      }
      r.pos = p;
      if (need > 0) {
        if ((await r.ensure(need)) && this.trailerMatches(r.buf, r.pos, need)) {
          this.reportResync(from, r.offset);
          return true;
        }
        r.skip(Math.min(1, r.available()));
        continue;
      }
      if (!(await r.ensure(MIN_BLOCK))) {
        r.skip(r.available());
        const skipped = r.offset - from;
        if (!reportAtEnd) return false;
        this.diag.report(
          'pcapng_resync',
          { file, offset: from, index: this.frameNo },
          `${file}: no valid block after byte ${from}; ${skipped} bytes skipped to the end of the file`,
        );
        return false;
      }
    }
  }

  private reportResync(from: number, to: number): void {
    this.diag.report(
      'pcapng_resync',
      { file: this.file, offset: to, index: this.frameNo },
      `${this.file}: resynchronised at byte ${to} after skipping ${to - from} bytes from byte ${from}`,
    );
  }

  /** Total length of a plausible block header at `p` (known type, sane length), else 0. */
  private plausibleLength(buf: Uint8Array, p: number): number {
    let le = this.le;
    const type = rd32(buf, p, le);
    if (type === BT_SHB) {
      const order = byteOrderAt(buf, p + 8);
      if (order === null) return 0;
      le = order;
    } else if (!isKnownBlockType(type)) {
      return 0;
    }
    const len = rd32(buf, p + 4, le);
    if (len < MIN_BLOCK || (len & 3) !== 0 || len > PCAPNG_MAX_BLOCK_BYTES) return 0;
    return len;
  }

  private trailerMatches(buf: Uint8Array, p: number, len: number): boolean {
    const type = rd32(buf, p, this.le);
    const le = type === BT_SHB ? (byteOrderAt(buf, p + 8) ?? this.le) : this.le;
    return rd32(buf, p + len - 4, le) === len;
  }

  /** One whole, length-checked block at `buf[p .. p+len)`. */
  private processBlock(buf: Uint8Array, p: number, type: number, len: number, le: boolean): void {
    switch (type) {
      case BT_EPB:
        this.readPacket(buf, p, len, le, false);
        return;
      case BT_SPB:
        this.readSimplePacket(buf, p, len, le);
        return;
      case BT_PB:
        this.readPacket(buf, p, len, le, true);
        return;
      case BT_IDB:
        this.readInterface(buf, p, len, le);
        return;
      case BT_ISB:
        this.readStatistics(buf, p, len, le);
        return;
      case BT_SHB:
        this.readSectionHeader(buf, p, len, le);
        return;
      case BT_CUSTOM:
      case BT_CUSTOM_NOCOPY:
      case BT_SYSTEMD_JOURNAL:
        // Wireshark shows these blocks as records of their own, so they take a frame number
        // (tshark 4.0 lists custom blocks as "data" frames). Counting them keeps our frame numbers
        // equal to Wireshark's for `frame.number == N` filters; they carry no packet.
        this.frameNo++;
        return;
      default:
        // NRB, DSB and block types we do not know: skipped by their length (section 3.1).
        return;
    }
  }

  private readSectionHeader(buf: Uint8Array, p: number, len: number, le: boolean): void {
    // A new section: its own byte order, no interfaces yet (section 4.1).
    this.le = le;
    this.interfaces = [];
    this.section++;
    if (len < SHB_MIN) this.tooShort(p, len, 'section header', SHB_MIN);
  }

  private readInterface(buf: Uint8Array, p: number, len: number, le: boolean): void {
    if (len < IDB_MIN) {
      this.tooShort(p, len, 'interface description', IDB_MIN);
      // Keep interface numbering aligned with the writer's: the next IDB is still id n+1.
      this.interfaces.push(null);
      return;
    }
    const iface = makeInterface(rd16(buf, p + 8, le), rd32(buf, p + 12, le));
    const kept = this.readInterfaceOptions(buf, p + 16, p + len - 4, le, iface, p);
    this.interfacesDescribed++;
    if (!kept) this.interfacesUnfiltered++;
    this.interfaces.push(iface);
  }

  /** Section 4.2 options (see {@link walkOptions}); true when the interface's capture filter was kept. */
  private readInterfaceOptions(buf: Uint8Array, start: number, end: number, le: boolean, iface: Interface, blockAt: number): boolean {
    let filterKept = false;
    const overrun = walkOptions(buf, start, end, le, (code, v, olen) => {
      if (code === IF_TSRESOL) {
        if (olen !== 1 || !setResolution(iface, buf[v])) {
          this.badOption(blockAt, `if_tsresol value ${olen >= 1 ? buf[v] : '(empty)'} is not usable; microseconds assumed`);
        }
      } else if (code === IF_FILTER) {
        filterKept = this.addFilter(buf, v, olen);
      } else if (code === IF_TSOFFSET) {
        if (olen !== 8) this.badOption(blockAt, `if_tsoffset has length ${olen}, expected 8`);
        else iface.offsetMicros = rd64(buf, v, le, true) * 1_000_000; // signed seconds (section 4.2)
      }
    });
    if (overrun >= 0) {
      this.badOption(blockAt, `option ${rd16(buf, overrun, le)} at byte ${this.r.offsetOf(overrun)} claims ${rd16(buf, overrun + 2, le)} bytes, ${end - overrun - 4} left in the block`);
    }
    return filterKept;
  }

  /**
   * An Interface Statistics Block (section 4.6): its drop counters count from the start of the
   * capture, so the last block of an interface holds its total. Other options are skipped, and a
   * block too damaged to read is only that: statistics are a note, not data.
   */
  private readStatistics(buf: Uint8Array, p: number, len: number, le: boolean): void {
    const end = p + len - 4;
    const q = p + 8 + ISB_FIXED;
    if (q > end) return;
    const key = `${this.section}:${rd32(buf, p + 8, le)}`;
    let drops = 0;
    let any = false;
    walkOptions(buf, q, end, le, (code, v, olen) => {
      if ((code !== ISB_IFDROP && code !== ISB_OSDROP) || olen !== 8) return;
      const n = rd64(buf, v, le, false);
      // All ones: the writer did not know (pcap_stats gave nothing).
      if (n === UNKNOWN_U64) return;
      drops += n;
      any = true;
    });
    if (any) this.dropped.set(key, drops);
  }

  /** `droppedAtCapture` for the summary, when any interface's statistics counted a drop. */
  private droppedSummary(): { droppedAtCapture?: number } {
    let total = 0;
    for (const n of this.dropped.values()) total += n;
    return total > 0 ? { droppedAtCapture: total } : {};
  }

  /**
   * Keeps an if_filter option's filter as text: a libpcap expression as written (dumpcap and
   * Wireshark write the `-f` filter so), BPF instructions by their count. An empty filter is none.
   * True when the filter is among those kept (new or already there).
   */
  private addFilter(buf: Uint8Array, v: number, olen: number): boolean {
    if (olen < 1) return false;
    let text: string;
    if (buf[v] === FILTER_LIBPCAP) {
      let end = v + olen;
      while (end > v + 1 && buf[end - 1] === 0) end--; // some writers add a terminating NUL
      text = new TextDecoder().decode(buf.subarray(v + 1, end)).trim();
      if (text.length > MAX_FILTER_CHARS) text = `${text.slice(0, MAX_FILTER_CHARS)}…`;
    } else if (buf[v] === FILTER_BPF) {
      const n = Math.floor((olen - 1) / 8);
      text = `a compiled BPF program of ${n} instruction${n === 1 ? '' : 's'}`;
    } else {
      text = `a filter of type ${buf[v]}`;
    }
    if (text === '') return false;
    if (this.filters.includes(text)) return true;
    if (this.filters.length >= MAX_CAPTURE_FILTERS) return false;
    this.filters.push(text);
    return true;
  }

  /** EPB (section 4.3) or obsolete PB (appendix A): same layout but a 16-bit interface id. */
  private readPacket(buf: Uint8Array, p: number, len: number, le: boolean, obsolete: boolean): void {
    const frameNo = ++this.frameNo;
    const min = obsolete ? PB_MIN : EPB_MIN;
    if (len < min) {
      this.tooShort(p, len, obsolete ? 'packet' : 'enhanced packet', min);
      return;
    }
    const ifid = obsolete ? rd16(buf, p + 8, le) : rd32(buf, p + 8, le);
    const iface = this.interfaces[ifid];
    if (iface == null) {
      this.unknownInterface(p, ifid, frameNo);
      return;
    }
    const high = rd32(buf, p + 12, le);
    const low = rd32(buf, p + 16, le);
    let caplen = rd32(buf, p + 20, le);
    const origlen = rd32(buf, p + 24, le);
    const room = len - min;
    if (caplen > room) {
      const at = this.r.offsetOf(p);
      this.diag.report(
        'pcapng_block_truncated',
        { file: this.file, offset: at, index: frameNo },
        `${this.file}: frame ${frameNo} at byte ${at}: captured length ${caplen} exceeds the ${room} data bytes of its block; ${room} kept`,
      );
      caplen = room;
    }
    const ts = iface.kind === TsKind.Micros && high < 0x200000 ? high * TWO_32 + low + iface.offsetMicros : toMicros(iface, high, low);
    this.lastTs = ts;
    if (ts < this.minTs) this.minTs = ts;
    if (ts > this.maxTs) this.maxTs = ts;
    this.deliver(buf, p, p + 28, caplen, origlen, ts, iface, ifid, frameNo);
  }

  /** SPB (section 4.4): original length, then data; no interface id (0) and no timestamp. */
  private readSimplePacket(buf: Uint8Array, p: number, len: number, le: boolean): void {
    const frameNo = ++this.frameNo;
    if (len < SPB_MIN) {
      this.tooShort(p, len, 'simple packet', SPB_MIN);
      return;
    }
    const iface = this.interfaces[0];
    if (iface == null) {
      this.unknownInterface(p, 0, frameNo);
      return;
    }
    const origlen = rd32(buf, p + 8, le);
    let caplen = Math.min(origlen, len - SPB_MIN);
    if (iface.snaplen !== 0 && iface.snaplen < caplen) caplen = iface.snaplen;
    this.deliver(buf, p, p + 12, caplen, origlen, this.lastTs, iface, 0, frameNo);
  }

  private deliver(
    buf: Uint8Array,
    blockAt: number,
    dataAt: number,
    caplen: number,
    origlen: number,
    ts: number,
    iface: Interface,
    ifid: number,
    frameNo: number,
  ): void {
    const frame = this.frame;
    this.origin.offset = this.r.offsetOf(blockAt);
    this.origin.index = frameNo;
    frame.tsMicros = ts;
    frame.linkType = iface.linkType;
    frame.interfaceId = ifid;
    frame.capturedLen = caplen;
    frame.originalLen = origlen;
    frame.data = buf.subarray(dataAt, dataAt + caplen);
    this.packets++;
    this.onFrame(frame);
  }

  private unknownInterface(p: number, ifid: number, frameNo: number): void {
    const at = this.r.offsetOf(p);
    this.diag.report(
      'pcapng_unknown_interface',
      { file: this.file, offset: at, index: frameNo },
      `${this.file}: frame ${frameNo} at byte ${at} names interface ${ifid}, ` +
        (ifid < this.interfaces.length ? 'whose description block is damaged; skipped' : `but its section defines ${this.interfaces.length}; skipped`),
    );
  }

  private tooShort(p: number, len: number, what: string, min: number): void {
    const at = this.r.offsetOf(p);
    this.diag.report(
      'pcapng_bad_block_length',
      { file: this.file, offset: at, index: this.frameNo },
      `${this.file}: ${what} block at byte ${at} is ${len} bytes, shorter than its fixed part (${min}); skipped`,
    );
  }

  private badOption(blockAt: number, detail: string): void {
    const at = this.r.offsetOf(blockAt);
    this.diag.report('pcapng_bad_option', { file: this.file, offset: at, index: this.frameNo }, `${this.file}: interface block at byte ${at}: ${detail}`);
  }
}

function makeInterface(linkType: number, snaplen: number): Interface {
  return { linkType, snaplen, kind: TsKind.Micros, div: 1, hiQuot: 0, hiRem: 0, mul: 1, unitsPerSecond: 1_000_000n, offsetMicros: 0 };
}

/** Applies if_tsresol (section 4.2). Returns false for a value we cannot represent. */
function setResolution(iface: Interface, v: number): boolean {
  if ((v & 0x80) !== 0) {
    const exp = v & 0x7f;
    if (exp > 63) return false;
    iface.kind = TsKind.Big;
    iface.unitsPerSecond = 1n << BigInt(exp);
    return true;
  }
  if (v > 19) return false;
  if (v === 6) {
    iface.kind = TsKind.Micros;
  } else if (v > 6 && v <= 12) {
    // 2^32 = hiQuot * div + hiRem keeps every intermediate below 2^53 (see toMicros).
    iface.kind = TsKind.Divide;
    iface.div = 10 ** (v - 6);
    iface.hiQuot = Math.floor(TWO_32 / iface.div);
    iface.hiRem = TWO_32 - iface.hiQuot * iface.div;
  } else if (v < 6) {
    iface.kind = TsKind.Multiply;
    iface.mul = 10 ** (6 - v);
  } else {
    iface.kind = TsKind.Big;
  }
  iface.unitsPerSecond = 10n ** BigInt(v);
  return true;
}

/**
 * Exact conversion of a 64-bit timestamp (high, low 32-bit halves) in interface units to
 * microseconds, floor-rounded, plus if_tsoffset.
 */
export function toMicrosExact(units: { high: number; low: number }, tsresol: number, offsetSeconds = 0): number {
  const iface = makeInterface(0, 0);
  if (!setResolution(iface, tsresol)) throw new RangeError(`if_tsresol ${tsresol} not representable`);
  iface.offsetMicros = offsetSeconds * 1_000_000;
  return toMicros(iface, units.high, units.low);
}

function toMicros(iface: Interface, high: number, low: number): number {
  switch (iface.kind) {
    case TsKind.Micros:
      if (high < 0x200000) return high * TWO_32 + low + iface.offsetMicros;
      break;
    case TsKind.Divide: {
      // ts = high * 2^32 + low = high * hiQuot * div + (high * hiRem + low), so
      // floor(ts / div) = high * hiQuot + floor((high * hiRem + low) / div), all exact below 2^53.
      const whole = high * iface.hiQuot;
      if (whole > Number.MAX_SAFE_INTEGER) break;
      const rest = high * iface.hiRem + low;
      let q = Math.floor(rest / iface.div);
      // Guard the float division's rounding at the edges.
      if (q * iface.div > rest) q--;
      else if ((q + 1) * iface.div <= rest) q++;
      return whole + q + iface.offsetMicros;
    }
    case TsKind.Multiply: {
      if (high >= 0x200000) break;
      const v = (high * TWO_32 + low) * iface.mul;
      if (v > Number.MAX_SAFE_INTEGER) break;
      return v + iface.offsetMicros;
    }
    case TsKind.Big:
      break;
  }
  const units = (BigInt(high) << 32n) | BigInt(low);
  return Number((units * 1_000_000n) / iface.unitsPerSecond) + iface.offsetMicros;
}

function isKnownBlockType(type: number): boolean {
  switch (type) {
    case BT_IDB:
    case BT_PB:
    case BT_SPB:
    case BT_NRB:
    case BT_ISB:
    case BT_EPB:
    case BT_IRIG_TIMESTAMP:
    case BT_ARINC_429:
    case BT_SYSTEMD_JOURNAL:
    case BT_DSB:
    case BT_CUSTOM:
    case BT_CUSTOM_NOCOPY:
      return true;
    default:
      return false;
  }
}

/** Byte order announced by the byte-order magic at `p`: true = little-endian, null = invalid. */
function byteOrderAt(buf: Uint8Array, p: number): boolean | null {
  const be = ((buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]) >>> 0;
  if (be === BYTE_ORDER_MAGIC) return false;
  if (be === 0x4d3c2b1a) return true;
  return null;
}

function rd32(b: Uint8Array, p: number, le: boolean): number {
  return le
    ? (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0
    : ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

function rd16(b: Uint8Array, p: number, le: boolean): number {
  return le ? b[p] | (b[p + 1] << 8) : (b[p] << 8) | b[p + 1];
}

/**
 * A 64-bit option value in the section's byte order (two 32-bit halves), as a number: exact up to
 * 2^53, beyond that the nearest double (counts and seconds never get there). `signed`: int64.
 */
export function rd64(b: Uint8Array, p: number, le: boolean, signed: boolean): number {
  const lo = rd32(b, le ? p : p + 4, le);
  const hi = rd32(b, le ? p + 4 : p, le);
  return (signed ? hi | 0 : hi) * TWO_32 + lo;
}

/** 0xffffffffffffffff as {@link rd64} reads it (the nearest double, 2^64): "not known" in ISB counters. */
const UNKNOWN_U64 = 2 ** 64;

/**
 * Walks the options at `b[from .. to)` (section 3.5: code and length in 16 bits each, the value
 * padded to 32 bits), handing each to `visit` with its value's offset, until opt_endofopt or the end.
 * Returns -1, or the offset of an option that claims more bytes than remain (the walk stops there).
 */
export function walkOptions(b: Uint8Array, from: number, to: number, le: boolean, visit: (code: number, at: number, len: number) => void): number {
  let p = from;
  while (to - p >= 4) {
    const code = rd16(b, p, le);
    const len = rd16(b, p + 2, le);
    if (code === OPT_ENDOFOPT) return -1;
    if (to - p - 4 < len) return p;
    visit(code, p + 4, len);
    p += 4 + ((len + 3) & ~3);
  }
  return -1;
}
