/**
 * Matching helpers shared by role assignment and the audit: ports against rules, hostnames against
 * the catalog's endpoint patterns, rule conditions against `--feature`.
 */
import type { Catalog, CatalogRule, Condition, PortRange, Role, RuleTransport } from './types.js';

/** True when `rule` names this transport and this (responder) port. */
export function ruleMatchesPort(rule: CatalogRule, transport: string, port: number): boolean {
  return (
    (rule.transports as readonly string[]).includes(transport) && port >= rule.ports.from && port <= rule.ports.to
  );
}

/** All conditions of a rule (empty when it always applies). */
export function ruleConditions(rule: CatalogRule): Condition[] {
  if (rule.conditions && rule.conditions.length > 0) return rule.conditions;
  return rule.condition ? [rule.condition] : [];
}

/** True when the rule's condition is met: no condition, or any of its conditions is turned on. */
export function ruleApplies(rule: CatalogRule, features: ReadonlySet<Condition>): boolean {
  const conds = ruleConditions(rule);
  return conds.length === 0 || conds.some((c) => features.has(c));
}

/** `389` or `49152-65535`. */
export function formatPorts(ports: PortRange): string {
  return ports.from === ports.to ? String(ports.from) : `${ports.from}-${ports.to}`;
}

/** `tcp`, `udp` or `tcp/udp` (the rule's transports in catalog order). */
export function formatTransports(transports: readonly RuleTransport[]): string {
  return transports.join('/');
}

const compiled = new Map<string, RegExp>();

/**
 * Checks a hostname pattern's syntax; returns a problem description, or null when it is valid.
 * Allowed: letters, digits, `-`, `_`, dots between labels, and `*` wildcards (a leading `*.`
 * label, or `*` inside a label such as `aadc*.contoso.local`).
 */
export function validateHostnamePattern(pattern: string): string | null {
  const p = pattern.trim().toLowerCase().replace(/\.$/, '');
  if (p === '') return 'empty hostname';
  if (p.length > 253) return 'longer than 253 characters';
  if (!/^[a-z0-9*_.-]+$/.test(p)) return 'only letters, digits, "-", "_", "." and "*" are allowed in a hostname';
  const labels = p.split('.');
  if (labels.some((l) => l === '')) return 'empty label (two dots in a row, or a leading dot)';
  if (labels.length < 2 && p.includes('*')) return 'a wildcard needs a domain after it (*.example.com)';
  if (p === '*' || labels.every((l) => l === '*')) return 'a wildcard alone matches everything';
  return null;
}

/**
 * True when `name` matches `pattern` (both case-insensitive; a trailing dot is ignored).
 * - `*.x.com` matches any subdomain at any depth (`a.x.com`, `a.b.x.com`), as Microsoft's
 *   endpoint lists mean it, but not `x.com` itself;
 * - `*` inside a label (`aadc*.contoso.local`, `*-anchor.x.com`) matches within that label only;
 * - anything else is an exact name.
 */
export function hostnameMatches(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, '');
  const n = name.toLowerCase().replace(/\.$/, '');
  if (!p.includes('*')) return p === n;
  let re = compiled.get(p);
  if (!re) {
    let body = p;
    let prefix = '';
    if (body.startsWith('*.')) {
      prefix = '(?:[^.]+\\.)+';
      body = body.slice(2);
    }
    const escaped = body
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'))
      .join('[^.]*');
    re = new RegExp(`^${prefix}${escaped}$`);
    compiled.set(p, re);
  }
  return re.test(n);
}

/** True when a name matches one of the catalog's `ignore` entries (telemetry). */
export function isIgnoredHostname(catalog: Catalog, name: string): boolean {
  return catalog.endpoints.some((e) => e.ignore === true && e.patterns.some((p) => hostnameMatches(p, name)));
}

/**
 * Roles a hostname gives its address, from the catalog's endpoint patterns, in catalog order,
 * without duplicates. A name matching an `ignore` entry gives none. One name can give several
 * roles (`login.microsoftonline.com`: azure-ad and health-service).
 */
export function rolesForHostname(catalog: Catalog, name: string): Role[] {
  if (isIgnoredHostname(catalog, name)) return [];
  const out: Role[] = [];
  for (const entry of catalog.endpoints) {
    if (entry.ignore || out.includes(entry.role)) continue;
    if (entry.patterns.some((p) => hostnameMatches(p, name))) out.push(entry.role);
  }
  return out;
}

/**
 * Client roles a hostname reveals: a host that contacts a name listed under an entry with
 * `clientRole` is likely to hold that role (the sync server contacts adminwebservice., a Health
 * agent contacts *.aadconnecthealth.azure.com).
 */
export function clientRolesForHostname(catalog: Catalog, name: string): Role[] {
  if (isIgnoredHostname(catalog, name)) return [];
  const out: Role[] = [];
  for (const entry of catalog.endpoints) {
    if (entry.ignore || !entry.clientRole || out.includes(entry.clientRole)) continue;
    if (entry.patterns.some((p) => hostnameMatches(p, name))) out.push(entry.clientRole);
  }
  return out;
}

/** Example names of a role from the catalog (exact names first), for messages like "lookups of login.microsoftonline.com failed". */
export function exampleNamesForRole(catalog: Catalog, role: Role, max = 5): string[] {
  const exact: string[] = [];
  const wild: string[] = [];
  for (const e of catalog.endpoints) {
    if (e.ignore || e.role !== role) continue;
    for (const p of e.patterns) {
      const list = p.includes('*') ? wild : exact;
      if (!list.includes(p)) list.push(p);
    }
  }
  return [...exact, ...wild].slice(0, max);
}
