/**
 * The inventory: a user's statement of which host holds which role (`--inventory FILE`, format in
 * docs/inventory.md), and the quick one-off `--role ADDRESS=ROLE[,ROLE]`.
 *
 * Matches are IP addresses, CIDR blocks, hostnames and hostname wildcards (`*.contoso.local`);
 * hostnames apply to the addresses the data (DNS answers, SNI) or the inventory's `hosts:` hints
 * give them. Every problem is a one-line {@link UsageError} naming the file and the entry.
 */
import { readFileSync, statSync } from 'node:fs';
import { yamlModule } from '../common/yaml.js';
import { UsageError } from '../common/diagnostics.js';
import { canonicalIp, cidrContains, formatIpv4, formatIpv6, parseCidr, parseIp, type Cidr } from '../common/ip.js';
import { yamlErrorText } from '../catalog/text.js';
import { hostnameMatches, validateHostnamePattern } from '../catalog/match.js';
import { ALL_ROLES, type Role } from '../catalog/types.js';
import type { Inventory, InventoryEntry } from './types.js';

const TOP_FIELDS = ['roles', 'hosts'];

/** What kind of thing one inventory match string is. */
export type MatchKind = 'ip' | 'cidr' | 'hostname';

/**
 * Normalises one match string: canonical address text for an IP, `network/prefix` for a CIDR,
 * lowercase for a hostname or wildcard. Returns an error sentence instead when it is invalid.
 */
export function normalizeMatch(text: string): { kind: MatchKind; value: string } | { error: string } {
  const s = text.trim();
  if (s === '') return { error: 'empty entry' };
  if (s.includes('/')) {
    const cidr = parseCidr(s);
    if (!cidr) return { error: `'${s}' is not a valid CIDR block (expected e.g. 10.0.1.0/24 or fd00::/64)` };
    return { kind: 'cidr', value: `${formatCidrAddress(cidr)}/${cidr.prefix}` };
  }
  const ip = canonicalIp(s);
  if (ip) return { kind: 'ip', value: ip };
  // Digits and dots only (10.0.0.300, 10.0.0) or a colon: meant as an address, but not one.
  if (/^[\d.]+$/.test(s) || s.includes(':')) return { error: `'${s}' is not a valid IP address` };
  const problem = validateHostnamePattern(s);
  if (problem) return { error: `'${s}' is not a valid hostname or wildcard: ${problem}` };
  return { kind: 'hostname', value: s.toLowerCase().replace(/\.$/, '') };
}

function formatCidrAddress(cidr: Cidr): string {
  return cidr.bytes.length === 4 ? formatIpv4(cidr.bytes) : formatIpv6(cidr.bytes);
}

/**
 * Loads and validates an inventory file (YAML; JSON works too).
 *
 * @throws UsageError for an unreadable file or any invalid entry.
 */
export function loadInventory(path: string): Inventory {
  let text: string;
  try {
    if (statSync(path).isDirectory()) throw new UsageError(`${path}: is a folder, not an inventory file`);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `${path}: no such inventory file` : `${path}: cannot read inventory: ${(err as Error).message}`);
  }
  return parseInventory(text, path);
}

/** Parses and validates inventory text; `file` names it in messages and in {@link Inventory.file}. */
export function parseInventory(text: string, file: string): Inventory {
  const fail = (msg: string): never => {
    throw new UsageError(`${file}: ${msg}`);
  };
  let doc: unknown;
  try {
    doc = yamlModule().parse(text);
  } catch (err) {
    const pos = err instanceof yamlModule().YAMLParseError ? err.linePos?.[0] : undefined;
    const where = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
    fail(`not valid YAML${where}: ${yamlErrorText((err as Error).message)}`);
  }
  if (doc === null || doc === undefined) fail('empty inventory (expected a `roles:` mapping)');
  if (typeof doc !== 'object' || Array.isArray(doc)) fail('expected a mapping with `roles:` (and optionally `hosts:`) at the top level');
  const top = doc as Record<string, unknown>;
  for (const key of Object.keys(top)) {
    if (!TOP_FIELDS.includes(key)) fail(`unknown section '${key}' (expected roles or hosts)`);
  }
  if (!('roles' in top)) fail('missing section `roles:` (role: [addresses, CIDRs, hostnames])');
  // `roles:` with nothing under it (a generated inventory that found nothing) is an empty inventory.
  if (top.roles !== null && (typeof top.roles !== 'object' || Array.isArray(top.roles))) {
    fail('`roles:` must map role names to lists, e.g. `dc: [10.0.0.10, 10.0.1.0/24]`');
  }

  const entries: InventoryEntry[] = [];
  for (const [role, value] of Object.entries((top.roles ?? {}) as Record<string, unknown>)) {
    if (!(ALL_ROLES as readonly string[]).includes(role)) {
      fail(`unknown role '${role}' under roles (expected one of ${ALL_ROLES.join(', ')})`);
    }
    if (value === null || value === undefined) continue; // `dc:` with nothing under it
    const items = Array.isArray(value) ? value : [value];
    const match: string[] = [];
    for (const item of items) {
      if (typeof item !== 'string') fail(`roles.${role}: ${JSON.stringify(item)} is not an address, CIDR or hostname (quote it)`);
      const norm = normalizeMatch(item as string);
      if ('error' in norm) fail(`roles.${role}: ${norm.error}`);
      else if (!match.includes(norm.value)) match.push(norm.value);
    }
    if (match.length > 0) entries.push({ role: role as Role, match });
  }

  const hosts: Inventory['hosts'] = [];
  if (top.hosts !== undefined && top.hosts !== null) {
    if (typeof top.hosts !== 'object' || Array.isArray(top.hosts)) {
      fail('`hosts:` must map hostnames to addresses, e.g. `aadc01.contoso.local: 10.0.0.20`');
    }
    for (const [name, value] of Object.entries(top.hosts as Record<string, unknown>)) {
      const problem = validateHostnamePattern(name);
      if (problem || name.includes('*')) fail(`hosts: '${name}' is not a valid hostname${problem ? `: ${problem}` : ' (no wildcards here)'}`);
      const items = Array.isArray(value) ? value : [value];
      if (items.length === 0) fail(`hosts.${name}: no address given`);
      for (const item of items) {
        const ip = typeof item === 'string' ? canonicalIp(item) : null;
        if (!ip) fail(`hosts.${name}: ${JSON.stringify(item)} is not a valid IP address`);
        hosts.push({ name: name.toLowerCase().replace(/\.$/, ''), address: ip! });
      }
    }
  }
  return { file, entries, hosts };
}

/**
 * Parses one `--role` flag: `10.0.0.5=dc`, `10.0.0.0/24=dc`, `aadc01.contoso.local=connect`,
 * `10.0.0.5=dc,health-agent`. Returns one entry per role.
 *
 * @throws UsageError with an example of the expected form.
 */
export function parseRoleFlag(text: string): InventoryEntry[] {
  const eq = text.lastIndexOf('=');
  const usage = `--role '${text}': expected ADDRESS=ROLE[,ROLE...] (e.g. 10.0.0.5=dc, 10.0.1.0/24=dc, aadc01.contoso.local=connect,health-agent)`;
  if (eq <= 0 || eq === text.length - 1) throw new UsageError(usage);
  const target = normalizeMatch(text.slice(0, eq));
  if ('error' in target) throw new UsageError(`--role '${text}': ${target.error}`);
  const roles = text
    .slice(eq + 1)
    .split(',')
    .map((r) => r.trim().toLowerCase())
    .filter((r) => r !== '');
  if (roles.length === 0) throw new UsageError(usage);
  const out: InventoryEntry[] = [];
  for (const role of roles) {
    if (!(ALL_ROLES as readonly string[]).includes(role)) {
      throw new UsageError(`--role '${text}': unknown role '${role}' (expected one of ${ALL_ROLES.join(', ')})`);
    }
    if (!out.some((e) => e.role === role)) out.push({ role: role as Role, match: [target.value] });
  }
  return out;
}

/** One inventory (or `--role`) entry that matched an address. */
export interface InventoryHit {
  role: Role;
  /** The match string as normalised (`10.0.0.0/24`, `aadc01.contoso.local`). */
  match: string;
  kind: MatchKind;
  /** For hostname matches: the name of the address that matched. */
  viaName?: string;
}

/**
 * Inventory entries compiled for matching many addresses: exact IPs in a map, CIDRs and hostname
 * patterns in lists (inventories are short, so a linear scan of those is fine).
 */
export class InventoryMatcher {
  private readonly byIp = new Map<string, { role: Role; match: string }[]>();
  private readonly cidrs: { role: Role; match: string; cidr: Cidr }[] = [];
  private readonly names: { role: Role; match: string }[] = [];

  constructor(entries: readonly InventoryEntry[]) {
    for (const entry of entries) {
      for (const m of entry.match) {
        const norm = normalizeMatch(m);
        if ('error' in norm) continue; // entries come validated from loadInventory/parseRoleFlag
        if (norm.kind === 'ip') {
          const list = this.byIp.get(norm.value) ?? [];
          list.push({ role: entry.role, match: norm.value });
          this.byIp.set(norm.value, list);
        } else if (norm.kind === 'cidr') {
          this.cidrs.push({ role: entry.role, match: norm.value, cidr: parseCidr(norm.value)! });
        } else {
          this.names.push({ role: entry.role, match: norm.value });
        }
      }
    }
  }

  /** True when there are no entries at all. */
  get empty(): boolean {
    return this.byIp.size === 0 && this.cidrs.length === 0 && this.names.length === 0;
  }

  /** Addresses listed literally (IP entries). */
  literalAddresses(): string[] {
    return [...this.byIp.keys()];
  }

  /** Entries matching `address` (canonical text) or one of its `names` (lowercase). */
  match(address: string, names: readonly string[]): InventoryHit[] {
    const hits: InventoryHit[] = [];
    for (const e of this.byIp.get(address) ?? []) hits.push({ role: e.role, match: e.match, kind: 'ip' });
    if (this.cidrs.length > 0 && parseIp(address)) {
      for (const e of this.cidrs) if (cidrContains(e.cidr, address)) hits.push({ role: e.role, match: e.match, kind: 'cidr' });
    }
    for (const e of this.names) {
      const name = names.find((n) => hostnameMatches(e.match, n));
      if (name !== undefined) hits.push({ role: e.role, match: e.match, kind: 'hostname', viaName: name });
    }
    return hits;
  }
}
