/**
 * What servers answered that can stop a sync (tls-certificate.ts, kerberos.ts, ldap.ts,
 * tls-alert.ts) is reported once per kind in a capture (server, account, reason) and only counted
 * after: a capture of a failing sync holds the same refusal hundreds of times.
 */
import type { Packet } from './types.js';

/**
 * Kinds remembered per capture. Past it nothing more is reported (the report keeps 20 examples of
 * each code anyway; the counters go on), so a capture of thousands of failing accounts or
 * inspected servers holds no unbounded set.
 */
const MAX_KINDS = 4096;

/** True the first time `key` comes in the capture `pkt` decodes; false after. */
export function firstOfKind(pkt: Packet, key: string): boolean {
  const seen = (pkt.answersReported ??= new Set());
  if (seen.has(key) || seen.size >= MAX_KINDS) return false;
  seen.add(key);
  return true;
}
