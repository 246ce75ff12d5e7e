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
const DC = [10, 0, 0, 11];

/** An ARP request of the DC's (not IP: no flow), as a capture running on it holds now and then. */
function arp(tsMicros: number): PcapRecordSpec {
  const d = new Uint8Array(42);
  d.fill(0xff, 0, 6);
  d.set([0x00, 0x15, 0x5d, 0x00, 0x00, 0x11, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0, 1], 6);
  d.set([0x00, 0x15, 0x5d, 0x00, 0x00, 0x11, ...DC, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1], 22);
  return { tsMicros, data: d };
}

/**
 * What the DC 10.0.0.11 itself would have captured at the same time as the fixture (taken on the
 * sync server 10.0.0.20): the fixture's frames to or from it, less those `lost` says never arrived,
 * in a capture started before the sync server's and stopped after it (an ARP request at each end).
 */
async function dcSide(fixture: string, name: string, lost: (d: Uint8Array) => boolean): Promise<string> {
  const records: PcapRecordSpec[] = [];
  await readCapture(await openInput(join(root, 'fixtures', fixture)), { diag: new DiagnosticSink() }, (f) => {
    // Ethernet, IPv4 (EtherType 0x0800): source address at bytes 26-29, destination at 30-33.
    const d = f.data;
    if (d[12] !== 0x08 || d[13] !== 0x00) return;
    const involvesDc = DC.every((b, i) => d[26 + i] === b) || DC.every((b, i) => d[30 + i] === b);
    // 300 µs later than the sync server saw it: the wire, and another clock.
    if (involvesDc && !lost(d)) records.push({ tsMicros: f.tsMicros + 300, data: d.slice() });
  });
  records.unshift(arp(records[0].tsMicros - 10_000_000));
  records.push(arp(records[records.length - 1].tsMicros + 10_000_000));
  const file = join(mkdtempSync(join(tmpdir(), 'flowaudit-two-points-')), name);
  writeFileSync(file, writePcap({ byteOrder: 'le', linkType: 1, records }));
  return file;
}

/** A TCP segment (IPv4 header of 20 bytes) to port 389 of the DC. */
const toLdap = (d: Uint8Array) => d[23] === 6 && DC.every((b, i) => d[30 + i] === b) && ((d[36] << 8) | d[37]) === 389;

function analyze(files: string[]) {
  const out = mkdtempSync(join(tmpdir(), 'flowaudit-two-points-out-'));
  const r = spawnSync(process.execPath, [bin, 'analyze', ...files, '--out', out, '--format', 'json', '--inventory', join(root, 'fixtures/inventory.yaml')], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, report: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) };
}

interface F {
  rule_id: string;
  dst: string;
  status: string;
  reason: string;
  hints: string[];
}

describe('both ends captured at the same time (the sync server and the DC)', () => {
  const syncSide = join(root, 'fixtures/ldap-dropped.pcapng');

  it('an attempt the DC never received was dropped between the two: the finding says so, and the shared connections are named', async () => {
    const dc = await dcSide('ldap-dropped.pcapng', 'dc01-never-received.pcap', toLdap);
    const { report, stdout, status } = analyze([syncSide, dc]);
    expect(status).toBe(1);
    const ldap = report.findings.find((f: F) => f.rule_id === 'connect-dc-ldap' && f.dst === '10.0.0.11');
    expect(ldap.status).toBe('blocked');
    expect(ldap.reason).toContain(`not in ${dc}, captured at the same time: dropped between the two capture points`);
    expect(ldap.hints[0]).toMatch(/^\d failed attempts? sampled from .*ldap-dropped\.pcapng (is|are) not in .*dc01-never-received\.pcap, captured at the same time: .* never reached that capture point/);
    expect(stdout).toContain('dropped between the two capture points');
    // Every other connection with the DC is in both files: named, with how many, on both inputs.
    const shared = report.inputs.map((i: { same_connections?: { file: string; connections: number }[] }) => i.same_connections);
    expect(shared[0]).toEqual([{ file: dc, connections: expect.any(Number) }]);
    expect(shared[1]).toEqual([{ file: syncSide, connections: shared[0][0].connections }]);
    expect(shared[0][0].connections).toBeGreaterThan(2);
    expect(report.data_quality.evidence_gaps.join('\n')).toContain(`${syncSide} and ${dc} hold the same ${shared[0][0].connections} connections`);
  });

  it('an attempt the DC received and left unanswered went unanswered there: its own firewall, or nothing listening', async () => {
    const dc = await dcSide('ldap-dropped.pcapng', 'dc01-received.pcap', () => false);
    const ldap = analyze([syncSide, dc]).report.findings.find((f: F) => f.rule_id === 'connect-dc-ldap' && f.dst === '10.0.0.11');
    expect(ldap.status).toBe('blocked');
    expect(ldap.reason).toContain(`unanswered in ${dc} too, captured at the same time`);
    expect(ldap.hints[0]).toContain('went unanswered beyond it (on 10.0.0.11 itself');
  });

  it('two captures taken on one host (a copy) count the same connections twice, and say so, but nothing of the path', async () => {
    const copy = join(mkdtempSync(join(tmpdir(), 'flowaudit-two-points-')), 'aadc01-copy.pcapng');
    writeFileSync(copy, readFileSync(syncSide));
    const { report } = analyze([syncSide, copy]);
    expect(report.inputs[0].same_connections).toEqual([{ file: copy, connections: expect.any(Number) }]);
    const ldap = report.findings.find((f: F) => f.rule_id === 'connect-dc-ldap' && f.dst === '10.0.0.11');
    expect(ldap.reason).toBe('TCP: 4 of 4 attempts failed: S0×4 (SYN unanswered)');
  });

  it('one capture alone, or two of different times, says nothing of the kind', async () => {
    const alone = analyze([syncSide]).report;
    expect(alone.inputs[0].same_connections).toBeUndefined();
    const ldap = alone.findings.find((f: F) => f.rule_id === 'connect-dc-ldap' && f.dst === '10.0.0.11');
    expect(ldap.reason).not.toContain('capture points');
    // Another scenario's capture (other connections, other times) shares none.
    const other = analyze([syncSide, join(root, 'fixtures/healthy-sync.pcapng')]).report;
    expect(other.inputs.map((i: { same_connections?: unknown }) => i.same_connections)).toEqual([undefined, undefined]);
  });
});
