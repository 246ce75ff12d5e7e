/**
 * ICMP (RFC 792) and ICMPv6 (RFC 4443). Error messages quote the header of the packet they refuse:
 * that quote names the refused flow, so it is decoded into `pkt.quoted`.
 */
import type { DiagnosticSink } from '../common/diagnostics.js';
import type { Frame } from '../sources/types.js';
import { readU16 } from './cursor.js';
import { chainIsLaterFragment, chainOffset, chainProto, IPV6_CHAIN_BAD, IPV6_CHAIN_CUT, walkIpv6Extensions } from './ipv6-extensions.js';
import { reportCut } from './report.js';
import type { Packet, QuotedHeader } from './types.js';

/** Type, code, checksum and the 4-byte rest-of-header: both ICMP versions. */
export const ICMP_HEADER_LEN = 8;

export const ICMP4_DEST_UNREACHABLE = 3;
export const ICMP4_TIME_EXCEEDED = 11;
export const ICMP6_DEST_UNREACHABLE = 1;
export const ICMP6_TIME_EXCEEDED = 3;

/**
 * Decodes an ICMPv4 message at `off`: type, code, `payloadLen` (message length - 8) and, for
 * destination unreachable (3) and time exceeded (11), the quoted IPv4 header into `pkt.quoted`.
 * Ports of the ICMP "flow" stay 0; the flow table keys ICMP on type and code.
 *
 * @param declaredLen ICMP message bytes as the IP header declares them
 * @param dataEnd end of usable bytes in `b`
 */
export function decodeIcmp4(
  b: Uint8Array,
  off: number,
  declaredLen: number,
  dataEnd: number,
  pkt: Packet,
  frame: Frame,
  diag: DiagnosticSink,
): void {
  if (!readIcmpHeader(b, off, declaredLen, dataEnd, pkt, frame, diag)) return;
  const type = pkt.icmpType;
  if (type === ICMP4_DEST_UNREACHABLE || type === ICMP4_TIME_EXCEEDED) {
    pkt.quoted = decodeQuotedIpv4(b, off + ICMP_HEADER_LEN, Math.min(dataEnd, off + declaredLen), frame, diag);
  }
}

/**
 * Decodes an ICMPv6 message at `off`: as {@link decodeIcmp4}, quoting for destination unreachable (1)
 * and time exceeded (3); the quoted IPv6 header's extension chain is walked to reach its ports.
 */
export function decodeIcmp6(
  b: Uint8Array,
  off: number,
  declaredLen: number,
  dataEnd: number,
  pkt: Packet,
  frame: Frame,
  diag: DiagnosticSink,
): void {
  if (!readIcmpHeader(b, off, declaredLen, dataEnd, pkt, frame, diag)) return;
  const type = pkt.icmpType;
  if (type === ICMP6_DEST_UNREACHABLE || type === ICMP6_TIME_EXCEEDED) {
    pkt.quoted = decodeQuotedIpv6(b, off + ICMP_HEADER_LEN, Math.min(dataEnd, off + declaredLen), frame, diag);
  }
}

function readIcmpHeader(
  b: Uint8Array,
  off: number,
  declaredLen: number,
  dataEnd: number,
  pkt: Packet,
  frame: Frame,
  diag: DiagnosticSink,
): boolean {
  if (off + 2 > dataEnd) {
    reportCut('icmp_truncated', 'ICMP header', off, ICMP_HEADER_LEN, dataEnd - off, frame, pkt, diag);
    return false;
  }
  pkt.icmpType = b[off];
  pkt.icmpCode = b[off + 1];
  pkt.payloadLen = declaredLen > ICMP_HEADER_LEN ? declaredLen - ICMP_HEADER_LEN : 0;
  if (off + ICMP_HEADER_LEN > dataEnd) {
    reportCut('icmp_truncated', 'ICMP header', off, ICMP_HEADER_LEN, dataEnd - off, frame, pkt, diag);
    return false;
  }
  pkt.l4Check = readU16(b, off + 2);
  return true;
}

/**
 * Decodes the IPv4 header quoted at `off` (RFC 792: the internet header + 64 bits of the original
 * datagram). Its Total Length is ignored: the quote is only a prefix. Ports are -1 when the quote
 * stops before them or when the quoted packet was a later fragment.
 *
 * @param end end of the quote's bytes in `b`
 * @returns the quoted header (a fresh object: ICMP errors are rare), or null when the quote is
 *   too short to hold the addresses (`icmp_quote_truncated`) or is not IPv4
 */
export function decodeQuotedIpv4(b: Uint8Array, off: number, end: number, frame: Frame, diag: DiagnosticSink): QuotedHeader | null {
  if (off + 20 > end) {
    diag.report('icmp_quote_truncated', frame.origin, `ICMP error quotes ${Math.max(0, end - off)} bytes, fewer than an IPv4 header`);
    return null;
  }
  const headerLen = (b[off] & 0x0f) << 2;
  if (b[off] >> 4 !== 4 || headerLen < 20) {
    diag.report('icmp_quote_truncated', frame.origin, 'ICMP error quotes something that is not an IPv4 header');
    return null;
  }
  const src = new Uint8Array(16);
  const dst = new Uint8Array(16);
  for (let i = 0; i < 4; i++) {
    src[i] = b[off + 12 + i];
    dst[i] = b[off + 16 + i];
  }
  const proto = b[off + 9];
  const fragOffset = readU16(b, off + 6) & 0x1fff;
  const l4 = off + headerLen;
  const hasPorts = fragOffset === 0 && l4 + 4 <= end;
  return {
    ipVersion: 4,
    src,
    dst,
    proto,
    srcPort: hasPorts ? readU16(b, l4) : -1,
    dstPort: hasPorts ? readU16(b, l4 + 2) : -1,
  };
}

/**
 * Decodes the IPv6 header quoted at `off` (RFC 4443 section 3.1: as much of the invoking packet as
 * fits), walking its extension headers to the transport ports. Ports are -1 when absent.
 *
 * @returns the quoted header, or null when the quote is shorter than an IPv6 header or not IPv6
 */
export function decodeQuotedIpv6(b: Uint8Array, off: number, end: number, frame: Frame, diag: DiagnosticSink): QuotedHeader | null {
  if (off + 40 > end) {
    diag.report('icmp_quote_truncated', frame.origin, `ICMPv6 error quotes ${Math.max(0, end - off)} bytes, fewer than an IPv6 header`);
    return null;
  }
  if (b[off] >> 4 !== 6) {
    diag.report('icmp_quote_truncated', frame.origin, 'ICMPv6 error quotes something that is not an IPv6 header');
    return null;
  }
  const src = new Uint8Array(16);
  const dst = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    src[i] = b[off + 8 + i];
    dst[i] = b[off + 24 + i];
  }
  let proto = b[off + 6];
  let srcPort = -1;
  let dstPort = -1;
  // The quote is a prefix, so its declared payload length cannot bound the chain: the quote's end does.
  const chain = walkIpv6Extensions(b, off + 40, proto, end, end);
  if (chain !== IPV6_CHAIN_CUT && chain !== IPV6_CHAIN_BAD) {
    proto = chainProto(chain);
    const l4 = chainOffset(chain);
    if (!chainIsLaterFragment(chain) && l4 + 4 <= end) {
      srcPort = readU16(b, l4);
      dstPort = readU16(b, l4 + 2);
    }
  }
  return { ipVersion: 6, src, dst, proto, srcPort, dstPort };
}

const ICMP4_UNREACHABLE_NAMES: readonly string[] = [
  'network unreachable', // 0
  'host unreachable', // 1
  'protocol unreachable', // 2
  'port unreachable', // 3
  'fragmentation needed', // 4 (RFC 1191: DF set)
  'source route failed', // 5
  'destination network unknown', // 6 (RFC 1122)
  'destination host unknown', // 7
  'source host isolated', // 8
  'network administratively prohibited', // 9
  'host administratively prohibited', // 10
  'network unreachable for type of service', // 11
  'host unreachable for type of service', // 12
  'administratively prohibited', // 13 (RFC 1812: communication administratively prohibited)
  'host precedence violation', // 14
  'precedence cutoff in effect', // 15
];

const ICMP6_UNREACHABLE_NAMES: readonly string[] = [
  'no route', // 0 no route to destination
  'administratively prohibited', // 1 communication with destination administratively prohibited
  'beyond scope of source address', // 2
  'address unreachable', // 3
  'port unreachable', // 4
  'source address failed ingress/egress policy', // 5
  'reject route', // 6
  'error in source routing header', // 7 (RFC 8554)
  'headers too long', // 8 (RFC 8883)
];

const ICMP4_TYPE_NAMES: Record<number, string> = {
  0: 'echo reply',
  3: 'destination unreachable',
  4: 'source quench',
  5: 'redirect',
  8: 'echo request',
  9: 'router advertisement',
  10: 'router solicitation',
  11: 'time exceeded',
  12: 'parameter problem',
  13: 'timestamp',
  14: 'timestamp reply',
};

const ICMP6_TYPE_NAMES: Record<number, string> = {
  1: 'destination unreachable',
  2: 'packet too big',
  3: 'time exceeded',
  4: 'parameter problem',
  128: 'echo request',
  129: 'echo reply',
  133: 'router solicitation',
  134: 'router advertisement',
  135: 'neighbor solicitation',
  136: 'neighbor advertisement',
  137: 'redirect',
};

/**
 * Human name of an ICMP type/code pair, as a report states the reason a flow was refused:
 * `icmpCodeName('icmp', 3, 13)` is `'administratively prohibited'`, `icmpCodeName('icmp6', 1, 4)` is
 * `'port unreachable'`. For destination unreachable and time exceeded the code is named; for other
 * types the type is named; unknown values come back as `'type T code C'`. Not for the hot path.
 *
 * Sources: RFC 792, RFC 1122 section 3.2.2.1, RFC 1812 section 5.2.7.1 (ICMPv4 codes 9-15),
 * RFC 4443 section 3.1 (ICMPv6).
 */
export function icmpCodeName(family: 'icmp' | 'icmp6', type: number, code: number): string {
  if (family === 'icmp') {
    if (type === ICMP4_DEST_UNREACHABLE && code >= 0 && code < ICMP4_UNREACHABLE_NAMES.length) return ICMP4_UNREACHABLE_NAMES[code];
    if (type === ICMP4_TIME_EXCEEDED) {
      if (code === 0) return 'TTL exceeded in transit';
      if (code === 1) return 'fragment reassembly time exceeded';
    }
    if (type !== ICMP4_DEST_UNREACHABLE && type !== ICMP4_TIME_EXCEEDED && ICMP4_TYPE_NAMES[type] !== undefined) return ICMP4_TYPE_NAMES[type];
  } else {
    if (type === ICMP6_DEST_UNREACHABLE && code >= 0 && code < ICMP6_UNREACHABLE_NAMES.length) return ICMP6_UNREACHABLE_NAMES[code];
    if (type === ICMP6_TIME_EXCEEDED) {
      if (code === 0) return 'hop limit exceeded in transit';
      if (code === 1) return 'fragment reassembly time exceeded';
    }
    if (type !== ICMP6_DEST_UNREACHABLE && type !== ICMP6_TIME_EXCEEDED && ICMP6_TYPE_NAMES[type] !== undefined) return ICMP6_TYPE_NAMES[type];
  }
  return `type ${type} code ${code}`;
}
