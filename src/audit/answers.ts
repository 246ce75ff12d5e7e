/**
 * The kinds of answer that can stop a sync while every port works: what servers said (TLS
 * inspection, Kerberos errors, refused LDAP binds, failed TLS handshakes), read by the decoders and
 * carried as diagnostics. One list for every place that names them: the evidence gaps and the
 * verdict line (build.ts), and the reports' section "Answers that can stop a sync" (report/format.ts).
 */

import { SERVER_ANSWER_CODES, type DataQuality } from '../common/diagnostics.js';
import { plural } from './text.js';
import type { Finding } from './types.js';

export interface AnswerKind {
  /** The diagnostic code each kind is reported under (once per server, account and reason). */
  code: string;
  /** The counter of every such answer. */
  counter: string;
  /** Heading in the reports, and the noun for one answer. */
  title: string;
  noun: string;
  /** Its line among the evidence gaps, for `n` answers. */
  gap: (n: number) => string;
  /** What the verdict line adds for `n` answers. */
  verdict: (n: number) => string;
}

const SEE = '(see Answers that can stop a sync)';

export const ANSWER_KINDS: readonly AnswerKind[] = [
  {
    code: 'tls_inspected',
    counter: 'tls_inspected_certificates',
    title: 'TLS inspection',
    noun: 'certificate',
    gap: (n) =>
      `TLS inspection: ${plural(n, 'certificate', 'certificates')} for Microsoft names came from an issuer Microsoft does not use ` +
      `${SEE}: a proxy or firewall decrypts this traffic, which Entra Connect and its agents do not support`,
    verdict: (n) => `; TLS inspection of Microsoft endpoints seen (${plural(n, 'certificate', 'certificates')} from another issuer, see the report)`,
  },
  {
    code: 'kerberos_error',
    counter: 'kerberos_errors',
    title: 'Kerberos errors',
    noun: 'error',
    gap: (n) => `Kerberos: ${plural(n, 'request', 'requests')} got an error that stops a logon ${SEE}: port 88 is open, but the account could not authenticate`,
    verdict: (n) => `; Kerberos errors that stop a logon: ${n} (see the report)`,
  },
  {
    code: 'ldap_bind_error',
    counter: 'ldap_bind_errors',
    title: 'Refused LDAP binds',
    noun: 'refusal',
    gap: (n) => `LDAP: ${plural(n, 'bind was', 'binds were')} refused by a domain controller ${SEE}: port 389 is open, but the account could not bind`,
    verdict: (n) => `; LDAP binds refused: ${n} (see the report)`,
  },
  {
    code: 'tls_alert',
    counter: 'tls_alerts',
    title: 'Failed TLS handshakes',
    noun: 'alert',
    gap: (n) =>
      `TLS: ${plural(n, 'handshake', 'handshakes')} ended with a fatal alert ${SEE}: the connection opened, but no protocol, cipher or certificate was accepted`,
    verdict: (n) => `; TLS handshakes failed: ${n} (see the report)`,
  },
];

// The same codes as the terminal's (a unit test keeps the two lists equal).
const ANSWER_CODES: ReadonlySet<string> = SERVER_ANSWER_CODES;

/**
 * Names each server answer kept as an example beside the findings of its exchange: same client
 * and server, the answer's transport among the finding's, its port in the finding's ports. So the
 * Kerberos finding of a host whose logons the KDC refused says so, not only "ok". Answers are kept
 * once per kind, server and account (at most MAX_EXAMPLES_PER_CODE per kind), and so are these.
 */
export function tieAnswersToFindings(findings: readonly Finding[], dq: DataQuality): void {
  for (const d of dq.diagnostics) {
    if (!ANSWER_CODES.has(d.code)) continue;
    for (const e of d.examples) {
      const s = e.subject;
      if (s === undefined) continue;
      for (const f of findings) {
        if (f.status === 'not-applicable' || f.src !== s.client || f.dst !== s.server) continue;
        if (!f.transport.split('/').includes(s.transport) || !portIn(f.ports, s.port)) continue;
        (f.answers ??= []).push({ code: d.code, detail: e.detail, file: e.origin.file, frame: e.origin.index });
      }
    }
  }
}

/** True when `port` is in a finding's `ports` text (`389` or `49152-65535`). */
function portIn(ports: string, port: number): boolean {
  const dash = ports.indexOf('-');
  if (dash < 0) return Number(ports) === port;
  return Number(ports.slice(0, dash)) <= port && port <= Number(ports.slice(dash + 1));
}
