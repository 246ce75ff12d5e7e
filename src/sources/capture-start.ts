/**
 * The time of a capture's first packet, read from the file's first bytes (`ByteInput.head`)
 * without reading the file: enough to put the files of a rotating capture (a ring buffer) in
 * order before reading them (cli/capture-series.ts).
 *
 * pcap: the file header's magic (microsecond or nanosecond, either byte order), then the first
 * record's time. pcapng: the section header's byte order, the interface descriptions before the
 * first packet (if_tsresol, if_tsoffset), then the first Enhanced Packet Block's time. Anything
 * else (a first packet beyond the head, a Simple Packet Block, which carries no time, damage)
 * gives null: the file is then read on its own, as any file.
 */
import { PCAP_MAGIC_MICROS, PCAP_MAGIC_MICROS_SWAPPED, PCAP_MAGIC_NANOS, PCAP_MAGIC_NANOS_SWAPPED } from './pcap.js';
import { BT_EPB, BT_IDB, BT_PB, BT_SHB, BT_SPB, BYTE_ORDER_MAGIC, IF_TSOFFSET, IF_TSRESOL, rd64, toMicrosExact, walkOptions } from './pcapng.js';

/** Microseconds since the epoch of the first packet, or null when the head does not tell. */
export function firstPacketMicros(head: Uint8Array): number | null {
  if (head.length < 4) return null;
  const view = new DataView(head.buffer, head.byteOffset, head.length);
  const magicBE = view.getUint32(0, false);
  switch (magicBE) {
    case PCAP_MAGIC_MICROS:
    case PCAP_MAGIC_NANOS:
      return pcapFirst(view, false, magicBE === PCAP_MAGIC_NANOS);
    case PCAP_MAGIC_MICROS_SWAPPED:
    case PCAP_MAGIC_NANOS_SWAPPED:
      return pcapFirst(view, true, magicBE === PCAP_MAGIC_NANOS_SWAPPED);
    case BT_SHB:
      return pcapngFirst(view);
    default:
      return null;
  }
}

function pcapFirst(view: DataView, le: boolean, nanos: boolean): number | null {
  // 24-byte file header, then the first record header: ts_sec, ts_usec (or ts_nsec), lengths.
  if (view.byteLength < 24 + 16) return null;
  const sec = view.getUint32(24, le);
  const frac = view.getUint32(28, le);
  if (frac >= (nanos ? 1e9 : 1e6)) return null;
  return sec * 1_000_000 + (nanos ? Math.floor(frac / 1000) : frac);
}

interface InterfaceTime {
  tsresol: number;
  offsetSeconds: number;
}

/** A pcapng file's first section, as far as its head shows it: byte order and the interfaces described before the first packet. */
interface SectionHead {
  le: boolean;
  interfaces: InterfaceTime[];
  /** Where the first packet block starts in the head, or -1 when the head holds none. */
  firstPacketAt: number;
}

function pcapngSection(view: DataView): SectionHead | null {
  if (view.byteLength < 12 || view.getUint32(0, false) !== BT_SHB) return null;
  const le = view.getUint32(8, true) === BYTE_ORDER_MAGIC;
  if (!le && view.getUint32(8, false) !== BYTE_ORDER_MAGIC) return null;
  const interfaces: InterfaceTime[] = [];
  let at = 0;
  while (at + 12 <= view.byteLength) {
    const type = view.getUint32(at, le);
    const length = view.getUint32(at + 4, le);
    if (length < 12 || length % 4 !== 0 || at + length > view.byteLength) break;
    if (type === BT_SHB && at > 0) return null; // a second section before any packet: not worth the guess
    if (type === BT_IDB) interfaces.push(interfaceTime(view, at + 16, at + length - 4, le));
    else if (type === BT_EPB || type === BT_SPB || type === BT_PB) return { le, interfaces, firstPacketAt: at };
    at += length;
  }
  return { le, interfaces, firstPacketAt: -1 };
}

/** The time of the Enhanced Packet Block at `at` (its length already checked); null when it cannot be told. */
function epbTime(view: DataView, at: number, section: SectionHead): number | null {
  const le = section.le;
  if (view.getUint32(at, le) !== BT_EPB || view.getUint32(at + 4, le) < 32) return null;
  const iface = section.interfaces[view.getUint32(at + 8, le)];
  if (iface === undefined) return null;
  try {
    return toMicrosExact({ high: view.getUint32(at + 12, le), low: view.getUint32(at + 16, le) }, iface.tsresol, iface.offsetSeconds);
  } catch {
    return null; // an if_tsresol the reader cannot represent either
  }
}

function pcapngFirst(view: DataView): number | null {
  const section = pcapngSection(view);
  if (section === null || section.firstPacketAt < 0) return null;
  return epbTime(view, section.firstPacketAt, section);
}

/**
 * The time of a pcapng file's last packet, from its first bytes (`head`, for the section's byte
 * order and interfaces) and its last bytes (`tail`, ending where the file ends): blocks end with
 * their length repeated (pcapng section 3.1), so they can be walked back from the end to the last
 * Enhanced Packet Block. Null for a pcap (its records cannot be walked back), a file cut inside a
 * block, a second section, or anything else that does not add up.
 */
export function lastPacketMicros(head: Uint8Array, tail: Uint8Array): number | null {
  const section = pcapngSection(new DataView(head.buffer, head.byteOffset, head.length));
  if (section === null) return null;
  const view = new DataView(tail.buffer, tail.byteOffset, tail.length);
  let end = tail.length;
  while (end >= 12) {
    const length = view.getUint32(end - 4, section.le);
    if (length < 12 || length % 4 !== 0 || length > end) return null;
    const at = end - length;
    if (view.getUint32(at + 4, section.le) !== length) return null;
    const type = view.getUint32(at, section.le);
    if (type === BT_EPB) return epbTime(view, at, section);
    // A section or interface the head did not describe; a packet without a time, later than the last that has one.
    if (type === BT_SHB || type === BT_IDB || type === BT_SPB || type === BT_PB) return null;
    end = at;
  }
  return null;
}

/** if_tsresol and if_tsoffset among the IDB options at `from .. to` (walked as the reader walks them). */
function interfaceTime(view: DataView, from: number, to: number, le: boolean): InterfaceTime {
  const out: InterfaceTime = { tsresol: 6, offsetSeconds: 0 };
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  walkOptions(bytes, from, to, le, (code, at, len) => {
    if (code === IF_TSRESOL && len >= 1) out.tsresol = bytes[at];
    else if (code === IF_TSOFFSET && len === 8) out.offsetSeconds = rd64(bytes, at, le, true);
  });
  return out;
}
