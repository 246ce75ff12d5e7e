/**
 * TLS handshakes that fail with an alert (RFC 5246 section 7.2, RFC 8446 section 6).
 *
 * Before the handshake completes, an alert travels in clear: a two-byte record (level, description).
 * A fatal one says why a connection that TCP shows as working carried nothing: the server refused
 * the client's protocol version or ciphers (a Connect server whose .NET still offers TLS 1.0 to
 * endpoints that require TLS 1.2: protocol_version, handshake_failure), or the client rejected the
 * server's certificate (unknown_ca: an inspecting proxy's CA the server does not trust). Alerts
 * after the handshake are encrypted (longer records) and are not read.
 *
 * Each fatal alert is reported once per description, sender and receiver in a capture (`tls_alert`),
 * and counted (`tls_alerts`).
 */
import type { DiagnosticSink } from '../common/diagnostics.js';
import type { Frame } from '../sources/types.js';
import { firstOfKind } from './first-of-kind.js';
import { answerSubject, endsOf } from './direction.js';
import type { Packet } from './types.js';

export const TLS_CONTENT_ALERT = 0x15;
const ALERT_FATAL = 2;

/** Fatal alert descriptions and what they say of a failed handshake. */
const DESCRIPTIONS: ReadonlyMap<number, { name: string; meaning: string }> = new Map([
  [10, { name: 'unexpected_message', meaning: 'a message out of place: a middlebox altering the handshake?' }],
  [20, { name: 'bad_record_mac', meaning: 'a record did not decrypt: a middlebox altering the traffic?' }],
  [40, { name: 'handshake_failure', meaning: 'no protocol version or cipher both sides accept (TLS 1.2 not enabled for .NET on the client?)' }],
  [42, { name: 'bad_certificate', meaning: 'the certificate was rejected' }],
  [43, { name: 'unsupported_certificate', meaning: 'the certificate is of a kind the peer does not accept' }],
  [44, { name: 'certificate_revoked', meaning: 'the certificate was revoked' }],
  [45, { name: 'certificate_expired', meaning: 'the certificate has expired (or a clock is wrong)' }],
  [46, { name: 'certificate_unknown', meaning: 'the certificate could not be validated (the CRL or OCSP check failed?)' }],
  [48, { name: 'unknown_ca', meaning: "the certificate's issuer is not trusted (an inspecting proxy's CA?)" }],
  [70, { name: 'protocol_version', meaning: 'the protocol version was refused (TLS 1.0 or 1.1 offered to an endpoint that requires TLS 1.2?)' }],
  [71, { name: 'insufficient_security', meaning: 'the ciphers offered are too weak for the peer' }],
  [80, { name: 'internal_error', meaning: 'the peer failed on its side' }],
  [112, { name: 'unrecognized_name', meaning: 'the server knows no site of the name asked for' }],
]);

/**
 * A TCP payload at b[off .. end): reports it when it begins with a fatal alert in clear. Returns
 * false when it is not an alert record (the caller decodes it as usual).
 */
export function decodeTlsAlert(b: Uint8Array, off: number, end: number, pkt: Packet, frame: Frame, diag: DiagnosticSink): boolean {
  // Record header: type, version 3.x, length 2 (a plaintext alert; encrypted ones are longer).
  if (off + 7 > end || b[off] !== TLS_CONTENT_ALERT || b[off + 1] !== 3 || b[off + 2] > 4 || b[off + 3] !== 0 || b[off + 4] !== 2) return false;
  if (b[off + 5] !== ALERT_FATAL) return true;
  const code = b[off + 6];
  const known = DESCRIPTIONS.get(code);
  if (known === undefined) return true;
  diag.count('tls_alerts');
  const { from, to } = endsOf(pkt);
  if (!firstOfKind(pkt, `alert|${code}|${from}|${to}`)) return true;
  // Either side may send the alert; the server is the side on the service port (the lower one).
  const subject = answerSubject(pkt, pkt.srcPort < pkt.dstPort);
  diag.report(
    'tls_alert',
    frame.origin,
    `${from}:${pkt.srcPort} ended the TLS handshake with ${to}:${pkt.dstPort}: fatal alert ${known.name} (${code}): ${known.meaning}`,
    subject,
  );
  return true;
}
