import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiagnosticSink } from '../../src/common/diagnostics.js';
import { readCapture } from '../../src/sources/capture.js';
import { openInput } from '../../src/sources/input.js';
import { writePcap, type PcapRecordSpec } from '../support/pcap-writer.js';

const root = join(__dirname, '../..');
const bin = join(root, 'dist/src/cli/bin.js');

/** The fixture's frames sent by `source` only, as a SPAN port mirroring one direction records them. */
async function oneWay(fixture: string, source: string): Promise<string> {
  const want = source.split('.').map(Number);
  const records: PcapRecordSpec[] = [];
  await readCapture(await openInput(join(root, 'fixtures', fixture)), { diag: new DiagnosticSink() }, (f) => {
    // Ethernet, IPv4: the source address at bytes 26-29.
    const d = f.data;
    if (d[12] === 0x08 && d[13] === 0x00 && want.every((b, i) => d[26 + i] === b)) records.push({ tsMicros: f.tsMicros, data: d.slice() });
  });
  const file = join(mkdtempSync(join(tmpdir(), 'flowaudit-oneway-')), `${fixture}-from-${source}.pcap`);
  writeFileSync(file, writePcap({ byteOrder: 'le', linkType: 1, records }));
  return file;
}

function analyze(file: string) {
  const out = mkdtempSync(join(tmpdir(), 'flowaudit-oneway-out-'));
  const r = spawnSync(process.execPath, [bin, 'analyze', file, '--out', out, '--format', 'json', '--inventory', join(root, 'fixtures/inventory.yaml')], {
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, report: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) };
}

interface F {
  rule_id: string;
  dst: string;
  status: string;
  transport: string;
  hints: string[];
}

describe('a capture that holds one direction only (a one-way SPAN, asymmetric routing)', () => {
  it('judges TCP by what the client acknowledged, counts what it cannot see as undetermined, and says so', async () => {
    const { report, stdout } = analyze(await oneWay('healthy-sync.pcapng', '10.0.0.20'));
    // Every rule is judged as in the whole capture, but the CRL download, whose host only a DNS
    // answer named (no answer is in this capture): no failure for want of the answers.
    const whole = analyze(join(root, 'fixtures/healthy-sync.pcapng')).report;
    const statuses = (r: { findings: F[] }) => r.findings.filter((f) => f.rule_id !== 'connect-crl-http').map((f) => [f.rule_id, f.dst, f.status]);
    expect(statuses(report)).toEqual(statuses(whole));
    expect(report.verdict.status).toBe('pass');
    expect(report.data_quality.counters.flows_one_way).toBeGreaterThan(0);
    expect(report.data_quality.evidence_gaps.join('\n')).toMatch(/TCP connections were captured one way only/);
    expect(report.verdict.summary).toMatch(/; the capture lacks the answers of \d+ TCP connections \(one direction only, see the report\)$/);
    expect(stdout.split('\n')[0]).toMatch(/one direction only/);
    // DNS over UDP: no answer in the capture, but none could be: undetermined, with the capture named first.
    const dns = report.findings.find((f: F) => f.rule_id === 'connect-dc-dns' && f.dst === '10.0.0.10');
    expect(dns).toMatchObject({ status: 'ok', unanswered: 0, reason: 'UDP: 10 of 10 attempts undetermined' });
    expect(dns.hints[0]).toMatch(/^the capture holds no answer of 10\.0\.0\.10 to 10\.0\.0\.20 even on connections 10\.0\.0\.20 shows were answered/);
    // Nor are the lookups it sent to that server failures.
    expect(report.dns_failures).toEqual([]);
  });
});
