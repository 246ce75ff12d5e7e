/**
 * Deterministic ordering for findings and addresses, so the same input always gives byte-identical
 * reports (goldens depend on it).
 */
import { ALL_ROLES, type Role } from '../catalog/types.js';
import { parseIp } from '../common/ip.js';
import type { FindingStatus } from './types.js';

/** Worst first: the order reports list findings in. */
export const STATUS_ORDER: readonly FindingStatus[] = ['blocked', 'partial', 'missing', 'unexpected', 'ok', 'not-applicable'];

const STATUS_RANK = new Map<FindingStatus, number>(STATUS_ORDER.map((s, i) => [s, i]));

/** Compares statuses by severity (blocked first). */
export function compareStatus(a: FindingStatus, b: FindingStatus): number {
  return (STATUS_RANK.get(a) ?? 99) - (STATUS_RANK.get(b) ?? 99);
}

/**
 * Numeric address order: IPv4 before IPv6, then byte by byte; text that is not an address sorts after
 * both, by code unit; null sorts last.
 */
export function compareAddresses(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  const pa = parseIp(a);
  const pb = parseIp(b);
  if (pa && pb) {
    if (pa.length !== pb.length) return pa.length - pb.length;
    for (let i = 0; i < pa.length; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
    return 0;
  }
  if (pa) return -1;
  if (pb) return 1;
  return a < b ? -1 : 1;
}

const ROLE_RANK = new Map<Role, number>(ALL_ROLES.map((r, i) => [r, i]));

/** Roles in the catalog's canonical order (connect, dc, azure-ad ...), deduplicated. */
export function sortRoles(roles: Iterable<Role>): Role[] {
  return [...new Set(roles)].sort((a, b) => (ROLE_RANK.get(a) ?? 99) - (ROLE_RANK.get(b) ?? 99) || (a < b ? -1 : a > b ? 1 : 0));
}
