/**
 * IPv4 (RFC 791). Fills addresses, protocol and lengths, then hands the transport to
 * transport.ts. No reassembly: the first fragment carries the ports, later fragments do not.
 */
import type { DiagnosticSink } from '../common/diagnostics.js';
import type { Frame } from '../sources/types.js';
import { readU16, readU32 } from './cursor.js';
import { reportCut } from './report.js';
import { decodeTransport } from './transport.js';
import { holdsPacket } from './tunnel.js';
import type { Packet } from './types.js';

/** Minimum header: IHL 5 (RFC 791 section 3.1). */
export const IPV4_MIN_HEADER_LEN = 20;
/** Flags/fragment-offset word: More Fragments bit and the 13-bit offset (8-byte units). */
const IPV4_FLAG_MF = 0x2000;
const IPV4_FRAG_OFFSET_MASK = 0x1fff;

/**
 * Decodes the IPv4 header at `off` in `b` into `pkt` and continues with the transport layer.
 *
 * The payload length comes from Total Length, never from the captured byte count (Ethernet pads
 * short frames to 60 bytes). A Total Length of 0 is what a capture taken before TCP segmentation
 * offload shows: then the captured bytes are the packet (Wireshark does the same), and the
 * `ipv4_tso_zero_length` counter says so.
 *
 * @returns true when the addresses were decoded (`pkt.ipVersion === 4`), even if a later header
 *   was cut by the snap length (then `pkt.truncated`); false when the header is cut before the
 *   addresses or is invalid (bad IHL or total length: reported).
 */
export function decodeIpv4(b: Uint8Array, off: number, pkt: Packet, frame: Frame, diag: DiagnosticSink): boolean {
  const capEnd = b.length;
  if (off + IPV4_MIN_HEADER_LEN > capEnd) {
    reportCut('ipv4_truncated', 'IPv4 header', off, IPV4_MIN_HEADER_LEN, capEnd - off, frame, pkt, diag);
    return false;
  }
  const versionIhl = b[off];
  if (versionIhl >> 4 !== 4) {
    diag.report('ip_bad_version', frame.origin, `IPv4 EtherType but IP version ${versionIhl >> 4}`);
    return false;
  }
  const headerLen = (versionIhl & 0x0f) << 2;
  if (headerLen < IPV4_MIN_HEADER_LEN) {
    diag.report('ipv4_bad_ihl', frame.origin, `IPv4 IHL ${versionIhl & 0x0f} is below the minimum of 5`);
    return false;
  }
  let totalLen = readU16(b, off + 2);
  if (totalLen === 0) {
    totalLen = capEnd - off;
    diag.count('ipv4_tso_zero_length');
  }
  if (totalLen < headerLen) {
    diag.report('ipv4_bad_total_length', frame.origin, `IPv4 total length ${totalLen} is shorter than its header (${headerLen})`);
    return false;
  }

  // Addresses: bytes 12-19. Copied byte by byte: subarray()/set() would allocate a view per packet.
  const src = pkt.src;
  const dst = pkt.dst;
  src[0] = b[off + 12];
  src[1] = b[off + 13];
  src[2] = b[off + 14];
  src[3] = b[off + 15];
  dst[0] = b[off + 16];
  dst[1] = b[off + 17];
  dst[2] = b[off + 18];
  dst[3] = b[off + 19];
  pkt.srcV4 = readU32(b, off + 12);
  pkt.dstV4 = readU32(b, off + 16);
  pkt.ipVersion = 4;
  pkt.ipLen = totalLen;
  pkt.ipId = readU16(b, off + 4);
  pkt.l4Check = -1; // a tunnel's inner packet: not the outer header's
  const proto = b[off + 9];
  pkt.proto = proto;

  const ipEnd = off + totalLen;
  let dataEnd = ipEnd;
  if (ipEnd > capEnd) {
    // Snap length (or a frame cut in transit): keep what is there, flag it.
    pkt.truncated = true;
    dataEnd = capEnd;
  }
  const l4 = off + headerLen;
  if (l4 > dataEnd) {
    reportCut('ipv4_truncated', 'IPv4 options', off, headerLen, capEnd - off, frame, pkt, diag);
    return true;
  }
  const l4Len = totalLen - headerLen;

  const fragWord = readU16(b, off + 6);
  const fragOffset = fragWord & IPV4_FRAG_OFFSET_MASK;
  if (fragOffset !== 0) {
    // RFC 791: only the fragment at offset 0 holds the transport header. No reassembly here.
    pkt.laterFragment = true;
    pkt.payloadLen = l4Len;
    diag.count('ipv4_later_fragment');
    return true;
  }
  decodeTransport(proto, b, l4, l4Len, dataEnd, (fragWord & IPV4_FLAG_MF) !== 0, pkt, frame, diag);
  // A tunnel's packet that could not be decoded leaves none (decode/tunnel.ts).
  return holdsPacket(pkt);
}
