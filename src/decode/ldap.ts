/**
 * LDAP binds a domain controller refuses (BindResponse, RFC 4511 section 4.2.2), on TCP 389 and 3268.
 *
 * The Connect server's AD DS connector binds to the DCs with its account. When the bind fails the
 * sync fails, while every port is open: a wrong or expired password, a disabled or locked account
 * (Active Directory says which in the diagnostic message: "AcceptSecurityContext error, data 52e";
 * a Samba DC with its NT status: "Simple Bind Failed: NT_STATUS_ACCOUNT_LOCKED_OUT"),
 * or a DC that requires LDAP signing or channel binding the client does not offer
 * (strongerAuthRequired). The bind response travels in clear, before any security layer.
 *
 * Each refusal is reported once per result, DC and client in a capture (`ldap_bind_error`), and
 * counted (`ldap_bind_errors`).
 */
import type { DiagnosticSink } from '../common/diagnostics.js';
import type { Frame } from '../sources/types.js';
import { firstOfKind } from './first-of-kind.js';
import { derElement as element, derText } from './der.js';
import { answerSubject } from './direction.js';
import type { Packet } from './types.js';

export const LDAP_PORT = 389;
export const GLOBAL_CATALOG_PORT = 3268;

/** Result codes of a refused bind (RFC 4511 appendix A), with what they mean for a sync. */
const REFUSALS: ReadonlyMap<number, { name: string; meaning: string }> = new Map([
  [7, { name: 'authMethodNotSupported', meaning: 'the DC does not accept this way of binding' }],
  [8, { name: 'strongerAuthRequired', meaning: 'the DC requires LDAP signing or channel binding that the client did not offer' }],
  [48, { name: 'inappropriateAuthentication', meaning: 'the DC does not accept this kind of bind for the account' }],
  [49, { name: 'invalidCredentials', meaning: 'the DC did not accept the credentials' }],
  [50, { name: 'insufficientAccessRights', meaning: 'the account may not bind' }],
  [53, { name: 'unwillingToPerform', meaning: 'the DC refused the bind (a simple bind without TLS, or a policy)' }],
]);

/** Active Directory's "data NNN" in a refused bind's message: the Windows reason (hexadecimal). */
const AD_REASONS: ReadonlyMap<string, string> = new Map([
  ['525', 'the account does not exist'],
  ['52e', 'the password is wrong'],
  ['530', 'the account may not log on at this time'],
  ['531', 'the account may not log on from this computer'],
  ['532', "the account's password has expired"],
  ['533', 'the account is disabled'],
  ['701', 'the account has expired'],
  ['773', "the account's password must be changed"],
  ['775', 'the account is locked out'],
]);

/**
 * A Samba DC's NT status in a refused bind's message ("Simple Bind Failed: NT_STATUS_LOGON_FAILURE",
 * "SASL:[GSS-SPNEGO]: NT_STATUS_…"; source4/ldap_server/ldap_bind.c). Samba folds an unknown account
 * and a wrong password into NT_STATUS_LOGON_FAILURE, so as not to tell which.
 */
const SAMBA_REASONS: ReadonlyMap<string, string> = new Map([
  ['NT_STATUS_LOGON_FAILURE', 'the account does not exist or the password is wrong'],
  ['NT_STATUS_NO_SUCH_USER', 'the account does not exist'],
  ['NT_STATUS_WRONG_PASSWORD', 'the password is wrong'],
  ['NT_STATUS_INVALID_LOGON_HOURS', 'the account may not log on at this time'],
  ['NT_STATUS_INVALID_WORKSTATION', 'the account may not log on from this computer'],
  ['NT_STATUS_PASSWORD_EXPIRED', "the account's password has expired"],
  ['NT_STATUS_PASSWORD_MUST_CHANGE', "the account's password must be changed"],
  ['NT_STATUS_ACCOUNT_DISABLED', 'the account is disabled'],
  ['NT_STATUS_ACCOUNT_EXPIRED', 'the account has expired'],
  ['NT_STATUS_ACCOUNT_LOCKED_OUT', 'the account is locked out'],
]);

/**
 * A DC's TCP payload at b[off .. end): reports it when it begins with a BindResponse that refuses
 * the bind. Anything else (other responses, a sealed message, part of one) is left.
 */
export function decodeLdapResponse(b: Uint8Array, off: number, end: number, pkt: Packet, frame: Frame, diag: DiagnosticSink): void {
  if (off >= end || b[off] !== 0x30) return;
  const msg = element(b, off, end, true);
  if (msg === null) return;
  const id = element(b, msg.start, msg.end);
  if (id === null || id.tag !== 0x02) return;
  const op = element(b, id.end, msg.end, true);
  if (op === null || op.tag !== 0x61) return; // [APPLICATION 1]: BindResponse
  const code = element(b, op.start, op.end);
  if (code === null || code.tag !== 0x0a || code.end - code.start !== 1) return;
  const refusal = REFUSALS.get(b[code.start]);
  if (refusal === undefined) return; // success, saslBindInProgress (a step of the exchange), others
  const matched = element(b, code.end, op.end, true);
  const message = matched === null ? null : element(b, matched.end, op.end, true);
  const text = message !== null && message.tag === 0x04 ? derText(b, message, 200).trim() : '';
  const data = /\bdata ([0-9a-f]{3,4})\b/i.exec(text)?.[1].toLowerCase();
  const ntStatus = /\bNT_STATUS_[A-Z_]+/.exec(text)?.[0];
  const reason = (data !== undefined && AD_REASONS.get(data)) || (ntStatus !== undefined && SAMBA_REASONS.get(ntStatus)) || refusal.meaning;
  diag.count('ldap_bind_errors');
  const subject = answerSubject(pkt, true);
  const { server: dc, client } = subject;
  if (!firstOfKind(pkt, `ldap|${b[code.start]}|${data ?? ntStatus ?? ''}|${dc}|${client}`)) return;
  diag.report(
    'ldap_bind_error',
    frame.origin,
    `the DC ${dc} refused a bind from ${client}: ${refusal.name} (${b[code.start]})${data !== undefined ? `, data ${data}` : ''}: ${reason}` +
      (text ? ` ("${text}")` : ''),
    subject,
  );
}
