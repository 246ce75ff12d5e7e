/**
 * UDP header (RFC 768). DNS (53), mDNS (5353) and LLMNR (5355) payloads go to dns.ts when they
 * were captured whole.
 */
import type { DiagnosticSink } from '../common/diagnostics.js';
import type { Frame } from '../sources/types.js';
import { readU16 } from './cursor.js';
import { decodeDnsMessage, isDnsPort } from './dns.js';
import { decodeKerberosReply, KERBEROS_PORT } from './kerberos.js';
import { decodeVxlan, VXLAN_PORT } from './tunnel.js';
import { reportShortTransportHeader } from './report.js';
import type { Packet } from './types.js';

export const UDP_HEADER_LEN = 8;

/**
 * Decodes the UDP header at `off` into `pkt`: ports and `payloadLen` (UDP length - 8).
 *
 * The UDP Length field is trusted only within the IP-declared length, except in the first fragment
 * of a fragmented datagram, where it legitimately covers the later fragments too. A Length of 0
 * (jumbograms, RFC 2675; segmentation offload) falls back to the IP length.
 *
 * @param declaredLen UDP header + payload bytes as the IP header declares them
 * @param dataEnd end of usable bytes in `b`
 * @param fragmented true for the first fragment of a fragmented IP packet
 */
export function decodeUdp(
  b: Uint8Array,
  off: number,
  declaredLen: number,
  dataEnd: number,
  fragmented: boolean,
  pkt: Packet,
  frame: Frame,
  diag: DiagnosticSink,
): void {
  if (off + UDP_HEADER_LEN > dataEnd) {
    reportShortTransportHeader('udp_truncated', 'UDP', UDP_HEADER_LEN, b, off, declaredLen, dataEnd, pkt, frame, diag);
    return;
  }
  const srcPort = readU16(b, off);
  const dstPort = readU16(b, off + 2);
  pkt.srcPort = srcPort;
  pkt.dstPort = dstPort;
  pkt.l4Check = readU16(b, off + 6);
  let udpLen = readU16(b, off + 4);
  if (udpLen === 0) {
    udpLen = declaredLen;
  } else if (udpLen < UDP_HEADER_LEN) {
    diag.report('udp_bad_length', frame.origin, `UDP length ${udpLen} is shorter than its header`);
    udpLen = declaredLen;
  } else if (udpLen > declaredLen && !fragmented) {
    diag.report('udp_bad_length', frame.origin, `UDP length ${udpLen} exceeds the ${declaredLen} bytes the IP header declares`);
    udpLen = declaredLen;
  }
  const payloadLen = udpLen - UDP_HEADER_LEN;
  pkt.payloadLen = payloadLen;
  const payload = off + UDP_HEADER_LEN;
  if (dstPort === VXLAN_PORT && payloadLen > 0) {
    // A VXLAN datagram: its Ethernet frame is the packet (or, undecodable, none: see tunnel.ts).
    if (decodeVxlan(b, payload, Math.min(dataEnd, payload + payloadLen), pkt, frame, diag) || pkt.ipVersion === 0) return;
  }
  if (srcPort === KERBEROS_PORT && payloadLen > 0) {
    decodeKerberosReply(b, payload, Math.min(dataEnd, payload + payloadLen), pkt, frame, diag);
    return;
  }
  if (payloadLen <= 0 || !(isDnsPort(srcPort) || isDnsPort(dstPort))) return;

  // The message may continue in later fragments or past the snap length: its start is read (dns.ts).
  const captured = Math.min(payloadLen, dataEnd - payload);
  if (captured < payloadLen && !fragmented) pkt.truncated = true;
  decodeDnsMessage(b, payload, payloadLen, pkt, frame, diag, captured);
}
