/**
 * Escaping for everything that comes from the data (hostnames, SNI, file names, reasons, log rule
 * names): a capture can carry `<script>`, a `|`, a backtick or a newline in any of them. Each helper
 * makes untrusted text inert in one output language; renderers call them on every data value.
 */

/**
 * Control characters, and the Unicode bidirectional controls that can make text display in a
 * different order than it reads ("Trojan Source", CVE-2021-42574).
 */
// eslint-disable-next-line no-control-regex
const UNSAFE_CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const LINE_BREAKS = /\r\n|[\r\n\t\u2028\u2029]/g;

/** Replaces line breaks and tabs with a space and other control characters with U+FFFD. */
export function toSingleLine(text: string): string {
  return text.replace(LINE_BREAKS, ' ').replace(UNSAFE_CONTROLS, '\uFFFD');
}

/** HTML text and attribute values (quoted with `"` or `'`): `& < > " '` become entities. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]);
}

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Inline Markdown text (CommonMark / GitHub Flavored Markdown), safe inside paragraphs, list items,
 * headings and table cells:
 * - one line (line breaks and tabs become spaces, other controls U+FFFD), so data cannot start a
 *   block (heading, list, fence, table row);
 * - `& < >` become entities, so `<script>` is text and no raw HTML reaches the renderer;
 * - emphasis, link, code and table punctuation is backslash-escaped (`\ * _ [ ] ` | ~`; with `[`
 *   escaped no link or image can form, so `(`, `)` and `!` stay readable);
 * - a leading `#`, list marker (`- `, `+ `, `1. `) or `===` is escaped as well, in case a caller puts the
 *   text first on a line.
 */
export function escapeMarkdown(text: string): string {
  let s = toSingleLine(text);
  s = s.replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`);
  s = s.replace(/[&<>]/g, (c) => HTML_ENTITIES[c]);
  // Block starts only count at the start of a line and (lists, headings) before a space: `-1` or
  // `10.0.0.1` stay as they are.
  s = s.replace(/^(#|[+\-](?=\s|$)|=+$)/, '\\$1').replace(/^(\d{1,9})([.)])(?=\s|$)/, '$1\\$2');
  return s;
}

/**
 * A Markdown code span that shows `text` exactly (display filters, names). The fence is one backtick
 * longer than the longest backtick run inside (CommonMark 6.1), padded with spaces when the text
 * starts or ends with a backtick or a space. Inside a GFM table cell, `|` must be escaped even in a
 * code span (the table splits cells first): pass `inTable`. HTML is never interpreted in a code span,
 * so no entities are needed (they would show literally).
 */
export function markdownCode(text: string, inTable = false): string {
  let s = toSingleLine(text);
  if (inTable) s = s.replace(/\|/g, '\\|');
  if (s === '') return '';
  let longest = 0;
  for (const m of s.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  const fence = '`'.repeat(longest + 1);
  const pad = s.startsWith('`') || s.endsWith('`') || (s.startsWith(' ') && s.endsWith(' ')) ? ' ' : '';
  return `${fence}${pad}${s}${pad}${fence}`;
}

/** Characters that make a spreadsheet treat a cell as a formula (OWASP "CSV Injection"), plus tab and CR. */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One RFC 4180 CSV field. Strings are always quoted (embedded `"` doubled) and, when they start with
 * `= + - @`, tab or CR, neutralised with a leading apostrophe so Excel and LibreOffice show them as
 * text instead of evaluating them (OWASP CSV Injection guidance). Numbers are written bare; null and
 * undefined are empty fields.
 */
export function escapeCsv(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const neutral = FORMULA_START.test(value) ? `'${value}` : value;
  return `"${neutral.replace(/"/g, '""')}"`;
}
