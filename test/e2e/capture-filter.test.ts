import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiagnosticSink } from '../../src/common/diagnostics.js';
import { readCapture } from '../../src/sources/capture.js';
import { openInput } from '../../src/sources/input.js';
import { PcapngWriter } from '../support/pcapng-writer.js';

/**
 * A capture taken with a capture filter (dumpcap -f, Wireshark's capture filter: pcapng's if_filter)
 * lacks everything the filter left out. Users rely on the report saying so wherever it calls
 * required traffic missing, rather than sending them to open a firewall for traffic that was
 * never captured.
 */
const root = resolve(__dirname, '../..');
const bin = join(root, 'dist/src/cli/bin.js');

/** The TCP or UDP ports of an Ethernet/IPv4 frame, else null. */
function ports(d: Uint8Array): [number, number] | null {
  if (d.length < 34 || d[12] !== 0x08 || d[13] !== 0x00) return null;
  const ihl = (d[14] & 0x0f) * 4;
  if (d[23] !== 6 && d[23] !== 17) return null;
  const at = 14 + ihl;
  return [(d[at] << 8) | d[at + 1], (d[at + 2] << 8) | d[at + 3]];
}

/** The healthy-sync fixture as `dumpcap -f "<filter>"` would have written it: only port 389, and the filter in the IDB. */
async function filteredCapture(filter: string): Promise<string> {
  const input = await openInput(join(root, 'fixtures/healthy-sync.pcapng'));
  const w = new PcapngWriter().shb('le').idb({ linkType: 1, filter });
  await readCapture(input, { diag: new DiagnosticSink() }, (f) => {
    const p = ports(f.data);
    if (p && (p[0] === 389 || p[1] === 389)) w.epb({ interfaceId: 0, tsMicros: f.tsMicros, data: new Uint8Array(f.data) });
  });
  const dir = mkdtempSync(join(tmpdir(), 'flowaudit-filter-'));
  const path = join(dir, 'ldap-only.pcapng');
  writeFileSync(path, w.finish());
  return path;
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
  it('its missing traffic is laid to the filter: in the verdict, in each missing finding, and beside the inputs', async () => {
    const r = analyze(await filteredCapture('tcp port 389'));
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')[0]).toMatch(/^FAIL: \d+ required flows missing .*; the capture was taken with a capture filter \(tcp port 389\): traffic it left out reads as missing$/);
    expect(r.json.inputs[0].capture_filters).toEqual(['tcp port 389']);
    const missing = r.json.findings.filter((f: { status: string }) => f.status === 'missing');
    expect(missing.length).toBeGreaterThan(0);
    for (const f of missing) expect(f.hints).toContain('the capture was taken with a capture filter (tcp port 389): traffic it left out was never captured');
    expect(r.md).toContain('was captured with a capture filter (tcp port 389)');
    expect(r.md).toContain('Possible causes: the capture was taken with a capture filter (tcp port 389): traffic it left out was never captured');
    // LDAP itself, inside the filter, is judged as usual.
    expect(r.json.findings.find((f: { rule_id: string }) => f.rule_id === 'connect-dc-ldap').status).toBe('ok');
  });

  it('the filter text comes from the file: escaped in the HTML and Markdown reports', async () => {
    const r = analyze(await filteredCapture('port 389 <script>alert(1)</script> | `x`'));
    expect(r.html).not.toContain('<script>alert(1)</script>');
    expect(r.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(r.md).not.toContain('<script>');
  });
});
