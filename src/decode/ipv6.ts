/**
 * IPv6 (RFC 8200) with its extension-header chain. No reassembly: a Fragment header with offset 0
 * lets the ports through, any other offset marks the packet a later fragment.
 */
import type { DiagnosticSink } from '../common/diagnostics.js';
import type { Frame } from '../sources/types.js';
import { readU16 } from './cursor.js';
import {
  chainIsFragmented,
  chainIsLaterFragment,
  chainOffset,
  chainProto,
  IPV6_CHAIN_BAD,
  IPV6_CHAIN_CUT,
  IPV6_NO_NEXT_HEADER,
  walkIpv6Extensions,
} from './ipv6-extensions.js';
import { reportCut } from './report.js';
import { decodeTransport } from './transport.js';
import { holdsPacket } from './tunnel.js';
import type { Packet } from './types.js';

export const IPV6_HEADER_LEN = 40;

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
  pkt.ipId = 0;
  pkt.l4Check = -1; // a tunnel's inner packet: not the outer header's
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
  // A tunnel's packet that could not be decoded leaves none (decode/tunnel.ts).
  return holdsPacket(pkt);
}
