/**
 * TCP header (RFC 9293 section 3.1). The hot path: no allocation, no string work. Application
 * decoders (DNS over TCP, the RPC endpoint mapper, TLS SNI) run only when a cheap port or
 * first-byte test matches.
 */
import type { DiagnosticSink } from '../common/diagnostics.js';
import type { Frame } from '../sources/types.js';
import { readU16, readU32 } from './cursor.js';
import { decodeEpmResponse, DCERPC_EPM_PORT, looksLikeDcerpcResponse } from './dcerpc-epm.js';
import { decodeDnsOverTcp, isDnsPort } from './dns.js';
import { decodeHttpProxyLine } from './http-proxy.js';
import { decodeKerberosOverTcp, KERBEROS_PORT } from './kerberos.js';
import { decodeLdapResponse, GLOBAL_CATALOG_PORT, LDAP_PORT } from './ldap.js';
import { reportCut, reportShortTransportHeader } from './report.js';
import { decodeTlsAlert, TLS_CONTENT_ALERT } from './tls-alert.js';
import { continueServerFlight, startServerFlight } from './tls-certificate.js';
import { continueClientHello, decodeTlsClientHelloSni, TLS_CONTENT_HANDSHAKE } from './tls-sni.js';
import type { Packet } from './types.js';

export const TCP_MIN_HEADER_LEN = 20;

/**
 * Decodes the TCP header at `off` into `pkt`: ports, seq, ack, flags (the whole flags byte: CWR and
 * ECE included), window, and `payloadLen` = declared transport length minus the data offset.
 *
 * When the capture cut the header, whatever was captured is kept (ports need only 4 bytes),
 * `pkt.truncated` is set and `tcp_truncated` is reported.
 *
 * @param declaredLen TCP header + payload bytes as the IP header declares them
 * @param dataEnd end of usable bytes in `b` (IP end or capture end, whichever is first)
 */
export function decodeTcp(
  b: Uint8Array,
  off: number,
  declaredLen: number,
  dataEnd: number,
  pkt: Packet,
  frame: Frame,
  diag: DiagnosticSink,
): void {
  if (off + TCP_MIN_HEADER_LEN > dataEnd) {
    reportShortTransportHeader('tcp_truncated', 'TCP', TCP_MIN_HEADER_LEN, b, off, declaredLen, dataEnd, pkt, frame, diag);
    return;
  }
  const srcPort = readU16(b, off);
  const dstPort = readU16(b, off + 2);
  pkt.srcPort = srcPort;
  pkt.dstPort = dstPort;
  pkt.tcpSeq = readU32(b, off + 4);
  pkt.tcpAck = readU32(b, off + 8);
  const headerLen = (b[off + 12] >> 4) << 2;
  pkt.tcpFlags = b[off + 13];
  pkt.tcpWindow = readU16(b, off + 14);
  pkt.l4Check = readU16(b, off + 16);
  if (headerLen < TCP_MIN_HEADER_LEN || headerLen > declaredLen) {
    diag.report('tcp_bad_data_offset', frame.origin, `TCP data offset ${headerLen >> 2} (needs 5 .. ${declaredLen >> 2})`);
    return;
  }
  const payloadLen = declaredLen - headerLen;
  pkt.payloadLen = payloadLen;
  const payload = off + headerLen;
  if (payload > dataEnd) {
    reportCut('tcp_truncated', 'TCP options', off, headerLen, dataEnd - off, frame, pkt, diag);
    return;
  }
  if (payloadLen === 0 || payload >= dataEnd) return;

  // Application hints, cheapest tests first.
  const capturedPayload = dataEnd - payload;
  if (isDnsPort(srcPort) || isDnsPort(dstPort)) {
    decodeDnsOverTcp(b, payload, payloadLen, capturedPayload, pkt, frame, diag);
  } else if (srcPort === KERBEROS_PORT) {
    decodeKerberosOverTcp(b, payload, dataEnd, pkt, frame, diag);
  } else if (srcPort === LDAP_PORT || srcPort === GLOBAL_CATALOG_PORT) {
    decodeLdapResponse(b, payload, dataEnd, pkt, frame, diag);
  } else if (srcPort === DCERPC_EPM_PORT) {
    if (looksLikeDcerpcResponse(b, payload, dataEnd)) decodeEpmResponse(b, payload, dataEnd, pkt, frame, diag);
  } else if (continueClientHello(b, payload, payloadLen, capturedPayload, pkt, frame, diag)) {
    // The next part of a ClientHello split across segments (tls-sni.ts).
  } else if (continueServerFlight(b, payload, payloadLen, capturedPayload, pkt, frame, diag)) {
    // The next part of a server's first flight, before its certificate (tls-certificate.ts).
  } else if (b[payload] === TLS_CONTENT_ALERT) {
    decodeTlsAlert(b, payload, dataEnd, pkt, frame, diag);
  } else if (b[payload] === TLS_CONTENT_HANDSHAKE) {
    if (!startServerFlight(b, payload, payloadLen, capturedPayload, pkt, frame, diag)) {
      decodeTlsClientHelloSni(b, payload, payload + payloadLen, dataEnd, pkt, frame, diag);
    }
  } else if (b[payload] === 0x43 || b[payload] === 0x47 || b[payload] === 0x48 || b[payload] === 0x50) {
    // 'C', 'G', 'H' or 'P': perhaps a request to an explicit proxy, or an HTTP status line.
    decodeHttpProxyLine(b, payload, dataEnd, pkt);
  }
}
