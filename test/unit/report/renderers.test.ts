import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import type { AuditResult } from '../../../src/audit/types.js';
import { CSV_COLUMNS, renderCsv } from '../../../src/report/csv.js';
import { renderJson } from '../../../src/report/json.js';
import { renderMarkdown } from '../../../src/report/markdown.js';
import { auditResult, CONNECT, DC1, DC2, finding, T0 } from '../../support/audit-fixtures.js';

const SCRIPT = '<script>alert(1)</script>';
const PIPE_HOST = 'evil|host`name`.contoso.local';

/** A result whose every data field tries to break out of its report. */
function hostileResult(): AuditResult {
  const base = auditResult();
  return auditResult({
    // The second file continues the first (a rotating capture): its note names both.
    inputs: [{ ...base.inputs[0], file: 'cap|ture`.pcapng' }, { ...base.inputs[0], file: `${SCRIPT}_2|.pcapng`, continues: 'cap|ture`.pcapng', captured_on: ['10.0.0.20'] }],
    hosts: [
      {
        address: DC1,
        names: [PIPE_HOST, SCRIPT],
        roles: [{ role: 'dc', source: 'sni', confidence: 'low', why: `SNI ${SCRIPT} seen\n# pwned` }],
        role_source: 'sni',
      },
    ],
    findings: [
      finding({
        reason: `denied by flow-log rule Deny|All\`<img src=x onerror=alert(1)>\n## injected heading`,
        evidence: [{ ...finding().evidence[0], file: '=HYPERLINK("http://x")|.pcap' }],
        answers: [{ code: 'ldap_bind_error', detail: `=1+1 the DC refused a bind: ${SCRIPT}|x`, file: 'c|ap.pcap', frame: 3 }],
      }),
      finding({
        rule_id: "=cmd|' /C calc'!A0",
        status: 'missing',
        src: CONNECT,
        dst: null,
        dst_role: 'azure-ad',
        reason: '-2+3 lookups failed',
        attempts: 0,
        unanswered: 0,
        first_ts: null,
        last_ts: null,
        conn_states: {},
        evidence: [],
        display_filter: 'dns.qry.name == "a`b|c.microsoftonline.com"',
        hints: ['@SUM(1+1)'],
      }),
    ],
    unknown_endpoints: [{ address: '10.0.0.99', names: [SCRIPT, PIPE_HOST], flows: 2, ports: [3389] }],
    dns_failures: [
      {
        name: `x|${SCRIPT}`,
        queries: 1,
        answered: 0,
        nxdomain: 1,
        servfail: 0,
        otherError: 0,
        unanswered: 0,
        servers: ['10.0.0.10'],
        clients: ['10.0.0.20'],
        firstEvidence: { file: 'capture.pcapng', frame: 9, ts: T0 },
      },
    ],
    data_quality: {
      counters: { frames: 120 },
      diagnostics: [
        {
          code: 'dns_malformed',
          count: 1,
          examples: [{ code: 'dns_malformed', origin: { file: 'a|b.pcap', offset: 1234, index: 17 }, detail: `bad name ${SCRIPT}` }],
        },
      ],
      failedFiles: [{ file: '<b>bad</b>.pcap', code: 'input_unknown_format', offset: -1, message: 'not a capture' }],
      flows: 15,
      evidence_gaps: [],
    },
  });
}

/** Pipes that split a GFM table row: not preceded by a backslash (GFM splits before inline parsing). */
function cellSeparators(line: string): number {
  let n = 0;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\') {
      i++;
      continue;
    }
    if (line[i] === '|') n++;
  }
  return n;
}

describe('renderMarkdown', () => {
  const text = renderMarkdown(hostileResult());

  it('leaves no raw HTML from the data outside code spans (which never interpret HTML)', () => {
    const outsideCode = text.replace(/(`+)(?!`).*?[^`]\1(?!`)/g, '');
    expect(outsideCode).not.toMatch(/<script/i);
    expect(outsideCode).not.toMatch(/<img/i);
    expect(outsideCode).not.toMatch(/<b>/);
    expect(text).toContain('`dns.qry.name == "x\\|<script>alert(1)</script>"`');
    expect(text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('keeps every table row at its header width despite | and backticks in the data', () => {
    const lines = text.split('\n');
    let header = -1;
    for (const line of lines) {
      if (!line.startsWith('|')) {
        header = -1;
        continue;
      }
      if (header < 0) header = cellSeparators(line);
      else expect(cellSeparators(line), line).toBe(header);
    }
  });

  it('lets no data start a heading or a list', () => {
    const headings = text.split('\n').filter((l) => l.startsWith('#'));
    expect(headings.some((h) => h.includes('pwned') || h.includes('injected'))).toBe(false);
    expect(text).not.toContain('\n# pwned');
  });

  it('puts display filters in code spans with a fence longer than the backticks inside', () => {
    expect(text).toContain('Display filter: ``dns.qry.name == "a`b|c.microsoftonline.com"``');
    expect(text).toContain('`ip.addr==10.0.0.20 && ip.addr==10.0.0.10 && tcp.port==389`');
  });

  it('has the verdict first, then inputs, hosts, findings, unexpected, unknown, DNS, data quality, catalog', () => {
    const order = [
      '**FAIL: 1 required flow blocked',
      '## Inputs and time window',
      '## Hosts and roles',
      '## Blocked, partial and missing flows',
      '## Findings by role pair',
      '### connect → dc',
      '### connect → azure-ad',
      '## Unexpected traffic',
      '## Unknown endpoints',
      '## DNS failures',
      '## Data quality',
      '## Catalog',
    ];
    const positions = order.map((s) => text.indexOf(s));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(text).toContain('Time window (UTC): 2024-05-01T10:00:00.000000Z – 2024-05-01T11:00:00.000000Z (1h 00m 00s)');
    expect(text).toContain('a\\|b.pcap @ offset 1234, record 17');
  });

  it('says how much traffic to multicast and broadcast addresses it left out of the unexpected list, in Markdown and HTML', async () => {
    const { renderHtml } = await import('../../../src/report/html.js');
    const note = 'Not listed: 18 flows of role hosts to multicast and broadcast addresses (local discovery such as LLMNR 5355, mDNS 5353, SSDP 1900, NetBIOS 137, DHCP 67), which address no host.';
    const withGroup = { ...auditResult(), group_flows: 18 };
    expect(renderMarkdown(withGroup)).toContain(note);
    expect(renderHtml(withGroup)).toContain(`<p class="muted">${note}</p>`);
    expect(renderMarkdown(auditResult())).not.toContain('Not listed:');
    // Without unexpected entries too.
    const quiet = { ...withGroup, unexpected: [], unexpected_total: 0 };
    expect(renderMarkdown(quiet)).toContain(`None: all traffic of role hosts is on ports the catalog names.\n\n${note}`);
  });

  it('says which files were read as one rotating capture, in Markdown and HTML', async () => {
    const { renderHtml } = await import('../../../src/report/html.js');
    const base = auditResult();
    const file = (k: number) => `ring_0000${k}.pcapng`;
    const inputs = [0, 1, 2].map((k) => ({ ...base.inputs[0], file: file(k), continues: k > 0 ? file(k - 1) : undefined }));
    const r = { ...base, inputs: [...inputs, { ...base.inputs[0], file: 'other.pcapng' }] };
    const note = 'files of one rotating capture, read in time order as one capture (a connection cut at a file boundary is one connection).';
    expect(renderMarkdown(r)).toContain(`ring\\_00000.pcapng to ring\\_00002.pcapng: 3 ${note}`);
    expect(renderHtml(r)).toContain(`<p class="muted"><code>ring_00000.pcapng</code> to <code>ring_00002.pcapng</code>: 3 ${note}</p>`);
    expect(renderMarkdown(base)).not.toContain('rotating capture');
  });

  it('says which host a capture holds the traffic of, one line for all the files of each, in Markdown and HTML', async () => {
    const { renderHtml } = await import('../../../src/report/html.js');
    const base = auditResult();
    const inputs = [
      ...[0, 1, 2].map((k) => ({ ...base.inputs[0], file: `aadc_0000${k}.pcapng`, captured_on: ['10.0.0.20'] })),
      { ...base.inputs[0], file: 'dc01<b>.pcapng', captured_on: ['10.0.0.10', '10.0.0.20'], one_conversation: true },
      { ...base.inputs[0], file: 'dual.pcapng', captured_on: ['10.0.0.20', '2001:db8::20'] },
      { ...base.inputs[0], file: 'span.pcapng' },
    ];
    const r = { ...base, inputs };
    const md = renderMarkdown(r);
    expect(md).toContain('`aadc_00000.pcapng` and 2 more files: every flow between two hosts in it has `10.0.0.20` on one side: it was taken on that host (or filtered to its traffic)');
    expect(md).toContain('`dc01<b>.pcapng`: every flow between two hosts in it is between `10.0.0.10` and `10.0.0.20`: it was taken on one of them');
    expect(md).toContain('`dual.pcapng`: every flow between two hosts in it has one of `10.0.0.20`, `2001:db8::20` on a side (one per address family): it was taken on the host with these addresses');
    expect(md).not.toContain('span.pcapng`:');
    const html = renderHtml(r);
    expect(html).toContain('<p><code>aadc_00000.pcapng</code> and 2 more files: every flow between two hosts in it has <code>10.0.0.20</code> on one side');
    expect(html).toContain('<p><code>dc01&lt;b&gt;.pcapng</code>: every flow between two hosts in it is between <code>10.0.0.10</code> and <code>10.0.0.20</code>');
    expect(renderMarkdown(base)).not.toContain('every flow between two hosts');
  });

  it('names the host pairs a rule does not apply to when the table above judges it for another pair', () => {
    const off = 'condition seamless-sso is off (turn it on with --feature seamless-sso) and no traffic was seen';
    const ok = finding({ rule_id: 'connect-dc-smb', status: 'ok', reason: '1 of 1 attempt completed', completed: 1, unanswered: 0 });
    const skipped = (dst: string) => finding({ rule_id: 'connect-dc-smb', status: 'not-applicable', dst, reason: off, attempts: 0, unanswered: 0, evidence: [] });
    const others = ['10.0.0.12', '10.0.0.13', '10.0.0.14'].map(skipped);
    const text = renderMarkdown({ ...auditResult(), findings: [ok, skipped(DC2), ...others] });
    expect(text).toContain(`- connect-dc-smb (${CONNECT} → ${DC2}, ${CONNECT} → 10.0.0.12, ${CONNECT} → 10.0.0.13 and 1 more): ${off}`);
    // Judged for no pair of the section: the count says enough.
    const none = renderMarkdown({ ...auditResult(), findings: [finding(), skipped(DC2), skipped('10.0.0.12')] });
    expect(none).toContain(`- connect-dc-smb (×2): ${off}`);
  });

  it("names a server's answer beside its finding: in the findings table, the attention list, the HTML reason cell and the CSV", async () => {
    const { renderHtml } = await import('../../../src/report/html.js');
    const detail = 'the KDC 10.0.0.10 answered 10.0.0.20 with KDC_ERR_PREAUTH_FAILED (24): the password is wrong';
    const base = auditResult();
    const ok = finding({ status: 'ok', reason: '4 of 4 attempts completed', completed: 4, unanswered: 0, conn_states: { SF: 4 }, answers: [{ code: 'kerberos_error', detail, file: 'c.pcap', frame: 9 }] });
    const r: AuditResult = { ...base, findings: [ok, { ...ok, status: 'partial', answers: [ok.answers![0], ok.answers![0]] }] };
    const mdText = renderMarkdown(r);
    expect(mdText).toContain("| ok, **but see the server's answer** in Answers that can stop a sync |");
    expect(mdText).toContain("| **partial**, **but see the server's 2 answers** in Answers that can stop a sync |");
    expect(mdText).toContain(`  - The server answered: ${detail.replace(/_/g, '\\_')} (c.pcap frame 9)`);
    expect(renderHtml(r)).toContain(`<ul class="answers"><li>The server answered: ${detail} <span class="muted">(<code>c.pcap</code> frame 9)</span></li></ul>`);
    const rows: string[][] = parse(renderCsv(r), { bom: true });
    expect(rows[1][CSV_COLUMNS.indexOf('answers')]).toBe(`${detail} (c.pcap frame 9)`);
    // A finding without answers says nothing more.
    expect(renderMarkdown(base)).not.toContain("the server's answer");
  });

  it('shows what servers answered (Kerberos, LDAP, TLS inspection) in a section of its own, not among the data problems', async () => {
    const { renderHtml } = await import('../../../src/report/html.js');
    const base = auditResult();
    const detail = 'the KDC 10.0.0.10 answered 10.0.0.20 with KDC_ERR_PREAUTH_FAILED (24) for svc_aadc@CONTOSO.COM: the password is wrong';
    const r: AuditResult = {
      ...base,
      data_quality: {
        ...base.data_quality,
        counters: { ...base.data_quality.counters, kerberos_errors: 7 },
        diagnostics: [...base.data_quality.diagnostics, { code: 'kerberos_error', count: 1, examples: [{ code: 'kerberos_error', origin: { file: 'c.pcap', offset: 500, index: 9 }, detail }] }],
      },
    };
    const mdText = renderMarkdown(r);
    const section = mdText.slice(mdText.indexOf('## Answers that can stop a sync'), mdText.indexOf('## Data quality'));
    expect(section).toContain('### Kerberos errors: 7 errors of 1 kind');
    expect(section).toContain('KDC\\_ERR\\_PREAUTH\\_FAILED (24) for svc\\_aadc@CONTOSO.COM');
    // Named by frame, as Wireshark numbers it (answers come from captures).
    expect(section).toContain('(c.pcap frame 9)');
    expect(mdText.slice(mdText.indexOf('### Diagnostics'))).not.toContain('kerberos');
    expect(mdText.indexOf('## DNS failures')).toBeLessThan(mdText.indexOf('## Answers that can stop a sync'));
    const html = renderHtml(r);
    expect(html).toContain('<h3>Kerberos errors: 7 errors of 1 kind</h3>');
    expect(html).toContain('(<code>c.pcap</code> frame 9)');
    expect(html).toContain(detail);
    // Without such answers, no section.
    expect(renderMarkdown(base)).not.toContain('## Answers that can stop a sync');
  });

  it('matches the reviewed snapshot of a small result', async () => {
    await expect(renderMarkdown(auditResult())).toMatchFileSnapshot('./__snapshots__/report-small.md');
  });
});

describe('renderCsv', () => {
  const text = renderCsv(hostileResult());
  const rows: string[][] = parse(text, { bom: true, relax_column_count: false });

  it('writes a BOM, a header and one CRLF-terminated row per finding', () => {
    expect(text.startsWith('\uFEFF"rule_id",')).toBe(true);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
  });

  it('neutralises cells that a spreadsheet would evaluate', () => {
    const col = (name: string) => CSV_COLUMNS.indexOf(name as (typeof CSV_COLUMNS)[number]);
    const missing = rows[2];
    expect(missing[col('rule_id')]).toBe("'=cmd|' /C calc'!A0");
    expect(missing[col('reason')]).toBe("'-2+3 lookups failed");
    expect(missing[col('hints')]).toBe("'@SUM(1+1)");
    expect(rows[1][col('answers')]).toBe(`'=1+1 the DC refused a bind: ${SCRIPT}|x (c|ap.pcap frame 3)`);
    expect(missing[col('dst')]).toBe('');
    expect(rows[1][col('evidence')]).toBe(`'=HYPERLINK("http://x")|.pcap#17`);
    for (const row of rows.slice(1)) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('keeps counts numeric and times ISO', () => {
    const blocked = rows[1];
    expect(blocked[CSV_COLUMNS.indexOf('attempts')]).toBe('4');
    expect(blocked[CSV_COLUMNS.indexOf('first_ts')]).toBe('2024-05-01T10:00:00.000000Z');
    expect(blocked[CSV_COLUMNS.indexOf('conn_states')]).toBe('S0×4');
    expect(blocked[CSV_COLUMNS.indexOf('reason')]).toContain('\n## injected heading');
  });
});

describe('renderJson', () => {
  it('carries the schema tag and round-trips to the same object', () => {
    const r = hostileResult();
    const text = renderJson(r);
    expect(text.startsWith('{\n  "schema": "flowaudit/report@1",\n  "generated_at"')).toBe(true);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(r)));
  });

  it('writes < > & as \\u escapes so the text is inert inside HTML', () => {
    const text = renderJson(hostileResult());
    expect(text).not.toContain('<script>');
    expect(text).toContain('\\u003cscript\\u003ealert(1)\\u003c/script\\u003e');
  });

  it('has a stable key order whatever order the object was built in', () => {
    const r = auditResult();
    const shuffled = JSON.parse(JSON.stringify(r, Object.keys(r).reverse().concat(...collectKeys(r).reverse()))) as AuditResult;
    expect(Object.keys(shuffled)[0]).not.toBe('schema');
    expect(renderJson(shuffled)).toBe(renderJson(r));
    const f = JSON.parse(renderJson(r)).findings[0];
    expect(Object.keys(f).slice(0, 6)).toEqual(['status', 'rule_id', 'table', 'protocol', 'transport', 'ports']);
  });
});

/** Every key used anywhere in the object (for building a reordering replacer list). */
function collectKeys(v: unknown, out = new Set<string>()): string[] {
  if (Array.isArray(v)) for (const x of v) collectKeys(x, out);
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      out.add(k);
      collectKeys(x, out);
    }
  }
  return [...out];
}
