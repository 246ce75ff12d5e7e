import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { completedTcp, pktmonTrace } from '../support/pktmon-text.js';

const root = join(__dirname, '../..');
const bin = join(root, 'dist/src/cli/bin.js');

/**
 * A pktmon trace taken on the DC (10.0.0.11) while the sync server (10.0.0.20) logs on and reads
 * the directory: Kerberos completes, and the DC's own firewall drops every LDAP SYN. A capture
 * would show only unanswered SYNs; pktmon says who dropped them.
 */
function trace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowaudit-pktmon-'));
  const file = join(dir, 'PktMon.txt');
  const syn = '10.0.0.20.50123 > 10.0.0.11.389: Flags [S], seq 1000, win 64240, length 0';
  writeFileSync(
    file,
    pktmonTrace([
      ...completedTcp((k) => `2026-11-20 09:15:01.00${k}000000`, 100, '10.0.0.20', 50200, '10.0.0.11', 88).map((p) => ({ ...p, appearances: 2 })),
      { time: '2026-11-20 09:15:02.100000000', group: 200, direction: 'Rx', appearances: 2, ip: syn, dropReason: 'WFP: Filtered by WFP' },
      { time: '2026-11-20 09:15:05.100000000', group: 201, direction: 'Rx', appearances: 2, ip: syn, dropReason: 'WFP: Filtered by WFP' },
    ]),
  );
  return file;
}

/** The same exchanges traced on the sync server: its LDAP SYNs dropped on the way out, by its own firewall. */
function traceOnSyncServer(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowaudit-pktmon-'));
  const file = join(dir, 'PktMon.txt');
  const outward = (d: 'Rx' | 'Tx'): 'Rx' | 'Tx' => (d === 'Rx' ? 'Tx' : 'Rx');
  const syn = '10.0.0.20.50123 > 10.0.0.11.389: Flags [S], seq 1000, win 64240, length 0';
  writeFileSync(
    file,
    pktmonTrace([
      ...completedTcp((k) => `2026-11-20 09:15:01.00${k}000000`, 100, '10.0.0.20', 50200, '10.0.0.11', 88).map((p) => ({ ...p, direction: outward(p.direction) })),
      { time: '2026-11-20 09:15:02.100000000', group: 200, direction: 'Tx', ip: syn, dropReason: 'WFP: Filtered by WFP' },
    ]),
  );
  return file;
}

function analyze(args: string[]) {
  const out = mkdtempSync(join(tmpdir(), 'flowaudit-pktmon-out-'));
  const r = spawnSync(process.execPath, [bin, 'analyze', ...args, '--out', out, '--format', 'json,md', '--role', '10.0.0.20=connect', '--role', '10.0.0.11=dc'], {
    encoding: 'utf8',
  });
  return { r, report: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')), md: readFileSync(join(out, 'report.md'), 'utf8') };
}

describe('analyze on a pktmon trace converted to text (pktmon etl2txt)', () => {
  it("reports the DC's own firewall dropping LDAP, with pktmon's reason, and fails the run", () => {
    const { r, report, md } = analyze([trace()]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/FAIL: 1 required flow blocked/);
    const ldap = report.findings.find((f: { rule_id: string }) => f.rule_id === 'connect-dc-ldap');
    expect(ldap).toMatchObject({ status: 'blocked', src: '10.0.0.20', dst: '10.0.0.11', refused: 1 });
    expect(ldap.reason).toMatch(/dropped by Windows on 10\.0\.0\.11 \(pktmon: WFP: Filtered by WFP; component 49/);
    // Evidence points at the line of the flow's first packet in the trace (its frame too: the same number).
    expect(ldap.evidence[0]).toMatchObject({ line: 33, frame: 33, conn_state: 'S0' });
    expect(md).toContain('PktMon.txt line 33');
    const kerberos = report.findings.find((f: { rule_id: string; transport: string }) => f.rule_id === 'connect-dc-kerberos');
    expect(kerberos.status).toBe('ok');
    expect(report.inputs[0]).toMatchObject({ format: 'pktmon' });
    // Each packet was logged at two components: counted once, and the report says so.
    expect(report.data_quality.counters.frames_duplicate).toBeGreaterThan(0);
    expect(md).toContain('WFP: Filtered by WFP');
    // What to check: the DC's firewall rules, not "the rule the log names".
    expect(ldap.hints.join('\n')).toMatch(/Windows Filtering Platform on 10\.0\.0\.11 dropped it.*Get-NetFirewallRule/);
    // pktmon names the host it ran on: the trace cannot show the sync server's HTTPS to Entra ID.
    expect(report.inputs[0].captured_on).toEqual(['10.0.0.11']);
    expect(r.stdout).toMatch(/captured on 10\.0\.0\.11\n/);
    expect(md).toContain('pktmon ran on `10.0.0.11`');
    const https = report.findings.find((f: { rule_id: string }) => f.rule_id === 'connect-azure-ad-https');
    expect(https.status).toBe('not-applicable');
  });

  it('says of a flow missing from a pktmon trace that it was not dropped there, not that a capture cannot see drops', () => {
    const { report } = analyze([traceOnSyncServer()]);
    expect(report.inputs[0].captured_on).toEqual(['10.0.0.20']);
    const ldap = report.findings.find((f: { rule_id: string }) => f.rule_id === 'connect-dc-ldap');
    expect(ldap.reason).toMatch(/dropped by Windows on 10\.0\.0\.20 \(pktmon: WFP: Filtered by WFP; component 49, location 0xE0004627; 1 packet sent\)/);
    const rpc = report.findings.find((f: { rule_id: string }) => f.rule_id === 'connect-dc-msrpc');
    expect(rpc.status).toBe('missing');
    expect(rpc.hints.join('\n')).toMatch(/pktmon records the packets its host drops/);
    expect(rpc.hints.join('\n')).not.toMatch(/cannot see what the capturing host's own firewall drops/);
  });

  it('is read the same when the format is named', () => {
    const { r, report } = analyze([trace(), '--input-format', 'pktmon']);
    expect(r.status).toBe(1);
    expect(report.findings.find((f: { rule_id: string }) => f.rule_id === 'connect-dc-ldap').status).toBe('blocked');
  });
});
