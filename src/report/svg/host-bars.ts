/**
 * Per-host horizontal bars of failed attempts: refused (hatched) and unanswered (dotted), counted
 * over the findings and the unexpected traffic each host takes part in (as either side). SVG
 * string with d3-scale, no DOM.
 */
import { scaleBand, scaleLinear } from 'd3-scale';
import type { AuditResult } from '../../audit/types.js';
import { hatchDefs } from './palette.js';
import { formatCount } from '../../common/count.js';
import { escapeXml, num, svgOpen, svgText, svgTitle } from './xml.js';

/** Bars drawn at most; the hosts with the most failed attempts win. */
export const MAX_HOST_BARS = 25;

export interface HostBar {
  address: string;
  label: string;
  refused: number;
  unanswered: number;
}

export interface HostBarsModel {
  bars: HostBar[];
  /** Hosts with failures that did not fit under {@link MAX_HOST_BARS}. */
  omitted: number;
}

/** Sums refused and unanswered attempts per host; hosts without failures are left out. */
export function buildHostBars(result: Pick<AuditResult, 'findings' | 'unexpected' | 'hosts'>): HostBarsModel {
  const totals = new Map<string, { refused: number; unanswered: number }>();
  const add = (address: string | null, refused: number, unanswered: number) => {
    if (address === null || refused + unanswered === 0) return;
    const t = totals.get(address) ?? { refused: 0, unanswered: 0 };
    t.refused += refused;
    t.unanswered += unanswered;
    totals.set(address, t);
  };
  for (const f of result.findings) {
    add(f.src, f.refused, f.unanswered);
    if (f.dst !== f.src) add(f.dst, f.refused, f.unanswered);
  }
  for (const u of result.unexpected) {
    add(u.src, u.refused, u.unanswered);
    if (u.dst !== u.src) add(u.dst, u.refused, u.unanswered);
  }
  const hostInfo = new Map(result.hosts.map((h) => [h.address, h]));
  const all: HostBar[] = [...totals].map(([address, t]) => {
    const h = hostInfo.get(address);
    // A host known by name only (through a proxy, from a firewall log) has its name as its address.
    const name = h?.names.find((n) => n !== address);
    const roles = h?.roles.map((r) => r.role) ?? [];
    const label = `${address}${name ? ` ${name}` : ''}${roles.length ? ` [${[...new Set(roles)].join(', ')}]` : ''}`;
    return { address, label: label.length > 60 ? label.slice(0, 59) + '…' : label, refused: t.refused, unanswered: t.unanswered };
  });
  all.sort((a, b) => b.refused + b.unanswered - (a.refused + a.unanswered) || a.address.localeCompare(b.address));
  return { bars: all.slice(0, MAX_HOST_BARS), omitted: Math.max(0, all.length - MAX_HOST_BARS) };
}

const BAR = 22;
const LEFT_MIN = 160;
const CHAR_WIDTH = 6.6;
const PLOT_WIDTH = 480;
const RIGHT = 190; // room for "12,345 refused · 12,345 unanswered"
const TOP = 6;
const AXIS = 40;

/**
 * Renders the bars as an SVG string: per host one `<rect class="bar-refused">` and one
 * `<rect class="bar-unanswered">` (either may be zero-width), each with a `<title>`; a message
 * instead when no attempt failed.
 */
export function renderHostBarsSvg(result: Pick<AuditResult, 'findings' | 'unexpected' | 'hosts'>, id = 'chart-hosts'): string {
  const model = buildHostBars(result);
  if (model.bars.length === 0) {
    return `${svgOpen(id, 480, 40, 'Failed attempts per host: none')}${svgText(8, 24, 'No refused or unanswered attempts.', 'class="empty"')}</svg>`;
  }
  const left = Math.max(LEFT_MIN, Math.max(...model.bars.map((b) => b.label.length)) * CHAR_WIDTH + 16);
  const width = left + PLOT_WIDTH + RIGHT;
  const plotHeight = model.bars.length * BAR;
  const height = TOP + plotHeight + AXIS;
  const y = scaleBand<string>().domain(model.bars.map((b) => b.address)).range([TOP, TOP + plotHeight]).paddingInner(0.2);
  const peak = Math.max(...model.bars.map((b) => b.refused + b.unanswered));
  const x = scaleLinear().domain([0, peak]).nice(5).range([left, left + PLOT_WIDTH]);
  const hatch = hatchDefs(id);
  const out: string[] = [svgOpen(id, width, height, `Failed attempts per host, ${model.bars.length} hosts`), hatch.defs];

  const ticks = x.ticks(5);
  const fmt = x.tickFormat(5, ',d');
  out.push('<g class="grid">');
  for (const t of ticks) out.push(`<line x1="${num(x(t))}" x2="${num(x(t))}" y1="${TOP}" y2="${num(TOP + plotHeight)}" stroke="#ddd"/>`);
  out.push('</g>');
  for (const bar of model.bars) {
    const by = y(bar.address) ?? 0;
    const bh = y.bandwidth();
    const x0 = x(0);
    const x1 = x(bar.refused);
    const x2 = x(bar.refused + bar.unanswered);
    out.push(`<g class="host-bar" data-address="${escapeXml(bar.address)}">`);
    out.push(svgText(left - 8, by + bh / 2, bar.label, 'text-anchor="end" dominant-baseline="central"'));
    out.push(
      `<rect class="bar-refused" x="${num(x0)}" y="${num(by)}" width="${num(x1 - x0)}" height="${num(bh)}" fill="url(#${hatch.refused})" stroke="#333" stroke-width="0.4">` +
        svgTitle(`${bar.label}: ${formatCount(bar.refused)} refused attempts (reset, ICMP error or firewall deny)`) +
        `</rect>`,
    );
    out.push(
      `<rect class="bar-unanswered" x="${num(x1)}" y="${num(by)}" width="${num(x2 - x1)}" height="${num(bh)}" fill="url(#${hatch.unanswered})" stroke="#333" stroke-width="0.4">` +
        svgTitle(`${bar.label}: ${formatCount(bar.unanswered)} unanswered attempts (no reply at all)`) +
        `</rect>`,
    );
    out.push(svgText(x2 + 6, by + bh / 2, `${formatCount(bar.refused)} refused · ${formatCount(bar.unanswered)} unanswered`, 'dominant-baseline="central" class="row-total"'));
    out.push('</g>');
  }
  const axisY = TOP + plotHeight + 4;
  out.push(`<g class="axis"><line x1="${num(left)}" x2="${num(left + PLOT_WIDTH)}" y1="${num(axisY)}" y2="${num(axisY)}" stroke="#333"/>`);
  for (const t of ticks) {
    out.push(`<line x1="${num(x(t))}" x2="${num(x(t))}" y1="${num(axisY)}" y2="${num(axisY + 5)}" stroke="#333"/>`);
    out.push(svgText(x(t), axisY + 17, fmt(t), 'text-anchor="middle"'));
  }
  out.push(svgText(left, axisY + 32, 'failed attempts involving the host (as either side)', 'class="axis-note"'));
  if (model.omitted > 0) {
    out.push(svgText(left + PLOT_WIDTH, axisY + 32, `and ${formatCount(model.omitted)} more hosts not drawn`, 'text-anchor="end" class="axis-note"'));
  }
  out.push('</g></svg>');
  return out.join('');
}
