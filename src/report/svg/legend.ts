/**
 * Legends for the charts, as small SVGs: a swatch with its glyph or hatch (the non-colour cue) and
 * the word, so a greyscale print still tells the statuses apart.
 */
import type { FindingStatus } from '../../audit/types.js';
import { OUTCOME_COLORS, STATUS_SEVERITY, STATUS_STYLES, hatchDefs } from './palette.js';
import { escapeXml, num, svgTitle } from './xml.js';

const SWATCH = 16;
const GAP = 6;
const CHAR_WIDTH = 7; // approximate advance of the 12 px sans-serif used for labels

/** Legend of finding statuses (the matrix); `statuses` defaults to all, worst first. */
export function renderStatusLegend(statuses: readonly FindingStatus[] = STATUS_SEVERITY): string {
  const items = statuses.map((s) => {
    const style = STATUS_STYLES[s];
    return {
      label: style.label,
      title: `${style.label}: ${style.meaning}`,
      swatch:
        `<rect width="${SWATCH}" height="${SWATCH}" rx="2" fill="${style.color}" stroke="#333" stroke-width="0.5"/>` +
        `<text x="${SWATCH / 2}" y="${SWATCH / 2}" text-anchor="middle" dominant-baseline="central" class="glyph" fill="${style.ink}">${escapeXml(style.glyph)}</text>`,
    };
  });
  return layoutLegend('legend-status', 'Legend: finding status', '', items);
}

/** Legend of attempt outcomes (timeline and host bars): completed, refused, unanswered/failed. */
export function renderOutcomeLegend(prefix: string, kinds: readonly ('completed' | 'failed' | 'refused' | 'unanswered')[]): string {
  const hatch = hatchDefs(prefix);
  const fills: Record<string, string> = {
    completed: OUTCOME_COLORS.completed,
    failed: `url(#${hatch.refused})`,
    refused: `url(#${hatch.refused})`,
    unanswered: `url(#${hatch.unanswered})`,
  };
  const words: Record<string, string> = {
    completed: 'completed: the far side answered',
    failed: 'failed: refused or never answered',
    refused: 'refused: reset, ICMP error or firewall deny',
    unanswered: 'unanswered: no reply at all',
  };
  const items = kinds.map((k) => ({
    label: k,
    title: words[k],
    swatch: `<rect width="${SWATCH}" height="${SWATCH}" rx="2" fill="${fills[k]}" stroke="#333" stroke-width="0.5"/>`,
  }));
  return layoutLegend(`${prefix}-legend`, 'Legend: attempt outcome', hatch.defs, items);
}

function layoutLegend(id: string, label: string, defs: string, items: { label: string; title: string; swatch: string }[]): string {
  let x = 0;
  const parts: string[] = [];
  for (const item of items) {
    parts.push(
      `<g class="legend-item" transform="translate(${num(x)},2)">${svgTitle(item.title)}${item.swatch}` +
        `<text x="${SWATCH + GAP}" y="${SWATCH / 2}" dominant-baseline="central">${escapeXml(item.label)}</text></g>`,
    );
    x += SWATCH + GAP + item.label.length * CHAR_WIDTH + 18;
  }
  const width = Math.max(x, 1);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" id="${id}" class="legend" viewBox="0 0 ${num(width)} ${SWATCH + 4}" ` +
    `width="${num(width)}" height="${SWATCH + 4}" role="img" aria-label="${escapeXml(label)}">${defs}${parts.join('')}</svg>`
  );
}
