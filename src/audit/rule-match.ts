/**
 * Small, local matching helpers for the audit: does a catalog rule name a transport and port, and
 * does a DNS name match a role's endpoint pattern. Kept here (not imported from catalog/) so the audit
 * depends only on the catalog's types.
 */
import type { CatalogRule, EndpointPatterns, Role } from '../catalog/types.js';
import type { Transport } from '../flows/types.js';

/** True when the rule lists this transport and the port lies in its range (inclusive). */
export function ruleCoversPort(rule: CatalogRule, transport: Transport, port: number): boolean {
  if (transport === 'icmp') return false;
  return rule.transports.includes(transport) && port >= rule.ports.from && port <= rule.ports.to;
}

/** `389` or `49152-65535`. */
export function formatRulePorts(rule: CatalogRule): string {
  return rule.ports.from === rule.ports.to ? String(rule.ports.from) : `${rule.ports.from}-${rule.ports.to}`;
}

/** `tcp`, `udp` or `tcp/udp`, in that order whatever order the catalog lists them. */
export function formatRuleTransport(rule: CatalogRule): string {
  const t: string[] = [];
  if (rule.transports.includes('tcp')) t.push('tcp');
  if (rule.transports.includes('udp')) t.push('udp');
  return t.join('/');
}

/** Lowercase, without the trailing root dot. */
export function normalizeDnsName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/**
 * Does `name` match `pattern`? Patterns are exact names or `*.suffix`; the wildcard stands for one or
 * more labels (`*.microsoftonline.com` matches `login.microsoftonline.com` and `a.b.microsoftonline.com`,
 * not `microsoftonline.com` itself). Case-insensitive.
 */
export function dnsNameMatches(name: string, pattern: string): boolean {
  const n = normalizeDnsName(name);
  const p = normalizeDnsName(pattern);
  if (p.startsWith('*.')) {
    const suffix = p.slice(1); // `.microsoftonline.com`
    return n.length > suffix.length && n.endsWith(suffix);
  }
  return n === p;
}

/** True when one of the catalog's (non-ignored) endpoint patterns of `role` matches `name`. */
export function nameBelongsToRole(name: string, role: Role, endpoints: readonly EndpointPatterns[]): boolean {
  for (const e of endpoints) {
    if (e.ignore || e.role !== role) continue;
    for (const p of e.patterns) if (dnsNameMatches(name, p)) return true;
  }
  return false;
}

/** The catalog's endpoint patterns for one role (for "looked for ..." text). */
export function patternsOfRole(role: Role, endpoints: readonly EndpointPatterns[]): string[] {
  const out: string[] = [];
  for (const e of endpoints) if (!e.ignore && e.role === role) out.push(...e.patterns);
  return out;
}
