import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '../..');
const bin = join(root, 'dist/src/cli/bin.js');

/** `analyze` of `text` written to a file `name`, with `args` (roles, zone): the run and its report.json. */
function analyzeLog(name: string, text: string, args: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'flowaudit-fwlog-'));
  const log = join(dir, name);
  writeFileSync(log, text);
  const out = join(dir, 'out');
  const r = spawnSync(process.execPath, [bin, 'analyze', log, '--out', out, '--format', 'json', ...args], { encoding: 'utf8' });
  return { r, report: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) };
}

/** /var/log/ufw.log of a Samba DC (10.0.0.11) that lets Kerberos in and blocks LDAP from the sync server. */
const UFW_LOG = [
  'Nov 20 09:15:01 dc1 kernel: [12345.100000] [UFW ALLOW] IN=eth0 OUT= MAC=00:15:5d:01:02:11:00:15:5d:01:02:20:08:00 SRC=10.0.0.20 DST=10.0.0.11 LEN=52 TOS=0x00 PREC=0x00 TTL=128 ID=4650 DF PROTO=TCP SPT=50200 DPT=88 WINDOW=64240 RES=0x00 SYN URGP=0',
  'Nov 20 09:15:02 dc1 kernel: [12346.100000] [UFW BLOCK] IN=eth0 OUT= MAC=00:15:5d:01:02:11:00:15:5d:01:02:20:08:00 SRC=10.0.0.20 DST=10.0.0.11 LEN=52 TOS=0x00 PREC=0x00 TTL=128 ID=4660 DF PROTO=TCP SPT=50123 DPT=389 WINDOW=64240 RES=0x00 SYN URGP=0',
  'Nov 20 09:15:03 dc1 kernel: [12347.100000] [UFW BLOCK] IN=eth0 OUT= MAC=00:15:5d:01:02:11:00:15:5d:01:02:20:08:00 SRC=10.0.0.20 DST=10.0.0.11 LEN=52 TOS=0x00 PREC=0x00 TTL=128 ID=4661 DF PROTO=TCP SPT=50123 DPT=389 WINDOW=64240 RES=0x00 SYN URGP=0',
  '',
].join('\n');

describe('analyze on a Linux firewall log (ufw on a Samba DC)', () => {
  it('reports LDAP blocked by the DC\'s own firewall, with the rule prefix and what to check, and fails the run', () => {
    const { r, report } = analyzeLog('ufw.log', UFW_LOG, ['--role', '10.0.0.20=connect', '--role', '10.0.0.11=dc', '--tz', 'Europe/Berlin']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/FAIL: 1 required flow blocked/);
    expect(report.inputs[0]).toMatchObject({ format: 'netfilter', records: 3 });
    const ldap = report.findings.find((f: { rule_id: string }) => f.rule_id === 'connect-dc-ldap');
    expect(ldap).toMatchObject({ status: 'blocked', src: '10.0.0.20', dst: '10.0.0.11', refused: 1 });
    expect(ldap.reason).toMatch(/dropped by the Linux firewall \("\[UFW BLOCK\]"\)/);
    expect(ldap.hints.join('\n')).toMatch(/ufw status verbose/);
    expect(ldap.evidence[0]).toMatchObject({ line: 2, conn_state: 'S0' });
    // Local syslog times read in the zone given: 09:15:02 in Berlin is 08:15:02 UTC.
    expect((ldap.evidence[0].ts / 1000) % 86_400_000).toBe(((8 * 60 + 15) * 60 + 2) * 1000);
    expect(report.findings.find((f: { rule_id: string }) => f.rule_id === 'connect-dc-kerberos').status).toBe('ok');
  });
});

/** A pfSense firewall between the sync server and a DC in another subnet, blocking LDAP. */
const FILTER_LOG = [
  'Nov 20 09:15:01 fw filterlog[12345]: 7,,,1000000105,igb1,match,pass,in,4,0x0,,127,4650,0,DF,6,tcp,52,10.0.0.20,10.0.1.11,50200,88,0,S,5000,,64240,,mss;nop;wscale;nop;nop;sackOK',
  'Nov 20 09:15:02 fw filterlog[12345]: 5,,,1000000103,igb1,match,block,in,4,0x0,,127,4660,0,DF,6,tcp,52,10.0.0.20,10.0.1.11,50123,389,0,S,1000,,64240,,mss;nop;wscale;nop;nop;sackOK',
  '',
].join('\n');

describe('analyze on a pfSense or OPNsense firewall log (filterlog)', () => {
  it('reports LDAP blocked by the firewall between the hosts, naming its rule, and fails the run', () => {
    const { r, report } = analyzeLog('filter.log', FILTER_LOG, ['--role', '10.0.0.20=connect', '--role', '10.0.1.11=dc']);
    expect(r.status).toBe(1);
    expect(report.inputs[0]).toMatchObject({ format: 'filterlog', records: 2 });
    const ldap = report.findings.find((f: { rule_id: string }) => f.rule_id === 'connect-dc-ldap');
    expect(ldap).toMatchObject({ status: 'blocked', src: '10.0.0.20', dst: '10.0.1.11' });
    expect(ldap.reason).toMatch(/rule 1000000103/);
    expect(report.findings.find((f: { rule_id: string }) => f.rule_id === 'connect-dc-kerberos').status).toBe('ok');
    // A firewall between subnets observes no host of its own: its log is no capture point.
    expect(report.inputs[0].captured_on).toBeUndefined();
  });
});

/** A Cisco ASA between the sync server and its DC: LDAP denied, RPC's SYN unanswered behind it. */
const ASA_LOG = [
  '<164>Nov 20 2026 09:15:01: %ASA-6-302013: Built outbound TCP connection 1001 for outside:10.0.1.11/88 (10.0.1.11/88) to inside:10.0.0.20/50200 (10.0.0.20/50200)',
  '<164>Nov 20 2026 09:15:01: %ASA-6-302014: Teardown TCP connection 1001 for outside:10.0.1.11/88 to inside:10.0.0.20/50200 duration 0:00:01 bytes 4521 TCP FINs',
  '<164>Nov 20 2026 09:15:02: %ASA-4-106023: Deny tcp src inside:10.0.0.20/50123 dst outside:10.0.1.11/389 by access-group "inside_in" [0x0, 0x0]',
  '<164>Nov 20 2026 09:15:06: %ASA-6-302013: Built outbound TCP connection 1002 for outside:10.0.1.11/135 (10.0.1.11/135) to inside:10.0.0.20/50300 (10.0.0.20/50300)',
  '<164>Nov 20 2026 09:15:36: %ASA-6-302014: Teardown TCP connection 1002 for outside:10.0.1.11/135 to inside:10.0.0.20/50300 duration 0:00:30 bytes 0 SYN Timeout',
  '',
].join('\n');

describe('analyze on a Cisco ASA log', () => {
  it('reports LDAP denied by its access group and RPC unanswered behind it, and fails the run', () => {
    const { r, report } = analyzeLog('asa.log', ASA_LOG, ['--role', '10.0.0.20=connect', '--role', '10.0.1.11=dc']);
    expect(r.status).toBe(1);
    expect(report.inputs[0]).toMatchObject({ format: 'asa', records: 5 });
    const find = (rule: string) => report.findings.find((f: { rule_id: string }) => f.rule_id === rule);
    expect(find('connect-dc-ldap')).toMatchObject({ status: 'blocked', refused: 1 });
    expect(find('connect-dc-ldap').reason).toMatch(/rule inside_in/);
    expect(find('connect-dc-msrpc')).toMatchObject({ status: 'blocked', unanswered: 1 });
    expect(find('connect-dc-msrpc').evidence[0].reason).toMatch(/SYN Timeout/);
    expect(find('connect-dc-kerberos').status).toBe('ok');
  });
});
