/**
 * `flowaudit catalog`: prints a catalog as an aligned terminal table, as a Markdown table for a
 * ticket, or as JSON. Pure: returns a string, the CLI writes it.
 */
import { formatPorts, formatTransports, ruleConditions } from './match.js';
import { escapeMarkdownCell, formatColumns, formatMarkdownTable, sanitizeTerminal } from './text.js';
import type { Catalog, CatalogRule } from './types.js';

export type CatalogFormat = 'table' | 'md' | 'json';

const HEADER = ['id', 'from → to', 'protocol', 'transport', 'port(s)', 'required / condition', 'description'];

/**
 * "required", "optional", "required if ldaps", "optional if pass-through-auth", "required if
 * seamless-sso or password-writeback", "required when it happens" (an occasional rule).
 */
export function describeRequirement(rule: CatalogRule): string {
  const base = rule.required ? (rule.occasional ? 'required when it happens' : 'required') : 'optional';
  const conds = ruleConditions(rule);
  return conds.length === 0 ? base : `${base} if ${conds.join(' or ')}`;
}

/** Renders a catalog in the given format; notes become numbered footnotes under the table. */
export function renderCatalog(catalog: Catalog, format: CatalogFormat): string {
  if (format === 'json') return JSON.stringify(catalog, null, 2) + '\n';

  const notes: string[] = [];
  const rows = catalog.rules.map((rule) => {
    let description = rule.description;
    if (rule.note) {
      notes.push(rule.note);
      description += ` [${notes.length}]`;
    }
    return [
      rule.id,
      `${rule.from} → ${rule.to}`,
      rule.protocol,
      formatTransports(rule.transports),
      formatPorts(rule.ports) + (rule.dynamicRpc ? ' (dynamic RPC)' : ''),
      describeRequirement(rule),
      description,
    ];
  });
  const endpointLines = catalog.endpoints.map((e) => {
    const label = e.ignore ? 'ignored (no role)' : e.clientRole ? `${e.role} (client: ${e.clientRole})` : e.role;
    return { label, patterns: e.patterns.join(', ') };
  });

  if (format === 'md') {
    const out: string[] = [];
    out.push(`## Catalog: ${escapeMarkdownCell(catalog.title)}`, '');
    out.push(`- name: \`${catalog.name.replace(/`/g, "'")}\``);
    if (catalog.source) out.push(`- source: ${escapeMarkdownCell(catalog.source)}`);
    out.push(`- rules: ${catalog.rules.length}`, '');
    out.push(formatMarkdownTable(HEADER, rows));
    if (notes.length > 0) {
      out.push('', 'Notes:', '');
      notes.forEach((n, i) => out.push(`${i + 1}. ${escapeMarkdownCell(n)}`));
    }
    if (endpointLines.length > 0) {
      out.push('', 'Endpoint names:', '');
      out.push(formatMarkdownTable(['role', 'hostnames'], endpointLines.map((e) => [e.label, e.patterns])));
    }
    return out.join('\n') + '\n';
  }

  const out: string[] = [];
  out.push(sanitizeTerminal(`${catalog.title} (${catalog.name}, ${catalog.rules.length} rules)`));
  if (catalog.source) out.push(sanitizeTerminal(`Source: ${catalog.source}`));
  out.push('');
  out.push(formatColumns([HEADER, ...rows.map((r) => r.map(sanitizeTerminal))]));
  if (notes.length > 0) {
    out.push('', 'Notes:');
    notes.forEach((n, i) => out.push(sanitizeTerminal(`  [${i + 1}] ${n}`)));
  }
  if (endpointLines.length > 0) {
    out.push('', 'Endpoint names:');
    out.push(formatColumns(endpointLines.map((e) => ['  ' + e.label, sanitizeTerminal(e.patterns)])));
  }
  return out.join('\n') + '\n';
}
