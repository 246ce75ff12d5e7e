import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipv4Ports, rewriteFixture } from '../support/rewrite-capture.js';

/**
 * A capture taken with a capture filter (dumpcap -f, Wireshark's capture filter: pcapng's if_filter)
 * lacks everything the filter left out. Users rely on the report saying so wherever it calls
 * required traffic missing, rather than sending them to open a firewall for traffic that was
 * never captured.
 */
const root = resolve(__dirname, '../..');
const bin = join(root, 'dist/src/cli/bin.js');

/** The healthy-sync fixture as `dumpcap -f "<filter>"` would have written it: only port 389, and the filter in the IDB. */
function filteredCapture(filter: string): Promise<string> {
  return rewriteFixture('healthy-sync.pcapng', {
    filter,
    keep: (d) => {
      const p = ipv4Ports(d);
      return p !== null && (p[0] === 389 || p[1] === 389);
    },
  });
}

function analyze(capture: string) {
  const out = mkdtempSync(join(tmpdir(), 'flowaudit-filter-out-'));
  const r = spawnSync(process.execPath, [bin, 'analyze', capture, '--inventory', join(root, 'fixtures/inventory.yaml'), '--out', out], { cwd: root, encoding: 'utf8' });
  return {
    code: r.status,
    stdout: r.stdout,
    json: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')),
    md: readFileSync(join(out, 'report.md'), 'utf8'),
    html: readFileSync(join(out, 'report.html'), 'utf8'),
  };
}

describe('a capture taken with a capture filter', () => {
  it('what a filter it reads left out is not-applicable, the filter named in the reason; what passed it is judged', async () => {
    const r = analyze(await filteredCapture('tcp port 389'));
    expect(r.stdout.split('\n')[0]).toMatch(/^PASS: all \d+ required flows seen and completed; \d+ more not judged: outside what the capture can show$/);
    expect(r.code).toBe(0);
    expect(r.json.inputs[0].capture_filters).toEqual(['tcp port 389']);
    const kerberos = r.json.findings.filter((f: { rule_id: string }) => f.rule_id === 'connect-dc-kerberos');
    expect(kerberos.length).toBe(2);
    for (const f of kerberos) {
      expect(f).toMatchObject({ status: 'not-applicable', reason: expect.stringMatching(/^the capture filter "tcp port 389" lets no packet of Kerberos 88\/tcp\/udp between 10\.0\.0\.20 and 10\.0\.0\.1[01] through: the capture could not hold it$/) });
    }
    expect(r.md).toContain('was captured with a capture filter (tcp port 389)');
    // LDAP itself, inside the filter, is judged as usual.
    expect(r.json.findings.find((f: { rule_id: string }) => f.rule_id === 'connect-dc-ldap').status).toBe('ok');
  });

  it('with a filter it cannot read, its missing traffic is laid to the filter: in the verdict, in each missing finding, and beside the inputs', async () => {
    // `ether` names link-layer fields: not read, so nothing is concluded from the filter.
    const filter = 'tcp port 389 and not ether broadcast';
    const r = analyze(await filteredCapture(filter));
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')[0]).toMatch(/^FAIL: \d+ required flows missing .*; the capture was taken with a capture filter \(tcp port 389 and not ether broadcast\): traffic it left out reads as missing$/);
    const missing = r.json.findings.filter((f: { status: string }) => f.status === 'missing');
    expect(missing.length).toBeGreaterThan(0);
    for (const f of missing) expect(f.hints).toContain(`the capture was taken with a capture filter (${filter}): traffic it left out was never captured`);
    expect(r.md).toContain(`Possible causes: the capture was taken with a capture filter (${filter}): traffic it left out was never captured`);
    expect(r.json.findings.find((f: { rule_id: string }) => f.rule_id === 'connect-dc-ldap').status).toBe('ok');
  });

  it('the filter text comes from the file: escaped in the HTML and Markdown reports', async () => {
    const r = analyze(await filteredCapture('port 389 <script>alert(1)</script> | `x`'));
    expect(r.html).not.toContain('<script>alert(1)</script>');
    expect(r.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(r.md).not.toContain('<script>');
  });
});

describe('a capture whose machine dropped packets (pcapng interface statistics)', () => {
  it('its blocked flows are said to be possibly dropped answers: in the verdict, the data-quality gaps and the inputs', async () => {
    const r = analyze(await rewriteFixture('ldap-dropped.pcapng', { dropped: 40n }));
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')[0]).toMatch(
      /^FAIL: 1 required flow blocked .*; the capturing machine dropped 40 packets \(the capture's own statistics\): an attempt that looks unanswered may have been answered$/,
    );
    expect(r.json.inputs[0].dropped_at_capture).toBe(40);
    expect(r.json.data_quality.evidence_gaps).toContainEqual(expect.stringMatching(/^the capturing machine dropped 40 packets, by the capture's own interface statistics \(.*ldap-dropped\.pcapng\)/));
    expect(r.md).toContain('the capturing machine dropped 40 packets');
  });

  it('says nothing when the statistics count no drop', async () => {
    const r = analyze(await rewriteFixture('ldap-dropped.pcapng', { dropped: 0n }));
    expect(r.stdout).not.toContain('the capturing machine dropped');
    expect(r.json.inputs[0].dropped_at_capture).toBeUndefined();
  });
});

