/**
 * Tiny helpers for building SVG as strings on the server (no DOM: see STYLE.md, `report/` only
 * formats). Everything that comes from the data goes through {@link escapeXml}.
 */

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes text for SVG/XML element content and attribute values (either quote style).
 * C0 control characters other than tab, newline and carriage return are not allowed in XML 1.0
 * (section 2.2, `Char`) and are replaced by U+FFFD so a hostile hostname cannot break the document.
 */
export function escapeXml(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[&<>"']|[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, (c) => XML_ESCAPES[c] ?? '\uFFFD');
}

/** Rounds a coordinate to one decimal: keeps the SVG small and its text stable across platforms. */
export function num(value: number): string {
  if (!Number.isFinite(value)) return '0';
  const r = Math.round(value * 10) / 10;
  return Object.is(r, -0) ? '0' : String(r);
}

/** `<title>` child giving a mark its tooltip (and its accessible name). */
export function svgTitle(text: string): string {
  return `<title>${escapeXml(text)}</title>`;
}

/** An SVG `<text>` element; `attrs` are trusted literals built by the caller, `text` is escaped. */
export function svgText(x: number, y: number, text: string, attrs = ''): string {
  return `<text x="${num(x)}" y="${num(y)}"${attrs ? ' ' + attrs : ''}>${escapeXml(text)}</text>`;
}

/**
 * Opening `<svg>` tag for a chart: a viewBox so it scales to the page width (and to the printed
 * page), `role="img"` and an accessible label.
 */
export function svgOpen(id: string, width: number, height: number, label: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" id="${escapeXml(id)}" class="chart" viewBox="0 0 ${num(width)} ${num(height)}" ` +
    `width="${num(width)}" height="${num(height)}" role="img" aria-label="${escapeXml(label)}">`
  );
}
