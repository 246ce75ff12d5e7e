/**
 * One direction of a TCP connection (addresses and ports, source to destination), for the decoders
 * that follow a message across the segments of one direction (tls-sni.ts, tls-certificate.ts), and
 * the text of a packet's two ends for those that name them (kerberos.ts, ldap.ts, tls-alert.ts).
 */
import type { AnswerSubject } from '../common/diagnostics.js';
import { formatIpv4, formatIpv6 } from '../common/ip.js';
import type { Packet } from './types.js';

export interface Direction {
  ipVersion: 4 | 6 | 0;
  src: Uint8Array;
  dst: Uint8Array;
  srcPort: number;
  dstPort: number;
}

/** `pkt`'s direction, its addresses copied (the packet object is reused for the next frame). */
export function directionOf(pkt: Packet): Direction {
  return { ipVersion: pkt.ipVersion, src: pkt.src.slice(), dst: pkt.dst.slice(), srcPort: pkt.srcPort, dstPort: pkt.dstPort };
}

/** True when `pkt` travels in direction `d`. */
export function sameDirection(d: Direction, pkt: Packet): boolean {
  if (d.ipVersion !== pkt.ipVersion || d.srcPort !== pkt.srcPort || d.dstPort !== pkt.dstPort) return false;
  const n = pkt.ipVersion === 6 ? 16 : 4;
  for (let i = 0; i < n; i++) if (d.src[i] !== pkt.src[i] || d.dst[i] !== pkt.dst[i]) return false;
  return true;
}

/** The source and destination addresses of `pkt` as text. */
export function endsOf(pkt: Packet): { from: string; to: string } {
  return pkt.ipVersion === 6 ? { from: formatIpv6(pkt.src), to: formatIpv6(pkt.dst) } : { from: formatIpv4(pkt.src), to: formatIpv4(pkt.dst) };
}

/** UDP's IANA protocol number (anything else the answer decoders see is TCP). */
const IPPROTO_UDP = 17;

/**
 * The exchange a server's answer in `pkt` belongs to (see AnswerSubject), `pkt` sent by the server
 * (`fromServer`) or by its client.
 */
export function answerSubject(pkt: Packet, fromServer: boolean): AnswerSubject {
  const { from, to } = endsOf(pkt);
  const transport = pkt.proto === IPPROTO_UDP ? 'udp' : 'tcp';
  return fromServer ? { client: to, server: from, transport, port: pkt.srcPort } : { client: from, server: to, transport, port: pkt.dstPort };
}
