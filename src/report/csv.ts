/**
 * report.csv: one row per finding, for spreadsheets and ticket attachments.
 *
 * Format (documented in docs/report-json.md, "report.csv"): RFC 4180 with CRLF line ends, every text
 * field quoted, a UTF-8 byte order mark first (without it Excel reads UTF-8 as the ANSI code page and
 * garbles `×` and `→`), and text cells that start with `= + - @`, tab or CR prefixed with `'` so a
 * spreadsheet never evaluates data as a formula (OWASP CSV Injection).
 */
import type { AuditResult, Finding } from '../audit/types.js';
import { escapeCsv } from './escape.js';
import { formatConnStates, formatEvidenceToken, formatTime } from './format.js';

/** Columns in order; the header row uses these names. */
export const CSV_COLUMNS = [
  'rule_id',
  'table',
  'protocol',
  'transport',
  'ports',
  'src_role',
  'src',
  'dst_role',
  'dst',
  'status',
  'required',
  'condition',
  'reason',
  'attempts',
  'completed',
  'refused',
  'unanswered',
  'conn_states',
  'first_ts',
  'last_ts',
  'display_filter',
  'evidence',
  'hints',
  'answers',
] as const;

const BOM = '\uFEFF';
const CRLF = '\r\n';

function row(f: Finding): (string | number | boolean | null)[] {
  return [
    f.rule_id,
    f.table,
    f.protocol,
    f.transport,
    f.ports,
    f.src_role,
    f.src,
    f.dst_role,
    f.dst,
    f.status,
    f.required,
    f.condition ?? null,
    f.reason,
    f.attempts,
    f.completed,
    f.refused,
    f.unanswered,
    formatConnStates(f.conn_states),
    f.first_ts === null ? null : formatTime(f.first_ts),
    f.last_ts === null ? null : formatTime(f.last_ts),
    f.display_filter,
    f.evidence.map(formatEvidenceToken).join('; '),
    f.hints.join('; '),
    (f.answers ?? []).map((a) => `${a.detail} (${a.file} frame ${a.frame})`).join('; '),
  ];
}

/** Renders all findings as CSV (BOM, header row, CRLF after every row). */
export function renderCsv(r: AuditResult): string {
  const lines = [CSV_COLUMNS.map((c) => escapeCsv(c)).join(',')];
  for (const f of r.findings) lines.push(row(f).map(escapeCsv).join(','));
  return BOM + lines.join(CRLF) + CRLF;
}
