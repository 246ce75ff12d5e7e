/**
 * Kerberos errors a KDC answers with (KRB-ERROR, RFC 4120 section 5.9.1), on UDP or TCP port 88.
 *
 * A sync can fail while every port is open: the Connect server's AD DS connector account cannot get
 * a ticket because its password is wrong or expired, the account is disabled or locked, the clocks
 * differ by more than five minutes, or the client and the KDC share no encryption type (RC4 turned
 * off). The KDC says which, in clear, in its error. Errors that are part of a normal exchange
 * (pre-authentication required, response too big for UDP, a ticket to renew) are left alone.
 *
 * Each error that stops a logon is reported once per code, KDC and client principal in a capture
 * (`kerberos_error`), and counted (`kerberos_errors`).
 */
import type { DiagnosticSink } from '../common/diagnostics.js';
import type { Frame } from '../sources/types.js';
import { derElement as element, derText, type DerElement } from './der.js';
import { firstOfKind } from './first-of-kind.js';
import { answerSubject } from './direction.js';
import { IPPROTO_UDP, type Packet } from './types.js';

export const KERBEROS_PORT = 88;
/** RFC 4120 section 7.5.9: the reply does not fit a UDP datagram; ask over TCP. */
const KRB_ERR_RESPONSE_TOO_BIG = 52;
/** Characters kept of a realm or a name part (KerberosString). */
const MAX_NAME = 100;

/** The error codes that stop a logon, with their RFC 4120 names and what they mean for a sync. */
export const LOGON_STOPPING_ERRORS: ReadonlyMap<number, { name: string; meaning: string }> = new Map([
  [6, { name: 'KDC_ERR_C_PRINCIPAL_UNKNOWN', meaning: 'the account does not exist in this domain' }],
  [12, { name: 'KDC_ERR_POLICY', meaning: 'a logon restriction of the account forbids it (workstations, hours)' }],
  [14, { name: 'KDC_ERR_ETYPE_NOSUPP', meaning: 'the client and the KDC share no encryption type (RC4 or DES turned off on one side?)' }],
  [18, { name: 'KDC_ERR_CLIENT_REVOKED', meaning: 'the account is disabled, locked out or expired' }],
  [23, { name: 'KDC_ERR_KEY_EXPIRED', meaning: "the account's password has expired" }],
  [24, { name: 'KDC_ERR_PREAUTH_FAILED', meaning: "the password is wrong (the connector account's password changed?)" }],
  [37, { name: 'KRB_AP_ERR_SKEW', meaning: 'the clocks of the client and the KDC differ by more than five minutes' }],
  [41, { name: 'KRB_AP_ERR_MODIFIED', meaning: "the service ticket does not decrypt: a duplicate SPN, or the service account's password changed" }],
]);

/**
 * A KDC's message at b[off .. end) (UDP payload, or TCP after its 4-byte length): reports it when
 * it is a KRB-ERROR that stops a logon. Anything else (tickets, other errors, other bytes) is left.
 */
export function decodeKerberosReply(b: Uint8Array, off: number, end: number, pkt: Packet, frame: Frame, diag: DiagnosticSink): void {
  if (off >= end || b[off] !== 0x7e) return; // [APPLICATION 30]: KRB-ERROR
  const err = readKrbError(b, off, end);
  if (err === null) return;
  if (err.code === KRB_ERR_RESPONSE_TOO_BIG && pkt.proto === IPPROTO_UDP) {
    noteTooBigForUdp(pkt, frame, diag);
    return;
  }
  const known = LOGON_STOPPING_ERRORS.get(err.code);
  if (known === undefined) return;
  diag.count('kerberos_errors');
  const subject = answerSubject(pkt, true);
  const { server: kdc, client } = subject;
  const principal = err.cname ? `${err.cname}${err.crealm ? `@${err.crealm}` : ''}` : '';
  if (!firstOfKind(pkt, `kerberos|${err.code}|${kdc}|${principal}`)) return;
  const forWhom = principal ? ` for ${principal}` : '';
  const service = err.sname ? ` (service ${err.sname})` : '';
  diag.report(
    'kerberos_error',
    frame.origin,
    `the KDC ${kdc} answered ${client} with ${known.name} (${err.code})${forWhom}${service}: ${known.meaning}`,
    subject,
  );
}

/**
 * KRB_ERR_RESPONSE_TOO_BIG over UDP: the KDC's answer (a ticket whose PAC is large: an account in
 * many groups) does not fit a datagram, and the client must ask again over TCP (RFC 4120 section
 * 7.2.1). Part of a normal exchange, so not an answer that stops a logon; but where TCP 88 is
 * blocked and UDP open, it is why Kerberos fails, which the audit says beside the Kerberos finding
 * (`kerberos_udp_too_big`, once per KDC and client).
 */
function noteTooBigForUdp(pkt: Packet, frame: Frame, diag: DiagnosticSink): void {
  diag.count('kerberos_udp_too_big');
  const subject = answerSubject(pkt, true);
  if (!firstOfKind(pkt, `kerberos-too-big|${subject.server}|${subject.client}`)) return;
  diag.report(
    'kerberos_udp_too_big',
    frame.origin,
    `the KDC ${subject.server} answered ${subject.client} over UDP with KRB_ERR_RESPONSE_TOO_BIG (52): its answer must come over TCP 88`,
    subject,
  );
}

/** A TCP segment from port 88: a 4-byte length (RFC 4120 section 7.2.2), then the message. */
export function decodeKerberosOverTcp(b: Uint8Array, off: number, end: number, pkt: Packet, frame: Frame, diag: DiagnosticSink): void {
  if (off + 4 >= end) return;
  decodeKerberosReply(b, off + 4, end, pkt, frame, diag);
}

interface KrbError {
  code: number;
  crealm: string | null;
  cname: string | null;
  sname: string | null;
}

/** The fields of a KRB-ERROR read here; null when it is not one (or it is cut before its error code). */
function readKrbError(b: Uint8Array, off: number, end: number): KrbError | null {
  // Cut by the snap length, the message is read as far as it goes (the error code comes early).
  const app = element(b, off, end, true);
  if (app === null) return null;
  const seq = element(b, app.start, app.end, true);
  if (seq === null || seq.tag !== 0x30) return null;
  const out: KrbError = { code: -1, crealm: null, cname: null, sname: null };
  let msgType = -1;
  for (let p = seq.start; p < seq.end; ) {
    const field = element(b, p, seq.end);
    if (field === null) break; // cut by the snap length: keep what was read
    const inner = element(b, field.start, field.end);
    if (inner !== null) {
      switch (field.tag) {
        case 0xa1:
          msgType = integer(b, inner);
          break;
        case 0xa6:
          out.code = integer(b, inner);
          break;
        case 0xa7:
          out.crealm = derText(b, inner, MAX_NAME);
          break;
        case 0xa8:
          out.cname = principalName(b, inner);
          break;
        case 0xaa:
          out.sname = principalName(b, inner);
          break;
      }
    }
    p = field.end;
  }
  return msgType === 30 && out.code >= 0 ? out : null;
}

/** PrincipalName ::= SEQUENCE { name-type [0] Int32, name-string [1] SEQUENCE OF KerberosString }, as `a/b`. */
function principalName(b: Uint8Array, seq: DerElement): string | null {
  if (seq.tag !== 0x30) return null;
  for (let p = seq.start; p < seq.end; ) {
    const field = element(b, p, seq.end);
    if (field === null) return null;
    if (field.tag === 0xa1) {
      const list = element(b, field.start, field.end);
      if (list === null || list.tag !== 0x30) return null;
      const parts: string[] = [];
      for (let q = list.start; q < list.end && parts.length < 4; ) {
        const s = element(b, q, list.end);
        if (s === null) break;
        parts.push(derText(b, s, MAX_NAME));
        q = s.end;
      }
      return parts.length > 0 ? parts.join('/') : null;
    }
    p = field.end;
  }
  return null;
}

function integer(b: Uint8Array, e: DerElement): number {
  if (e.tag !== 0x02 || e.end - e.start < 1 || e.end - e.start > 4) return -1;
  let v = b[e.start] & 0x80 ? -1 : 0;
  for (let i = e.start; i < e.end; i++) v = v * 256 + b[i];
  return v;
}
