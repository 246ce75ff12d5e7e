/**
 * Small text helpers for the `catalog` and `roles` commands' output. Cells may hold untrusted text
 * (hostnames from DNS answers and SNI, a user's catalog): terminal output loses control characters,
 * Markdown output escapes everything that could change the table or inject markup.
 */

/** Replaces control characters (ESC sequences, newlines, tabs, DEL, C1) with a space-safe `?`/space. */
export function sanitizeTerminal(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\r\n\t]+/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '?');
}

/**
 * Escapes text for one GitHub-flavoured Markdown table cell: backslash-escapes `|` (which would
 * split the cell) and the characters that start emphasis, code, links, HTML or autolinks
 * (`\ \` * _ [ ] < > ~ # !`), and folds line breaks into spaces.
 */
export function escapeMarkdownCell(text: string): string {
  return sanitizeTerminal(text).replace(/[\\`*_[\]<>|~#!]/g, (c) => `\\${c}`);
}

/** Pads and joins rows into aligned columns (the last column is not padded). */
export function formatColumns(rows: string[][], gap = '  '): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i] - [...cell].length)))
        .join(gap)
        .trimEnd(),
    )
    .join('\n');
}

/** A Markdown table from a header and rows; cells are escaped here. */
export function formatMarkdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(escapeMarkdownCell).join(' | ')} |`;
  return [line(header), `|${header.map(() => ' --- ').join('|')}|`, ...rows.map(line)].join('\n');
}

/** First line of a `yaml` error message, without the position it already appends (we print our own). */
export function yamlErrorText(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}
