/**
 * `flowaudit roles --write inventory.yaml`: turns the roles found into a starting inventory for
 * the user to correct. Every entry carries a comment with its source, confidence and why, so
 * the user can see which lines are guesses. The output loads back with loadInventory().
 */
import { validateHostnamePattern } from '../catalog/match.js';
import { ALL_ROLES, type Role } from '../catalog/types.js';
import { isPrivateAddress, ON_PREMISES_ROLES } from './address-scope.js';
import type { RoleEvidence, RoleMap } from './types.js';

/** Longest comment kept per entry (the why of an inference can be long). */
const MAX_COMMENT = 240;

/**
 * Renders `map` as inventory YAML (docs/inventory.md): a `roles:` section listing each address
 * under each role it holds, with a comment per entry, and a `hosts:` section with the names seen
 * for private addresses. Names and reasons come from the data: comments lose control characters
 * and line breaks, and names that are not valid hostnames are left out, so the file always parses.
 */
export function roleMapToInventoryYaml(map: RoleMap, opts: { generatedFrom?: string } = {}): string {
  const byRole = new Map<Role, { address: string; ev: RoleEvidence }[]>();
  for (const host of map.hosts.values()) {
    for (const ev of host.roles) {
      let list = byRole.get(ev.role);
      if (!list) byRole.set(ev.role, (list = []));
      if (!list.some((e) => e.address === host.address)) list.push({ address: host.address, ev });
    }
  }
  const out: string[] = [
    '# flowaudit inventory: a starting point written by `flowaudit roles --write`.',
  ];
  if (opts.generatedFrom) out.push(`# From: ${commentText(opts.generatedFrom)}`);
  out.push(
    '# Check every entry before relying on it: "inferred" roles are guesses from behaviour; "dns",',
    '# "sni" and "http" roles name cloud addresses that change over time (the catalog\'s hostnames',
    '# already cover them, so you may delete those lines). Format: docs/inventory.md',
    'roles:',
  );
  let any = false;
  for (const role of ALL_ROLES) {
    const list = byRole.get(role);
    if (!list || list.length === 0) continue;
    any = true;
    out.push(`  ${role}:`);
    for (const { address, ev } of list) {
      out.push(`    - ${yamlAddress(address)}  # ${commentText(`${ev.source}, ${ev.confidence}: ${ev.why}`)}`);
    }
  }
  if (!any) out.push('  # no roles were found; add entries such as:  dc: [10.0.0.10]');
  if (map.connectCandidates && map.connectCandidates.length > 0) {
    // Hosts that may be the Connect server (RoleMap.connectCandidates): for the user to confirm, commented out.
    out.push(
      '  # No Connect server was found. If it is one of these hosts (the most LDAP and Kerberos flows',
      '  # to the DCs), uncomment "connect:" and the line of that host:',
      '  # connect:',
    );
    for (const c of map.connectCandidates) {
      out.push(`  #   - ${yamlAddress(c.address)}  # ${commentText(`${c.flows} LDAP and Kerberos flows to the DCs`)}`);
    }
  }

  const hostLines: string[] = [];
  for (const host of map.hosts.values()) {
    // Names of on-premises hosts: private ones, and those holding an on-premises role at a global
    // IPv6 address. A cloud address's names change with the provider's DNS.
    const onPremises = isPrivateAddress(host.address) || host.roles.some((r) => ON_PREMISES_ROLES.includes(r.role));
    if (host.roles.length === 0 || !onPremises) continue;
    for (const name of host.names) {
      if (name.includes('*') || validateHostnamePattern(name) !== null) continue;
      hostLines.push(`  ${name}: ${yamlAddress(host.address)}`);
    }
  }
  if (hostLines.length > 0) out.push('hosts:', ...hostLines);
  return out.join('\n') + '\n';
}

/** IPv6 addresses are quoted (a leading `::` is not a safe plain scalar); IPv4 stays plain. */
function yamlAddress(address: string): string {
  return address.includes(':') ? JSON.stringify(address) : address;
}

/** One comment line: no control characters or line breaks of any kind, bounded length. */
function commentText(text: string): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g, ' ');
  return flat.length > MAX_COMMENT ? `${flat.slice(0, MAX_COMMENT - 1)}…` : flat;
}
