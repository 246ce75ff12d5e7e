import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

/** Batch audits from flow logs: folders, globs, .gz, windows, zones, captures and logs together. */
const root = resolve(__dirname, '../..');
const bin = join(root, 'dist/src/cli/bin.js');

function analyze(args: string[]) {
  const out = mkdtempSync(join(tmpdir(), 'flowaudit-batch-'));
  const r = spawnSync(process.execPath, [bin, 'analyze', ...args, '--out', out, '--format', 'json', '--quiet'], { cwd: root, encoding: 'utf8' });
  const report = r.status === 2 ? null : JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  return { code: r.status, stderr: r.stderr, stdout: r.stdout, report };
}

const finding = (report: { findings: { rule_id: string; dst: string | null; status: string; reason: string; evidence: { file: string; line?: number; record?: number; tuple?: number }[] }[] }, rule: string, dst: string) =>
  report.findings.find((f) => f.rule_id === rule && f.dst === dst)!;

/** dc02's Windows Firewall log without its lines of one action, as a log written with that kind of logging off. */
function dc02Without(action: 'ALLOW' | 'DROP', name: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'flowaudit-batch-')), name);
  const lines = readFileSync(join(root, 'fixtures/logs/dc02-pfirewall.log'), 'utf8').split('\n');
  writeFileSync(path, lines.filter((l) => !l.includes(` ${action} `)).join('\n'));
  return path;
}

describe('analyze flow logs', () => {
  it('the NSG tree: the deny rule blocks the dynamic RPC port, with the rule name and record/tuple evidence', () => {
    const { code, report } = analyze(['fixtures/logs/nsg-dc-subnet', '--include', 'PT1H.json', '--inventory', 'fixtures/inventory.yaml']);
    expect(code).toBe(1);
    const rpc = finding(report, 'connect-dc-rpc-dynamic', '10.0.0.10');
    expect(rpc.status).toBe('blocked');
    expect(rpc.reason).toContain('UserRule_Deny-HighPorts');
    expect(rpc.evidence[0].record).toBe(1);
    expect(rpc.evidence[0].tuple).toBe(0);
    expect(rpc.evidence[0].file).toMatch(/macAddress=000D3A2B4C5D\/PT1H\.json$/);
    expect(finding(report, 'connect-dc-ldap', '10.0.0.10').status).toBe('ok');
  });

  it("dc02's Windows Firewall log: DROP lines block LDAP, times read in the zone given, and the report says which", () => {
    const { code, report } = analyze(['fixtures/logs/dc02-pfirewall.log', '--tz', 'Europe/Berlin', '--inventory', 'fixtures/inventory.yaml']);
    expect(code).toBe(1);
    const ldap = finding(report, 'connect-dc-ldap', '10.0.0.11');
    expect(ldap.status).toBe('blocked');
    expect(ldap.evidence[0].line).toBeGreaterThan(5);
    expect(report.assumed_timezone).toBe('Europe/Berlin');
    // 13:00:01 CEST in the log is 11:00:01 UTC, the capture's time for the same SYN
    expect(report.window.first_ts).toBe(Date.UTC(2024, 4, 1, 11, 0, 1) * 1000);
  });

  it("dc02's log with its DROP lines only (allowed connections not logged): LDAP still blocked, nothing allowed called missing", () => {
    const drops = dc02Without('ALLOW', 'dc02-drops.log');
    const { code, stdout, report } = analyze([drops, '--tz', 'Europe/Berlin', '--inventory', 'fixtures/inventory.yaml']);
    expect(code).toBe(1);
    expect(finding(report, 'connect-dc-ldap', '10.0.0.11').status).toBe('blocked');
    expect(report.findings.filter((f: { status: string }) => f.status === 'missing')).toEqual([]);
    expect(report.inputs[0].denied_only).toBe(true);
    expect(stdout.split('\n')[0]).toMatch(/; the logs hold only denied traffic: what their firewalls let through cannot be judged/);
    // The whole log: what dc02 allowed is judged (and some of it found missing, as before).
    expect(analyze(['fixtures/logs/dc02-pfirewall.log', '--tz', 'Europe/Berlin', '--inventory', 'fixtures/inventory.yaml']).report.inputs[0].denied_only).toBeUndefined();
  });

  it("dc02's log without its DROP lines (dropped packets not logged): LDAP reads missing, and the report says it may have been dropped", () => {
    const allows = dc02Without('DROP', 'dc02-allows.log');
    const { code, stdout, report } = analyze([allows, '--tz', 'Europe/Berlin', '--inventory', 'fixtures/inventory.yaml']);
    expect(code).toBe(1);
    const ldap = finding(report, 'connect-dc-ldap', '10.0.0.11') as unknown as { status: string; hints: string[] };
    expect(ldap.status).toBe('missing');
    expect(ldap.hints[0]).toMatch(/dc02-allows\.log logged no dropped packet/);
    expect(report.inputs[0].no_drops_logged).toBe(true);
    expect(stdout.split('\n')[0]).toMatch(/a missing flow may have been dropped$/);
  });

  it('--since/--until restrict the window for logs as for captures', () => {
    const all = analyze(['fixtures/logs/dc02-pfirewall.log', '--tz', '+02:00', '--inventory', 'fixtures/inventory.yaml']).report;
    const late = analyze(['fixtures/logs/dc02-pfirewall.log', '--tz', '+02:00', '--inventory', 'fixtures/inventory.yaml', '--since', '2024-05-01T11:00:20Z']).report;
    expect(late.data_quality.flows).toBeLessThan(all.data_quality.flows);
    expect(late.window.first_ts).toBeGreaterThanOrEqual(Date.UTC(2024, 4, 1, 11, 0, 20) * 1000);
    const ldap = finding(late, 'connect-dc-ldap', '10.0.0.11');
    expect(ldap.status).toBe('blocked');
    expect(ldap.evidence.every((e) => e.line! > 10)).toBe(true);
  });

  it('captures and logs of the same hosts merge into the same findings; .gz logs read like plain ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowaudit-mixed-'));
    cpSync(join(root, 'fixtures/ldap-dropped.pcapng'), join(dir, 'ldap-dropped.pcapng'));
    writeFileSync(join(dir, 'dc02-pfirewall.log.gz'), gzipSync(readFileSync(join(root, 'fixtures/logs/dc02-pfirewall.log'))));
    const { code, report } = analyze([dir, '--tz', 'Europe/Berlin', '--inventory', 'fixtures/inventory.yaml']);
    expect(code).toBe(1);
    expect(report.inputs.map((i: { format: string }) => i.format).sort()).toEqual(['pcapng', 'pfirewall']);
    const ldap = finding(report, 'connect-dc-ldap', '10.0.0.11');
    expect(ldap.status).toBe('blocked');
    const files = new Set(ldap.evidence.map((e) => e.file.split('/').pop()));
    expect(files).toEqual(new Set(['ldap-dropped.pcapng', 'dc02-pfirewall.log.gz']));
  });

  it('exit 2 only when nothing at all could be read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowaudit-bad-'));
    writeFileSync(join(dir, 'a.bin'), Buffer.from([0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8]));
    const r = analyze([dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/a\.bin: not a format flowaudit reads/);
    expect(r.stderr).toMatch(/nothing could be read/);
  });
});
