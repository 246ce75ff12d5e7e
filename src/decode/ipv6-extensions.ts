/**
 * The IPv6 extension-header chain (RFC 8200 section 4), walked without allocating. Shared by the
 * IPv6 decoder and by the ICMPv6 decoder for the headers that an error message quotes.
 */
import { readU16 } from './cursor.js';

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
