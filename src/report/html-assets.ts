/**
 * The inline stylesheet and the small inline script of the HTML report, as string constants.
 * The page must open offline (email attachment, ticket system, file share): nothing is fetched.
 * The script only adds behaviour (sorting, filtering, copy buttons); no content depends on it.
 */
import { STATUS_STYLES } from './svg/palette.js';

const S = STATUS_STYLES;

/** Inline CSS: screen layout, status colours (Okabe-Ito) and a print stylesheet. */
export const REPORT_CSS = `
:root { --ink: #1a1a1a; --muted: #555; --line: #d0d0d0; --bg-alt: #f6f6f6; --link: #0b5cad;
  --ok: ${S.ok.color}; --blocked: ${S.blocked.color}; --partial: ${S.partial.color}; --missing: ${S.missing.color};
  --unexpected: ${S.unexpected.color}; --na: ${S['not-applicable'].color}; }
* { box-sizing: border-box; }
html { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #fff; }
body { margin: 0; }
main, .toc, footer { max-width: 1400px; margin: 0 auto; padding: 0 1.25rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .5rem; border-bottom: 2px solid var(--line); padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin: 1.5rem 0 .4rem; }
a { color: var(--link); }
code, .mono { font-family: ui-monospace, "Cascadia Mono", Consolas, "DejaVu Sans Mono", monospace; font-size: .9em; }
code { background: var(--bg-alt); padding: 0 .2em; border-radius: 3px; overflow-wrap: anywhere; }
.verdict { padding: 1rem 1.25rem; border-bottom: 4px solid; }
.verdict-fail { background: #fbe3d6; border-color: var(--blocked); }
.verdict-pass { background: #d9f2ea; border-color: var(--ok); }
.verdict .summary { font-size: 1.2rem; font-weight: 600; margin: .25rem 0 .5rem; }
.verdict .word { display: inline-block; padding: 0 .5em; margin-right: .4em; border-radius: 4px; color: #000; font-weight: 700; }
.verdict-fail .word { background: var(--blocked); }
.verdict-pass .word { background: var(--ok); }
.counts { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: .4rem; }
.badge { display: inline-block; white-space: nowrap; padding: 0 .45em; border-radius: 3px; border: 1px solid rgba(0,0,0,.35); color: #000; font-weight: 600; font-size: .9em; }
.badge .glyph { margin-right: .25em; }
.status-ok { background: var(--ok); }
.status-blocked { background: var(--blocked); }
.status-partial { background: var(--partial); }
.status-missing { background: var(--missing); }
.status-unexpected { background: var(--unexpected); }
.status-not-applicable { background: var(--na); }
.toc { margin-top: .75rem; }
.toc ul { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: .25rem 1rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: .5rem 0; }
dl.facts dt { font-weight: 600; color: var(--muted); }
dl.facts dd { margin: 0; }
figure { margin: 1rem 0 1.5rem; }
figcaption { font-weight: 600; margin-bottom: .35rem; }
figcaption .note { font-weight: 400; color: var(--muted); }
svg.chart { display: block; max-width: 100%; height: auto; font: 12px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
svg.legend { display: block; max-width: 100%; height: auto; margin-top: .35rem; font: 12px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
svg .glyph { font-weight: 700; pointer-events: none; }
svg .row-max, svg .axis-note { fill: var(--muted); font-size: 10px; }
svg .row-total { fill: var(--muted); }
svg rect.cell:hover, svg path:hover, svg rect[class^="bar-"]:hover { stroke: #000; stroke-width: 1.5; }
.table-tools { display: flex; align-items: center; gap: .75rem; margin: .35rem 0; }
.table-tools input { font: inherit; padding: .2rem .4rem; min-width: 18rem; border: 1px solid var(--line); border-radius: 3px; }
.filter-count { color: var(--muted); font-size: .9em; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: .25rem 0 .5rem; }
th, td { border: 1px solid var(--line); padding: .25rem .45rem; text-align: left; vertical-align: top; }
th { background: #ececec; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) { background: var(--bg-alt); }
table.sortable.ready th { cursor: pointer; user-select: none; }
table.sortable.ready th::after { content: " ↕"; color: #999; font-size: .85em; }
table.sortable.ready th[aria-sort="ascending"]::after { content: " ▲"; color: var(--ink); }
table.sortable.ready th[aria-sort="descending"]::after { content: " ▼"; color: var(--ink); }
ul.plain { list-style: none; margin: 0; padding: 0; }
ul.plain li + li { margin-top: .15rem; }
.hints { margin: .25rem 0 0; padding-left: 1.1rem; color: var(--muted); }
.answers { margin: .25rem 0 0; padding-left: 1.1rem; font-weight: 600; }
.answers .muted { font-weight: normal; }
.more { color: var(--muted); font-style: italic; }
.filter-cell { min-width: 16rem; }
.filter-cell code { display: block; }
button.copy { font: inherit; font-size: .8em; margin-top: .2rem; padding: .05rem .45rem; border: 1px solid #888; border-radius: 3px; background: #fff; cursor: pointer; }
button.copy.done { background: var(--ok); }
.muted { color: var(--muted); }
footer { margin: 2rem auto 1rem; color: var(--muted); font-size: .9em; }
[hidden] { display: none !important; }
/* Landscape: the findings tables and the timeline are wide. */
@page { size: A4 landscape; margin: 12mm; }
@media print {
  html { font-size: 10.5pt; }
  .toc, .table-tools, button, input, .no-print { display: none !important; }
  .verdict, .status-ok, .status-blocked, .status-partial, .status-missing, .status-unexpected, .status-not-applicable { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  * { position: static !important; }
  main, footer { max-width: none; padding: 0; }
  .table-wrap { overflow: visible; }
  /* Cells may wrap anywhere so wide tables fit the paper instead of being cut at its edge. */
  table { font-size: 9pt; }
  th, td { overflow-wrap: anywhere; }
  thead { display: table-header-group; }
  tr, td, th, figure, .verdict, dl.facts { break-inside: avoid; page-break-inside: avoid; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  /* Charts wider than the paper scale down to its width; small ones (legends) keep their size. */
  svg.chart, svg.legend { max-width: 100% !important; height: auto !important; }
  svg { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  a[href^="http"]::after { content: " (" attr(href) ")"; font-size: .85em; color: var(--muted); }
  table.sortable.ready th::after { content: none !important; }
}
`;

/**
 * Inline script (vanilla JS, no libraries): sortable tables (click or Enter on a header; numeric
 * cells sort by `data-v`; `aria-sort` tells assistive technology), per-table filter boxes, and copy
 * buttons for display filters (Clipboard API, falling back to selecting the text). Controls that
 * need it carry `hidden` in the markup and are revealed here, so with scripts off they do not show.
 * Its SHA-256 goes into the page's Content-Security-Policy.
 */
export const REPORT_SCRIPT = `(function () {
  'use strict';
  var doc = document;
  function each(sel, fn) { Array.prototype.forEach.call(doc.querySelectorAll(sel), fn); }
  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) return '';
    var v = cell.getAttribute('data-v');
    return v !== null ? v : cell.textContent.trim();
  }
  function compare(a, b) {
    var na = Number(a), nb = Number(b);
    if (a !== '' && b !== '' && isFinite(na) && isFinite(nb)) return na - nb;
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' });
  }
  function headers(table) {
    return table.tHead && table.tHead.rows[0] ? Array.prototype.slice.call(table.tHead.rows[0].cells) : [];
  }
  function sortBy(table, th) {
    var index = th.cellIndex;
    var dir = th.getAttribute('aria-sort') === 'ascending' ? 'descending' : 'ascending';
    headers(table).forEach(function (other) { if (other !== th) other.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', dir);
    var body = table.tBodies[0];
    if (!body) return;
    var rows = Array.prototype.slice.call(body.rows).map(function (row, i) { return { row: row, key: cellValue(row, index), i: i }; });
    rows.sort(function (x, y) { var c = compare(x.key, y.key); if (dir === 'descending') c = -c; return c || x.i - y.i; });
    var frag = doc.createDocumentFragment();
    rows.forEach(function (r) { frag.appendChild(r.row); });
    body.appendChild(frag);
  }
  each('table.sortable', function (table) {
    table.classList.add('ready');
    headers(table).forEach(function (th) {
      th.tabIndex = 0;
      th.setAttribute('title', 'Sort by this column');
      th.addEventListener('click', function () { sortBy(table, th); });
      th.addEventListener('keydown', function (ev) {
        if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); sortBy(table, th); }
      });
    });
  });
  each('input.filter', function (input) {
    var table = doc.getElementById(input.getAttribute('data-table'));
    var count = doc.getElementById(input.getAttribute('data-count'));
    if (!table || !table.tBodies[0]) return;
    input.hidden = false;
    input.addEventListener('input', function () {
      var words = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
      var rows = table.tBodies[0].rows, shown = 0;
      for (var i = 0; i < rows.length; i++) {
        var text = rows[i].textContent.toLowerCase();
        var match = words.every(function (w) { return text.indexOf(w) >= 0; });
        rows[i].hidden = !match;
        if (match) shown++;
      }
      if (count) count.textContent = words.length ? shown + ' of ' + rows.length + ' rows' : '';
    });
  });
  function selectText(el) {
    var range = doc.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }
  function copied(button, text) {
    var old = button.getAttribute('data-label') || button.textContent;
    button.setAttribute('data-label', old);
    button.textContent = text;
    button.classList.add('done');
    setTimeout(function () { button.textContent = old; button.classList.remove('done'); }, 1500);
  }
  each('button.copy', function (button) {
    var target = doc.getElementById(button.getAttribute('data-copy'));
    if (!target) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      var text = target.textContent;
      function fallback() {
        selectText(target);
        var ok = false;
        try { ok = doc.execCommand('copy'); } catch (e) { ok = false; }
        copied(button, ok ? 'Copied' : 'Selected: press Ctrl+C');
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { copied(button, 'Copied'); }, fallback);
      } else {
        fallback();
      }
    });
  });
})();`;
