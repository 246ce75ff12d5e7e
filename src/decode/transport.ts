/**
 * Transport dispatch: IP protocol number → TCP, UDP, ICMP or ICMPv6 decoder; GRE to the packet it
 * carries (tunnel.ts). Other protocols (ESP, IP-in-IP ...) keep `pkt.proto` and their declared
 * length as `payloadLen`, without ports.
 */
import type { DiagnosticSink } from '../common/diagnostics.js';
import type { Frame } from '../sources/types.js';
import { decodeIcmp4, decodeIcmp6 } from './icmp.js';
import { decodeTcp } from './tcp.js';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, type Packet } from './types.js';
import { decodeGre, IPPROTO_GRE } from './tunnel.js';
import { decodeUdp } from './udp.js';

/**
 * Decodes the transport header at `off`.
 *
 * @param declaredLen transport bytes as the IP header declares them (header + payload)
 * @param dataEnd end of the usable bytes in `b`: the IP packet's end, or the capture's end when
 *   the snap length cut it (then `dataEnd < off + declaredLen`)
 * @param fragmented true for the first fragment of a fragmented IP packet: the transport header is
 *   whole, but lengths inside it (UDP length, DNS message) may cover bytes of later fragments
 */
export function decodeTransport(
  proto: number,
  b: Uint8Array,
  off: number,
  declaredLen: number,
  dataEnd: number,
  fragmented: boolean,
  pkt: Packet,
  frame: Frame,
  diag: DiagnosticSink,
): void {
  switch (proto) {
    case IPPROTO_TCP:
      decodeTcp(b, off, declaredLen, dataEnd, pkt, frame, diag);
      return;
    case IPPROTO_UDP:
      decodeUdp(b, off, declaredLen, dataEnd, fragmented, pkt, frame, diag);
      return;
    case IPPROTO_ICMP:
      decodeIcmp4(b, off, declaredLen, dataEnd, pkt, frame, diag);
      return;
    case IPPROTO_ICMPV6:
      decodeIcmp6(b, off, declaredLen, dataEnd, pkt, frame, diag);
      return;
    case IPPROTO_GRE:
      // The tunnelled packet replaces this one; when there is none, this one stays (or, when the
      // tunnelled packet could not be decoded, none: pkt.ipVersion is 0, see tunnel.ts).
      if (!decodeGre(b, off, Math.min(dataEnd, off + declaredLen), pkt, frame, diag) && pkt.ipVersion !== 0) pkt.payloadLen = declaredLen;
      return;
    default:
      pkt.payloadLen = declaredLen;
  }
}
