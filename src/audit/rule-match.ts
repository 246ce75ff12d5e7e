/**
 * The audit's view of catalog rules and endpoint names. The matching itself is the catalog's
 * (catalog/match.ts): role assignment and the audit must agree on what a rule covers and what a
 * pattern such as `*.microsoftonline.com` or `*-anchor.x.com` matches, so there is one definition.
 */
import { formatPorts, hostnameMatches, ruleMatchesPort } from '../catalog/match.js';
import type { CatalogRule, EndpointPatterns, Role } from '../catalog/types.js';
import type { Transport } from '../flows/types.js';

/** True when the rule lists this transport and the port lies in its range (ICMP never). */
export function ruleCoversPort(rule: CatalogRule, transport: Transport, port: number): boolean {
  return transport !== 'icmp' && ruleMatchesPort(rule, transport, port);
}

/** `389` or `49152-65535`. */
export function formatRulePorts(rule: CatalogRule): string {
  return formatPorts(rule.ports);
}

/** `tcp`, `udp` or `tcp/udp`, in that order whatever order the catalog lists them. */
export function formatRuleTransport(rule: CatalogRule): string {
  const t: string[] = [];
  if (rule.transports.includes('tcp')) t.push('tcp');
  if (rule.transports.includes('udp')) t.push('udp');
  return t.join('/');
}

/** Does the DNS name `name` match `pattern`? (catalog/match.ts `hostnameMatches`, argument order of the audit) */
export function dnsNameMatches(name: string, pattern: string): boolean {
  return hostnameMatches(pattern, name);
}

/** True when one of the catalog's (non-ignored) endpoint patterns of `role` matches `name`. */
export function nameBelongsToRole(name: string, role: Role, endpoints: readonly EndpointPatterns[]): boolean {
  for (const e of endpoints) {
    if (e.ignore || e.role !== role) continue;
    for (const p of e.patterns) if (hostnameMatches(p, name)) return true;
  }
  return false;
}
