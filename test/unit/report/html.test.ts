import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../../src/report/html.js';
import { REPORT_SCRIPT } from '../../../src/report/html-assets.js';
import { buildMatrix } from '../../../src/report/svg/matrix.js';
import { buildSampleAudit } from '../../support/sample-audit.js';

const PAYLOAD = '<script>alert(1)</script>';
const PAYLOAD_ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;';

function count(haystack: string, needle: RegExp): number {
  return (haystack.match(needle) ?? []).length;
}

/** The text between `<section id="id"` and its `</section>`. */
function section(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}"`);
  expect(start, `section ${id}`).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf('</section>', start));
}

describe('renderHtml on the sample audit', () => {
  const result = buildSampleAudit();
  const html = renderHtml(result);

  it('is one self-contained page: no external resource of any kind', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/\ssrc\s*=/i);
    expect(html).not.toMatch(/@import|url\(\s*['"]?https?:/i);
    expect(html).not.toMatch(/<iframe|<object|<embed|<img/i);
    // The only hrefs are in-page anchors (or links already in the data, escaped): nothing loads.
    for (const m of html.matchAll(/href="([^"]*)"/g)) expect(m[1]).toMatch(/^#|^https?:/);
  });

  it('allows only its own script, by hash, in a Content-Security-Policy', () => {
    const hash = createHash('sha256').update(REPORT_SCRIPT).digest('base64');
    const csp = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)">/)?.[1];
    expect(csp).toBeDefined();
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`script-src 'sha256-${hash}'`);
    expect(count(html, /<script\b/gi)).toBe(1);
    // The hash is of the exact text between the tags.
    const body = html.slice(html.indexOf('<script>') + '<script>'.length, html.indexOf('</script>'));
    expect(body).toBe(REPORT_SCRIPT);
  });

  it('opens with the verdict banner, its summary and the counts per status', () => {
    expect(html).toContain('<header class="verdict verdict-fail" role="banner">');
    expect(html).toMatch(/<span class="word">FAIL<\/span>2 required flows blocked, 2 missing/);
    const c = result.verdict.counts;
    expect(html).toContain(`<span class="count" data-status="blocked">${c.blocked}</span>`);
    expect(html).toContain(`<span class="count" data-status="not-applicable">${c['not-applicable']}</span>`);
  });

  it('shows the inputs, the time window, the catalog and the features', () => {
    const inputs = section(html, 'inputs');
    expect(inputs).toContain('2024-05-01T10:00:00.000000Z – 2024-05-01T10:30:00.000000Z (30m 00s)');
    expect(inputs).toContain('<code>capture-aadc01.pcapng</code>');
    expect(inputs).toContain('<strong>no</strong> (see data quality)');
    const catalog = section(html, 'catalog-used');
    expect(catalog).toContain('<code>hybrid-identity</code>');
    expect(catalog).toContain('none (rules with a condition count only when their traffic is seen)');
  });

  it('embeds the three charts, the matrix with one cell per role pair and rule with data', () => {
    const charts = section(html, 'charts');
    expect(charts).toContain('<svg xmlns="http://www.w3.org/2000/svg" id="chart-matrix"');
    expect(charts).toContain('id="chart-timeline"');
    expect(charts).toContain('id="chart-hosts"');
    const pairs = new Set(result.findings.map((f) => `${f.src_role}|${f.dst_role}|${f.protocol} ${f.ports}/${f.transport}`));
    const unexpectedPairs = new Set(result.unexpected.map((u) => `${u.src_roles[0] ?? 'unknown'}|${u.dst_roles[0] ?? 'unknown'}`));
    expect(count(charts, /<rect class="cell"/g)).toBe(pairs.size + unexpectedPairs.size);
    expect(buildMatrix(result).cells).toHaveLength(pairs.size + unexpectedPairs.size);
    expect(count(charts, /class="legend"/g)).toBe(3);
  });

  it('lists the blocked and missing flows first, with their display filters and copy buttons', () => {
    const action = section(html, 'action');
    const rows = action.split('<tr>').slice(2); // header row, then one per finding
    const bad = result.findings.filter((f) => ['blocked', 'missing', 'partial'].includes(f.status));
    expect(rows).toHaveLength(bad.length);
    expect(rows[0]).toContain('status-blocked');
    expect(rows[1]).toContain('status-blocked');
    expect(rows[2]).toContain('status-partial');
    expect(rows[rows.length - 1]).toContain('status-missing');
    expect(action).toContain('<code id="df-');
    expect(action).toContain('ip.addr==10.0.0.20 &amp;&amp; ip.addr==10.0.0.11 &amp;&amp; (tcp.port==389 || udp.port==389)');
    // Copy buttons are hidden in the markup: with scripts off they do not show.
    expect(count(action, /<button type="button" class="copy" data-copy="df-\d+" hidden>/g)).toBe(bad.length);
  });

  it('shows each host with its roles, source, confidence and why', () => {
    const hosts = section(html, 'hosts');
    for (const h of result.hosts) expect(hosts).toContain(`<span class="mono">${h.address}</span>`);
    expect(hosts).toContain('<strong>dc</strong> · inferred · high — answers Kerberos 88 (12 flows) and LDAP 389 (40 flows)');
    expect(hosts).toContain('<strong>azure-ad</strong> · dns · high');
  });

  it('has one findings table per role pair with every finding, evidence and reason', () => {
    const findings = section(html, 'findings');
    const pairs = new Set(result.findings.map((f) => `${f.src_role} → ${f.dst_role}`));
    expect(count(findings, /<h3 /g)).toBe(pairs.size);
    expect(count(findings, /<table /g)).toBe(pairs.size);
    expect(count(findings, /<tr>/g)).toBe(result.findings.length + pairs.size);
    expect(findings).toContain('<h3 id="pair-connect-dc">connect → dc');
    expect(findings).toContain('<code>capture-aadc01.pcapng frame ');
    expect(findings).toMatch(/ S0 · <span title="2024-05-01T10:\d\d:\d\d\.\d{6}Z">10:\d\d:\d\d\.\d{3}<\/span> · \d+ → 389\/tcp/);
    expect(findings).toContain('<ul class="hints"><li>a capture on 10.0.0.20 cannot see what its own firewall drops before the capture point</li></ul>');
    expect(findings).toContain('no crl host known');
  });

  it('shows unexpected traffic, unknown endpoints, DNS failures, data quality and the catalog', () => {
    expect(section(html, 'unexpected')).toContain('3389/tcp');
    expect(section(html, 'unknown')).toContain('93.184.0.2');
    expect(section(html, 'dns')).toContain('<code>crl.microsoft.com</code>');
    const dq = section(html, 'data-quality');
    expect(dq).toContain('<code>dns_malformed</code>');
    expect(dq).toContain('and 37 more (15 more examples in report.json)');
    expect(dq).toContain('<code>input_unknown_format</code>');
    expect(dq).toContain('2 flows folded into the overflow count had no evidence kept');
    const catalog = section(html, 'catalog');
    expect(catalog).toContain('<code>connect-dc-rpc-dynamic</code>');
    expect(catalog).toContain('if ldaps'.slice(3)); // condition column
  });

  it('makes every data table sortable and filterable, with controls hidden until the script runs', () => {
    const tables = count(html, /<table id="tbl-\d+" class="sortable">/g);
    expect(tables).toBeGreaterThan(8);
    expect(count(html, /<input type="search" class="filter" data-table="tbl-\d+"[^>]* hidden>/g)).toBe(tables);
    // Numeric cells carry a sort key.
    expect(html).toMatch(/<td class="num" data-v="\d+">/);
  });

  it('has a print stylesheet that hides controls and keeps rows whole', () => {
    const print = html.slice(html.indexOf('@media print'));
    expect(print).toMatch(/button, input[^{]*\{ display: none !important; \}/);
    expect(print).toContain('break-inside: avoid');
    expect(print).toContain('a[href^="http"]::after');
  });
});

describe('renderHtml escapes everything from the data', () => {
  it(`keeps ${PAYLOAD} in hostnames, SNI, file names, reasons and diagnostics as text`, () => {
    const html = renderHtml(buildSampleAudit({ payload: PAYLOAD }));
    // A parser only opens an element at a literal "<tag": one <script> means only ours.
    expect(count(html, /<script\b/gi)).toBe(1);
    expect(count(html, /<\/script/gi)).toBe(1);
    expect(html).not.toContain(PAYLOAD);
    // Planted in: a DC name, the SNI name (twice in the host table), file names, a reason, diagnostics, DNS.
    expect(count(html, new RegExp(PAYLOAD_ESCAPED.replace(/[()]/g, '\\$&'), 'g'))).toBeGreaterThan(20);
    expect(html).toContain(`dc02.corp.example.com${PAYLOAD_ESCAPED}`);
    expect(html).toContain(`broken${PAYLOAD_ESCAPED}.pcap`);
  });

  it('keeps file names from the data as text in the note on a rotating capture too', () => {
    const result = buildSampleAudit({ payload: PAYLOAD });
    const first = result.inputs[0];
    result.inputs.push({ ...first, file: `ring_2${PAYLOAD}.pcap`, continues: first.file });
    const html = renderHtml(result);
    expect(html).toContain(`<code>ring_2${PAYLOAD_ESCAPED}.pcap</code>: 2 files of one rotating capture`);
    expect(count(html, /<script\b/gi)).toBe(1);
  });

  it('keeps quotes in attribute values from breaking out', () => {
    const attack = `" onmouseover="alert(1)" x="`;
    const result = buildSampleAudit({ payload: attack });
    result.findings[0].display_filter = `ip.addr==10.0.0.20${attack}`;
    const html = renderHtml(result);
    expect(html).not.toContain(attack);
    expect(html).not.toMatch(/["']\s*onmouseover=/i);
    expect(html).toContain('&quot; onmouseover=&quot;alert(1)&quot;');
  });

  it('escapes hostile text inside the SVG titles and labels too', () => {
    const result = buildSampleAudit();
    result.findings[0].protocol = PAYLOAD;
    result.hosts[0].names = [PAYLOAD];
    const html = renderHtml(result);
    expect(count(html, /<script\b/gi)).toBe(1);
    const charts = html.slice(html.indexOf('<section id="charts"'), html.indexOf('<section id="action"'));
    expect(charts).toContain(`<title>connect → dc · ${PAYLOAD_ESCAPED}`);
    expect(charts).toContain(`10.0.0.20 ${PAYLOAD_ESCAPED}`); // host bar label
  });
});

describe('renderHtml edge cases', () => {
  it('renders an audit with no findings and a zero-length window', () => {
    const result = buildSampleAudit();
    result.findings = [];
    result.unexpected = [];
    result.window = { first_ts: result.window.first_ts, last_ts: result.window.first_ts };
    result.verdict = { summary: 'PASS: all 0 required flows seen and completed', status: 'pass', counts: { ok: 0, blocked: 0, partial: 0, missing: 0, 'not-applicable': 0, unexpected: 0 } };
    const html = renderHtml(result);
    expect(html).toContain('verdict-pass');
    expect(html).toContain('No findings to chart.');
    expect(html).toContain('No attempts in the data window to chart.');
    expect(html).toContain('No refused or unanswered attempts.');
    expect(html).toContain('No required flow is blocked, missing or partial.');
    expect(html).toContain('(0ms)');
    expect(html).not.toContain('NaN');
  });

  it('renders an audit with no timed data at all', () => {
    const result = buildSampleAudit();
    result.window = { first_ts: null, last_ts: null };
    result.inputs = [];
    const html = renderHtml(result);
    expect(html).toContain('<dt>Time window</dt><dd>no data</dd>');
    expect(html).not.toContain('NaN');
  });
});

describe('renderHtml caps', () => {
  it('shows the exact total when report.json capped the unexpected list', () => {
    const result = buildSampleAudit();
    result.unexpected_total = 9_999;
    result.unknown_endpoints_total = 12_345;
    const html = renderHtml(result);
    expect(section(html, 'unexpected')).toContain('9,999 host pair/port combinations');
    expect(section(html, 'unexpected')).toContain('Showing the first 2 of 9,999 rows; and 9,997 more — see report.json.');
    expect(section(html, 'unknown')).toContain('and 12,343 more');
  });

  it('spends the finding-row budget on the worst findings first and says how many are not shown', () => {
    const result = buildSampleAudit();
    const html = renderHtml(result, { maxFindingRows: 5, maxEvidencePerFinding: 1 });
    const findings = section(html, 'findings');
    const rows = findings.split('<tr>').slice(1).filter((r) => !r.startsWith('<th'));
    // Two blocked, one partial, two missing: in the dc table and in the azure-ad and crl tables.
    expect(rows).toHaveLength(5);
    expect(rows.filter((r) => r.includes('status-blocked'))).toHaveLength(2);
    expect(rows.filter((r) => r.includes('status-partial'))).toHaveLength(1);
    expect(rows.filter((r) => r.includes('status-missing'))).toHaveLength(2);
    expect(findings).toContain(`Showing the first 3 of 40 rows; and 37 more — see report.json.`);
    expect(findings).toContain(`Showing the first 0 of 2 rows; and 2 more — see report.json.`); // connect → adfs
    expect(findings).toContain('and 4 more in report.json'); // the partial finding's evidence: 1 of 5 shown
  });

  it('gives each DNS failure a display filter', () => {
    expect(section(renderHtml(buildSampleAudit()), 'dns')).toMatch(/<code id="df-\d+" class="display-filter">dns\.qry\.name == &quot;crl\.microsoft\.com&quot;<\/code>/);
  });
});

describe('renderHtml on a big audit', () => {
  it('stays a few MB and keeps the totals when thousands of rows are capped', () => {
    const result = buildSampleAudit({ dcs: 600, unexpected: 5012, unknownEndpoints: 3000, flows: 100_000 });
    expect(result.findings.length).toBeGreaterThan(6000);
    const html = renderHtml(result);
    const bytes = Buffer.byteLength(html);
    expect(bytes).toBeLessThan(6 * 1024 * 1024);
    expect(html).toContain('Showing the first 500 of 5,012 rows; and 4,512 more — see report.json.');
    expect(html).toContain(`Unexpected traffic (5,012)`);
    expect(html).toContain(`Findings connect → dc (6,000)`);
    expect(html).toContain('100,000 flows');
    expect(html).toContain(`<span class="count" data-status="ok">${result.verdict.counts.ok.toLocaleString('en-US')}</span>`);
    // Rows per table and finding rows overall are capped.
    expect(count(html, /<tr>/g)).toBeLessThan(2000 + 500 * 6 + 200);
    // Charts stay bounded: one matrix cell per role pair and rule, host bars capped.
    expect(count(html, /<rect class="cell"/g)).toBe(buildMatrix(result).cells.length);
    expect(count(html, /<rect class="bar-refused"/g)).toBe(25);
  });
});
