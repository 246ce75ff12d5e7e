/**
 * The "whole audit at a glance" chart: role pairs (rows) × catalog rules (columns, labelled
 * `LDAP 389/tcp`), each cell coloured by the worst status over the pair's findings for that rule.
 * Unexpected traffic between roles gets one extra column. Drawn as an SVG string with d3-scale,
 * no DOM.
 */
import { scaleBand } from 'd3-scale';
import type { AuditResult, Finding, FindingStatus } from '../../audit/types.js';
import { STATUS_STYLES, worseStatus } from './palette.js';
import { formatCount } from '../../common/count.js';
import { escapeXml, num, svgOpen, svgText, svgTitle } from './xml.js';

/** One cell of the matrix: one role pair and one rule (or the unexpected column). */
export interface MatrixCell {
  row: string;
  column: string;
  status: FindingStatus;
  /** Findings (host pairs) folded into the cell; for the unexpected column, unexpected flow groups. */
  findings: number;
  attempts: number;
  completed: number;
  /** Tooltip text. */
  title: string;
}

export interface MatrixModel {
  rows: string[];
  columns: string[];
  cells: MatrixCell[];
}

/** Column label of the unexpected-traffic column. */
export const UNEXPECTED_COLUMN = 'other ports (no rule)';

/** `connect → dc`: the row label of a finding. */
export function rolePairLabel(src: string, dst: string): string {
  return `${src} → ${dst}`;
}

/** `LDAP 389/tcp`: the column label of a finding's rule. */
export function ruleLabel(f: Pick<Finding, 'protocol' | 'ports' | 'transport'>): string {
  return `${f.protocol} ${f.ports}/${f.transport}`;
}

/**
 * Folds findings (and unexpected flows) into matrix cells. Rows and columns keep the order in
 * which they first appear in `result.findings` (the catalog's order); cells only exist where there
 * is data, so the cell count is the number of (role pair, rule) combinations with findings.
 */
export function buildMatrix(result: Pick<AuditResult, 'findings' | 'unexpected'>): MatrixModel {
  const rows: string[] = [];
  const columns: string[] = [];
  const seenRows = new Set<string>();
  const seenColumns = new Set<string>();
  const acc = new Map<string, { row: string; column: string; status: FindingStatus; findings: number; attempts: number; completed: number; reasons: Set<string>; ports: Set<string> }>();

  const add = (row: string, column: string, status: FindingStatus, attempts: number, completed: number, note: string) => {
    if (!seenRows.has(row)) (seenRows.add(row), rows.push(row));
    if (!seenColumns.has(column)) (seenColumns.add(column), columns.push(column));
    const key = `${row}\u0000${column}`;
    let cell = acc.get(key);
    if (!cell) {
      cell = { row, column, status, findings: 0, attempts: 0, completed: 0, reasons: new Set(), ports: new Set() };
      acc.set(key, cell);
    }
    cell.status = worseStatus(cell.status, status);
    cell.findings++;
    cell.attempts += attempts;
    cell.completed += completed;
    if (cell.reasons.size < 3) cell.reasons.add(note);
  };

  for (const f of result.findings) add(rolePairLabel(f.src_role, f.dst_role), ruleLabel(f), f.status, f.attempts, f.completed, f.reason);
  let unexpectedSeen = false;
  for (const u of result.unexpected) {
    const row = rolePairLabel(u.src_roles[0] ?? 'unknown', u.dst_roles[0] ?? 'unknown');
    // The unexpected column goes last; remember it and append it after the rule columns.
    unexpectedSeen = true;
    seenColumns.add(UNEXPECTED_COLUMN);
    add(row, UNEXPECTED_COLUMN, 'unexpected', u.attempts, u.completed, `${u.port}/${u.transport}`);
  }
  const ruleColumns = columns.filter((c) => c !== UNEXPECTED_COLUMN);
  const orderedColumns = unexpectedSeen ? [...ruleColumns, UNEXPECTED_COLUMN] : ruleColumns;

  const cells: MatrixCell[] = [];
  for (const c of acc.values()) {
    const parts = [c.row, c.column, STATUS_STYLES[c.status].label];
    if (c.column === UNEXPECTED_COLUMN) {
      parts.push(`${formatCount(c.findings)} flow group${c.findings === 1 ? '' : 's'} on ${[...c.reasons].join(', ')}${c.findings > c.reasons.size ? ' …' : ''}`);
      parts.push(`${formatCount(c.completed)} of ${formatCount(c.attempts)} attempts completed`);
    } else {
      parts.push(c.attempts === 0 ? 'never attempted' : `${formatCount(c.completed)} of ${formatCount(c.attempts)} attempts completed`);
      if (c.findings > 1) parts.push(`${formatCount(c.findings)} host pairs`);
      else parts.push([...c.reasons][0] ?? '');
    }
    cells.push({ row: c.row, column: c.column, status: c.status, findings: c.findings, attempts: c.attempts, completed: c.completed, title: parts.filter(Boolean).join(' · ') });
  }
  return { rows, columns: orderedColumns, cells };
}

const CELL = 28;
const CHAR_WIDTH = 7;
const MARGIN = 8;

/**
 * Renders the matrix as an SVG string: one `<rect class="cell">` (with a `<title>` tooltip and a
 * status glyph) per cell with data; a short message when there is nothing to draw.
 */
export function renderMatrixSvg(result: Pick<AuditResult, 'findings' | 'unexpected'>, id = 'chart-matrix'): string {
  const model = buildMatrix(result);
  if (model.cells.length === 0) {
    return `${svgOpen(id, 480, 40, 'Status matrix: no findings')}${svgText(MARGIN, 24, 'No findings to chart.', 'class="empty"')}</svg>`;
  }
  const longestRow = Math.max(...model.rows.map((r) => r.length));
  const longestColumn = Math.max(...model.columns.map((c) => c.length));
  const left = MARGIN + longestRow * CHAR_WIDTH + 8;
  // Column labels are rotated by -45°: their height is their length × sin 45°.
  const top = MARGIN + Math.ceil(longestColumn * CHAR_WIDTH * Math.SQRT1_2) + 12;
  const gridWidth = model.columns.length * CELL;
  const gridHeight = model.rows.length * CELL;
  const width = left + gridWidth + Math.ceil(longestColumn * CHAR_WIDTH * Math.SQRT1_2) + MARGIN;
  const height = top + gridHeight + MARGIN;

  const x = scaleBand<string>().domain(model.columns).range([left, left + gridWidth]).paddingInner(0.1);
  const y = scaleBand<string>().domain(model.rows).range([top, top + gridHeight]).paddingInner(0.1);
  const bw = x.bandwidth();
  const bh = y.bandwidth();

  const out: string[] = [svgOpen(id, width, height, `Status matrix: ${model.rows.length} role pairs × ${model.columns.length} rules`)];
  out.push(`<rect class="grid-bg" x="${num(left)}" y="${num(top)}" width="${num(gridWidth)}" height="${num(gridHeight)}" fill="#f4f4f4"/>`);
  out.push('<g class="row-labels">');
  for (const row of model.rows) {
    out.push(svgText(left - 6, (y(row) ?? 0) + bh / 2, row, 'text-anchor="end" dominant-baseline="central"'));
  }
  out.push('</g><g class="column-labels">');
  for (const column of model.columns) {
    const cx = (x(column) ?? 0) + bw / 2;
    out.push(`<text transform="translate(${num(cx)},${num(top - 6)}) rotate(-45)" dominant-baseline="central">${escapeXml(column)}</text>`);
  }
  out.push('</g><g class="cells">');
  for (const cell of model.cells) {
    const style = STATUS_STYLES[cell.status];
    const cx = x(cell.column) ?? 0;
    const cy = y(cell.row) ?? 0;
    out.push(
      `<g class="mark" data-status="${cell.status}">` +
        `<rect class="cell" x="${num(cx)}" y="${num(cy)}" width="${num(bw)}" height="${num(bh)}" rx="2" fill="${style.color}">${svgTitle(cell.title)}</rect>` +
        `<text class="glyph" x="${num(cx + bw / 2)}" y="${num(cy + bh / 2)}" text-anchor="middle" dominant-baseline="central" fill="${style.ink}" pointer-events="none" aria-hidden="true">${escapeXml(style.glyph)}</text>` +
        `</g>`,
    );
  }
  out.push('</g></svg>');
  return out.join('');
}
