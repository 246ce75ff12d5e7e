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

/** The fixture's frames, each cut to its first `snap` bytes, as pktmon's default capture keeps them. */
async function snapped(fixture: string, snap: number): Promise<string> {
  const records: PcapRecordSpec[] = [];
  await readCapture(await openInput(join(root, 'fixtures', fixture)), { diag: new DiagnosticSink() }, (f) => {
    records.push({ tsMicros: f.tsMicros, data: f.data.slice(0, snap), origLen: f.originalLen });
  });
  const file = join(mkdtempSync(join(tmpdir(), 'flowaudit-snap-')), `${fixture}-${snap}.pcap`);
  writeFileSync(file, writePcap({ byteOrder: 'le', linkType: 1, snaplen: snap, records }));
  return file;
}

function analyze(file: string) {
  const out = mkdtempSync(join(tmpdir(), 'flowaudit-snap-out-'));
  const r = spawnSync(process.execPath, [bin, 'analyze', file, '--out', out, '--format', 'json', '--inventory', join(root, 'fixtures/inventory.yaml')], {
    encoding: 'utf8',
  });
  return { status: r.status, report: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) };
}

describe('a capture that kept 128 bytes of each packet (pktmon without --pkt-size 0)', () => {
  it('reads the cut DNS answers as answered, not as lookups that failed, and says what the cut costs', async () => {
    const { report } = analyze(await snapped('healthy-sync.pcapng', 128));
    // The DNS responses were cut after their question: the lookups were answered all the same.
    expect(report.dns_failures).toEqual([]);
    expect(report.data_quality.counters.frames_snapped).toBeGreaterThan(0);
    expect(report.data_quality.counters.dns_partial).toBeGreaterThan(0);
    expect(report.data_quality.evidence_gaps.join('\n')).toMatch(/captured only in part \(the capture's snap length\).*--pkt-size 0/);
    // The required flows to the DCs are judged as in the whole capture.
    const whole = analyze(join(root, 'fixtures/healthy-sync.pcapng')).report;
    const toDc = (r: { findings: { dst_role: string; status: string; rule_id: string; dst: string }[] }) =>
      r.findings.filter((f) => f.dst_role === 'dc').map((f) => [f.rule_id, f.dst, f.status]);
    expect(toDc(report)).toEqual(toDc(whole));
  });
});
