/**
 * A readable fixed-width table of flows for a terminal, streamed row by row (widths are fixed up
 * front, so no buffering): time (UTC), proto, orig → resp, conn_state, packets and bytes (orig/resp),
 * outcome and reason. Values wider than their column are not cut; the row just runs longer.
 *
 * Text from the data is untrusted: control characters (which could drive the terminal) are replaced.
 */

import { formatIsoMicros } from '../common/time.js';
import type { Flow, Outcome } from './types.js';

export interface TableFormatOptions {
  /** Colour the outcome with ANSI escapes (only when writing to a TTY). */
  color?: boolean;
}

const COLUMNS: { title: string; width: number }[] = [
  { title: 'TIME (UTC)', width: 23 },
  { title: 'PROTO', width: 5 },
  { title: 'ORIGINATOR', width: 21 },
  { title: '', width: 1 },
  { title: 'RESPONDER', width: 21 },
  { title: 'STATE', width: 6 },
  { title: 'PKTS o/r', width: 11 },
  { title: 'BYTES o/r', width: 17 },
  { title: 'OUTCOME', width: 10 },
  { title: 'REASON', width: 0 },
];

const OUTCOME_COLOR: Record<Outcome, string> = {
  completed: '\x1b[32m',
  refused: '\x1b[31m',
  unanswered: '\x1b[33m',
  unknown: '\x1b[2m',
};
const RESET = '\x1b[0m';

/** Replaces C0/C1 control characters and DEL, so data cannot inject terminal escapes. */
export function sanitizeForTerminal(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

function endpoint(addr: string, port: number, proto: string): string {
  const host = addr.includes(':') ? `[${addr}]` : addr;
  return proto === 'icmp' ? host : `${host}:${port}`;
}

function cells(values: string[]): string {
  return values
    .map((v, i) => (COLUMNS[i].width > 0 ? v.padEnd(COLUMNS[i].width) : v))
    .join(' ')
    .trimEnd();
}

/** The header line (with its newline). */
export function formatTableHeader(): string {
  return `${cells(COLUMNS.map((c) => c.title))}\n`;
}

/** One row for a flow (with its newline). */
export function formatTableRow(flow: Flow, opts: TableFormatOptions = {}): string {
  const iso = formatIsoMicros(flow.ts); // 2024-05-01T10:00:00.123456Z
  const time = `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
  const outcome = opts.color ? `${OUTCOME_COLOR[flow.outcome]}${flow.outcome.padEnd(10)}${RESET}` : flow.outcome;
  const values = [
    time,
    flow.proto,
    sanitizeForTerminal(endpoint(flow.origH, flow.origP, flow.proto)),
    '→',
    sanitizeForTerminal(endpoint(flow.respH, flow.respP, flow.proto)),
    flow.connState,
    `${flow.origPkts}/${flow.respPkts}`,
    `${flow.origBytes}/${flow.respBytes}`,
    outcome,
    sanitizeForTerminal(flow.reason),
  ];
  return `${cells(values)}\n`;
}
