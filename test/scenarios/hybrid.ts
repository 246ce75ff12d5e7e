import type { Exchange, ExchangeFault, Scenario, ScenarioHost } from './model.js';

/** Faults to inject into a sync cycle, keyed `kind:hostKey:port` (`tcp:dc2:389`, `rpc:dc1:`). */
type CycleFaults = Record<string, { fault: ExchangeFault; via?: string; synTries?: number }>;

/**
 * The hybrid-identity scenarios behind fixtures/: an Entra Connect server (aadc01) syncing from two
 * domain controllers to Entra ID, and a federation farm (AD FS behind a WAP). Addresses: on-premises
 * RFC 1918; cloud addresses from Microsoft's published ranges; user addresses from the
 * documentation ranges (RFC 5737).
 */

export const HOSTS: Record<string, ScenarioHost> = {
  aadc: { ip: '10.0.0.20', name: 'aadc01.contoso.local', roles: ['connect'] },
  dc1: { ip: '10.0.0.10', name: 'dc01.contoso.local', roles: ['dc'] },
  dc2: { ip: '10.0.0.11', name: 'dc02.contoso.local', roles: ['dc'] },
  gw: { ip: '10.0.0.1', name: 'fw01.contoso.local' },
  proxy: { ip: '10.0.0.30', name: 'proxy01.contoso.local' },
  login: { ip: '20.190.151.68', name: 'login.microsoftonline.com' },
  adminws: { ip: '40.126.62.130', name: 'adminwebservice.microsoftonline.com' },
  crl: { ip: '23.46.210.19', name: 'crl.microsoft.com' },
};

export const FEDERATION_HOSTS: Record<string, ScenarioHost> = {
  adfs: { ip: '10.0.2.10', name: 'adfs01.contoso.local', roles: ['adfs'] },
  wap: { ip: '172.16.0.10', name: 'wap01.contoso.com', roles: ['wap'] },
  user1: { ip: '203.0.113.25', roles: ['users'] },
  user2: { ip: '198.51.100.7', roles: ['users'] },
  user3: { ip: '203.0.113.80', roles: ['users'] },
};

/** Two workstations of the domain, with no role in hybrid identity: they log on at dc01. */
export const WORKSTATIONS: Record<string, ScenarioHost> = {
  ws1: { ip: '10.0.1.51', name: 'ws051.contoso.local' },
  ws2: { ip: '10.0.1.52', name: 'ws052.contoso.local' },
};

/** What a workstation's logon puts on the wire to its DC, starting at `t0` seconds. */
function workstationLogon(t0: number, ws: string): Exchange[] {
  return [
    { kind: 'dns', at: t0, client: ws, server: 'dc1', name: 'dc01.contoso.local', answer: ['10.0.0.10'] },
    { kind: 'udp', at: t0 + 0.05, from: ws, to: 'dc1', port: 389, bytes: [180, 320] },
    { kind: 'tcp', at: t0 + 0.1, from: ws, to: 'dc1', port: 88, bytes: [1480, 1620] },
    { kind: 'tcp', at: t0 + 0.3, from: ws, to: 'dc1', port: 389, bytes: [1800, 6000] },
    { kind: 'tcp', at: t0 + 0.5, from: ws, to: 'dc1', port: 445, bytes: [1200, 8000] },
  ];
}

/** What a healthy sync cycle puts on the wire from the Connect server, starting at `t0` seconds. */
function syncCycle(t0: number, faults: CycleFaults = {}): Exchange[] {
  const ex: Exchange[] = [
    { kind: 'dns', at: t0 + 0.0, client: 'aadc', server: 'dc1', name: 'dc01.contoso.local', answer: ['10.0.0.10'] },
    { kind: 'dns', at: t0 + 0.02, client: 'aadc', server: 'dc1', name: 'dc02.contoso.local', answer: ['10.0.0.11'] },
    { kind: 'udp', at: t0 + 0.1, from: 'aadc', to: 'dc1', port: 389, bytes: [180, 320] }, // CLDAP DC locator
    { kind: 'tcp', at: t0 + 0.2, from: 'aadc', to: 'dc1', port: 88, bytes: [1480, 1620] },
    { kind: 'udp', at: t0 + 0.3, from: 'aadc', to: 'dc1', port: 88, bytes: [260, 240] },
    { kind: 'tcp', at: t0 + 0.4, from: 'aadc', to: 'dc1', port: 389, bytes: [2400, 12000] },
    { kind: 'rpc', at: t0 + 0.6, client: 'aadc', server: 'dc1', dynamicPort: 49668 },
    { kind: 'tcp', at: t0 + 0.8, from: 'aadc', to: 'dc1', port: 445, bytes: [900, 1100] },
    { kind: 'tcp', at: t0 + 0.9, from: 'aadc', to: 'dc1', port: 3268, bytes: [600, 2200] },
    { kind: 'tcp', at: t0 + 1.0, from: 'aadc', to: 'dc2', port: 88, bytes: [1480, 1620] },
    { kind: 'tcp', at: t0 + 1.1, from: 'aadc', to: 'dc2', port: 389, bytes: [2400, 9000] },
    { kind: 'rpc', at: t0 + 1.2, client: 'aadc', server: 'dc2', dynamicPort: 49671 },
    { kind: 'dns', at: t0 + 2.0, client: 'aadc', server: 'dc1', name: 'login.microsoftonline.com', cname: 'login.mso.msidentity.com', answer: ['20.190.151.68'] },
    { kind: 'tcp', at: t0 + 2.1, from: 'aadc', to: 'login', port: 443, sni: 'login.microsoftonline.com', bytes: [5200, 9800] },
    { kind: 'dns', at: t0 + 2.5, client: 'aadc', server: 'dc1', name: 'adminwebservice.microsoftonline.com', answer: ['40.126.62.130'] },
    { kind: 'tcp', at: t0 + 2.6, from: 'aadc', to: 'adminws', port: 443, sni: 'adminwebservice.microsoftonline.com', bytes: [16000, 6000] },
    { kind: 'dns', at: t0 + 3.0, client: 'aadc', server: 'dc1', name: 'crl.microsoft.com', cname: 'crl.www.ms.akadns.net', answer: ['23.46.210.19'] },
    { kind: 'tcp', at: t0 + 3.1, from: 'aadc', to: 'crl', port: 80, bytes: [420, 1900] },
  ];
  return ex.map((e) => {
    const key = `${e.kind}:${'to' in e ? e.to : 'server' in e ? e.server : ''}:${'port' in e ? e.port : ''}`;
    const patch = faults[key];
    return patch ? ({ ...e, ...patch } as Exchange) : e;
  });
}

/** Two sync cycles 30 s apart, as the scheduler retries. */
function twoCycles(faults: CycleFaults = {}): Exchange[] {
  return [...syncCycle(0, faults), ...syncCycle(30, faults)];
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'healthy-sync',
    title: 'A healthy sync',
    description: 'Entra Connect imports from two DCs (DNS, Kerberos, LDAP, RPC, SMB, GC) and exports to Entra ID over 443.',
    start: '2024-05-01T10:00:00Z',
    hosts: HOSTS,
    exchanges: twoCycles(),
    expect: [],
  },
  {
    name: 'ldap-dropped',
    title: 'LDAP 389 dropped at a DC firewall',
    description: "dc02's firewall silently drops LDAP: the Connect server's SYNs go unanswered (S0), twice.",
    start: '2024-05-01T11:00:00Z',
    hosts: HOSTS,
    exchanges: twoCycles({ 'tcp:dc2:389': { fault: 'drop', synTries: 3 } }),
    expect: [],
  },
  {
    name: 'ldaps-rejected',
    title: 'LDAPS rejected',
    description: 'The Connect server is set to use LDAPS, but dc01 answers 636 with a reset (REJ): no certificate bound, or the port closed.',
    start: '2024-05-01T12:00:00Z',
    hosts: HOSTS,
    features: ['ldaps'],
    exchanges: [
      ...twoCycles(),
      { kind: 'tcp', at: 0.45, from: 'aadc', to: 'dc1', port: 636, fault: 'reset' },
      { kind: 'tcp', at: 30.45, from: 'aadc', to: 'dc1', port: 636, fault: 'reset' },
    ],
    expect: [],
  },
  {
    name: 'kerberos-icmp-prohibited',
    title: 'Kerberos refused by ICMP administratively prohibited',
    description: 'A firewall between the Connect server and dc01 rejects Kerberos 88 (TCP and UDP) with ICMP 3/13.',
    start: '2024-05-01T13:00:00Z',
    hosts: HOSTS,
    exchanges: twoCycles({
      'tcp:dc1:88': { fault: 'icmp-admin', via: 'gw' },
      'udp:dc1:88': { fault: 'icmp-admin', via: 'gw' },
    }),
    expect: [],
  },
  {
    name: 'rpc-range-blocked',
    title: 'Dynamic RPC range blocked while 135 is open',
    description: 'The endpoint mapper on 135 answers and hands out 49668, but the firewall drops the dynamic port.',
    start: '2024-05-01T14:00:00Z',
    hosts: HOSTS,
    exchanges: twoCycles({ 'rpc:dc1:': { fault: 'drop' } }),
    expect: [],
  },
  {
    name: 'proxy-blocks-login',
    title: 'A proxy blocking 443 to login.microsoftonline.com',
    description: 'DNS resolves, the TCP handshake completes, and a transparent proxy resets the connection after the TLS ClientHello names login.microsoftonline.com.',
    start: '2024-05-01T15:00:00Z',
    hosts: HOSTS,
    exchanges: twoCycles({ 'tcp:login:443': { fault: 'reset-after-hello' } }),
    expect: [],
  },
  {
    name: 'tls-inspection-drops-login',
    title: 'A TLS-inspecting firewall dropping the ClientHello to login.microsoftonline.com',
    description:
      'DNS resolves and the TCP handshake to login.microsoftonline.com completes, but a firewall that inspects TLS drops the ClientHello naming it: the Connect server sends it again twice, hears nothing, and resets. Every other flow works.',
    start: '2024-05-01T18:00:00Z',
    hosts: HOSTS,
    exchanges: twoCycles({ 'tcp:login:443': { fault: 'drop-after-hello' } }),
    expect: [],
  },
  {
    name: 'proxy-auth-required',
    title: 'An explicit proxy refusing the Connect server (407)',
    description:
      'The Connect server reaches Entra ID through an explicit proxy (machine.config): it asks proxy01:8080 for tunnels with HTTP CONNECT, and the proxy answers 407 Proxy Authentication Required, so no DNS lookup and no flow to a Microsoft address appear. Revocation lists, fetched through the same proxy over plain HTTP, come back.',
    start: '2024-05-01T17:00:00Z',
    hosts: HOSTS,
    exchanges: [0, 30].flatMap((t0) =>
      syncCycle(t0)
        .filter((e) => !(e.kind === 'dns' && /microsoft/.test(e.name)) && !(e.kind === 'tcp' && ['login', 'adminws', 'crl'].includes(e.to)))
        .concat([
          { kind: 'tcp', at: t0 + 2.1, from: 'aadc', to: 'proxy', port: 8080, connect: 'login.microsoftonline.com:443', proxyStatus: [407, 'Proxy Authentication Required'], bytes: [0, 0] },
          { kind: 'tcp', at: t0 + 2.6, from: 'aadc', to: 'proxy', port: 8080, connect: 'adminwebservice.microsoftonline.com:443', proxyStatus: [407, 'Proxy Authentication Required'], bytes: [0, 0] },
          // Certificate revocation lists come through the same proxy as plain-HTTP fetches, which it allows.
          { kind: 'tcp', at: t0 + 3.1, from: 'aadc', to: 'proxy', port: 8080, fetch: 'http://crl.microsoft.com/pki/crl/products/MicRooCerAut2011_2011_03_22.crl', bytes: [0, 1900] },
        ]),
    ),
    expect: [],
  },
  {
    name: 'dc-firewalled',
    title: 'A domain controller that answers nothing',
    description:
      "dc02's firewall drops Kerberos, LDAP and the dynamic RPC port from the Connect server; only its endpoint mapper on 135 still answers, and dc01 works. Nothing dc02 answers says it is a DC; that the sync server tries it on Kerberos and LDAP does.",
    start: '2024-05-01T20:00:00Z',
    hosts: HOSTS,
    exchanges: twoCycles({
      'tcp:dc2:88': { fault: 'drop', synTries: 3 },
      'tcp:dc2:389': { fault: 'drop', synTries: 3 },
      'rpc:dc2:': { fault: 'drop' },
    }),
    expect: [],
  },
  {
    name: 'entra-names-unresolved',
    title: "Entra ID's names do not resolve",
    description:
      "The DNS server (dc01) answers NXDOMAIN for login.microsoftonline.com, adminwebservice.microsoftonline.com and crl.microsoft.com (a broken forwarder), so the Connect server never opens a connection to Entra ID. Everything on premises works.",
    start: '2024-05-01T19:00:00Z',
    hosts: HOSTS,
    exchanges: [0, 30].flatMap((t0) =>
      syncCycle(t0)
        .filter((e) => !(e.kind === 'tcp' && ['login', 'adminws', 'crl'].includes(e.to)))
        .map((e): Exchange => (e.kind === 'dns' && /microsoft/.test(e.name) ? { kind: 'dns', at: e.at, client: e.client, server: e.server, name: e.name, answer: 'NXDOMAIN' } : e)),
    ),
    expect: [],
  },
  {
    name: 'federation',
    title: 'Federation: WAP to AD FS, users on 443 and 49443',
    description: 'Users reach the WAP on 443; certificate authentication on 49443 is dropped for one network. The WAP reaches AD FS on 443; the Connect server manages the farm over 443 and WinRM 5985.',
    start: '2024-05-01T16:00:00Z',
    hosts: { ...HOSTS, ...FEDERATION_HOSTS },
    features: ['federation'],
    exchanges: [
      ...syncCycle(0),
      { kind: 'tcp', at: 5.0, from: 'user1', to: 'wap', port: 443, sni: 'sts.contoso.com', browser: true, bytes: [1800, 5200] },
      { kind: 'tcp', at: 5.2, from: 'wap', to: 'adfs', port: 443, sni: 'sts.contoso.com', bytes: [2100, 5600] },
      { kind: 'tcp', at: 5.5, from: 'user1', to: 'wap', port: 49443, sni: 'certauth.sts.contoso.com', browser: true, bytes: [3200, 4100] },
      { kind: 'tcp', at: 6.0, from: 'user2', to: 'wap', port: 443, sni: 'sts.contoso.com', browser: true, bytes: [1700, 5100] },
      { kind: 'tcp', at: 6.3, from: 'user2', to: 'wap', port: 49443, sni: 'certauth.sts.contoso.com', fault: 'drop', synTries: 3 },
      { kind: 'tcp', at: 7.0, from: 'user3', to: 'wap', port: 443, sni: 'sts.contoso.com', browser: true, bytes: [1600, 5000] },
      { kind: 'tcp', at: 7.2, from: 'wap', to: 'adfs', port: 443, sni: 'sts.contoso.com', bytes: [2000, 5400] },
      { kind: 'tcp', at: 8.0, from: 'aadc', to: 'adfs', port: 443, bytes: [900, 3000] },
      { kind: 'tcp', at: 8.2, from: 'aadc', to: 'adfs', port: 5985, bytes: [4000, 2500] },
      { kind: 'tcp', at: 8.3, from: 'aadc', to: 'adfs', port: 80, bytes: [380, 1400] },
      { kind: 'tcp', at: 8.5, from: 'aadc', to: 'wap', port: 443, bytes: [800, 2800] },
      { kind: 'tcp', at: 8.6, from: 'aadc', to: 'wap', port: 80, bytes: [380, 1400] },
      { kind: 'tcp', at: 8.7, from: 'aadc', to: 'wap', port: 5985, bytes: [3600, 2200] },
    ],
    expect: [],
  },
  {
    name: 'dc-side-capture',
    title: 'A capture taken on a domain controller',
    description:
      "Captured on dc01 during two healthy sync cycles: the Connect server's Kerberos, LDAP, RPC, SMB and GC traffic to dc01 and its DNS lookups there, and two workstations logging on. Its traffic to dc02 and to Entra ID never passes dc01: every flow has dc01 on one side.",
    start: '2024-05-01T21:00:00Z',
    hosts: { ...HOSTS, ...WORKSTATIONS },
    exchanges: [
      ...twoCycles().filter((e) => (e.kind === 'dns' ? e.server === 'dc1' : e.kind === 'rpc' ? e.server === 'dc1' : e.to === 'dc1')),
      ...workstationLogon(4.0, 'ws1'),
      ...workstationLogon(12.0, 'ws2'),
    ],
    expect: [],
  },
];
