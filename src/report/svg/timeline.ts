/**
 * Timeline of attempts per rule over the window the data covers: one small stacked-area row per
 * rule, failed (refused or unanswered, hatched) at the base and completed above. Built from each
 * finding's {@link Timeline}, re-bucketed to one common width. SVG string, d3-scale and d3-shape,
 * no DOM.
 */
import { max } from 'd3-array';
import { scaleLinear, scaleUtc } from 'd3-scale';
import { area, curveStepAfter, stack } from 'd3-shape';
import type { AuditResult, Finding } from '../../audit/types.js';
import type { Timeline } from '../../flows/summary-types.js';
import { ruleLabel, rolePairLabel } from './matrix.js';
import { OUTCOME_COLORS, hatchDefs } from './palette.js';
import { formatCount } from '../../common/count.js';
import { escapeXml, num, svgOpen, svgText, svgTitle } from './xml.js';

/** About this many buckets across the chart: enough to see a pattern, few enough to stay small. */
export const TARGET_BUCKETS = 120;
/** Rows drawn at most; the rules with the most failures win when there are more. */
export const MAX_TIMELINE_ROWS = 40;

const ONE_SECOND = 1_000_000;

/** One row of the timeline: all host pairs of one rule, re-bucketed. */
export interface TimelineRow {
  ruleId: string;
  label: string;
  completed: number;
  failed: number;
  /** Dense series, one entry per bucket from the domain start: completed and failed counts. */
  series: { t: number; completed: number; failed: number }[];
}

export interface TimelineModel {
  /** Common bucket width, microseconds. */
  width: number;
  /** Domain, microseconds: [start of first bucket, end of last bucket]. */
  start: number;
  end: number;
  rows: TimelineRow[];
  /** Rules with attempts that did not fit under {@link MAX_TIMELINE_ROWS}. */
  omitted: number;
}

/**
 * Picks the common bucket width: at least every timeline's own width, doubled until the window
 * holds at most `target` buckets. Timeline widths are 1 s × 2^k and buckets start at multiples of
 * their width, so re-bucketing to a wider power of two merges buckets exactly.
 */
export function commonBucketWidth(timelines: readonly Timeline[], spanMicros: number, target = TARGET_BUCKETS): number {
  let width = Math.max(ONE_SECOND, ...timelines.map((t) => (t.width > 0 ? t.width : ONE_SECOND)));
  while (spanMicros / width > target) width *= 2;
  return width;
}

/** Builds the timeline model from findings with timed attempts. */
export function buildTimeline(result: Pick<AuditResult, 'findings' | 'window'>): TimelineModel | null {
  const byRule = new Map<string, { label: string; findings: Finding[] }>();
  let lo = Infinity;
  let hi = -Infinity;
  for (const f of result.findings) {
    if (!f.timeline || f.timeline.buckets.length === 0) continue;
    // A not-applicable finding with traffic defers to the rule that judges the same flows:
    // drawing it too would show that traffic twice.
    if (f.status === 'not-applicable') continue;
    let entry = byRule.get(f.rule_id);
    if (!entry) {
      entry = { label: `${ruleLabel(f)} · ${rolePairLabel(f.src_role, f.dst_role)}`, findings: [] };
      byRule.set(f.rule_id, entry);
    }
    entry.findings.push(f);
    const b = f.timeline.buckets;
    lo = Math.min(lo, b[0][0]);
    hi = Math.max(hi, b[b.length - 1][0] + f.timeline.width);
  }
  if (byRule.size === 0) return null;
  // The data window wins where known: the chart shows the whole span the data covers, not just
  // the busy part, so "never attempted after 10:05" is visible.
  if (result.window.first_ts !== null) lo = Math.min(lo, result.window.first_ts);
  if (result.window.last_ts !== null) hi = Math.max(hi, result.window.last_ts);
  const timelines = [...byRule.values()].flatMap((e) => e.findings.map((f) => f.timeline));
  const width = commonBucketWidth(timelines, Math.max(hi - lo, 0));
  const start = Math.floor(lo / width) * width;
  let end = Math.ceil(hi / width) * width;
  if (end <= start) end = start + width; // zero-length window: one bucket
  const n = Math.round((end - start) / width);

  const rows: TimelineRow[] = [];
  for (const [ruleId, entry] of byRule) {
    const completed = new Float64Array(n);
    const failed = new Float64Array(n);
    for (const f of entry.findings) {
      for (const [t, c, x] of f.timeline.buckets) {
        const i = Math.min(n - 1, Math.max(0, Math.floor((t - start) / width)));
        completed[i] += c;
        failed[i] += x;
      }
    }
    const series = Array.from({ length: n }, (_, i) => ({ t: start + i * width, completed: completed[i], failed: failed[i] }));
    rows.push({
      ruleId,
      label: entry.label,
      completed: completed.reduce((a, b) => a + b, 0),
      failed: failed.reduce((a, b) => a + b, 0),
      series,
    });
  }
  let kept = rows;
  if (rows.length > MAX_TIMELINE_ROWS) {
    const keep = new Set([...rows].sort((a, b) => b.failed - a.failed || b.completed - a.completed).slice(0, MAX_TIMELINE_ROWS));
    kept = rows.filter((r) => keep.has(r));
  }
  return { width, start, end, rows: kept, omitted: rows.length - kept.length };
}

const ROW_HEIGHT = 34;
const BAND = 26;
const LEFT = 300;
const PLOT_WIDTH = 560;
const RIGHT = 170;
const TOP = 8;
const AXIS = 36;

/** Human bucket width: `1 s`, `4 min`, `2 h`. */
export function formatWidth(micros: number): string {
  const s = micros / ONE_SECOND;
  if (s < 120) return `${num(s)} s`;
  if (s < 7200) return `${num(s / 60)} min`;
  if (s < 172800) return `${num(s / 3600)} h`;
  return `${num(s / 86400)} d`;
}

function isoMinute(micros: number): string {
  return new Date(Math.floor(micros / 1000)).toISOString().replace('T', ' ').slice(0, 19) + 'Z';
}

/**
 * Renders the timeline as an SVG string: per rule, one `<path class="area-failed">` and one
 * `<path class="area-completed">` (each with a `<title>`), a UTC time axis (scaleUtc ticks), and
 * a message instead when no finding has timed attempts.
 */
export function renderTimelineSvg(result: Pick<AuditResult, 'findings' | 'window'>, id = 'chart-timeline'): string {
  const model = buildTimeline(result);
  if (!model || model.rows.length === 0) {
    return `${svgOpen(id, 480, 40, 'Timeline: no attempts')}${svgText(8, 24, 'No attempts in the data window to chart.', 'class="empty"')}</svg>`;
  }
  const width = LEFT + PLOT_WIDTH + RIGHT;
  const height = TOP + model.rows.length * ROW_HEIGHT + AXIS;
  const x = scaleUtc().domain([new Date(model.start / 1000), new Date(model.end / 1000)]).range([LEFT, LEFT + PLOT_WIDTH]);
  const xOf = (t: number) => x(new Date(t / 1000));
  const hatch = hatchDefs(id);
  const stacker = stack<{ t: number; completed: number; failed: number }, 'failed' | 'completed'>().keys(['failed', 'completed']);

  const out: string[] = [
    svgOpen(id, width, height, `Timeline of attempts per rule, ${formatWidth(model.width)} buckets`),
    hatch.defs,
  ];
  model.rows.forEach((row, i) => {
    const y0 = TOP + i * ROW_HEIGHT;
    const base = y0 + BAND;
    const peak = max(row.series, (d) => d.completed + d.failed) ?? 0;
    const y = scaleLinear().domain([0, Math.max(peak, 1)]).range([base, y0 + 2]);
    // curveStepAfter holds each value until the next point, so a point that repeats the previous
    // values draws nothing new: drop it (keeps the path small on a long, quiet window). The last
    // point closes the final step at the domain end.
    const points = row.series.filter((d, j, all) => j === 0 || d.completed !== all[j - 1].completed || d.failed !== all[j - 1].failed);
    points.push({ t: model.end, completed: 0, failed: 0 });
    const layers = stacker(points);
    const shape = area<[number, number] & { data: { t: number } }>()
      .x((d) => xOf(d.data.t))
      .y0((d) => y(d[0]))
      .y1((d) => y(d[1]))
      .curve(curveStepAfter)
      .digits(1);
    const span = `${isoMinute(model.start)} – ${isoMinute(model.end)}`;
    out.push(`<g class="timeline-row" data-rule="${escapeXml(row.ruleId)}">`);
    out.push(`<line x1="${LEFT}" x2="${LEFT + PLOT_WIDTH}" y1="${num(base)}" y2="${num(base)}" stroke="#999" stroke-width="0.5"/>`);
    out.push(svgText(LEFT - 8, y0 + BAND / 2, row.label, 'text-anchor="end" dominant-baseline="central"'));
    for (const layer of layers) {
      const failedLayer = layer.key === 'failed';
      const total = failedLayer ? row.failed : row.completed;
      const d = shape(layer as never) ?? '';
      const what = failedLayer ? 'failed (refused or unanswered)' : 'completed';
      out.push(
        `<path class="area-${layer.key}" d="${d}" fill="${failedLayer ? `url(#${hatch.refused})` : OUTCOME_COLORS.completed}" stroke="${failedLayer ? OUTCOME_COLORS.failed : '#006b4e'}" stroke-width="0.6">` +
          svgTitle(`${row.label}: ${formatCount(total)} ${what} attempts, ${span}; peak ${formatCount(peak)} per ${formatWidth(model.width)}`) +
          `</path>`,
      );
    }
    out.push(
      svgText(LEFT + PLOT_WIDTH + 8, y0 + BAND / 2 - 6, `${formatCount(row.completed)} ok · ${formatCount(row.failed)} failed`, 'dominant-baseline="central" class="row-total"'),
    );
    out.push(svgText(LEFT + PLOT_WIDTH + 8, y0 + BAND / 2 + 8, `peak ${formatCount(peak)} per ${formatWidth(model.width)}`, 'dominant-baseline="central" class="row-max"'));
    out.push('</g>');
  });
  const axisY = TOP + model.rows.length * ROW_HEIGHT + 4;
  const ticks = x.ticks(6);
  const fmt = x.tickFormat(6);
  out.push(`<g class="axis"><line x1="${LEFT}" x2="${LEFT + PLOT_WIDTH}" y1="${num(axisY)}" y2="${num(axisY)}" stroke="#333"/>`);
  for (const t of ticks) {
    const tx = x(t);
    out.push(`<line x1="${num(tx)}" x2="${num(tx)}" y1="${num(axisY)}" y2="${num(axisY + 5)}" stroke="#333"/>`);
    out.push(svgText(tx, axisY + 17, fmt(t), 'text-anchor="middle"'));
  }
  out.push(svgText(LEFT, axisY + 31, `UTC, ${formatWidth(model.width)} per bucket, ${isoMinute(model.start)} – ${isoMinute(model.end)}`, 'class="axis-note"'));
  if (model.omitted > 0) {
    out.push(svgText(LEFT + PLOT_WIDTH, axisY + 31, `and ${formatCount(model.omitted)} more rules (fewest failures) not drawn`, 'text-anchor="end" class="axis-note"'));
  }
  out.push('</g></svg>');
  return out.join('');
}
