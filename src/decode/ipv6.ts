/**
 * IPv6 (RFC 8200) with its extension-header chain. No reassembly: a Fragment header with offset 0
 * lets the ports through, any other offset marks the packet a later fragment.
 */
import type { DiagnosticSink } from '../common/diagnostics.js';
import type { Frame } from '../sources/types.js';
import { readU16 } from './cursor.js';
import { reportCut } from './report.js';
import { decodeTransport } from './transport.js';
import type { Packet } from './types.js';

export const IPV6_HEADER_LEN = 40;

export const IPV6_EXT_HOP_BY_HOP = 0;
export const IPV6_EXT_ROUTING = 43;
export const IPV6_EXT_FRAGMENT = 44;
export const IPV6_EXT_ESP = 50;
export const IPV6_EXT_AH = 51;
export const IPV6_NO_NEXT_HEADER = 59;
export const IPV6_EXT_DESTINATION = 60;
export const IPV6_EXT_MOBILITY = 135;
export const IPV6_EXT_HIP = 139;
export const IPV6_EXT_SHIM6 = 140;

/** A chain longer than this is hostile or garbage (real stacks send one to three). */
export const MAX_IPV6_EXTENSION_HEADERS = 16;

/** Result of {@link walkIpv6Extensions} when a header runs past the captured bytes. */
export const IPV6_CHAIN_CUT = -1;
/** Result of {@link walkIpv6Extensions} when a header runs past the declared payload or the chain is too long. */
export const IPV6_CHAIN_BAD = -2;

const LATER_FRAGMENT_BIT = 0x100;
const FRAGMENT_BIT = 0x200;
const OFFSET_SCALE = 0x400;

/**
 * Walks the extension headers starting at `off` with first Next Header `nextHeader`.
 *
 * Returns a packed non-negative number (so the hot path allocates nothing):
 * `transportOffset * 1024 + (fragmented ? 512 : 0) + (laterFragment ? 256 : 0) + upperProtocol`;
 * unpack with {@link chainOffset}, {@link chainProto}, {@link chainIsLaterFragment},
 * {@link chainIsFragmented}. Returns {@link IPV6_CHAIN_CUT} or {@link IPV6_CHAIN_BAD} on failure.
 * ESP (50) and No Next Header (59) end the walk: they are returned as the upper protocol.
 *
 * @param declaredEnd end of the packet as the IPv6 Payload Length declares it
 * @param capEnd end of the captured bytes (may be before `declaredEnd`)
 */
export function walkIpv6Extensions(b: Uint8Array, off: number, nextHeader: number, declaredEnd: number, capEnd: number): number {
  let nh = nextHeader;
  let flags = 0;
  for (let i = 0; ; i++) {
    let len: number;
    switch (nh) {
      case IPV6_EXT_HOP_BY_HOP:
      case IPV6_EXT_ROUTING:
      case IPV6_EXT_DESTINATION:
      case IPV6_EXT_MOBILITY:
      case IPV6_EXT_HIP:
      case IPV6_EXT_SHIM6:
        // RFC 8200 section 4.3: Hdr Ext Len in 8-octet units, not counting the first 8 octets.
        if (off + 2 > capEnd) return off + 2 > declaredEnd ? IPV6_CHAIN_BAD : IPV6_CHAIN_CUT;
        len = (b[off + 1] + 1) << 3;
        break;
      case IPV6_EXT_AH:
        // RFC 4302 section 2.2: Payload Len in 4-octet units, minus 2.
        if (off + 2 > capEnd) return off + 2 > declaredEnd ? IPV6_CHAIN_BAD : IPV6_CHAIN_CUT;
        len = (b[off + 1] + 2) << 2;
        break;
      case IPV6_EXT_FRAGMENT:
        // RFC 8200 section 4.5: fixed 8 octets; Fragment Offset is the top 13 bits of bytes 2-3.
        len = 8;
        if (off + 4 <= capEnd) {
          const offsetAndM = readU16(b, off + 2);
          // Offset 0 with M clear is an "atomic fragment" (RFC 6946): a whole packet.
          if (offsetAndM >> 3 !== 0) flags |= LATER_FRAGMENT_BIT | FRAGMENT_BIT;
          else if (offsetAndM & 1) flags |= FRAGMENT_BIT;
        }
        break;
      default:
        return off * OFFSET_SCALE + flags + nh;
    }
    if (i >= MAX_IPV6_EXTENSION_HEADERS) return IPV6_CHAIN_BAD;
    if (off + len > declaredEnd) return IPV6_CHAIN_BAD;
    if (off + len > capEnd) return IPV6_CHAIN_CUT;
    nh = b[off];
    off += len;
    // A later fragment's data is not a header: stop, the upper protocol is the fragment's Next Header.
    if (flags & LATER_FRAGMENT_BIT) return off * OFFSET_SCALE + flags + nh;
  }
}

/** Transport offset from a packed {@link walkIpv6Extensions} result. */
export function chainOffset(packed: number): number {
  return Math.floor(packed / OFFSET_SCALE);
}
/** Upper-layer protocol from a packed {@link walkIpv6Extensions} result. */
export function chainProto(packed: number): number {
  return packed & 0xff;
}
/** True when the chain held a Fragment header with a non-zero offset. */
export function chainIsLaterFragment(packed: number): boolean {
  return (packed & LATER_FRAGMENT_BIT) !== 0;
}
/** True when the chain held a Fragment header (first or later fragment). */
export function chainIsFragmented(packed: number): boolean {
  return (packed & FRAGMENT_BIT) !== 0;
}

/**
 * Decodes the IPv6 header at `off` in `b` into `pkt`, walks its extension headers and continues
 * with the transport layer.
 *
 * A Payload Length of 0 with a real next header is a jumbogram or a capture taken before segmentation
 * offload: the captured bytes are then the packet (counter `ipv6_zero_payload_length`).
 *
 * @returns true when the addresses were decoded (`pkt.ipVersion === 6`)
 */
export function decodeIpv6(b: Uint8Array, off: number, pkt: Packet, frame: Frame, diag: DiagnosticSink): boolean {
  const capEnd = b.length;
  if (off + IPV6_HEADER_LEN > capEnd) {
    reportCut('ipv6_truncated', 'IPv6 header', off, IPV6_HEADER_LEN, capEnd - off, frame, pkt, diag);
    return false;
  }
  if (b[off] >> 4 !== 6) {
    diag.report('ip_bad_version', frame.origin, `IPv6 EtherType but IP version ${b[off] >> 4}`);
    return false;
  }
  let payloadLen = readU16(b, off + 4);
  const firstNext = b[off + 6];
  if (payloadLen === 0 && firstNext !== IPV6_NO_NEXT_HEADER && capEnd > off + IPV6_HEADER_LEN) {
    payloadLen = capEnd - off - IPV6_HEADER_LEN;
    diag.count('ipv6_zero_payload_length');
  }
  const src = pkt.src;
  const dst = pkt.dst;
  for (let i = 0; i < 16; i++) {
    src[i] = b[off + 8 + i];
    dst[i] = b[off + 24 + i];
  }
  pkt.ipVersion = 6;
  pkt.ipLen = IPV6_HEADER_LEN + payloadLen;
  pkt.proto = firstNext;

  const ipEnd = off + IPV6_HEADER_LEN + payloadLen;
  let dataEnd = ipEnd;
  if (ipEnd > capEnd) {
    pkt.truncated = true;
    dataEnd = capEnd;
  }
  const chain = walkIpv6Extensions(b, off + IPV6_HEADER_LEN, firstNext, ipEnd, dataEnd);
  if (chain === IPV6_CHAIN_CUT) {
    reportCut('ipv6_truncated', 'IPv6 extension header', off + IPV6_HEADER_LEN, payloadLen, capEnd - off - IPV6_HEADER_LEN, frame, pkt, diag);
    return true;
  }
  if (chain === IPV6_CHAIN_BAD) {
    diag.report('ipv6_bad_extension_header', frame.origin, 'IPv6 extension header chain runs past the payload length or is too long');
    return true;
  }
  const l4 = chainOffset(chain);
  const proto = chainProto(chain);
  pkt.proto = proto;
  const l4Len = ipEnd - l4;
  if (chainIsLaterFragment(chain)) {
    pkt.laterFragment = true;
    pkt.payloadLen = l4Len;
    diag.count('ipv6_later_fragment');
    return true;
  }
  decodeTransport(proto, b, l4, l4Len, dataEnd, chainIsFragmented(chain), pkt, frame, diag);
  return true;
}
