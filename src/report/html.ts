/**
 * The HTML report: one self-contained page (CSS, SVG and script inline; nothing fetched, so it
 * opens from an email attachment or a file share offline) with the same content as report.md,
 * plus three charts drawn on the server as SVG strings (see ./svg/). A pure renderer: returns a
 * string, writes nothing (only `cli/` writes files).
 *
 * Everything from the data (hostnames, SNI, file names, reasons, rule names, diagnostics) is
 * untrusted and escaped: HTML through `escapeHtml`, SVG through `escapeXml`.
 */
import { createHash } from 'node:crypto';
import { filterForDnsNames } from '../audit/display-filter.js';
import type { AuditResult, EvidenceRef, Finding, FindingStatus, UnexpectedFlow } from '../audit/types.js';
import { ALL_ROLES, type Role } from '../catalog/types.js';
import { formatCount } from '../common/count.js';
import { formatIsoMicros } from '../common/time.js';
import { escapeHtml, toSingleLine } from './escape.js';
import { CAPTURE_FILTER_NOTE, capturePointNote, capturePoints, dataDiagnostics, filesText, formatBytes, formatConnStates, formatEvidencePlace, formatTime, formatWindow, groupFlowsNote, rotatingCaptures, serverAnswers } from './format.js';
import { REPORT_CSS, REPORT_SCRIPT } from './html-assets.js';
import { renderHostBarsSvg } from './svg/host-bars.js';
import { renderOutcomeLegend, renderStatusLegend } from './svg/legend.js';
import { buildMatrix, renderMatrixSvg, rolePairLabel, ruleLabel } from './svg/matrix.js';
import { STATUS_SEVERITY, STATUS_STYLES, statusRank } from './svg/palette.js';
import { renderTimelineSvg } from './svg/timeline.js';

/** Caps that keep the page a sensible size on a big audit; totals are always shown. */
export interface HtmlOptions {
  /** Evidence rows shown per finding or unexpected flow (default 3). */
  maxEvidencePerFinding?: number;
  /** Rows per table (default 500). */
  maxRowsPerTable?: number;
  /** Finding rows over all role-pair tables together (default 2,000; the worst statuses first). */
  maxFindingRows?: number;
  /** Diagnostic examples shown per code (default 5). */
  maxDiagnosticExamples?: number;
}

const DEFAULTS: Required<HtmlOptions> = {
  maxEvidencePerFinding: 3,
  maxRowsPerTable: 500,
  maxFindingRows: 2000,
  maxDiagnosticExamples: 5,
};

/** One table cell: trusted HTML (already escaped) and an optional sort key. */
interface Cell {
  html: string;
  /** Sort key for the inline script (`data-v`): numbers sort numerically. */
  sort?: string | number;
  className?: string;
}

interface Column {
  label: string;
  numeric?: boolean;
}

/**
 * Renders the audit result as one HTML page.
 *
 * The page carries a Content-Security-Policy that allows no network at all, inline styles, and
 * only the page's own script (by its SHA-256 hash, computed here).
 */
export function renderHtml(result: AuditResult, options: HtmlOptions = {}): string {
  const opts = { ...DEFAULTS, ...options };
  const ctx = new RenderContext(opts);
  const scriptHash = createHash('sha256').update(REPORT_SCRIPT, 'utf8').digest('base64');
  const csp = [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    `script-src 'sha256-${scriptHash}'`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');

  const sections: [string, string, string][] = [
    ['inputs', 'Inputs and time window', renderInputs(result)],
    ['catalog-used', 'Catalog and features', renderCatalogUsed(result)],
    ['charts', 'At a glance', renderCharts(result)],
    ['action', 'Blocked, partial and missing flows', renderActionNeeded(result, ctx)],
    ['hosts', 'Hosts and roles', renderHosts(result, ctx)],
    ['findings', 'Findings by role pair', renderFindings(result, ctx)],
    ['unexpected', 'Unexpected traffic', renderUnexpected(result, ctx)],
    ['unknown', 'Unknown endpoints', renderUnknown(result, ctx)],
    ['dns', 'DNS failures', renderDnsFailures(result, ctx)],
    ...(serverAnswers(result).length > 0 ? [['answers', 'Answers that can stop a sync', renderAnswers(result, ctx)] as [string, string, string]] : []),
    ['data-quality', 'Data quality', renderDataQuality(result, ctx)],
    ['catalog', 'Catalog', renderCatalog(result, ctx)],
  ];

  const title = `flowaudit report: ${result.verdict.summary}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    // Trusted constant text (no double quotes in it), written as is so it reads plainly.
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    `<meta name="generator" content="${escapeHtml(`${result.tool.name} ${result.tool.version}`)}">`,
    `<title>${escapeHtml(title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head>',
    '<body>',
    renderVerdict(result),
    '<nav class="toc" aria-label="Sections"><ul>',
    ...sections.map(([id, heading]) => `<li><a href="#${id}">${escapeHtml(heading)}</a></li>`),
    '</ul></nav>',
    '<main>',
    ...sections.map(([id, heading, body]) => `<section id="${id}" aria-labelledby="${id}-h"><h2 id="${id}-h">${escapeHtml(heading)}</h2>\n${body}\n</section>`),
    '</main>',
    `<footer>Generated by ${escapeHtml(result.tool.name)} ${escapeHtml(result.tool.version)} at ${escapeHtml(result.generated_at)} · schema ${escapeHtml(result.schema)} · the full data is in report.json.</footer>`,
    `<script>${REPORT_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Per-render state: caps and unique ids. */
class RenderContext {
  private nextId = 0;
  constructor(readonly opts: Required<HtmlOptions>) {}
  id(prefix: string): string {
    return `${prefix}-${++this.nextId}`;
  }
}

// ---------------------------------------------------------------------------------------------
// formatting helpers

/**
 * Escapes one data value for HTML text or a quoted attribute. Control characters and bidirectional
 * overrides are neutralised first (toSingleLine), so a hostile name cannot reorder what is shown.
 */
function esc(text: string | number | null | undefined): string {
  return text === null || text === undefined ? '' : escapeHtml(toSingleLine(String(text)));
}

function badge(status: FindingStatus): string {
  const s = STATUS_STYLES[status];
  return `<span class="badge status-${status}"><span class="glyph" aria-hidden="true">${esc(s.glyph)}</span>${esc(s.label)}</span>`;
}

/**
 * Evidence lines: where (file and frame/line), conn_state, time of day and ports; the flow's own
 * reason is the line's tooltip (the finding's reason is already beside it).
 */
function renderEvidence(evidence: EvidenceRef[], max: number): string {
  if (evidence.length === 0) return '<span class="muted">none kept</span>';
  const items = evidence.slice(0, max).map(
    (e) =>
      `<li${e.reason ? ` title="${esc(e.reason)}"` : ''}><code>${esc(formatEvidencePlace(e))}</code> ${esc(e.conn_state)} · ` +
      `<span title="${esc(formatTime(e.ts))}">${esc(formatIsoMicros(e.ts).slice(11, 23))}</span> · ${esc(e.src_port)} → ${esc(e.dst_port)}/${esc(e.transport)}</li>`,
  );
  if (evidence.length > max) items.push(`<li class="more">and ${formatCount(evidence.length - max)} more in report.json</li>`);
  return `<ul class="plain evidence">${items.join('')}</ul>`;
}

function renderFilter(ctx: RenderContext, filter: string): string {
  if (!filter) return '';
  const id = ctx.id('df');
  return `<code id="${id}" class="display-filter">${esc(filter)}</code><button type="button" class="copy" data-copy="${id}" hidden>Copy filter</button>`;
}

/**
 * A sortable, filterable table. `total` is how many rows exist; when more than the shown rows, a
 * line under the table says how many more there are.
 */
function renderTable(ctx: RenderContext, caption: string, columns: Column[], rows: Cell[][], total = rows.length, moreWhere = 'report.json'): string {
  const id = ctx.id('tbl');
  const countId = `${id}-count`;
  const head = columns.map((c) => `<th scope="col"${c.numeric ? ' class="num"' : ''}>${esc(c.label)}</th>`).join('');
  const body = rows
    .map(
      (row) =>
        '<tr>' +
        row
          .map((cell, i) => {
            const classes = [columns[i]?.numeric ? 'num' : '', cell.className ?? ''].filter(Boolean).join(' ');
            const sort = cell.sort !== undefined ? ` data-v="${esc(cell.sort)}"` : '';
            return `<td${classes ? ` class="${classes}"` : ''}${sort}>${cell.html}</td>`;
          })
          .join('') +
        '</tr>',
    )
    .join('\n');
  const more = total > rows.length ? `<p class="more">Showing the first ${formatCount(rows.length)} of ${formatCount(total)} rows; and ${formatCount(total - rows.length)} more — see ${esc(moreWhere)}.</p>` : '';
  return (
    `<div class="table-tools"><input type="search" class="filter" data-table="${id}" data-count="${countId}" placeholder="Filter rows…" aria-label="Filter rows of ${esc(caption)}" hidden>` +
    `<span class="filter-count" id="${countId}" aria-live="polite"></span></div>` +
    `<div class="table-wrap"><table id="${id}" class="sortable"><caption class="muted">${esc(caption)} (${formatCount(total)})</caption>` +
    `<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table></div>${more}`
  );
}

function num(n: number): Cell {
  return { html: formatCount(n), sort: n };
}

function text(value: string | null | undefined): Cell {
  return { html: esc(value ?? '') };
}

function hostCell(address: string | null, role: string, names: Map<string, string>): Cell {
  if (address === null) return { html: `<span class="muted">no ${esc(role)} host known</span>`, sort: `~${role}` };
  const name = names.get(address);
  return { html: `<span class="mono">${esc(address)}</span>${name ? `<br><span class="muted">${esc(name)}</span>` : ''}`, sort: address };
}

/** Both sides of a finding in one cell: `10.0.0.20 aadc01… → 10.0.0.11 dc02…`. */
function pairCell(f: Pick<Finding, 'src' | 'dst' | 'src_role' | 'dst_role'>, names: Map<string, string>): Cell {
  const side = (address: string | null, role: string) =>
    address === null
      ? `<span class="muted">no ${esc(role)} host known</span>`
      : `<span class="mono">${esc(address)}</span>${names.has(address) ? ` <span class="muted">${esc(names.get(address))}</span>` : ''}`;
  return { html: `${side(f.src, f.src_role)}<br>→ ${side(f.dst, f.dst_role)}`, sort: `${f.src ?? ''} ${f.dst ?? '~'}` };
}

/** First and last time of day (full ISO time as the tooltip). */
function spanHtml(first: number | null, last: number | null): string {
  if (first === null) return '';
  const short = (t: number | null) => `<span title="${esc(formatTime(t))}">${t === null ? '—' : esc(formatIsoMicros(t).slice(11, 19))}</span>`;
  return `<br><span class="muted">${short(first)} – ${short(last)}</span>`;
}

function hostNames(result: AuditResult): Map<string, string> {
  // A host known by name only (through a proxy, from a firewall log) has its name as its address: not said twice.
  const named = new Map<string, string>();
  for (const h of result.hosts) {
    const name = h.names.find((n) => n !== h.address);
    if (name !== undefined) named.set(h.address, name);
  }
  return named;
}

function bySeverity(a: Finding, b: Finding): number {
  return statusRank(a.status) - statusRank(b.status);
}

// ---------------------------------------------------------------------------------------------
// sections

function renderVerdict(result: AuditResult): string {
  const v = result.verdict;
  const word = v.status === 'pass' ? 'PASS' : 'FAIL';
  // The summary already starts with PASS:/FAIL:; show the word once, as a badge.
  const summary = v.summary.replace(/^(PASS|FAIL):\s*/, '');
  const counts = STATUS_SEVERITY.map((s) => `<li>${badge(s)} <span class="count" data-status="${s}">${formatCount(v.counts[s] ?? 0)}</span></li>`).join('');
  return (
    `<header class="verdict verdict-${v.status}" role="banner">` +
    `<h1>flowaudit report</h1>` +
    `<p class="summary" id="verdict"><span class="word">${word}</span>${esc(summary)}</p>` +
    `<ul class="counts" aria-label="Findings per status">${counts}</ul>` +
    `</header>`
  );
}

function renderInputs(result: AuditResult): string {
  const w = result.window;
  const span = formatWindow(w.first_ts, w.last_ts);
  const facts = [
    ['Time window', esc(span)],
    ['Flows', formatCount(result.data_quality.flows)],
    ...(result.assumed_timezone ? [['Assumed timezone', `${esc(result.assumed_timezone)} (for Windows Firewall logs and pktmon traces, which hold local times)`]] : []),
  ];
  const rows = result.inputs.map((i) => `<tr><td><code>${esc(i.file)}</code></td><td>${esc(i.format)}</td><td class="num" data-v="${i.records}">${formatCount(i.records)}</td><td class="num" data-v="${i.bytes}">${esc(formatBytes(i.bytes))}</td><td data-v="${i.first_ts ?? ''}">${esc(formatTime(i.first_ts))}</td><td data-v="${i.last_ts ?? ''}">${esc(formatTime(i.last_ts))}</td><td>${i.complete ? 'yes' : '<strong>no</strong> (see data quality)'}</td></tr>`);
  return (
    `<dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>` +
    `<div class="table-wrap"><table class="inputs"><thead><tr><th>File</th><th>Format</th><th class="num">Records</th><th class="num">Size</th><th>First</th><th>Last</th><th>Read completely</th></tr></thead><tbody>${rows.join('\n')}</tbody></table></div>` +
    rotatingCaptures(result.inputs)
      .map((c) => `<p class="muted"><code>${esc(c.first)}</code> to <code>${esc(c.last)}</code>: ${c.files} files of one rotating capture, read in time order as one capture (a connection cut at a file boundary is one connection).</p>`)
      .join('') +
    result.inputs
      .filter((i) => i.capture_filters !== undefined)
      .map((i) => `<p><code>${esc(i.file)}</code> was captured with a capture filter (${i.capture_filters!.map((f) => `<code>${esc(f)}</code>`).join('; ')}): ${esc(CAPTURE_FILTER_NOTE)}</p>`)
      .join('') +
    capturePoints(result.inputs)
      .map((p) => `<p>${filesText(p.files, codeHtml)}: ${capturePointNote(p.hosts, p.conversation, codeHtml, p.traced)}</p>`)
      .join('')
  );
}

/** Text from the data as inline code. */
const codeHtml = (text: string): string => `<code>${esc(text)}</code>`;

function renderCatalogUsed(result: AuditResult): string {
  const c = result.catalog;
  const features = result.features.length ? result.features.map((f) => `<code>${esc(f)}</code>`).join(' ') : 'none (rules with a condition count only when their traffic is seen)';
  return (
    `<dl class="facts">` +
    `<dt>Catalog</dt><dd><code>${esc(c.name)}</code>: ${esc(c.title)}</dd>` +
    `<dt>Source</dt><dd>${linkify(c.source)}</dd>` +
    `<dt>File</dt><dd><code>${esc(c.file)}</code></dd>` +
    `<dt>Rules</dt><dd>${formatCount(c.rules)}</dd>` +
    `<dt>Features</dt><dd>${features}</dd>` +
    `</dl>`
  );
}

/** Escapes text and turns http(s) URLs in it into links (shown in print). */
function linkify(value: string): string {
  const parts = value.split(/(https?:\/\/[^\s<>"']+)/);
  return parts.map((p, i) => (i % 2 === 1 ? `<a href="${esc(p)}" rel="noreferrer noopener">${esc(p)}</a>` : esc(p))).join('');
}

function renderCharts(result: AuditResult): string {
  const matrix = buildMatrix(result);
  const statuses = STATUS_SEVERITY.filter((s) => matrix.cells.some((c) => c.status === s));
  return [
    `<figure id="fig-matrix"><figcaption>Status per role pair and rule <span class="note">— each cell is the worst status over the pair's hosts; hover a cell for details</span></figcaption>`,
    renderMatrixSvg(result, 'chart-matrix'),
    renderStatusLegend(statuses.length ? statuses : STATUS_SEVERITY),
    `</figure>`,
    `<figure id="fig-timeline"><figcaption>Attempts per rule over the data window <span class="note">— failed (refused or unanswered) at the base, completed above</span></figcaption>`,
    renderTimelineSvg(result, 'chart-timeline'),
    renderOutcomeLegend('chart-timeline-legend', ['completed', 'failed']),
    `</figure>`,
    `<figure id="fig-hosts"><figcaption>Refused and unanswered attempts per host <span class="note">— over findings and unexpected traffic</span></figcaption>`,
    renderHostBarsSvg(result, 'chart-hosts'),
    renderOutcomeLegend('chart-hosts-legend', ['refused', 'unanswered']),
    `</figure>`,
  ].join('\n');
}

function ruleCell(f: Finding): Cell {
  const extra = [f.condition ? `if ${f.condition}` : '', f.required ? '' : 'optional'].filter(Boolean).join(', ');
  return {
    html: `${esc(ruleLabel(f))}<br><span class="muted mono">${esc(f.rule_id)}</span>${extra ? ` <span class="muted">(${esc(extra)})</span>` : ''}`,
    sort: ruleLabel(f),
  };
}

function reasonCell(f: Finding): Cell {
  const hints = f.hints.length ? `<ul class="hints">${f.hints.map((h) => `<li>${esc(h)}</li>`).join('')}</ul>` : '';
  const answers = f.answers?.length
    ? `<ul class="answers">${f.answers.map((a) => `<li>The server answered: ${esc(a.detail)} <span class="muted">(<code>${esc(a.file)}</code> frame ${esc(a.frame)})</span></li>`).join('')}</ul>`
    : '';
  return { html: `${esc(f.reason)}${answers}${hints}` };
}

/** Attempts, their split, conn_states and the first–last time of day. */
function attemptsCell(f: Pick<Finding, 'attempts' | 'completed' | 'refused' | 'unanswered' | 'conn_states' | 'first_ts' | 'last_ts'>): Cell {
  const states = formatConnStates(f.conn_states);
  const detail = f.attempts
    ? `<br><span class="muted">${formatCount(f.completed)} ok · ${formatCount(f.refused)} refused · ${formatCount(f.unanswered)} unanswered${states ? `<br>${esc(states)}` : ''}</span>`
    : '';
  return { html: `${formatCount(f.attempts)}${detail}${spanHtml(f.first_ts, f.last_ts)}`, sort: f.attempts };
}

function renderActionNeeded(result: AuditResult, ctx: RenderContext): string {
  const bad = result.findings.filter((f) => f.status === 'blocked' || f.status === 'missing' || f.status === 'partial').sort(bySeverity);
  if (bad.length === 0) return '<p>No required flow is blocked, missing or partial.</p>';
  const names = hostNames(result);
  const shown = bad.slice(0, ctx.opts.maxRowsPerTable);
  const rows = shown.map((f) => [
    { html: badge(f.status), sort: statusRank(f.status) },
    ruleCell(f),
    { html: `${esc(rolePairLabel(f.src_role, f.dst_role))}<br>${pairCell(f, names).html}`, sort: pairCell(f, names).sort },
    attemptsCell(f),
    reasonCell(f),
    { html: renderEvidence(f.evidence, ctx.opts.maxEvidencePerFinding) },
    { html: renderFilter(ctx, f.display_filter), className: 'filter-cell' },
  ]);
  return renderTable(
    ctx,
    'Blocked, missing and partial required flows',
    [{ label: 'Status' }, { label: 'Rule' }, { label: 'Hosts' }, { label: 'Attempts', numeric: true }, { label: 'Reason' }, { label: 'Evidence' }, { label: 'Display filter' }],
    rows,
    bad.length,
  );
}

function renderHosts(result: AuditResult, ctx: RenderContext): string {
  if (result.hosts.length === 0) return '<p>No hosts with roles were found.</p>';
  const shown = result.hosts.slice(0, ctx.opts.maxRowsPerTable);
  const rows = shown.map((h) => [
    { html: `<span class="mono">${esc(h.address)}</span>`, sort: h.address },
    { html: h.names.length ? h.names.map((n) => esc(n)).join('<br>') : '<span class="muted">—</span>' },
    {
      html: `<ul class="plain">${h.roles.map((r) => `<li><strong>${esc(r.role)}</strong> · ${esc(r.source)} · ${esc(r.confidence)} — ${esc(r.why)}</li>`).join('')}</ul>`,
      sort: h.roles.map((r) => r.role).join(','),
    },
    text(h.role_source),
  ]);
  return renderTable(ctx, 'Hosts and their roles', [{ label: 'Address' }, { label: 'Names' }, { label: 'Roles (source · confidence — why)' }, { label: 'Role source' }], rows, result.hosts.length);
}

function renderFindings(result: AuditResult, ctx: RenderContext): string {
  if (result.findings.length === 0) return '<p>No findings: no catalog rule applied to the hosts seen.</p>';
  const groups = new Map<string, Finding[]>();
  for (const f of result.findings) {
    const key = rolePairLabel(f.src_role, f.dst_role);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(f);
  }
  const names = hostNames(result);
  const out: string[] = [];
  // The row budget over all tables goes to the worst findings first, wherever they are.
  const withinBudget = new Set(result.findings.slice().sort(bySeverity).slice(0, ctx.opts.maxFindingRows));
  // Same order as report.md: by the catalog's role order (connect, dc, azure-ad ...), source first.
  const ordered = [...groups].sort(([, a], [, b]) => roleRank(a[0].src_role) - roleRank(b[0].src_role) || roleRank(a[0].dst_role) - roleRank(b[0].dst_role));
  for (const [pair, findings] of ordered) {
    const counts = STATUS_SEVERITY.map((s) => [s, findings.filter((f) => f.status === s).length] as const).filter(([, n]) => n > 0);
    out.push(`<h3 id="pair-${esc(slug(pair))}">${esc(pair)} <span class="muted">(${counts.map(([s, n]) => `${formatCount(n)} ${esc(STATUS_STYLES[s].label)}`).join(', ')})</span></h3>`);
    // Stable sort: worst statuses first, then catalog order, so capped tables drop the ok rows.
    const bySeverityThenCatalog = findings.slice().sort(bySeverity);
    const shown = bySeverityThenCatalog.filter((f) => withinBudget.has(f)).slice(0, ctx.opts.maxRowsPerTable);
    const rows = shown.map((f) => [
      ruleCell(f),
      pairCell(f, names),
      { html: badge(f.status), sort: statusRank(f.status) },
      attemptsCell(f),
      reasonCell(f),
      { html: renderEvidence(f.evidence, ctx.opts.maxEvidencePerFinding) },
      { html: renderFilter(ctx, f.display_filter), className: 'filter-cell' },
    ]);
    out.push(
      renderTable(
        ctx,
        `Findings ${pair}`,
        [{ label: 'Rule' }, { label: 'Hosts' }, { label: 'Status' }, { label: 'Attempts', numeric: true }, { label: 'Reason' }, { label: 'Evidence' }, { label: 'Display filter' }],
        rows,
        findings.length,
      ),
    );
  }
  return out.join('\n');
}

function roleRank(role: string): number {
  const i = ALL_ROLES.indexOf(role as Role);
  return i < 0 ? ALL_ROLES.length : i;
}

function slug(value: string): string {
  return value.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase();
}

function rolesText(roles: string[]): string {
  return roles.length ? roles.join(', ') : 'unknown';
}

function renderUnexpected(result: AuditResult, ctx: RenderContext): string {
  // report.json may cap the list; the total is exact.
  const total = Math.max(result.unexpected_total ?? 0, result.unexpected.length);
  const group = groupFlowsNote(result);
  const groupHtml = group ? `<p class="muted">${esc(group)}</p>` : '';
  if (total === 0) return `<p>None: all traffic of role hosts is on ports the catalog names.</p>${groupHtml}`;
  const names = hostNames(result);
  const shown: UnexpectedFlow[] = result.unexpected.slice(0, ctx.opts.maxRowsPerTable);
  const rows = shown.map((u) => [
    { html: `${hostCell(u.src, '', names).html}<br><span class="muted">${esc(rolesText(u.src_roles))}</span>`, sort: u.src },
    { html: `${hostCell(u.dst, '', names).html}<br><span class="muted">${esc(rolesText(u.dst_roles))}</span>`, sort: u.dst },
    { html: u.transport === 'icmp' ? 'icmp' : `${esc(u.port)}/${esc(u.transport)}`, sort: u.port },
    attemptsCell({ ...u, conn_states: {} }),
    { html: renderEvidence(u.evidence, ctx.opts.maxEvidencePerFinding) },
    { html: renderFilter(ctx, u.display_filter), className: 'filter-cell' },
  ]);
  return (
    `<p>${formatCount(total)} host pair/port combination${total === 1 ? '' : 's'} between role hosts (or from them to unknown hosts) on ports no rule names.</p>` +
    groupHtml +
    renderTable(
      ctx,
      'Unexpected traffic',
      [{ label: 'Source' }, { label: 'Destination' }, { label: 'Port', numeric: true }, { label: 'Attempts', numeric: true }, { label: 'Evidence' }, { label: 'Display filter' }],
      rows,
      total,
    )
  );
}

function renderUnknown(result: AuditResult, ctx: RenderContext): string {
  const total = Math.max(result.unknown_endpoints_total ?? 0, result.unknown_endpoints.length);
  if (total === 0) return '<p>None: every host address in the data holds a role (link-local and multicast addresses are not listed).</p>';
  const shown = result.unknown_endpoints.slice(0, ctx.opts.maxRowsPerTable);
  const rows = shown.map((u) => [
    { html: `<span class="mono">${esc(u.address)}</span>`, sort: u.address },
    { html: u.names.length ? u.names.map((n) => esc(n)).join('<br>') : '<span class="muted">—</span>' },
    num(u.flows),
    { html: esc(u.ports.join(', ')), sort: u.ports[0] ?? '' },
  ]);
  return renderTable(ctx, 'Addresses seen that hold no role', [{ label: 'Address' }, { label: 'Names' }, { label: 'Flows', numeric: true }, { label: 'Ports' }], rows, total);
}

function renderDnsFailures(result: AuditResult, ctx: RenderContext): string {
  if (result.dns_failures.length === 0) return '<p>None: every lookup seen got an answer.</p>';
  const shown = result.dns_failures.slice(0, ctx.opts.maxRowsPerTable);
  const rows = shown.map((d) => [
    { html: `<code>${esc(d.name)}</code>`, sort: d.name },
    num(d.queries),
    num(d.answered),
    num(d.nxdomain),
    num(d.servfail),
    num(d.otherError),
    num(d.unanswered),
    { html: d.clients.map((c) => `<span class="mono">${esc(c)}</span>`).join('<br>') },
    { html: d.servers.map((s) => `<span class="mono">${esc(s)}</span>`).join('<br>') },
    d.firstEvidence
      ? { html: `<code>${esc(formatEvidencePlace(d.firstEvidence))}</code> ${esc(formatTime(d.firstEvidence.ts))}`, sort: d.firstEvidence.ts }
      : { html: '' },
    { html: renderFilter(ctx, filterForDnsNames([d.name])), className: 'filter-cell' },
  ]);
  return (
    '<p>A failed lookup of a role\'s name is often the root cause of a missing flow.</p>' +
    renderTable(
      ctx,
      'DNS lookups that failed',
      [{ label: 'Name' }, { label: 'Queries', numeric: true }, { label: 'Answered', numeric: true }, { label: 'NXDOMAIN', numeric: true }, { label: 'SERVFAIL', numeric: true }, { label: 'Other error', numeric: true }, { label: 'Never answered', numeric: true }, { label: 'Asked by' }, { label: 'Servers' }, { label: 'First seen' }, { label: 'Display filter' }],
      rows,
      result.dns_failures.length,
    )
  );
}

/** What servers answered that stops a sync while the ports work (TLS inspection, Kerberos, LDAP). */
function renderAnswers(result: AuditResult, ctx: RenderContext): string {
  const out = ['<p>The ports were open, but these answers can stop a sync (one line per kind):</p>'];
  for (const { title, d } of serverAnswers(result)) {
    out.push(`<h3>${esc(title)}</h3>`);
    const lines = d.examples
      .slice(0, ctx.opts.maxDiagnosticExamples)
      // Answers are read from captures: their record is a frame, as Wireshark numbers it.
      .map((e) => `<li>${esc(e.detail)} <span class="muted">(<code>${esc(e.origin.file)}</code> frame ${esc(e.origin.index)})</span></li>`);
    out.push(`<ul>${lines.join('')}</ul>`);
  }
  return out.join('\n');
}

function renderDataQuality(result: AuditResult, ctx: RenderContext): string {
  const dq = result.data_quality;
  const diagnostics = dataDiagnostics(result);
  const out: string[] = [];
  const problems = diagnostics.reduce((a, d) => a + d.count, 0);
  out.push(
    `<p>${formatCount(dq.flows)} flows; ${formatCount(problems)} diagnostic${problems === 1 ? '' : 's'} in ${formatCount(diagnostics.length)} code${diagnostics.length === 1 ? '' : 's'}; ${formatCount(dq.failedFiles.length)} failed file${dq.failedFiles.length === 1 ? '' : 's'}.</p>`,
  );
  out.push('<h3>Counters</h3>');
  const counters = Object.entries(dq.counters);
  out.push(counters.length ? renderTable(ctx, 'Counters', [{ label: 'Counter' }, { label: 'Value', numeric: true }], counters.map(([k, v]) => [{ html: `<code>${esc(k)}</code>`, sort: k }, num(v)])) : '<p>No counters.</p>');
  out.push('<h3>Diagnostics</h3>');
  if (diagnostics.length === 0) out.push('<p>No problems found in the input.</p>');
  else {
    const max = ctx.opts.maxDiagnosticExamples;
    const rows = diagnostics.map((d) => {
      const examples = d.examples.slice(0, max).map((e) => `<li><code>${esc(e.origin.file)}</code> offset ${esc(e.origin.offset)} record ${esc(e.origin.index)}: ${esc(e.detail)}</li>`);
      const notShown = d.count - Math.min(d.examples.length, max);
      if (notShown > 0) examples.push(`<li class="more">and ${formatCount(notShown)} more${d.examples.length > max ? ` (${formatCount(d.examples.length - max)} more examples in report.json)` : ''}</li>`);
      return [{ html: `<code>${esc(d.code)}</code>`, sort: d.code }, num(d.count), { html: `<ul class="plain">${examples.join('')}</ul>` }];
    });
    out.push(renderTable(ctx, 'Diagnostics by code', [{ label: 'Code' }, { label: 'Count', numeric: true }, { label: 'Examples (file, byte offset, record)' }], rows));
  }
  out.push('<h3>Failed files</h3>');
  if (dq.failedFiles.length === 0) out.push('<p>Every input was read to its end.</p>');
  else {
    const rows = dq.failedFiles.map((f) => [{ html: `<code>${esc(f.file)}</code>`, sort: f.file }, { html: `<code>${esc(f.code)}</code>`, sort: f.code }, num(f.offset), text(f.message)]);
    out.push(renderTable(ctx, 'Files that could not be read completely', [{ label: 'File' }, { label: 'Code' }, { label: 'Stopped at byte', numeric: true }, { label: 'Message' }], rows));
  }
  if (dq.evidence_gaps.length) {
    out.push('<h3>Evidence gaps</h3>');
    out.push(`<ul>${dq.evidence_gaps.map((g) => `<li>${esc(g)}</li>`).join('')}</ul>`);
  }
  return out.join('\n');
}

function renderCatalog(result: AuditResult, ctx: RenderContext): string {
  const rules = new Map<string, { f: Finding; statuses: Map<FindingStatus, number> }>();
  for (const f of result.findings) {
    let r = rules.get(f.rule_id);
    if (!r) rules.set(f.rule_id, (r = { f, statuses: new Map() }));
    r.statuses.set(f.status, (r.statuses.get(f.status) ?? 0) + 1);
  }
  const c = result.catalog;
  const intro = `<p><code>${esc(c.name)}</code>: ${esc(c.title)}; ${formatCount(c.rules)} rules, ${formatCount(rules.size)} of them judged below.</p>`;
  if (rules.size === 0) return intro;
  const rows = [...rules.values()].map(({ f, statuses }) => [
    { html: `<code>${esc(f.rule_id)}</code>`, sort: f.rule_id },
    text(f.table),
    text(rolePairLabel(f.src_role, f.dst_role)),
    text(f.protocol),
    { html: `${esc(f.ports)}/${esc(f.transport)}`, sort: f.ports },
    text(f.condition ?? '—'),
    text(f.required ? 'yes' : 'optional'),
    {
      html: STATUS_SEVERITY.filter((s) => statuses.has(s)).map((s) => `${badge(s)} ${formatCount(statuses.get(s) ?? 0)}`).join(' '),
      sort: Math.min(...[...statuses.keys()].map(statusRank)),
    },
  ]);
  return intro + renderTable(ctx, 'Catalog rules', [{ label: 'Rule' }, { label: 'Table' }, { label: 'Roles' }, { label: 'Protocol' }, { label: 'Port' }, { label: 'Condition' }, { label: 'Required' }, { label: 'Results' }], rows, rules.size);
}
