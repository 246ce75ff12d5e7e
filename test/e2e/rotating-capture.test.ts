import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DiagnosticSink } from '../../src/common/diagnostics.js';
import { readCapture } from '../../src/sources/capture.js';
import { openInput } from '../../src/sources/input.js';
import { writePcap, type PcapRecordSpec } from '../support/pcap-writer.js';

const root = join(__dirname, '../..');
const bin = join(root, 'dist/src/cli/bin.js');
const inventory = join(root, 'fixtures/inventory.yaml');

/** The fixture's frames, and the positions of its TCP SYNs (Ethernet, IPv4). */
async function framesOf(fixture: string): Promise<{ records: PcapRecordSpec[]; syns: number[] }> {
  const records: PcapRecordSpec[] = [];
  const syns: number[] = [];
  await readCapture(await openInput(join(root, 'fixtures', fixture)), { diag: new DiagnosticSink() }, (f) => {
    const d = f.data;
    if (d[12] === 0x08 && d[13] === 0x00 && d[23] === 6) {
      const tcp = 14 + (d[14] & 0x0f) * 4;
      if ((d[tcp + 13] & 0x12) === 0x02) syns.push(records.length);
    }
    records.push({ tsMicros: f.tsMicros, data: d.slice() });
  });
  return { records, syns };
}

/**
 * The frames cut into files right after every SYN, so that no connection's answer is in the file
 * of its SYN: the worst a ring buffer can do. Named as dumpcap names a ring buffer, unless `name`
 * says otherwise. Returns the files in the order written.
 */
function cutAfterSyns(records: PcapRecordSpec[], syns: number[], dir: string, name = (k: number, t: number) => `aadc_${String(k).padStart(5, '0')}_${t}.pcap`): string[] {
  const files: string[] = [];
  let from = 0;
  for (const cut of [...syns.map((s) => s + 1), records.length]) {
    if (cut <= from) continue;
    const part = records.slice(from, cut);
    const file = join(dir, name(files.length, Math.floor(part[0].tsMicros / 1e6)));
    writeFileSync(file, writePcap({ byteOrder: 'le', linkType: 1, records: part }));
    files.push(file);
    from = cut;
  }
  return files;
}

function run(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function analyze(inputs: string[], extra: string[] = []) {
  const out = mkdtempSync(join(tmpdir(), 'flowaudit-ring-out-'));
  const r = run(['analyze', ...inputs, '--out', out, '--format', 'json,md', '--inventory', inventory, ...extra]);
  return { ...r, report: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')), markdown: readFileSync(join(out, 'report.md'), 'utf8') };
}

/** Each flow's identity and state, without its uid (which depends on the file it started in). */
function flowRows(inputs: string[]): string[] {
  const r = run(['flows', ...inputs, '--format', 'zeek', '--quiet']);
  expect(r.status).toBe(0);
  return r.stdout
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const c = l.split('\t');
      return [c[0], c[2], c[3], c[4], c[5], c[6], c[11], c[15], c[16], c[18]].join(' ');
    })
    .sort();
}

interface F {
  rule_id: string;
  dst: string;
  status: string;
  attempts: number;
}
const verdicts = (report: { findings: F[] }) => report.findings.map((f) => `${f.rule_id} ${f.dst} ${f.status} ${f.attempts}`).sort();

describe('a rotating capture (a ring buffer of files)', () => {
  let whole: string;
  let ring: string[];
  let records: PcapRecordSpec[];
  let syns: number[];
  beforeAll(async () => {
    ({ records, syns } = await framesOf('healthy-sync.pcapng'));
    whole = join(root, 'fixtures/healthy-sync.pcapng');
    ring = cutAfterSyns(records, syns, mkdtempSync(join(tmpdir(), 'flowaudit-ring-')));
  });

  it('reads a connection whose SYN ends one file and whose answer starts the next as one connection', () => {
    expect(ring.length).toBeGreaterThan(10);
    expect(flowRows([...ring])).toEqual(flowRows([whole]));
    // Given in any order (the files are put in time order), and as a folder.
    expect(flowRows([...ring].reverse())).toEqual(flowRows([whole]));
  });

  it('audits the files as the whole capture, in one thread or several, and counts the connections that went on into a later file', () => {
    const wholeReport = analyze([whole]).report;
    const one = analyze([...ring].reverse(), ['--workers', '0']);
    expect(one.status).toBe(0);
    expect(verdicts(one.report)).toEqual(verdicts(wholeReport));
    expect(one.report.data_quality.counters.flows_across_files).toBeGreaterThanOrEqual(syns.length - 2);
    // Each file names the one before it; the report says which files were read as one.
    // (Inputs are listed as given, newest first here.)
    const continues = Object.fromEntries(one.report.inputs.map((i: { file: string; continues?: string }) => [i.file, i.continues]));
    expect(one.report.inputs.map((i: { file: string }) => i.file)).toEqual([...ring].reverse());
    expect(ring.map((f) => continues[f])).toEqual([undefined, ...ring.slice(0, -1)]);
    const md = (p: string) => p.replace(/_/g, '\\_');
    expect(one.markdown).toContain(`${md(ring[0])} to ${md(ring[ring.length - 1])}: ${ring.length} files of one rotating capture`);
    expect(one.stdout).toContain(`data: ${ring.length} file(s) (${ring.length - 1} continue the file before them: a rotating capture read as one)`);
    // With other files beside it, the series is one reading thread's job, whichever thread takes it.
    const other = join(root, 'fixtures/federation.pcapng');
    const alone = analyze([other, ...ring], ['--workers', '0']);
    const several = analyze([other, ...ring], ['--workers', '3']);
    expect(verdicts(several.report)).toEqual(verdicts(alone.report));
    expect(several.report.data_quality.counters).toEqual(alone.report.data_quality.counters);
    expect(several.report.inputs.map((i: { file: string }) => i.file)).toEqual([other, ...ring]);
  });

  it('reads files that are no series (names that differ in more than digits) one by one: there each cut shows as a SYN unanswered', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowaudit-noring-'));
    const letters = (k: number) => `part-${String.fromCharCode(97 + Math.floor(k / 26))}${String.fromCharCode(97 + (k % 26))}.pcap`;
    const parts = cutAfterSyns(records, syns, dir, letters);
    const r = analyze(parts);
    // What the ring buffer read file by file looked like: every connection of a rule half
    // failed (S0, SYN unanswered), half answered by nobody's SYN.
    const partial = r.report.findings.filter((f: F & { reason: string }) => f.status === 'partial');
    expect(partial.length).toBeGreaterThan(5);
    expect(partial.every((f: F & { reason: string }) => /S0×\d+ \(SYN unanswered\)/.test(f.reason))).toBe(true);
    expect(verdicts(analyze([whole]).report).some((v) => / partial /.test(v))).toBe(false);
    expect(r.report.data_quality.counters.flows_across_files).toBeUndefined();
  });

  it('never joins two captures of the same time (two hosts capturing at once), even when their names make a series', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowaudit-twohosts-'));
    const a = join(dir, 'host1.pcap');
    const b = join(dir, 'host2.pcap');
    writeFileSync(a, writePcap({ byteOrder: 'le', linkType: 1, records }));
    writeFileSync(b, writePcap({ byteOrder: 'le', linkType: 1, records }));
    const rows = flowRows([a, b]);
    expect(rows).toEqual([...flowRows([whole]), ...flowRows([whole])].sort());
    expect(analyze([a, b]).report.data_quality.counters.flows_across_files).toBeUndefined();
  });
});
