import type { DiagnosticCode, DiagnosticSink } from '../common/diagnostics.js';
import type { Packet } from './types.js';
import type { Frame } from '../sources/types.js';

/**
 * Marks `pkt` truncated and reports `code` for `frame`: a header that the captured bytes cut short.
 * Only called off the hot path (the detail string is built here, once per damaged frame).
 *
 * @param at byte offset inside the frame where the cut header starts
 * @param need bytes the header needs from `at`; `have` bytes were captured from `at`
 */
export function reportCut(
  code: DiagnosticCode,
  what: string,
  at: number,
  need: number,
  have: number,
  frame: Frame,
  pkt: Packet,
  diag: DiagnosticSink,
): void {
  pkt.truncated = true;
  diag.report(code, frame.origin, `${what} cut short at byte ${at} of the frame: needs ${need} bytes, ${Math.max(0, have)} captured`);
}
