/**
 * `flowaudit roles`: prints the roles found and why, as an aligned terminal table, a Markdown
 * table or JSON. Names and reasons come from the data (DNS answers, SNI): the terminal table drops
 * control characters, the Markdown table escapes every cell.
 */
import { escapeMarkdownCell, formatColumns, formatMarkdownTable, sanitizeTerminal } from '../catalog/text.js';
import type { ConnectCandidate, HostInfo, RoleMap } from './types.js';

export type RolesFormat = 'table' | 'md' | 'json';

/** Addresses without a role listed by name under the table (the rest are counted). */
export const MAX_UNKNOWN_LISTED = 20;

const HEADER = ['address', 'names', 'role', 'source', 'confidence', 'why'];

/**
 * What to do about the Connect server no rule found (RoleMap.connectCandidates): `if it is
 * 10.0.0.20 (16 LDAP and Kerberos flows to the DCs), say so: --role 10.0.0.20=connect (or in an
 * inventory)`. Addresses come from the data: callers escape the text for their format.
 */
export function connectCandidatesHint(candidates: readonly ConnectCandidate[]): string {
  const named = candidates.map((c, k) => {
    const also = c.alsoAt !== undefined ? `, also at ${c.alsoAt.join(', ')}` : '';
    return k === 0 ? `${c.address} (${c.flows} LDAP ${c.flows === 1 ? 'or' : 'and'} Kerberos flow${c.flows === 1 ? '' : 's'} to the DCs${also})` : `${c.address} (${c.flows}${also})`;
  });
  const which = named.length === 1 ? `it is ${named[0]}` : `it is one of ${named.join(', ')}`;
  const role = candidates.length === 1 ? `--role ${candidates[0].address}=connect` : '--role ADDRESS=connect';
  return `if ${which}, say so: ${role} (or in an inventory)`;
}

/** Renders the role map; hosts with roles first (one line per role), then those without. */
export function renderRoles(map: RoleMap, format: RolesFormat): string {
  const hosts = [...map.hosts.values()];
  if (format === 'json') {
    return (
      JSON.stringify(
        {
          hosts: hosts.map((h) => ({ address: h.address, names: h.names, roles: h.roles })),
          ...(map.connectCandidates
            ? { connect_candidates: map.connectCandidates.map((c) => ({ address: c.address, flows: c.flows, ...(c.alsoAt ? { also_at: c.alsoAt } : {}) })) }
            : {}),
        },
        null,
        2,
      ) + '\n'
    );
  }
  const withRoles = hosts.filter((h) => h.roles.length > 0);
  const without = hosts.filter((h) => h.roles.length === 0);
  const rows: string[][] = [];
  for (const h of withRoles) {
    h.roles.forEach((ev, i) => {
      rows.push([i === 0 ? h.address : '', i === 0 ? namesCell(h) : '', ev.role, ev.source, ev.confidence, ev.why]);
    });
  }
  const unknownList = without.slice(0, MAX_UNKNOWN_LISTED).map((h) => (h.names.length > 0 ? `${h.address} (${h.names[0]})` : h.address));
  const more = without.length - unknownList.length;
  const unknownText =
    without.length === 0
      ? ''
      : `${without.length === 1 ? '1 address holds' : `${without.length} addresses hold`} no role: ${unknownList.join(', ')}${more > 0 ? `, and ${more} more` : ''}`;
  const connectText = map.connectCandidates ? `No Connect server found: ${connectCandidatesHint(map.connectCandidates)}.` : '';

  if (format === 'md') {
    const out = [`## Hosts and roles`, ''];
    if (rows.length > 0) out.push(formatMarkdownTable(HEADER, rows));
    else out.push('No host was given a role.');
    if (unknownText) out.push('', escapeMarkdownCell(unknownText));
    if (connectText) out.push('', escapeMarkdownCell(connectText));
    return out.join('\n') + '\n';
  }
  const out: string[] = [];
  if (rows.length > 0) out.push(formatColumns([HEADER, ...rows.map((r) => r.map(sanitizeTerminal))]));
  else out.push('No host was given a role (add an inventory with --inventory, or --role ADDRESS=ROLE).');
  if (unknownText) out.push('', sanitizeTerminal(unknownText));
  if (connectText) out.push('', sanitizeTerminal(connectText));
  return out.join('\n') + '\n';
}

function namesCell(h: HostInfo): string {
  if (h.names.length === 0) return '-';
  const shown = h.names.slice(0, 2).join(', ');
  return h.names.length > 2 ? `${shown} +${h.names.length - 2}` : shown;
}
