/**
 * report.md: the audit as Markdown (CommonMark + GitHub tables), ready to paste into a ticket.
 *
 * Every value that comes from the data goes through {@link escapeMarkdown} (text) or
 * {@link markdownCode} (display filters, names in code spans): a hostname `<script>` stays text, a
 * `|` cannot split a table cell, a backtick cannot end a code span, a newline cannot start a block.
 */
import { ALL_ROLES, type Role } from '../catalog/types.js';
import type { AuditResult, Finding, UnexpectedFlow } from '../audit/types.js';
import { filterForDnsNames } from '../audit/display-filter.js';
import { STATUS_ORDER } from '../audit/order.js';
import { escapeMarkdown as md, markdownCode as code } from './escape.js';
import { CAPTURE_FILTER_NOTE, capturePointNote, capturePoints, dataDiagnostics, filesText, formatAttempts, formatBytes, formatConnStates, formatEvidence, formatEvidencePlace, formatPortText, formatSide, formatTime, formatWindow, groupFlowsNote, rotatingCaptures, serverAnswers } from './format.js';

/** Rows per findings table; the full list is in report.json / report.csv. */
export const MAX_ROWS_PER_TABLE = 200;
/** Entries in the "needs attention" list. */
export const MAX_ATTENTION = 100;
/** Diagnostic examples shown per code. */
const EXAMPLES_PER_CODE = 3;
/** Lines per kind of answer that stops a sync (each a distinct server, account and reason). */
const ANSWER_LINES = 10;
/** Names shown per host. */
const NAMES_PER_HOST = 5;

const ATTENTION: ReadonlySet<string> = new Set(['blocked', 'partial', 'missing']);

/** A GFM table: header cells are ours; body cells must already be escaped. */
function table(header: readonly string[], rows: readonly string[][]): string[] {
  const out = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of rows) out.push(`| ${r.map((c) => (c === '' ? ' ' : c)).join(' | ')} |`);
  return out;
}

function moreNote(shown: number, total: number, where: string): string[] {
  return total > shown ? ['', `_${shown} of ${total} shown; ${where}._`] : [];
}

/** Required problems in bold; optional rules marked, so a reader sees at once what fails the run. */
function statusCell(f: Finding): string {
  const status = !f.required ? `${f.status} (optional)` : ATTENTION.has(f.status) ? `**${f.status}**` : f.status;
  // A port that works while its server refuses the logon or the handshake: said where the eye is.
  return f.answers?.length ? `${status}, **but see the server's ${f.answers.length === 1 ? 'answer' : `${f.answers.length} answers`}** in Answers that can stop a sync` : status;
}

function roleRank(r: string): number {
  const i = ALL_ROLES.indexOf(r as Role);
  return i < 0 ? ALL_ROLES.length : i;
}

function renderVerdict(r: AuditResult): string[] {
  const counts = STATUS_ORDER.map((s) => `${s} ${r.verdict.counts[s] ?? 0}`).join(' · ');
  return [
    '# flowaudit report',
    '',
    `**${md(r.verdict.summary)}**`,
    '',
    `Findings: ${counts}`,
    '',
    `Generated ${md(r.generated_at)} by flowaudit ${md(r.tool.version)} · catalog ${md(r.catalog.name)} · features: ${
      r.features.length ? r.features.map(md).join(', ') : 'none'
    }`,
  ];
}

function renderInputs(r: AuditResult): string[] {
  const out = ['', '## Inputs and time window', ''];
  out.push(`Time window (UTC): ${md(formatWindow(r.window.first_ts, r.window.last_ts))}`);
  if (r.assumed_timezone) out.push('', `Local times (Windows Firewall logs, pktmon traces) were read as ${md(r.assumed_timezone)}.`);
  out.push('');
  if (r.inputs.length === 0) return [...out, 'No inputs.'];
  out.push(
    ...table(
      ['File', 'Format', 'Records', 'Size', 'First (UTC)', 'Last (UTC)', 'Read completely'],
      r.inputs.map((i) => [
        md(i.file),
        md(i.format),
        String(i.records),
        formatBytes(i.bytes),
        md(formatTime(i.first_ts)),
        md(formatTime(i.last_ts)),
        i.complete ? 'yes' : '**no**',
      ]),
    ),
  );
  for (const c of rotatingCaptures(r.inputs)) {
    out.push('', `${md(c.first)} to ${md(c.last)}: ${c.files} files of one rotating capture, read in time order as one capture (a connection cut at a file boundary is one connection).`);
  }
  for (const i of r.inputs) {
    if (i.capture_filters === undefined) continue;
    out.push('', `${md(i.file)} was captured with a capture filter (${i.capture_filters.map(md).join('; ')}): ${CAPTURE_FILTER_NOTE}`);
  }
  for (const p of capturePoints(r.inputs)) {
    out.push('', `${filesText(p.files, code)}: ${capturePointNote(p.hosts, p.conversation, code, p.traced)}`);
  }
  return out;
}

function renderHosts(r: AuditResult): string[] {
  const out = ['', '## Hosts and roles', ''];
  if (r.hosts.length === 0) return [...out, 'No host was given a role: name them with `--inventory FILE` or `--role ADDRESS=ROLE`.'];
  out.push(
    ...table(
      ['Address', 'Names', 'Roles', 'Strongest source', 'Why'],
      r.hosts.map((h) => {
        const names = h.names.slice(0, NAMES_PER_HOST).map(md).join(', ') + (h.names.length > NAMES_PER_HOST ? ` (+${h.names.length - NAMES_PER_HOST})` : '');
        const roles = h.roles.map((e) => `${md(e.role)} (${md(e.source)}, ${md(e.confidence)})`).join(', ');
        const why = h.roles.map((e) => `${md(e.role)}: ${md(e.why)}`).join('; ');
        return [md(h.address), names, roles, md(h.role_source), why];
      }),
    ),
  );
  return out;
}

function renderAttention(r: AuditResult): string[] {
  const list = r.findings.filter((f) => ATTENTION.has(f.status));
  const out = ['', '## Blocked, partial and missing flows', ''];
  if (list.length === 0) return [...out, 'None: every applicable rule that saw traffic completed.'];
  for (const f of list.slice(0, MAX_ATTENTION)) {
    out.push(
      `- ${statusCell(f)}: ${md(formatSide(f.src_role, f.src))} → ${md(formatSide(f.dst_role, f.dst))} · ${md(f.protocol)} ${md(
        formatPortText(f),
      )} · rule ${md(f.rule_id)}${f.condition ? ` (condition ${md(f.condition)})` : ''}`,
    );
    out.push(`  - Reason: ${md(f.reason)}`);
    if (f.attempts > 0) {
      const states = formatConnStates(f.conn_states);
      out.push(
        `  - Attempts: ${md(formatAttempts(f))}${states ? ` · conn_state ${md(states)}` : ''} · first ${md(formatTime(f.first_ts))} · last ${md(
          formatTime(f.last_ts),
        )}`,
      );
    }
    if (f.display_filter) out.push(`  - Display filter: ${code(f.display_filter)}`);
    if (f.evidence.length > 0) out.push(`  - Evidence: ${f.evidence.map((e) => md(formatEvidence(e))).join('; ')}`);
    if (f.hints.length > 0) out.push(`  - Possible causes: ${f.hints.map(md).join('; ')}`);
    if (f.answers?.length) out.push(`  - The server answered: ${f.answers.map((a) => `${md(a.detail)} (${md(a.file)} frame ${a.frame})`).join('; ')}`);
  }
  out.push(...moreNote(Math.min(list.length, MAX_ATTENTION), list.length, 'the rest are in report.json and report.csv'));
  return out;
}

function evidenceCell(f: Finding): string {
  if (f.evidence.length === 0) return '';
  const first = f.evidence[0];
  const more = f.evidence.length > 1 ? ` (+${f.evidence.length - 1})` : '';
  return `${md(formatEvidencePlace(first))} ${md(first.conn_state)}${more}`;
}

function renderRolePairs(r: AuditResult): string[] {
  const out = ['', '## Findings by role pair'];
  const groups = new Map<string, Finding[]>();
  for (const f of r.findings) {
    const key = `${f.src_role}\u0000${f.dst_role}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(f);
  }
  const keys = [...groups.keys()].sort((a, b) => {
    const [as, ad] = a.split('\u0000');
    const [bs, bd] = b.split('\u0000');
    return roleRank(as) - roleRank(bs) || roleRank(ad) - roleRank(bd) || (a < b ? -1 : a > b ? 1 : 0);
  });
  if (keys.length === 0) return [...out, '', 'The catalog has no rules.'];
  for (const key of keys) {
    const all = groups.get(key) ?? [];
    const [src, dst] = key.split('\u0000');
    out.push('', `### ${md(src)} → ${md(dst)}`, '');
    // Rules that do not apply here are listed in one line each, not as table rows: a ticket
    // reader wants what was judged.
    const list = all.filter((f) => f.status !== 'not-applicable');
    const skipped = all.filter((f) => f.status === 'not-applicable');
    if (list.length === 0) {
      out.push('Nothing judged for this pair:');
      out.push(...notApplicableLines(skipped));
      continue;
    }
    out.push(
      ...table(
        ['Rule', 'Protocol', 'Port', 'Source', 'Destination', 'Status', 'Attempts', 'Evidence'],
        list.slice(0, MAX_ROWS_PER_TABLE).map((f) => [
          md(f.rule_id),
          md(f.protocol),
          md(formatPortText(f)),
          f.src === null ? '_none_' : md(f.src),
          f.dst === null ? '_none_' : md(f.dst),
          statusCell(f),
          md(formatAttempts(f)),
          evidenceCell(f),
        ]),
      ),
    );
    out.push(...moreNote(Math.min(list.length, MAX_ROWS_PER_TABLE), list.length, 'the rest are in report.json and report.csv'));
    if (skipped.length > 0) {
      out.push('', 'Not applicable here:');
      out.push(...notApplicableLines(skipped, new Set(list.map((f) => f.rule_id))));
    }
  }
  return out;
}

/** Host pairs named in a not-applicable line before "and N more". */
const MAX_PAIRS_NAMED = 3;

/**
 * `- connect-dc-ldaps (×2): condition ldaps is off ...`: one line per rule, its first reason. A
 * rule that the table above also lists (judged for another host pair) names the pairs it does not
 * apply to, so "connect-dc-smb ok" above and "connect-dc-smb not applicable" here do not read as
 * a contradiction.
 */
function notApplicableLines(findings: readonly Finding[], judgedRules: ReadonlySet<string> = new Set()): string[] {
  const byRule = new Map<string, { count: number; reason: string; pairs: string[]; reasonNamesPair: boolean }>();
  for (const f of findings) {
    let e = byRule.get(f.rule_id);
    const pairNamed = f.src !== null && f.dst !== null && f.reason.includes(f.src) && f.reason.includes(f.dst);
    if (!e) byRule.set(f.rule_id, (e = { count: 0, reason: f.reason, pairs: [], reasonNamesPair: pairNamed }));
    e.count++;
    if (f.src !== null && f.dst !== null) e.pairs.push(`${f.src} → ${f.dst}`);
  }
  return [...byRule].map(([rule, e]) => {
    let which = e.count > 1 ? ` (×${e.count})` : '';
    if (judgedRules.has(rule) && e.pairs.length === e.count && !(e.count === 1 && e.reasonNamesPair)) {
      const named = e.pairs.slice(0, MAX_PAIRS_NAMED).join(', ');
      which = ` (${md(named)}${e.count > MAX_PAIRS_NAMED ? ` and ${e.count - MAX_PAIRS_NAMED} more` : ''})`;
    }
    return `- ${md(rule)}${which}: ${md(e.reason)}`;
  });
}

function rolesText(roles: readonly string[]): string {
  return roles.length ? roles.map(md).join(', ') : '_unknown_';
}

function renderUnexpected(r: AuditResult): string[] {
  const total = r.unexpected_total ?? r.unexpected.length;
  const out = ['', '## Unexpected traffic', ''];
  const group = groupFlowsNote(r);
  if (total === 0) return [...out, 'None: all traffic of role hosts is on ports the catalog names.', ...(group ? ['', group] : [])];
  if (group) out.push(group, '');
  out.push(
    `${total} ${total === 1 ? 'combination' : 'combinations'} of host pair and port between role hosts (or from them to unknown hosts) that no catalog rule names:`,
    '',
  );
  out.push(
    ...table(
      ['Source', 'Roles', 'Destination', 'Roles', 'Port', 'Attempts', 'Completed', 'Refused', 'Unanswered', 'First (UTC)', 'Display filter'],
      r.unexpected.slice(0, MAX_ROWS_PER_TABLE).map((u: UnexpectedFlow) => [
        md(u.src),
        rolesText(u.src_roles),
        md(u.dst),
        rolesText(u.dst_roles),
        md(u.transport === 'icmp' ? 'icmp' : `${u.port}/${u.transport}`),
        String(u.attempts),
        String(u.completed),
        String(u.refused),
        String(u.unanswered),
        md(formatTime(u.first_ts)),
        code(u.display_filter, true),
      ]),
    ),
  );
  out.push(...moreNote(Math.min(r.unexpected.length, MAX_ROWS_PER_TABLE), total, 'the rest are in report.json (capped there too; the total is exact)'));
  return out;
}

function renderUnknown(r: AuditResult): string[] {
  const total = r.unknown_endpoints_total ?? r.unknown_endpoints.length;
  const out = ['', '## Unknown endpoints', ''];
  if (total === 0) return [...out, 'None: every host address in the data holds a role (link-local and multicast addresses are not listed).'];
  out.push(
    ...table(
      ['Address', 'Names', 'Flows', 'Ports'],
      r.unknown_endpoints.slice(0, MAX_ROWS_PER_TABLE).map((u) => [
        md(u.address),
        u.names.map(md).join(', '),
        String(u.flows),
        u.ports.join(', '),
      ]),
    ),
  );
  out.push(...moreNote(Math.min(r.unknown_endpoints.length, MAX_ROWS_PER_TABLE), total, 'the rest are in report.json'));
  return out;
}

function renderDns(r: AuditResult): string[] {
  const out = ['', '## DNS failures', ''];
  if (r.dns_failures.length === 0) return [...out, 'None: every lookup seen got an answer.'];
  out.push(
    ...table(
      ['Name', 'Lookups', 'Answered', 'NXDOMAIN', 'SERVFAIL', 'Other error', 'Never answered', 'Asked by', 'Servers', 'First seen', 'Display filter'],
      r.dns_failures.map((d) => [
        md(d.name),
        String(d.queries),
        String(d.answered),
        String(d.nxdomain),
        String(d.servfail),
        String(d.otherError),
        String(d.unanswered),
        d.clients.map(md).join(', '),
        d.servers.map(md).join(', '),
        d.firstEvidence ? md(`${formatEvidencePlace(d.firstEvidence)}, ${formatTime(d.firstEvidence.ts)}`) : '',
        code(filterForDnsNames([d.name]), true),
      ]),
    ),
  );
  return out;
}

/** What servers answered that stops a sync while the ports work; nothing when there is none. */
function renderAnswers(r: AuditResult): string[] {
  const answers = serverAnswers(r);
  if (answers.length === 0) return [];
  const out = ['', '## Answers that can stop a sync', '', 'The ports were open, but these answers can stop a sync (one line per kind):'];
  for (const { title, d } of answers) {
    out.push('', `### ${title}`, '');
    // Answers are read from captures: their record is a frame, as Wireshark numbers it.
    for (const e of d.examples.slice(0, ANSWER_LINES)) out.push(`- ${md(e.detail)} (${md(e.origin.file)} frame ${e.origin.index})`);
    if (d.examples.length > ANSWER_LINES) out.push(`- … and ${d.examples.length - ANSWER_LINES} more kinds in report.json`);
  }
  return out;
}

function renderDataQuality(r: AuditResult): string[] {
  const dq = r.data_quality;
  const diagnostics = dataDiagnostics(r);
  const out = ['', '## Data quality', '', `Flows: ${dq.flows}`];
  out.push('', '### Evidence gaps', '');
  if (dq.evidence_gaps.length === 0) out.push('None known.');
  else for (const g of dq.evidence_gaps) out.push(`- ${md(g)}`);
  const counters = Object.entries(dq.counters).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  out.push('', '### Counters', '');
  if (counters.length === 0) out.push('None.');
  else out.push(...table(['Counter', 'Value'], counters.map(([k, v]) => [md(k), String(v)])));
  out.push('', '### Diagnostics', '');
  if (diagnostics.length === 0) out.push('None: the inputs read cleanly.');
  else {
    out.push(
      ...table(
        ['Code', 'Count', 'Examples (file, byte offset, record)'],
        diagnostics.map((d) => [
          md(d.code),
          String(d.count),
          d.examples
            .slice(0, EXAMPLES_PER_CODE)
            .map((e) => md(`${e.origin.file} @ offset ${e.origin.offset}, record ${e.origin.index}: ${e.detail}`))
            .join('; '),
        ]),
      ),
    );
  }
  out.push('', '### Failed files', '');
  if (dq.failedFiles.length === 0) out.push('None.');
  else {
    out.push(
      ...table(
        ['File', 'Code', 'Stopped at byte', 'Message'],
        dq.failedFiles.map((f) => [md(f.file), md(f.code), String(f.offset), md(f.message)]),
      ),
    );
  }
  return out;
}

function renderCatalog(r: AuditResult): string[] {
  const c = r.catalog;
  return [
    '',
    '## Catalog',
    '',
    `- Name: ${md(c.name)} (${c.rules} rules)`,
    `- Title: ${md(c.title)}`,
    `- Source: ${md(c.source)}`,
    `- File: ${md(c.file)}`,
    `- Features turned on: ${r.features.length ? r.features.map(md).join(', ') : 'none'}`,
  ];
}

/** Renders the whole report as Markdown (ends with a newline). Pure: same result, same text. */
export function renderMarkdown(r: AuditResult): string {
  return [
    ...renderVerdict(r),
    ...renderInputs(r),
    ...renderHosts(r),
    ...renderAttention(r),
    ...renderRolePairs(r),
    ...renderUnexpected(r),
    ...renderUnknown(r),
    ...renderDns(r),
    ...renderAnswers(r),
    ...renderDataQuality(r),
    ...renderCatalog(r),
    '',
  ].join('\n');
}
