/**
 * Colours and non-colour cues for finding statuses. The colours are Okabe & Ito's colour-blind-safe
 * set ("Color Universal Design", 2008); each status also has a glyph and (for failures) a hatch
 * pattern, so colour is never the only signal.
 */
import { STATUS_ORDER } from '../../audit/order.js';
import type { FindingStatus } from '../../audit/types.js';

export interface StatusStyle {
  /** Fill colour. */
  color: string;
  /** Text colour that stays readable on {@link color}. */
  ink: string;
  /** Short glyph drawn in matrix cells and badges: the non-colour cue. */
  glyph: string;
  /** Word shown to people. */
  label: string;
  /** Short explanation, used by the legend's tooltips. */
  meaning: string;
}

export const STATUS_STYLES: Record<FindingStatus, StatusStyle> = {
  blocked: { color: '#D55E00', ink: '#000000', glyph: '✕', label: 'blocked', meaning: 'attempted, refused or never answered' },
  missing: { color: '#CC79A7', ink: '#000000', glyph: '∅', label: 'missing', meaning: 'required, hosts present, never attempted' },
  partial: { color: '#E69F00', ink: '#000000', glyph: '◐', label: 'partial', meaning: 'some attempts completed, some failed' },
  unexpected: { color: '#56B4E9', ink: '#000000', glyph: '!', label: 'unexpected', meaning: 'traffic on ports no rule names' },
  ok: { color: '#009E73', ink: '#000000', glyph: '✓', label: 'ok', meaning: 'seen and completed' },
  'not-applicable': { color: '#BBBBBB', ink: '#000000', glyph: '–', label: 'not applicable', meaning: 'condition off or a role absent' },
};

/** Worst first: the order used to pick a cell's colour and to sort findings (the audit's own order). */
export const STATUS_SEVERITY: readonly FindingStatus[] = STATUS_ORDER;

/** 0 for the worst status (blocked), higher for milder ones. */
export function statusRank(status: FindingStatus): number {
  const i = STATUS_SEVERITY.indexOf(status);
  return i < 0 ? STATUS_SEVERITY.length : i;
}

/** The worse of two statuses. */
export function worseStatus(a: FindingStatus, b: FindingStatus): FindingStatus {
  return statusRank(a) <= statusRank(b) ? a : b;
}

/** Colours of the attempt outcomes in the timeline and host bars. */
export const OUTCOME_COLORS = {
  completed: STATUS_STYLES.ok.color,
  failed: STATUS_STYLES.blocked.color,
  refused: STATUS_STYLES.blocked.color,
  unanswered: STATUS_STYLES.partial.color,
} as const;

/**
 * `<defs>` with hatch patterns for failed marks, ids prefixed per chart so several charts can share
 * one page. Returns the defs and the pattern ids (use as `fill="url(#id)"`).
 */
export function hatchDefs(prefix: string): { defs: string; refused: string; unanswered: string } {
  const refused = `${prefix}-hatch-refused`;
  const unanswered = `${prefix}-hatch-unanswered`;
  const pattern = (id: string, color: string, lines: string) =>
    `<pattern id="${id}" width="6" height="6" patternUnits="userSpaceOnUse">` +
    `<rect width="6" height="6" fill="${color}"/>${lines}</pattern>`;
  const defs =
    `<defs>` +
    // refused: diagonal stripes; unanswered: dots. Readable in greyscale print too.
    pattern(refused, OUTCOME_COLORS.refused, `<path d="M0,6L6,0M-1,1L1,-1M5,7L7,5" stroke="#000" stroke-opacity="0.45" stroke-width="1.2"/>`) +
    pattern(unanswered, OUTCOME_COLORS.unanswered, `<circle cx="3" cy="3" r="1.1" fill="#000" fill-opacity="0.5"/>`) +
    `</defs>`;
  return { defs, refused, unanswered };
}
