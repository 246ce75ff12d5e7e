import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileScenario } from '../scenarios/compile.js';
import { HOSTS as HYBRID_HOSTS, SCENARIOS } from '../scenarios/hybrid.js';
import { renderNsgV2, renderPfirewall } from '../scenarios/logs.js';
import type { Exchange, Scenario, ScenarioHost } from '../scenarios/model.js';
import { PcapngWriter } from '../support/pcapng-writer.js';

/**
 * A domain numbered with global IPv6 addresses, as enterprises number theirs (one site's /48, a
 * /64 per subnet; Windows prefers IPv6 wherever the network has it), with no inventory: every role
 * comes from the data. A global address cannot say it is internal, so nothing may treat it as the
 * internet on that ground alone.
 */
const root = join(__dirname, '../..');
const bin = join(root, 'dist/src/cli/bin.js');

const HOSTS: Record<string, ScenarioHost> = {
  aadc: { ip: '2001:db8:abcd:20::20', name: 'aadc01.contoso.com' },
  dc1: { ip: '2001:db8:abcd:10::10', name: 'dc01.contoso.com' },
  dc2: { ip: '2001:db8:abcd:10::11', name: 'dc02.contoso.com' },
  fw: { ip: '2001:db8:abcd:10::1', name: 'fw01.contoso.com' },
  login: { ip: '2603:1037:1:c8::8', name: 'login.microsoftonline.com' },
  adminws: { ip: '2603:1036:3000:18::1', name: 'adminwebservice.microsoftonline.com' },
};

/** One sync cycle over IPv6, with the faults of `patch` (by `to:port`). */
function cycle(t0: number, patch: Record<string, Partial<Exchange>>): Exchange[] {
  const ex: Exchange[] = [
    { kind: 'dns', at: t0, client: 'aadc', server: 'dc1', name: 'dc02.contoso.com', answer: ['2001:db8:abcd:10::11'] },
    { kind: 'tcp', at: t0 + 0.1, from: 'aadc', to: 'dc1', port: 88, bytes: [1480, 1620] },
    { kind: 'tcp', at: t0 + 0.2, from: 'aadc', to: 'dc1', port: 389, bytes: [2400, 12000] },
    { kind: 'rpc', at: t0 + 0.3, client: 'aadc', server: 'dc1', dynamicPort: 49668 },
    { kind: 'tcp', at: t0 + 0.5, from: 'aadc', to: 'dc1', port: 445, bytes: [900, 1100] },
    { kind: 'tcp', at: t0 + 0.6, from: 'aadc', to: 'dc2', port: 88, bytes: [1480, 1620] },
    { kind: 'tcp', at: t0 + 0.7, from: 'aadc', to: 'dc2', port: 389, bytes: [2400, 9000] },
    { kind: 'rpc', at: t0 + 0.8, client: 'aadc', server: 'dc2', dynamicPort: 49671 },
    { kind: 'dns', at: t0 + 1.0, client: 'aadc', server: 'dc1', name: 'login.microsoftonline.com', answer: ['2603:1037:1:c8::8'] },
    { kind: 'tcp', at: t0 + 1.1, from: 'aadc', to: 'login', port: 443, sni: 'login.microsoftonline.com', bytes: [5200, 9800] },
    { kind: 'dns', at: t0 + 1.5, client: 'aadc', server: 'dc1', name: 'adminwebservice.microsoftonline.com', answer: ['2603:1036:3000:18::1'] },
    { kind: 'tcp', at: t0 + 1.6, from: 'aadc', to: 'adminws', port: 443, sni: 'adminwebservice.microsoftonline.com', bytes: [16000, 6000] },
  ];
  return ex.map((e) => {
    const key = 'to' in e ? `${e.to}:${e.port}` : '';
    return (patch[key] ? { ...e, ...patch[key] } : e) as Exchange;
  });
}

function capture(name: string, patch: Record<string, Partial<Exchange>>): string {
  return write({
    name,
    title: name,
    description: name,
    start: '2024-05-01T10:00:00Z',
    hosts: HOSTS,
    exchanges: [...cycle(0, patch), ...cycle(30, patch)],
    expect: [],
  });
}

function write(scenario: Scenario): string {
  const name = scenario.name;
  const w = new PcapngWriter().shb('le').idb({ linkType: 1 });
  for (const p of compileScenario(scenario).packets) w.epb({ interfaceId: 0, tsMicros: p.tsMicros, data: p.data });
  const file = join(mkdtempSync(join(tmpdir(), 'flowaudit-ipv6-')), `${name}.pcapng`);
  writeFileSync(file, w.finish());
  return file;
}

interface Finding {
  rule_id: string;
  src: string | null;
  dst: string | null;
  status: string;
  reason: string;
}
interface Host {
  address: string;
  roles: { role: string; source: string; confidence: string; why: string }[];
}

function analyze(file: string, features: string[] = [], more: string[] = []) {
  const out = mkdtempSync(join(tmpdir(), 'flowaudit-ipv6-out-'));
  const feature = features.length > 0 ? ['--feature', features.join(',')] : [];
  const r = spawnSync(process.execPath, [bin, 'analyze', file, '--out', out, '--format', 'json', ...feature, ...more], { encoding: 'utf8' });
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { findings: Finding[]; hosts: Host[] };
  const roles = (address: string) => [...new Set(report.hosts.find((h) => h.address === address)?.roles.map((e) => e.role) ?? [])].sort();
  const finding = (rule: string, dst: string) => report.findings.find((f) => f.rule_id === rule && f.dst === dst);
  return { ...r, report, roles, finding };
}

describe('a domain on global IPv6 addresses, captured on the sync server, no inventory', () => {
  it('finds the DCs, Entra ID and the Connect server from the data, and judges a healthy sync clean', () => {
    const a = analyze(capture('ipv6-healthy', {}));
    expect(a.stderr).toBe('');
    expect(a.roles('2001:db8:abcd:10::10')).toEqual(['dc']);
    expect(a.roles('2001:db8:abcd:10::11')).toEqual(['dc']);
    expect(a.roles('2603:1037:1:c8::8')).toContain('azure-ad');
    expect(a.roles('2001:db8:abcd:20::20')).toEqual(['connect']);
    expect(a.finding('connect-dc-ldap', '2001:db8:abcd:10::11')?.status).toBe('ok');
    expect(a.finding('connect-dc-kerberos', '2001:db8:abcd:10::10')?.status).toBe('ok');
    expect(a.finding('connect-azure-ad-https', '2603:1037:1:c8::8')?.status).toBe('ok');
    expect(a.report.findings.filter((f) => f.status === 'blocked' || f.status === 'missing')).toEqual([]);
    expect(a.stdout.split('\n')[0]).toMatch(/^PASS: /);
    expect(a.status).toBe(0);
  });

  it('LDAP dropped at one DC and Kerberos refused by an ICMPv6 administratively-prohibited: both blocked, with their reasons', () => {
    const a = analyze(
      capture('ipv6-blocked', {
        'dc2:389': { fault: 'drop', synTries: 3 },
        'dc1:88': { fault: 'icmp-admin', via: 'fw' },
      }),
    );
    expect(a.roles('2001:db8:abcd:20::20')).toEqual(['connect']);
    const ldap = a.finding('connect-dc-ldap', '2001:db8:abcd:10::11');
    expect(ldap?.status).toBe('blocked');
    expect(ldap?.reason).toMatch(/S0/);
    const kerberos = a.finding('connect-dc-kerberos', '2001:db8:abcd:10::10');
    expect(kerberos?.status).toBe('blocked');
    expect(kerberos?.reason).toMatch(/administratively prohibited/i);
    expect(kerberos?.reason).toMatch(/from 2001:db8:abcd:10::1$/);
    expect(a.stdout.split('\n')[0]).toMatch(/^FAIL: 2 required flows blocked/);
    expect(a.status).toBe(1);
  });
});

/**
 * The hybrid scenarios' hosts renumbered: the on-premises ones into the site 2001:db8:abcd::/48
 * (the DMZ too), the internet's to global addresses of other networks.
 */
const IPV6_OF: Record<string, string> = {
  '10.0.0.1': '2001:db8:abcd:10::1',
  '10.0.0.10': '2001:db8:abcd:10::10',
  '10.0.0.11': '2001:db8:abcd:10::11',
  '10.0.0.20': '2001:db8:abcd:20::20',
  '10.0.0.30': '2001:db8:abcd:10::30',
  '10.0.1.51': '2001:db8:abcd:1::51',
  '10.0.1.52': '2001:db8:abcd:1::52',
  '10.0.2.10': '2001:db8:abcd:2::10',
  '172.16.0.10': '2001:db8:abcd:ff::10',
  '20.190.151.68': '2603:1037:1:c8::8',
  '40.126.62.130': '2603:1036:3000:18::1',
  '23.46.210.19': '2600:1406:3c00::17d5:d213',
  '203.0.113.25': '2a02:8108:1::25',
  '198.51.100.7': '2a01:e0a:2::7',
  '203.0.113.80': '2003:e5:3::80',
};
const IPV4_OF = Object.fromEntries(Object.entries(IPV6_OF).map(([v4, v6]) => [v6, v4]));

function renumbered(s: Scenario): Scenario {
  const ip = (a: string) => {
    const v6 = IPV6_OF[a];
    if (v6 === undefined) throw new Error(`${s.name}: no IPv6 address for ${a}`);
    return v6;
  };
  const hosts = Object.fromEntries(Object.entries(s.hosts).map(([key, h]) => [key, { ...h, ip: ip(h.ip) }]));
  const exchanges = s.exchanges.map((e) => (e.kind === 'dns' && Array.isArray(e.answer) ? { ...e, answer: e.answer.map(ip) } : e));
  return { ...s, name: `${s.name}-ipv6`, hosts, exchanges };
}

/** Each finding as `rule status src dst`, IPv6 addresses named by their IPv4 twin, sorted. */
function findingLines(report: { findings: Finding[] }): string[] {
  const v4 = (a: string | null) => (a === null ? '-' : (IPV4_OF[a] ?? a));
  return report.findings.map((f) => `${f.rule_id} ${f.status} ${v4(f.src)} ${v4(f.dst)}`).sort();
}

describe('every hybrid scenario renumbered into one global IPv6 site judges as it does on IPv4, with no inventory', () => {
  it.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', (_name, scenario) => {
    const v4 = analyze(write({ ...scenario, name: `${scenario.name}-ipv4` }), scenario.features);
    const v6 = analyze(write(renumbered(scenario)), scenario.features);
    expect(findingLines(v6.report)).toEqual(findingLines(v4.report));
    expect(v6.status).toBe(v4.status);
  });
});

/**
 * A firewall log names no host, so only --role says which one is the Connect server (as the
 * verdict of a log without one asks); the DCs are still found from the log.
 */
describe('the scenarios\' firewall logs renumbered into the IPv6 site judge as on IPv4, given only the Connect server', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'flowaudit-ipv6-logs-'));
  const scenario = (name: string) => SCENARIOS.find((s) => s.name === name)!;

  it("dc02's Windows Firewall log (LDAP dropped)", () => {
    const files = [scenario('ldap-dropped'), renumbered(scenario('ldap-dropped'))].map((s) => {
      const dc2 = s.hosts.dc2.ip;
      const file = join(dir(), 'pfirewall.log');
      writeFileSync(file, renderPfirewall(s, compileScenario(s).flows, dc2, 0, [389]));
      return file;
    });
    const [v4, v6] = files.map((f, i) => analyze(f, [], ['--role', `${i === 0 ? '10.0.0.20' : IPV6_OF['10.0.0.20']}=connect`]));
    expect(findingLines(v6.report)).toEqual(findingLines(v4.report));
    expect(v6.status).toBe(v4.status);
    expect(v4.report.findings.some((f) => f.status === 'blocked')).toBe(true);
  });

  it('the DC subnet\'s NSG flow log (dynamic RPC denied)', () => {
    const files = [scenario('rpc-range-blocked'), renumbered(scenario('rpc-range-blocked'))].map((s) => {
      const dcs = [s.hosts.dc1.ip, s.hosts.dc2.ip];
      const root = dir();
      const folder = join(root, 'y=2024', 'm=05', 'd=01', 'h=14', 'm=00', 'macAddress=000D3A000001');
      mkdirSync(folder, { recursive: true });
      const flows = compileScenario(s).flows.filter((f) => dcs.includes(f.dst));
      writeFileSync(join(folder, 'PT1H.json'), renderNsgV2(s, flows, '/SUBSCRIPTIONS/0/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/DC-NSG', '000D3A000001', [49668, 49671], 'UserRule_Deny-HighPorts'));
      return root;
    });
    const [v4, v6] = files.map((f, i) => analyze(f, [], ['--role', `${i === 0 ? '10.0.0.20' : IPV6_OF['10.0.0.20']}=connect`]));
    expect(findingLines(v6.report)).toEqual(findingLines(v4.report));
    expect(v6.status).toBe(v4.status);
    expect(v4.report.findings.some((f) => f.status === 'blocked')).toBe(true);
  });
});

/**
 * Dual stack, as Windows does it: the sync server reaches the DCs over IPv6 (it prefers it) and
 * Entra ID over IPv4 (its answers there are A records), so its two addresses each do half of what
 * makes a Connect server. The capture, taken on it, has one of them in every flow.
 */
function dualStack(s: Scenario): Scenario {
  const dcV6: Record<string, string> = { dc1: IPV6_OF['10.0.0.10'], dc2: IPV6_OF['10.0.0.11'] };
  const hosts = { ...s.hosts, aadc6: { ...HYBRID_HOSTS.aadc, ip: IPV6_OF['10.0.0.20'] }, dc1: { ...s.hosts.dc1, ip: dcV6.dc1 }, dc2: { ...s.hosts.dc2, ip: dcV6.dc2 } };
  const toDc = (host: string) => host in dcV6;
  const exchanges = s.exchanges.map((e): Exchange => {
    if (e.kind === 'dns') {
      // The DCs' names answer with their IPv6 addresses; the cloud's keep their A records.
      const dcAnswer = (a: string) => (a === HYBRID_HOSTS.dc1.ip ? dcV6.dc1 : a === HYBRID_HOSTS.dc2.ip ? dcV6.dc2 : a);
      const answer = Array.isArray(e.answer) ? e.answer.map(dcAnswer) : e.answer;
      return toDc(e.server) && e.client === 'aadc' ? { ...e, client: 'aadc6', answer } : { ...e, answer };
    }
    if (e.kind === 'rpc') return toDc(e.server) && e.client === 'aadc' ? { ...e, client: 'aadc6' } : e;
    return toDc(e.to) && e.from === 'aadc' ? { ...e, from: 'aadc6' } : e;
  });
  return { ...s, name: `${s.name}-dual-stack`, hosts, exchanges };
}

describe('a dual-stack sync server (IPv6 to the DCs, IPv4 to Entra ID), no inventory', () => {
  it('LDAP dropped at dc02 is blocked from its IPv6 address, and the capture was taken on both of its addresses', () => {
    const a = analyze(write(dualStack(SCENARIOS.find((s) => s.name === 'ldap-dropped')!)));
    expect(a.roles(IPV6_OF['10.0.0.20'])).toEqual(['connect']);
    expect(a.roles('10.0.0.20')).toEqual(['connect']);
    expect(a.finding('connect-dc-ldap', IPV6_OF['10.0.0.11'])).toMatchObject({ status: 'blocked', src: IPV6_OF['10.0.0.20'] });
    expect(a.finding('connect-azure-ad-https', '20.190.151.68')).toMatchObject({ status: 'ok', src: '10.0.0.20' });
    expect(a.stdout).toContain(`captured on 10.0.0.20, ${IPV6_OF['10.0.0.20']}`);
    expect(a.stdout.split('\n')[0]).toBe(`FAIL: 1 required flow blocked (connect ${IPV6_OF['10.0.0.20']} → dc ${IPV6_OF['10.0.0.11']} LDAP 389/tcp/udp blocked)`);
    // One host, one confidence: its IPv6 address alone only looked Entra ID's names up (low), its
    // IPv4 address made the contact (medium).
    const ipv6 = a.report.hosts.find((h) => h.address === IPV6_OF['10.0.0.20'])!;
    expect(ipv6.roles).toEqual([expect.objectContaining({ role: 'connect', confidence: 'medium', why: expect.stringMatching(/^a capture taken on it has 10\.0\.0\.20 as its other address, which is connect \(inferred\): one dual-stack host; on its own: looks up adminwebservice/) })]);
    expect(a.stdout).toContain(`roles:   connect ${IPV6_OF['10.0.0.20']} (medium)`);
    expect(a.status).toBe(1);
  });
});
