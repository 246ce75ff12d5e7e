/**
 * Deterministic ordering for findings and addresses, so the same input always gives byte-identical
 * reports (goldens depend on it).
 */
import { ALL_ROLES, type Role } from '../catalog/types.js';
import { compareAddresses as compareAddressText, parseIp } from '../common/ip.js';
import type { FindingStatus } from './types.js';

/** Worst first: the order reports list findings in. */
export const STATUS_ORDER: readonly FindingStatus[] = ['blocked', 'partial', 'missing', 'unexpected', 'ok', 'not-applicable'];

const STATUS_RANK = new Map<FindingStatus, number>(STATUS_ORDER.map((s, i) => [s, i]));

/** Compares statuses by severity (blocked first). */
export function compareStatus(a: FindingStatus, b: FindingStatus): number {
  return (STATUS_RANK.get(a) ?? 99) - (STATUS_RANK.get(b) ?? 99);
}

/**
 * A string whose code-unit order is the numeric address order: `4` + hex bytes for IPv4, `6` + hex
 * bytes for IPv6, `~` + the text for anything that is not an address. Large sorts compute it once per
 * item (decorate, sort, undecorate) instead of parsing in every comparison.
 */
export function addressSortKey(addr: string): string {
  const bytes = parseIp(addr);
  if (!bytes) return `~${addr}`;
  let key = bytes.length === 4 ? '4' : '6';
  for (const b of bytes) key += HEX[b];
  return key;
}

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Address order (common/ip.ts `compareAddresses`), with null (a role without a host) last. */
export function compareAddresses(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return compareAddressText(a, b);
}

const ROLE_RANK = new Map<Role, number>(ALL_ROLES.map((r, i) => [r, i]));

/** Roles in the catalog's canonical order (connect, dc, azure-ad ...), deduplicated. */
export function sortRoles(roles: Iterable<Role>): Role[] {
  return [...new Set(roles)].sort((a, b) => (ROLE_RANK.get(a) ?? 99) - (ROLE_RANK.get(b) ?? 99) || (a < b ? -1 : a > b ? 1 : 0));
}
