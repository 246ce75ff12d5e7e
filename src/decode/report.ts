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

/**
 * A TCP or UDP header that does not fit: either the IP header declares fewer transport bytes than
 * the header needs, or the capture cut it. Reports which, marks `pkt` truncated, and keeps the
 * ports when the first 4 bytes are there (they still name the flow).
 */
export function reportShortTransportHeader(
  code: 'tcp_truncated' | 'udp_truncated',
  name: 'TCP' | 'UDP',
  minLen: number,
  b: Uint8Array,
  off: number,
  declaredLen: number,
  dataEnd: number,
  pkt: Packet,
  frame: Frame,
  diag: DiagnosticSink,
): void {
  if (declaredLen < minLen && off + declaredLen <= dataEnd) {
    diag.report(code, frame.origin, `IP declares ${declaredLen} ${name} bytes, fewer than a ${name} header`);
    pkt.truncated = true;
  } else {
    reportCut(code, `${name} header`, off, minLen, dataEnd - off, frame, pkt, diag);
  }
  if (off + 4 <= dataEnd) {
    pkt.srcPort = (b[off] << 8) | b[off + 1];
    pkt.dstPort = (b[off + 2] << 8) | b[off + 3];
  }
}
