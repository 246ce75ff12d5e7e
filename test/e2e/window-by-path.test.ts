import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { nsgRecord, recordsFile } from '../support/flowlog-builder.js';

const root = join(__dirname, '../..');
const bin = join(root, 'dist/src/cli/bin.js');
const T0 = Date.parse('2024-05-01T00:00:00Z') / 1000;

function run(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** An NSG flow-log tree as Azure's storage export lays it out: one PT1H.json per hour given. */
function nsgTree(hours: number[]): string {
  const tree = mkdtempSync(join(tmpdir(), 'flowaudit-window-'));
  for (const h of hours) {
    const dir = join(tree, 'resourceId=/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/NSG-AADC', 'y=2024', 'm=05', 'd=01', `h=${String(h).padStart(2, '0')}`, 'm=00', 'macAddress=000D3A000001');
    mkdirSync(dir, { recursive: true });
    const tuple = (k: number) => ({ ts: T0 + h * 3600 + 60 * k, src: '10.0.0.20', dst: '10.0.0.10', sport: 50000 + k, dport: 389, proto: 'T' as const, dir: 'O' as const, action: 'A' as const });
    const time = new Date((T0 + h * 3600) * 1000).toISOString();
    writeFileSync(join(dir, 'PT1H.json'), recordsFile([nsgRecord({ version: 1, time, groups: [{ rule: 'UserRule_AllowLdap', tuples: [tuple(1), tuple(2), tuple(3)] }] })]));
  }
  return tree;
}

describe('--since / --until over an hourly flow-log tree', () => {
  let tree: string;
  beforeAll(() => {
    tree = nsgTree([0, 5, 10]);
  });

  it('leaves out the hourly files outside the window unread, counts them, and audits the same flows', () => {
    const out = mkdtempSync(join(tmpdir(), 'flowaudit-window-out-'));
    const r = run(['analyze', tree, '--since', '2024-05-01T05:00:00Z', '--until', '2024-05-01T05:59:59Z', '--out', out, '--format', 'json', '--role', '10.0.0.10=dc', '--role', '10.0.0.20=connect']);
    expect(r.status).not.toBe(2);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.inputs.map((i: { file: string }) => i.file.match(/h=(\d+)/)![1])).toEqual(['05']);
    expect(report.data_quality.counters.files_outside_window).toBe(2);
    expect(r.stdout).toContain('data: 1 file(s), 2 more outside --since/--until not read, 3 flows');
    expect(report.data_quality.flows).toBe(3);
    const ldap = report.findings.find((f: { rule_id: string; dst: string }) => f.rule_id === 'connect-dc-ldap' && f.dst === '10.0.0.10');
    expect(ldap.attempts).toBe(3);
    // The flows of the files that were read and still fall outside are counted too.
    const wide = run(['analyze', tree, '--since', '2024-05-01T06:30:00Z', '--out', out, '--format', 'json']);
    expect(wide.status).not.toBe(2);
    const wideReport = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(wideReport.inputs.map((i: { file: string }) => i.file.match(/h=(\d+)/)![1])).toEqual(['05', '10']);
    expect(wideReport.data_quality.counters.flows_outside_window).toBe(3);
  });

  it('says so on the terminal for flows, and stops with exit 2 when no file is left', () => {
    const flows = run(['flows', tree, '--since', '2024-05-01T10:00:00Z', '--format', 'zeek']);
    expect(flows.status).toBe(0);
    expect(flows.stderr).toContain('2 of the input files left out: their folders (y=/m=/d=/h=) date them outside --since/--until');
    expect(flows.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toHaveLength(3);
    const none = run(['analyze', tree, '--since', '2024-06-01', '--out', mkdtempSync(join(tmpdir(), 'flowaudit-window-none-'))]);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('all 3 input files are dated outside --since/--until by their folders (y=/m=/d=/h=): nothing to read');
  });
});
