import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Real traffic between a sync server and a Samba AD DC behind Linux firewalls (fixtures/samba-lab,
// recorded by scripts/samba-lab.sh): what analyze concludes from each capture and log.
const root = join(__dirname, '../..');
const bin = join(root, 'dist/src/cli/bin.js');
const lab = (name: string) => join(root, 'fixtures/samba-lab', name);
const SYNC = ['--role', '10.79.0.20=connect', '--role', '2001:db8:79::20=connect'];
const DC4 = '10.77.0.11';
const DC6 = '2001:db8:77::11';

const rolesOf = (report: { hosts: { address: string; roles: { role: string }[] }[] }, address: string) =>
  report.hosts.find((h) => h.address === address)?.roles.map((r) => r.role);

interface F {
  rule_id: string;
  src: string | null;
  dst: string | null;
  status: string;
  reason: string;
  hints: string[];
  conn_states: Record<string, number>;
}

function analyze(files: string[], args: string[] = SYNC) {
  const out = mkdtempSync(join(tmpdir(), 'flowaudit-samba-lab-'));
  const r = spawnSync(process.execPath, [bin, 'analyze', ...files.map(lab), '--out', out, '--format', 'json', ...args], { encoding: 'utf8' });
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  const dc = (rule: string, dst = DC4) => report.findings.find((f: F) => f.rule_id === rule && f.dst === dst) as F | undefined;
  const failing = report.findings.filter((f: F) => f.status === 'blocked' || f.status === 'missing' || f.status === 'partial').map((f: F) => `${f.rule_id} ${f.src} ${f.dst} ${f.status}`);
  return { status: r.status, stdout: r.stdout, report, dc, failing };
}

describe('real Samba AD DC traffic (fixtures/samba-lab)', () => {
  it('a healthy sync: every DC rule seen is ok; the DC is inferred; the refused simple bind is named', () => {
    const { report, dc, failing } = analyze(['healthy-sync.pcap'], ['--role', '10.79.0.20=connect']);
    expect(rolesOf(report, DC4)).toEqual(['dc']);
    for (const rule of ['connect-dc-dns', 'connect-dc-kerberos', 'connect-dc-ldap', 'connect-dc-msrpc', 'connect-dc-rpc-dynamic', 'connect-dc-smb', 'connect-dc-gc']) {
      expect(dc(rule)?.status, rule).toBe('ok');
    }
    // No Entra ID in a lab: that one is missing, nothing else.
    expect(failing).toEqual(['connect-azure-ad-https 10.79.0.20 null missing']);
    expect(report.data_quality.counters.ldap_bind_errors).toBe(1);
  });

  it('dual-stack: the DC over IPv6 by name and IPv4 by address is one host; nothing is missing for want of the other family', () => {
    const { report, dc, failing } = analyze(['dual-stack.pcap']);
    expect(failing).toEqual(['connect-azure-ad-https 10.79.0.20 null missing']);
    expect(dc('connect-dc-kerberos', DC6)?.status).toBe('ok');
    expect(dc('connect-dc-smb', DC4)?.status).toBe('ok');
    // No IPv4 address is judged against an IPv6 one.
    const mixed = report.findings.filter((f: F) => f.src !== null && f.dst !== null && f.src.includes(':') !== f.dst.includes(':'));
    expect(mixed).toEqual([]);
    // The client's port unreachables for late DNS answers refuse nothing.
    expect(report.data_quality.counters.icmp_errors_about_answers).toBeGreaterThan(0);
    expect(dc('connect-dc-dns')?.status).toBe('ok');
    // With no role given, the sync server's two addresses are one candidate; naming one names both.
    const unnamed = analyze(['dual-stack.pcap'], []);
    expect(unnamed.report.verdict.summary).toMatch(/if it is 2001:db8:79::20 \(\d+ LDAP and Kerberos flows to the DCs, also at 10\.79\.0\.20\), say so: --role 2001:db8:79::20=connect/);
    expect(analyze(['dual-stack.pcap'], ['--role', '2001:db8:79::20=connect']).failing).toEqual(['connect-azure-ad-https 10.79.0.20 null missing']);
  });

  it("the DC's own firewall, captured on both ends: drops, a reset, ICMP prohibited; the attempts arrived and went unanswered there", () => {
    const { dc, status, report } = analyze(['dc-firewall.sync-side.pcap', 'dc-firewall.dc-side.pcap']);
    expect(status).toBe(1);
    const ldap = dc('connect-dc-ldap')!;
    expect(ldap.status).toBe('blocked');
    expect(ldap.reason).toMatch(/S0×\d+ \(SYN unanswered\).*unanswered in .*dc-firewall\.dc-side\.pcap too, captured at the same time/);
    expect(dc('connect-dc-ldaps')).toMatchObject({ status: 'blocked', conn_states: { REJ: expect.any(Number) } });
    expect(dc('connect-dc-rpc-dynamic', DC6)!.reason).toMatch(/ICMPv6 1\/1 administratively prohibited from 2001:db8:77::11/);
    expect(report.inputs[0].same_connections[0].file).toBe(lab('dc-firewall.dc-side.pcap'));
  });

  it("the DC firewall's own log lines (dmesg -T): a silent DC, its drops and reset named by the rule's prefix", () => {
    const { dc, report } = analyze(['dc-firewall.dmesg-T.log'], ['--role', '10.79.0.20=connect', '--tz', 'UTC']);
    expect(rolesOf(report, DC4)).toEqual(['dc']);
    expect(dc('connect-dc-ldap')!.reason).toContain('dropped by the Linux firewall ("DROP-LDAP:")');
    expect(dc('connect-dc-ldaps')!.reason).toContain('rejected by the Linux firewall ("REJECT-LDAPS:")');
    expect(report.window.first_ts).toBeGreaterThan(Date.UTC(2026, 0, 1) * 1000);
  });

  it('a router between them, captured on both ends: what never reached the DC was dropped between the two, and the reset came from there', () => {
    const { dc, failing } = analyze(['router-firewall.sync-side.pcap', 'router-firewall.dc-side.pcap']);
    // One finding per pair of hosts: LDAP over IPv6 (by name) and IPv4 (by address), CLDAP answered.
    expect(failing.sort()).toEqual(
      [`connect-dc-ldap 10.79.0.20 ${DC4} partial`, `connect-dc-ldaps 10.79.0.20 ${DC4} blocked`, 'connect-azure-ad-https 10.79.0.20 null missing'].sort(),
    );
    const ldap = dc('connect-dc-ldap')!;
    expect(ldap.reason).toMatch(/^TCP: 2 of 2 attempts failed: S0×2 \(SYN unanswered\); UDP: 4 of 4 attempts completed; not in .*router-firewall\.dc-side\.pcap, captured at the same time: dropped between the two capture points$/);
    expect(dc('connect-dc-ldaps')!.hints[0]).toContain(`came from it, not from ${DC4}`);
  });

  it('TCP 88 dropped, UDP open: the KDC says the ticket needs TCP, so Kerberos is blocked, not partial', () => {
    const { report, stdout, status } = analyze(['kerberos-tcp-blocked.pcap'], ['--role', '10.79.0.20=connect', '--role', `${DC4}=dc`]);
    expect(status).toBe(1);
    const kerberos = report.findings.filter((f: F) => f.rule_id === 'connect-dc-kerberos');
    expect(kerberos).toHaveLength(1);
    expect(kerberos[0].status).toBe('blocked');
    expect(kerberos[0].reason).toMatch(/^TCP: \d+ of \d+ attempts failed: S0×\d+ \(SYN unanswered\); UDP: \d+ of \d+ attempts completed; the KDC told the client to ask over TCP \(KRB_ERR_RESPONSE_TOO_BIG\), and no TCP attempt completed$/);
    expect(kerberos[0].hints[0]).toMatch(/answered 2001:db8:79::20 over UDP with KRB_ERR_RESPONSE_TOO_BIG \(52\).*frame \d+\): a ticket this large/);
    expect(stdout).toContain('Kerberos 88/tcp/udp blocked');
    // A normal part of the exchange, not damage: no problem counted among the evidence gaps.
    expect(report.data_quality.evidence_gaps.join('\n')).not.toMatch(/problems? (was|were) reported/);
  });

  it('Kerberos errors and UDP refusals: a wrong password and an unknown account; CLDAP refused by port unreachable', () => {
    const { dc, report } = analyze(['kerberos-errors.pcap'], ['--role', '10.79.0.20=connect']);
    expect(report.data_quality.counters.kerberos_errors).toBe(2);
    const names = report.data_quality.diagnostics.filter((d: { code: string }) => d.code === 'kerberos_error').flatMap((d: { examples: { detail: string }[] }) => d.examples.map((e) => e.detail));
    expect(names.join('\n')).toMatch(/KDC_ERR_PREAUTH_FAILED[\s\S]*KDC_ERR_C_PRINCIPAL_UNKNOWN|KDC_ERR_C_PRINCIPAL_UNKNOWN[\s\S]*KDC_ERR_PREAUTH_FAILED/);
    expect(dc('connect-dc-ldap')!.reason).toContain('ICMP 3/3 port unreachable from 10.77.0.11');
    // Kerberos over UDP (both families) dropped, over TCP answered: one partial finding for the DC.
    const kerberos = report.findings.filter((f: F) => f.rule_id === 'connect-dc-kerberos');
    expect(kerberos).toHaveLength(1);
    expect(kerberos[0]).toMatchObject({ status: 'partial', reason: 'TCP: 3 of 3 attempts completed; UDP: 6 of 6 attempts failed: S0×6 (request, no answer)' });
    // The sync server's IPv6 address holds its role: the capture was taken on it, with both addresses.
    expect(rolesOf(report, '2001:db8:79::20')).toEqual(['connect']);
  });
});
