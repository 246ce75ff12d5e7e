/**
 * Builds classic pcap files in code (draft-ietf-opsawg-pcap), for round-trip and fault tests.
 * Every field written is named in a comment; lengths are computed, or overridden on purpose to
 * build damaged files.
 */

export type ByteOrder = 'le' | 'be';

export interface PcapRecordSpec {
  /** Capture time, integer microseconds since the epoch. */
  tsMicros: number;
  /** Nanosecond files only: nanoseconds below the microsecond (0-999), to test truncation. */
  extraNanos?: number;
  /** Captured bytes. */
  data: Uint8Array;
  /** Original length on the wire; defaults to data.length. */
  origLen?: number;
  /** Overrides the captured-length field (the data written stays `data`): for damage tests. */
  inclLenField?: number;
}

export interface PcapSpec {
  byteOrder: ByteOrder;
  /** Nanosecond-resolution magic (a1b23c4d) instead of microseconds (a1b2c3d4). */
  nanos?: boolean;
  /** LINKTYPE_* value (low 16 bits of the LinkType field). */
  linkType: number;
  /** Upper bits of the LinkType field (FCS length info, section 4): OR-ed in as given. */
  linkTypeHighBits?: number;
  /** Snap length field; defaults to 65535. */
  snaplen?: number;
  records: PcapRecordSpec[];
  /**
   * Writes the file at this byte offset of a larger buffer (the returned view then has a non-zero
   * byteOffset), so readers are tested on views as they get them from a pool.
   */
  at?: number;
}

/** Where things are in a written file, for fault matrices. */
export interface PcapLayout {
  bytes: Uint8Array;
  /** Offset of each record header; its data starts 16 bytes later and ends at the next offset. */
  recordOffsets: number[];
  /** End of each record (offset of the next one, or the file length). */
  recordEnds: number[];
}

/** Builds the file and returns its bytes. */
export function writePcap(spec: PcapSpec): Uint8Array {
  return writePcapLayout(spec).bytes;
}

/** Builds the file and returns its bytes with the byte offset of every record. */
export function writePcapLayout(spec: PcapSpec): PcapLayout {
  const le = spec.byteOrder === 'le';
  let size = 24;
  for (const r of spec.records) size += 16 + r.data.length;
  const at = spec.at ?? 0;
  const backing = new Uint8Array(at + size).fill(0xee);
  const out = backing.subarray(at);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  // File header (section 4).
  view.setUint32(0, spec.nanos ? 0xa1b23c4d : 0xa1b2c3d4, le); // magic: byte order shows how the reader sees it
  view.setUint16(4, 2, le); // major version 2
  view.setUint16(6, 4, le); // minor version 4
  view.setUint32(8, 0, le); // reserved1 (was thiszone)
  view.setUint32(12, 0, le); // reserved2 (was sigfigs)
  view.setUint32(16, spec.snaplen ?? 65535, le); // snap length
  view.setUint32(20, ((spec.linkTypeHighBits ?? 0) | (spec.linkType & 0xffff)) >>> 0, le); // link type + FCS bits
  let p = 24;
  const recordOffsets: number[] = [];
  const recordEnds: number[] = [];
  for (const r of spec.records) {
    recordOffsets.push(p);
    const sec = Math.floor(r.tsMicros / 1_000_000);
    const micros = r.tsMicros - sec * 1_000_000;
    // Record header (section 5).
    view.setUint32(p, sec, le); // timestamp seconds
    view.setUint32(p + 4, spec.nanos ? micros * 1000 + (r.extraNanos ?? 0) : micros, le); // microseconds or nanoseconds
    view.setUint32(p + 8, r.inclLenField ?? r.data.length, le); // captured packet length
    view.setUint32(p + 12, r.origLen ?? r.data.length, le); // original packet length
    out.set(r.data, p + 16); // packet data
    p += 16 + r.data.length;
    recordEnds.push(p);
  }
  return { bytes: out, recordOffsets, recordEnds };
}

/** Deterministic filler bytes for packet data: `n` bytes starting at `seed`. */
export function fillerBytes(n: number, seed = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (seed + i * 7) & 0xff;
  return b;
}

/**
 * Delivers `bytes` as a stream of chunks of `size` bytes, the way a file reader does: with
 * `reuse` (the default) every chunk is a view of ONE buffer that is overwritten when the next
 * chunk is pulled, so a reader that keeps a view past the next pull reads the wrong bytes.
 */
export async function* chunksOf(bytes: Uint8Array, size: number, reuse = true): AsyncGenerator<Uint8Array> {
  const shared = new Uint8Array(size);
  for (let i = 0; i < bytes.length; i += size) {
    const part = bytes.subarray(i, Math.min(bytes.length, i + size));
    if (!reuse) {
      yield new Uint8Array(part);
      continue;
    }
    shared.fill(0xaa);
    shared.set(part);
    yield shared.subarray(0, part.length);
  }
}
