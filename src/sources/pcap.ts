import { InputError, type Origin } from '../common/diagnostics.js';
import { ChunkReader, reportStreamFailure } from './chunk-reader.js';
import type { ByteInput, FileSummary, Frame, FrameSink, ReadContext } from './types.js';

/** draft-ietf-opsawg-pcap section 4: magic numbers as read big-endian from the first 4 bytes. */
export const PCAP_MAGIC_MICROS = 0xa1b2c3d4;
export const PCAP_MAGIC_NANOS = 0xa1b23c4d;
export const PCAP_MAGIC_MICROS_SWAPPED = 0xd4c3b2a1;
export const PCAP_MAGIC_NANOS_SWAPPED = 0x4d3cb2a1;

/** File header: magic, version major/minor, reserved1, reserved2, snaplen, linktype+FCS (section 4). */
export const PCAP_FILE_HEADER_BYTES = 24;
/** Record header: ts seconds, ts fraction, captured length, original length (section 5). */
export const PCAP_RECORD_HEADER_BYTES = 16;
/**
 * Records up to this size are accepted whatever the header's snap length says (files with a
 * snap length smaller than their packets exist; 262144 is libpcap's and Wireshark's usual maximum).
 */
export const PCAP_MIN_RECORD_LIMIT = 262144;
/** Absolute ceiling for one record, even when the snap length claims more. */
export const PCAP_MAX_RECORD_LIMIT = 16 * 1024 * 1024;

/** Section 4: the link-layer type is the low 16 bits of the LinkType field; bits 26-31 carry FCS info. */
const LINKTYPE_MASK = 0xffff;

const EMPTY = new Uint8Array(0);

/**
 * Reads a classic pcap stream (draft-ietf-opsawg-pcap): both magics (microsecond and nanosecond
 * timestamps), both byte orders. Pushes each record to `onFrame` synchronously; the Frame and its
 * `data` view are reused and valid only during the call.
 *
 * Frames are numbered from 1 (Wireshark's numbering); `origin.offset` is the byte offset of the
 * record header in the (decompressed) stream. Timestamps become integer microseconds
 * (nanoseconds truncated). Damage is reported to `ctx.diag` and never thrown:
 * - a record header or body cut by the end of the file: `pcap_record_truncated` (the frames
 *   before it are all delivered);
 * - a captured length above max(snaplen, 262144) (capped at 16 MiB): `pcap_record_too_long`;
 *   classic pcap cannot resynchronise, so the file stops there, the unread bytes are counted and
 *   the file is marked failed;
 * - a captured length above the original length: `pcap_caplen_exceeds_origlen` (frame kept).
 * `FileSummary.complete` is false whenever bytes were lost.
 *
 * @throws InputError `pcap_header_truncated` when the 24-byte file header is incomplete, or the
 *   stream's own failure (e.g. `input_gzip_corrupt`) when it ends before the header.
 */
export async function readPcap(input: ByteInput, ctx: ReadContext, onFrame: FrameSink): Promise<FileSummary> {
  const file = input.name;
  const diag = ctx.diag;
  const r = new ChunkReader(input.chunks, file);
  try {
    if (!(await r.ensure(PCAP_FILE_HEADER_BYTES))) {
      if (r.failure) throw r.failure;
      const got = r.available();
      throw new InputError(
        'pcap_header_truncated',
        file,
        0,
        `${file}: pcap file header truncated: ${got} of ${PCAP_FILE_HEADER_BYTES} bytes`,
      );
    }
    const hb = r.buf;
    const hp = r.pos;
    const magic = ((hb[hp] << 24) | (hb[hp + 1] << 16) | (hb[hp + 2] << 8) | hb[hp + 3]) >>> 0;
    let le: boolean;
    let nanos: boolean;
    if (magic === PCAP_MAGIC_MICROS) [le, nanos] = [false, false];
    else if (magic === PCAP_MAGIC_NANOS) [le, nanos] = [false, true];
    else if (magic === PCAP_MAGIC_MICROS_SWAPPED) [le, nanos] = [true, false];
    else if (magic === PCAP_MAGIC_NANOS_SWAPPED) [le, nanos] = [true, true];
    else throw new InputError('input_unknown_format', file, 0, `${file} is not a pcap file: bad magic number`);
    const snaplen = rd32(hb, hp + 16, le);
    const linkType = rd32(hb, hp + 20, le) & LINKTYPE_MASK;
    const maxRecord = Math.min(Math.max(snaplen, PCAP_MIN_RECORD_LIMIT), PCAP_MAX_RECORD_LIMIT);
    r.skip(PCAP_FILE_HEADER_BYTES);

    const origin: Origin = { file, offset: 0, index: 0 };
    const frame: Frame = { origin, tsMicros: 0, linkType, interfaceId: 0, capturedLen: 0, originalLen: 0, data: EMPTY };
    let frameNo = 0;
    // First and last timestamps, kept in a typed array rather than in locals: locals of this async
    // function that live across its awaits hold doubles as heap numbers, and updating one per
    // frame allocated a number per packet (microsecond times are not small integers).
    const tsRange = Float64Array.of(Infinity, -Infinity);
    let complete = true;

    for (;;) {
      // Fast path: every complete record already buffered, no awaits, no allocation but the view.
      const buf = r.buf;
      const end = r.end;
      let pos = r.pos;
      while (end - pos >= PCAP_RECORD_HEADER_BYTES) {
        const incl = rd32(buf, pos + 8, le);
        if (incl > maxRecord || end - pos - PCAP_RECORD_HEADER_BYTES < incl) break;
        const sec = rd32(buf, pos, le);
        const frac = rd32(buf, pos + 4, le);
        const orig = rd32(buf, pos + 12, le);
        const ts = nanos ? sec * 1_000_000 + Math.floor(frac / 1000) : sec * 1_000_000 + frac;
        if (ts < tsRange[0]) tsRange[0] = ts;
        if (ts > tsRange[1]) tsRange[1] = ts;
        frameNo++;
        origin.offset = r.offsetOf(pos);
        origin.index = frameNo;
        if (incl > orig) {
          diag.report(
            'pcap_caplen_exceeds_origlen',
            origin,
            `${file}: frame ${frameNo} at byte ${origin.offset}: captured length ${incl} exceeds original length ${orig}`,
          );
        }
        frame.tsMicros = ts;
        frame.capturedLen = incl;
        frame.originalLen = orig;
        frame.data = buf.subarray(pos + PCAP_RECORD_HEADER_BYTES, pos + PCAP_RECORD_HEADER_BYTES + incl);
        pos += PCAP_RECORD_HEADER_BYTES + incl;
        onFrame(frame);
      }
      r.pos = pos;

      // Slow path: the next record is not (entirely) buffered, or its length is insane.
      if (!(await r.ensure(PCAP_RECORD_HEADER_BYTES))) {
        const left = r.available();
        if (left > 0) {
          complete = false;
          const at = r.offset;
          diag.report(
            'pcap_record_truncated',
            { file, offset: at, index: frameNo + 1 },
            `${file}: record header at byte ${at} truncated: ${left} of ${PCAP_RECORD_HEADER_BYTES} bytes before the end of the file`,
          );
          r.skip(left);
        }
        break;
      }
      const at = r.offset;
      const incl = rd32(r.buf, r.pos + 8, le);
      if (incl > maxRecord) {
        complete = false;
        const unread =
          !input.gzip && input.size !== undefined && input.size >= at && r.failure === null ? input.size - at : await r.drain();
        const message = `${file}: record at byte ${at} claims ${incl} bytes (snap length ${snaplen}); stopped, ${unread} bytes unread`;
        diag.report('pcap_record_too_long', { file, offset: at, index: frameNo + 1 }, message);
        diag.fail({ file, code: 'pcap_record_too_long', offset: at, message });
        break;
      }
      if (!(await r.ensure(PCAP_RECORD_HEADER_BYTES + incl))) {
        complete = false;
        const left = r.available();
        diag.report(
          'pcap_record_truncated',
          { file, offset: at, index: frameNo + 1 },
          `${file}: frame ${frameNo + 1} at byte ${at} truncated: record claims ${incl} bytes, ` +
            `${Math.max(0, left - PCAP_RECORD_HEADER_BYTES)} left before the end of the file`,
        );
        r.skip(left);
        break;
      }
    }
    if (r.failure) {
      complete = false;
      reportStreamFailure(diag, r.failure, frameNo);
    }
    return {
      file,
      format: 'pcap',
      records: frameNo,
      bytes: r.offset,
      firstTs: frameNo > 0 ? tsRange[0] : null,
      lastTs: frameNo > 0 ? tsRange[1] : null,
      complete,
    };
  } finally {
    await r.close();
  }
}

/** Unsigned 32-bit read at `p` (bounds checked by the caller) in the file's byte order. */
function rd32(b: Uint8Array, p: number, le: boolean): number {
  return le
    ? (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0
    : ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}
