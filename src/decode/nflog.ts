/**
 * LINKTYPE_NFLOG (239): packets logged by Linux netfilter's NFLOG target.
 * See https://www.tcpdump.org/linktypes/LINKTYPE_NFLOG.html and libpcap pcap/nflog.h.
 *
 * Layout: nfgenmsg header (family 1 byte, version 1 byte, resource id 2 bytes big-endian), then
 * TLVs: length (2) and type (2) in the byte order of the host that captured (libpcap byte-swaps them
 * on read, but files written elsewhere keep the writer's order), the length counting the 4-byte TLV
 * header, each TLV padded to a multiple of 4. The packet is in NFULA_PAYLOAD (type 9).
 */
import type { DiagnosticSink } from '../common/diagnostics.js';
import type { Frame } from '../sources/types.js';
import { readU16, readU16LE } from './cursor.js';
import { decodeRawIp } from './network.js';
import { reportCut } from './report.js';
import type { Packet } from './types.js';

export const NFLOG_HEADER_LEN = 4;
export const NFULA_PAYLOAD = 9;
/** The highest attribute type nfnetlink_log defines today is about 20; beyond 255 means wrong byte order. */
const MAX_PLAUSIBLE_TLV_TYPE = 0xff;
/** NLA_F_NESTED and NLA_F_NET_BYTEORDER flag bits ride in the type field. */
const TLV_TYPE_MASK = 0x3fff;
const TLV_HEADER_LEN = 4;
const MAX_TLVS = 64;

/**
 * Decodes an NFLOG frame: walks the TLVs to NFULA_PAYLOAD and decodes that as raw IP (the version
 * nibble decides; the header's family byte is only a hint). The TLV byte order is guessed from the
 * first TLV: the reading that gives a plausible type and length wins, little-endian first (x86).
 *
 * @returns true when an IP header was decoded into `pkt`
 */
export function decodeNflog(b: Uint8Array, off: number, pkt: Packet, frame: Frame, diag: DiagnosticSink): boolean {
  const end = b.length;
  if (off + NFLOG_HEADER_LEN > end) {
    reportCut('nflog_truncated', 'NFLOG header', off, NFLOG_HEADER_LEN, end - off, frame, pkt, diag);
    return false;
  }
  let p = off + NFLOG_HEADER_LEN;
  if (p + TLV_HEADER_LEN > end) {
    reportCut('nflog_truncated', 'NFLOG TLV', p, TLV_HEADER_LEN, end - p, frame, pkt, diag);
    return false;
  }
  const littleEndian = isPlausibleTlv(readU16LE(b, p), readU16LE(b, p + 2), end - p) || !isPlausibleTlv(readU16(b, p), readU16(b, p + 2), end - p);
  for (let n = 0; n < MAX_TLVS && p + TLV_HEADER_LEN <= end; n++) {
    const len = littleEndian ? readU16LE(b, p) : readU16(b, p);
    const type = (littleEndian ? readU16LE(b, p + 2) : readU16(b, p + 2)) & TLV_TYPE_MASK;
    if (len < TLV_HEADER_LEN) {
      diag.report('nflog_truncated', frame.origin, `NFLOG TLV of length ${len} at byte ${p}`);
      return false;
    }
    if (type === NFULA_PAYLOAD) {
      if (p + len > end) pkt.truncated = true;
      // The payload is the packet; decode the captured part of it (the IP layer flags the rest).
      return decodeRawIpWithin(b, p + TLV_HEADER_LEN, Math.min(p + len, end), pkt, frame, diag);
    }
    p += (len + 3) & ~3;
  }
  diag.report('nflog_no_payload', frame.origin, 'NFLOG frame without an NFULA_PAYLOAD attribute');
  return false;
}

function isPlausibleTlv(len: number, type: number, remaining: number): boolean {
  return len >= TLV_HEADER_LEN && len <= remaining && (type & TLV_TYPE_MASK) <= MAX_PLAUSIBLE_TLV_TYPE;
}

/**
 * The NFLOG payload TLV may be followed by padding: decode from a view that ends where the TLV ends.
 * (Allocates one view: NFLOG captures are small host-side logs, not the 1 GB/s path.)
 */
function decodeRawIpWithin(b: Uint8Array, start: number, end: number, pkt: Packet, frame: Frame, diag: DiagnosticSink): boolean {
  return decodeRawIp(b.subarray(0, end), start, pkt, frame, diag);
}
