import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../../src/catalog/load.js';
import { assignRoles, hostRoles, hostsWithRole, MAX_NAMES_PER_HOST, roleSourceSummary } from '../../../src/roles/assign.js';
import { plainlyOneHost, plainlyRoutableHost } from '../../../src/common/ip.js';
import { isGroupAddress, isPrivateAddress, sameIpv6Site } from '../../../src/roles/address-scope.js';
import { parseInventory, parseRoleFlag } from '../../../src/roles/inventory.js';
import type { RoleEvidence, RoleMap } from '../../../src/roles/types.js';
import { healthySync, SummaryBuilder } from './summary-builder.js';

const catalog = loadCatalog('hybrid-identity');

function rolesOf(map: RoleMap, address: string): RoleEvidence[] {
  const h = map.hosts.get(address);
  if (!h) throw new Error(`no host ${address}`);
  return h.roles;
}
const roleNames = (map: RoleMap, address: string) => [...new Set(rolesOf(map, address).map((e) => e.role))];

describe('names from the data', () => {
  it('a DNS answer names a cloud address: azure-ad and health-service, with the frame', () => {
    const map = assignRoles(healthySync().build(), { catalog });
    const ev = rolesOf(map, '20.190.1.2');
    expect(ev).toEqual([
      { role: 'azure-ad', source: 'dns', confidence: 'high', why: 'DNS answer login.microsoftonline.com → 20.190.1.2 (capture.pcap frame 1)' },
      { role: 'health-service', source: 'dns', confidence: 'high', why: 'DNS answer login.microsoftonline.com → 20.190.1.2 (capture.pcap frame 1)' },
    ]);
    expect(map.hosts.get('20.190.1.2')!.names).toEqual(['login.microsoftonline.com']);
  });

  it("the DC locator's answer names a DC, whatever its host name; the SRV name is no name of the host", () => {
    const s = new SummaryBuilder()
      .name('_ldap._tcp.dc._msdcs.contoso.local', '10.0.0.11')
      .name('dc02.contoso.local', '10.0.0.11')
      .pair('10.0.0.20', '10.0.0.11', 'tcp', 389, { unanswered: 2 })
      .build();
    const map = assignRoles(s, { catalog });
    expect(rolesOf(map, '10.0.0.11')).toEqual([
      { role: 'dc', source: 'dns', confidence: 'high', why: 'DNS answer _ldap._tcp.dc._msdcs.contoso.local → 10.0.0.11, a DC locator record (capture.pcap frame 1)' },
    ]);
    expect(map.hosts.get('10.0.0.11')!.names).toEqual(['dc02.contoso.local']);
  });

  it('a TLS SNI names the far side too', () => {
    const s = new SummaryBuilder().pair('10.0.0.20', '52.1.2.3', 'tcp', 80).name('crl.microsoft.com', '52.1.2.3', 'sni', 'a.pcapng').build();
    expect(rolesOf(assignRoles(s, { catalog }), '52.1.2.3')).toEqual([
      { role: 'crl', source: 'sni', confidence: 'high', why: 'TLS SNI crl.microsoft.com in a connection to 52.1.2.3 (a.pcapng frame 1)' },
    ]);
  });

  it('public addresses named nothing (or by unrelated or telemetry names) hold no role', () => {
    const s = new SummaryBuilder()
      .pair('10.0.0.20', '93.184.216.34', 'tcp', 443)
      .pair('10.0.0.20', '198.51.100.80', 'tcp', 443)
      .name('www.example.com', '198.51.100.80')
      .pair('10.0.0.20', '13.69.1.1', 'tcp', 443)
      .name('dc.services.visualstudio.com', '13.69.1.1')
      .build();
    const map = assignRoles(s, { catalog });
    for (const a of ['93.184.216.34', '198.51.100.80', '13.69.1.1']) expect(rolesOf(map, a), a).toEqual([]);
    expect(map.hosts.get('13.69.1.1')!.names).toEqual(['dc.services.visualstudio.com']);
  });

  it('addresses only seen in DNS answers are kept when a catalog name gives them a role', () => {
    const s = healthySync().name('login.microsoftonline.com', '20.190.1.3').name('www.example.com', '198.51.100.99').build();
    const map = assignRoles(s, { catalog });
    expect(roleNames(map, '20.190.1.3')).toEqual(['azure-ad', 'health-service']);
    expect(map.hosts.has('198.51.100.99')).toBe(false);
  });

  it('caps the names kept per host', () => {
    const b = new SummaryBuilder().pair('10.0.0.20', '20.190.1.2', 'tcp', 443);
    for (let i = 0; i < 20; i++) b.name(`n${i}.microsoftonline.com`, '20.190.1.2');
    const host = assignRoles(b.build(), { catalog }).hosts.get('20.190.1.2')!;
    expect(host.names).toHaveLength(MAX_NAMES_PER_HOST);
    expect(host.names[0]).toBe('n0.microsoftonline.com');
  });
});

describe('inventory and --role', () => {
  const inventory = parseInventory(
    `roles:
  connect: [aadc01.contoso.local]
  dc: [10.0.0.0/24]
  adfs: [10.0.5.40]
hosts:
  aadc01.contoso.local: 10.0.0.20
`,
    'inv.yaml',
  );

  it('gives listed hosts exactly the inventory roles, with the entry as the reason', () => {
    const map = assignRoles(healthySync().build(), { catalog, inventory });
    expect(rolesOf(map, '10.0.0.10')).toEqual([{ role: 'dc', source: 'inventory', confidence: 'high', why: 'inventory inv.yaml: dc: 10.0.0.0/24' }]);
    // 10.0.0.20 is in 10.0.0.0/24 and named aadc01 by the hosts hint: both entries apply, nothing is inferred.
    expect(rolesOf(map, '10.0.0.20')).toEqual([
      { role: 'connect', source: 'inventory', confidence: 'high', why: 'inventory inv.yaml: connect: aadc01.contoso.local (inv.yaml hosts: aadc01.contoso.local: 10.0.0.20)' },
      { role: 'dc', source: 'inventory', confidence: 'high', why: 'inventory inv.yaml: dc: 10.0.0.0/24' },
    ]);
    expect(map.hosts.get('10.0.0.20')!.names).toEqual(['aadc01.contoso.local']);
    // Listed but absent from the data: still a host.
    expect(rolesOf(map, '10.0.5.40')[0]).toMatchObject({ role: 'adfs', source: 'inventory' });
    // Data-derived names still name unlisted cloud hosts.
    expect(roleNames(map, '20.190.1.2')).toEqual(['azure-ad', 'health-service']);
  });

  it('an inventory hostname applies to the address a DNS answer gives it', () => {
    const inv = parseInventory('roles:\n  connect: ["aadc*.contoso.local"]\n', 'inv.yaml');
    const s = healthySync().name('aadc01.contoso.local', '10.0.0.20').build();
    expect(rolesOf(assignRoles(s, { catalog, inventory: inv }), '10.0.0.20')).toEqual([
      {
        role: 'connect',
        source: 'inventory',
        confidence: 'high',
        why: 'inventory inv.yaml: connect: aadc*.contoso.local (DNS answer aadc01.contoso.local → 10.0.0.20 (capture.pcap frame 2))',
      },
    ]);
  });

  it('with an inventory, hosts it does not list are still inferred, at low confidence', () => {
    const inv = parseInventory('roles:\n  connect: [10.0.0.20]\n', 'inv.yaml');
    const map = assignRoles(healthySync().build(), { catalog, inventory: inv });
    expect(rolesOf(map, '10.0.0.10')).toEqual([expect.objectContaining({ role: 'dc', source: 'inferred', confidence: 'low' })]);
    expect(roleNames(map, '10.0.0.20')).toEqual(['connect']);
  });

  it('inference never overrides an inventory role', () => {
    const inv = parseInventory('roles:\n  adfs: [10.0.0.10]\n', 'inv.yaml');
    expect(rolesOf(assignRoles(healthySync().build(), { catalog, inventory: inv }), '10.0.0.10')).toEqual([
      { role: 'adfs', source: 'inventory', confidence: 'high', why: 'inventory inv.yaml: adfs: 10.0.0.10' },
    ]);
  });

  it('--role adds to the inventory and to hosts absent from the data', () => {
    const cliRoles = [...parseRoleFlag('10.0.0.20=health-agent'), ...parseRoleFlag('10.0.9.99=pta-agent')];
    const map = assignRoles(healthySync().build(), { catalog, inventory, cliRoles });
    expect(rolesOf(map, '10.0.0.20').map((e) => `${e.role}/${e.source}`)).toEqual(['connect/inventory', 'dc/inventory', 'health-agent/cli']);
    expect(rolesOf(map, '10.0.0.20')[2].why).toBe('--role 10.0.0.20=health-agent');
    expect(rolesOf(map, '10.0.9.99')).toEqual([{ role: 'pta-agent', source: 'cli', confidence: 'high', why: '--role 10.0.9.99=pta-agent' }]);
  });

  it('a host named by --role holds exactly the roles given (no inference on it)', () => {
    const map = assignRoles(healthySync().build(), { catalog, cliRoles: parseRoleFlag('10.0.0.20=health-agent') });
    expect(roleNames(map, '10.0.0.20')).toEqual(['health-agent']);
    const both = assignRoles(healthySync().build(), { catalog, cliRoles: parseRoleFlag('10.0.0.20=connect,health-agent') });
    expect(roleNames(both, '10.0.0.20')).toEqual(['connect', 'health-agent']);
  });

  it('--role alone leaves other hosts to inference at medium confidence', () => {
    const map = assignRoles(healthySync().build(), { catalog, cliRoles: parseRoleFlag('10.0.0.20=connect') });
    expect(rolesOf(map, '10.0.0.10')[0]).toMatchObject({ role: 'dc', source: 'inferred', confidence: 'medium' });
    expect(roleSourceSummary(map.hosts.get('10.0.0.20')!)).toBe('cli');
  });
});

describe('inference from behaviour', () => {
  it('a healthy sync: the DC and the connect server, each with evidence', () => {
    const map = assignRoles(healthySync().build(), { catalog });
    expect(rolesOf(map, '10.0.0.10')).toEqual([
      {
        role: 'dc',
        source: 'inferred',
        confidence: 'medium',
        why: 'answers Kerberos 88 (6 flows from 1 client), MS-RPC 135 (2 flows from 1 client) and LDAP 389 (40 flows from 1 client)',
      },
    ]);
    expect(rolesOf(map, '10.0.0.20')).toEqual([
      {
        role: 'connect',
        source: 'inferred',
        confidence: 'medium',
        why: 'talks LDAP/Kerberos to DC 10.0.0.10 (40 LDAP flows) and HTTPS 443 to azure-ad 20.190.1.2 (5 flows)',
      },
    ]);
    expect(hostsWithRole(map, 'dc')).toEqual(['10.0.0.10']);
    expect([...map.hosts.keys()]).toEqual(['10.0.0.10', '10.0.0.20', '20.190.1.2']);
  });

  it('dc variants: 88+445+135, 389+3268; 88 alone or LDAP alone is not enough', () => {
    const s = new SummaryBuilder()
      .pair('10.0.0.50', '10.0.1.1', 'udp', 88)
      .pair('10.0.0.50', '10.0.1.1', 'tcp', 445)
      .pair('10.0.0.50', '10.0.1.2', 'tcp', 389)
      .pair('10.0.0.50', '10.0.1.2', 'tcp', 3268)
      .pair('10.0.0.50', '10.0.1.3', 'tcp', 88)
      .pair('10.0.0.50', '10.0.1.4', 'tcp', 389)
      .build();
    const map = assignRoles(s, { catalog });
    expect(roleNames(map, '10.0.1.1')).toEqual(['dc']);
    expect(rolesOf(map, '10.0.1.2')[0].why).toBe('answers LDAP 389 (1 flow from 1 client) and Global Catalog 3268 (1 flow from 1 client)');
    expect(rolesOf(map, '10.0.1.3')).toEqual([]);
    expect(rolesOf(map, '10.0.1.4')).toEqual([]);
  });

  it('a DC whose LDAP is blocked is still a DC, at low confidence, saying so', () => {
    const s = new SummaryBuilder().pair('10.0.0.20', '10.0.0.10', 'tcp', 88, { flows: 4 }).pair('10.0.0.20', '10.0.0.10', 'tcp', 389, { unanswered: 7 }).build();
    expect(rolesOf(assignRoles(s, { catalog }), '10.0.0.10')).toEqual([
      {
        role: 'dc',
        source: 'inferred',
        confidence: 'low',
        why: 'answers Kerberos 88 (4 flows from 1 client); contacted on LDAP 389 (7 attempts, none answered)',
      },
    ]);
  });

  it('no dc is inferred for public addresses', () => {
    const s = new SummaryBuilder().pair('10.0.0.20', '198.51.100.10', 'tcp', 88).pair('10.0.0.20', '198.51.100.10', 'tcp', 389).build();
    expect(isPrivateAddress('198.51.100.10')).toBe(false);
    expect(rolesOf(assignRoles(s, { catalog }), '198.51.100.10')).toEqual([]);
  });

  it('several hosts talk to DCs and Entra ID: only the busiest LDAP client is the connect server, at low confidence', () => {
    const s = healthySync()
      .pair('10.0.0.77', '10.0.0.10', 'tcp', 389, { flows: 3 })
      .pair('10.0.0.77', '20.190.1.2', 'tcp', 443, { flows: 9 })
      .build();
    const map = assignRoles(s, { catalog });
    expect(rolesOf(map, '10.0.0.20')).toEqual([expect.objectContaining({ role: 'connect', confidence: 'low' })]);
    expect(rolesOf(map, '10.0.0.20')[0].why).toMatch(/one of 2 hosts that do both, the one with the most LDAP flows$/);
    expect(rolesOf(map, '10.0.0.77')).toEqual([]);
  });

  it("Entra ID's names failing to resolve: the host that asked for them and talks LDAP to a DC is the connect server", () => {
    // The sync server never opens HTTPS: every lookup of login.microsoftonline.com got NXDOMAIN.
    const onPremises = () =>
      new SummaryBuilder()
        .pair('10.0.0.20', '10.0.0.10', 'udp', 53, { flows: 8 })
        .pair('10.0.0.20', '10.0.0.10', 'tcp', 88, { flows: 6 })
        .pair('10.0.0.20', '10.0.0.10', 'tcp', 135, { flows: 2 })
        .pair('10.0.0.20', '10.0.0.10', 'tcp', 389, { flows: 40 });
    const s = onPremises()
      .nxdomain('login.microsoftonline.com', ['10.0.0.20'])
      .nxdomain('Adminwebservice.microsoftonline.com.', ['10.0.0.20'])
      .nxdomain('www.example.com', ['10.0.0.20'])
      .build();
    expect(rolesOf(assignRoles(s, { catalog }), '10.0.0.20')).toEqual([
      {
        role: 'connect',
        source: 'inferred',
        confidence: 'medium',
        why: 'talks LDAP/Kerberos to DC 10.0.0.10 (40 LDAP flows) and looks up Entra ID names that never resolve (adminwebservice.microsoftonline.com and login.microsoftonline.com), with no HTTPS to Entra ID seen',
      },
    ]);
    // Lookups of other names say nothing; nor do lookups by a host that does not talk to a DC, or by the DC.
    expect(rolesOf(assignRoles(onPremises().nxdomain('www.example.com', ['10.0.0.20']).build(), { catalog }), '10.0.0.20')).toEqual([]);
    // Nor lookups that resolved: a capture on the DC sees every member's, and none of the HTTPS after them.
    const resolved = onPremises().nxdomain('login.microsoftonline.com', ['10.0.0.20']).build();
    resolved.dns[0] = { ...resolved.dns[0], answered: 1 };
    expect(rolesOf(assignRoles(resolved, { catalog }), '10.0.0.20')).toEqual([]);
    const others = onPremises()
      .pair('10.0.0.40', '10.0.0.10', 'udp', 53)
      .nxdomain('login.microsoftonline.com', ['10.0.0.10', '10.0.0.40'], '8.8.8.8')
      .build();
    const map = assignRoles(others, { catalog });
    expect(rolesOf(map, '10.0.0.20')).toEqual([]);
    expect(rolesOf(map, '10.0.0.40')).toEqual([]);
    expect(roleNames(map, '10.0.0.10')).toEqual(['dc']);
  });

  it("a host that looks up adminwebservice.microsoftonline.com, a name only Connect servers use, is one at low confidence: a capture on its DC holds its lookups, not its HTTPS", () => {
    const dcSide = () =>
      new SummaryBuilder()
        .pair('10.0.0.20', '10.0.0.10', 'udp', 53, { flows: 4 })
        .pair('10.0.0.20', '10.0.0.10', 'tcp', 88, { flows: 6 })
        .pair('10.0.0.20', '10.0.0.10', 'tcp', 389, { flows: 40 })
        .pair('10.0.0.51', '10.0.0.10', 'udp', 53, { flows: 2 })
        .pair('10.0.0.10', '8.8.8.8', 'udp', 53, { flows: 2 });
    const answered = (b: SummaryBuilder, name: string, clients: string[]) => {
      const s = b.nxdomain(name, clients).build();
      s.dns = s.dns.map((d) => (d.name === name ? { ...d, answered: d.queries, nxdomain: 0 } : d));
      return s;
    };
    // The sync server's lookup, and the DC forwarding the same name upstream for it.
    const map = assignRoles(answered(dcSide(), 'adminwebservice.microsoftonline.com', ['10.0.0.10', '10.0.0.20']), { catalog });
    expect(rolesOf(map, '10.0.0.20')).toEqual([
      {
        role: 'connect',
        source: 'inferred',
        confidence: 'low',
        why: 'looks up adminwebservice.microsoftonline.com (2 lookups of it in the data, resolved), a name only connect hosts use; no contact with it is in the data',
      },
    ]);
    // A DNS server asks upstream for its clients: not a Connect server for it.
    expect(roleNames(map, '10.0.0.10')).toEqual(['dc']);
    // Nor is a DNS server that is no DC (it answers lookups, and forwards them).
    const resolver = dcSide().pair('10.0.0.51', '10.0.0.53', 'udp', 53).pair('10.0.0.53', '8.8.8.8', 'udp', 53);
    expect(rolesOf(assignRoles(answered(resolver, 'adminwebservice.microsoftonline.com', ['10.0.0.53']), { catalog }), '10.0.0.53')).toEqual([]);
    // A name any client uses (login.microsoftonline.com: every user's sign-in) says nothing.
    expect(rolesOf(assignRoles(answered(dcSide(), 'login.microsoftonline.com', ['10.0.0.51']), { catalog }), '10.0.0.51')).toEqual([]);
  });

  it('a host the Connect server tries on Kerberos and LDAP and that answers nothing is a DC behind a firewall, at low confidence', () => {
    // dc02 drops everything from the sync server; dc01 answers.
    const sync = () => healthySync().pair('10.0.0.20', '10.0.0.11', 'tcp', 88, { unanswered: 2 });
    const map = assignRoles(sync().pair('10.0.0.20', '10.0.0.11', 'tcp', 389, { unanswered: 3 }).build(), { catalog });
    expect(rolesOf(map, '10.0.0.11')).toEqual([
      {
        role: 'dc',
        source: 'inferred',
        confidence: 'low',
        why: 'the Connect server 10.0.0.20 tries it on Kerberos 88 (2 attempts) and LDAP 389 (3 attempts), and it answers neither: a DC behind a firewall that drops them, or one that is down',
      },
    ]);
    // What else it answers does not matter (its endpoint mapper may well work) ...
    const answersEpm = sync().pair('10.0.0.20', '10.0.0.11', 'tcp', 389, { unanswered: 3 }).pair('10.0.0.20', '10.0.0.11', 'tcp', 135, { completed: 2 }).build();
    expect(roleNames(assignRoles(answersEpm, { catalog }), '10.0.0.11')).toEqual(['dc']);
    // ... but not for one of the two ports, nor a host that answers LDAP to anyone (the rules that
    // read answers judge that one), nor a public address, nor without a Connect server.
    expect(rolesOf(assignRoles(sync().build(), { catalog }), '10.0.0.11')).toEqual([]);
    const answersLdap = sync().pair('10.0.0.20', '10.0.0.11', 'tcp', 389, { unanswered: 3 }).pair('10.0.0.30', '10.0.0.11', 'tcp', 389, { completed: 1 }).build();
    expect(rolesOf(assignRoles(answersLdap, { catalog }), '10.0.0.11').map((e) => e.why)).toEqual([
      'answers LDAP 389 (1 of 4 flows answered from 2 clients); contacted on Kerberos 88 (2 attempts, none answered)',
    ]);
    const publicHost = healthySync().pair('10.0.0.20', '198.51.100.10', 'tcp', 88, { unanswered: 2 }).pair('10.0.0.20', '198.51.100.10', 'tcp', 389, { unanswered: 2 }).build();
    expect(rolesOf(assignRoles(publicHost, { catalog }), '198.51.100.10')).toEqual([]);
    const noConnect = new SummaryBuilder().pair('10.0.0.20', '10.0.0.11', 'tcp', 88, { unanswered: 2 }).pair('10.0.0.20', '10.0.0.11', 'tcp', 389, { unanswered: 2 }).build();
    expect(rolesOf(assignRoles(noConnect, { catalog }), '10.0.0.11')).toEqual([]);
  });

  it("a name's one IPv4 and one IPv6 address are one dual-stack host: each holds the roles of the other", () => {
    // Kerberos and LDAP over IPv6 (Windows prefers it), SMB by literal IPv4 address.
    const s = new SummaryBuilder()
      .pair('2001:db8:79::20', '2001:db8:77::11', 'tcp', 88, { completed: 4 })
      .pair('2001:db8:79::20', '2001:db8:77::11', 'tcp', 389, { completed: 3 })
      .pair('10.0.0.20', '10.0.0.11', 'tcp', 445, { completed: 1 })
      .name('dc01.contoso.com', '10.0.0.11')
      .name('dc01.contoso.com', '2001:db8:77::11');
    const map = assignRoles(s.build(), { catalog });
    expect(roleNames(map, '2001:db8:77::11')).toEqual(['dc']);
    expect(rolesOf(map, '10.0.0.11')).toEqual([
      {
        role: 'dc',
        source: 'inferred',
        confidence: 'medium',
        why: 'dc01.contoso.com resolves to it and to 2001:db8:77::11, which is dc (inferred): one dual-stack host',
      },
    ]);
    // Two IPv4 addresses of one name (a load-balanced name) share nothing.
    const two = s.name('dc01.contoso.com', '10.0.0.12').build();
    expect(rolesOf(assignRoles(two, { catalog }), '10.0.0.11')).toEqual([]);
  });

  it('a role both addresses of a dual-stack host hold, inferred at a lower confidence on one, is raised to the other\'s there, keeping what that address did itself', () => {
    // Over IPv4 the DC answers Kerberos and LDAP (medium); over IPv6 only LDAP, its Kerberos unanswered (low).
    const s = new SummaryBuilder()
      .pair('10.0.0.20', '10.0.0.11', 'tcp', 88, { completed: 4 })
      .pair('10.0.0.20', '10.0.0.11', 'tcp', 389, { completed: 3 })
      .pair('2001:db8:79::20', '2001:db8:77::11', 'tcp', 389, { completed: 2 })
      .pair('2001:db8:79::20', '2001:db8:77::11', 'tcp', 88, { unanswered: 1 })
      .name('dc01.contoso.com', '10.0.0.11');
    const alone = assignRoles(s.build(), { catalog });
    expect(rolesOf(alone, '2001:db8:77::11').map((e) => e.confidence)).toEqual(['low']);
    const lowWhy = rolesOf(alone, '2001:db8:77::11')[0].why;
    const map = assignRoles(s.name('dc01.contoso.com', '2001:db8:77::11').build(), { catalog });
    expect(rolesOf(map, '2001:db8:77::11')).toEqual([
      {
        role: 'dc',
        source: 'inferred',
        confidence: 'medium',
        why: `dc01.contoso.com resolves to it and to 10.0.0.11, which is dc (inferred): one dual-stack host; on its own: ${lowWhy}`,
      },
    ]);
    // The other address keeps its own, higher, evidence: nothing is lowered.
    expect(rolesOf(map, '10.0.0.11')).toEqual(rolesOf(alone, '10.0.0.11'));
    expect(rolesOf(map, '10.0.0.11').map((e) => e.confidence)).toEqual(['medium']);
  });

  it('a log of denials only (no Kerberos in it): any two of the ports only a DC serves make a silent DC; one does not', () => {
    // ufw logs what it blocks: LDAP and LDAPS from the sync server, not the Kerberos it let through.
    const denials = () => healthySync().pair('10.0.0.20', '10.0.0.11', 'tcp', 389, { refused: 2 }).pair('10.0.0.20', '10.0.0.11', 'udp', 389, { unanswered: 1 });
    expect(rolesOf(assignRoles(denials().pair('10.0.0.20', '10.0.0.11', 'tcp', 636, { refused: 1 }).build(), { catalog }), '10.0.0.11')).toEqual([
      {
        role: 'dc',
        source: 'inferred',
        confidence: 'low',
        why: 'the Connect server 10.0.0.20 tries it on LDAP 389 (3 attempts) and LDAPS 636 (1 attempt), and it answers neither: a DC behind a firewall that drops them, or one that is down',
      },
    ]);
    const three = denials().pair('10.0.0.20', '10.0.0.11', 'tcp', 3268, { unanswered: 1 }).pair('10.0.0.20', '10.0.0.11', 'tcp', 88, { unanswered: 2 }).build();
    expect(rolesOf(assignRoles(three, { catalog }), '10.0.0.11').map((e) => e.why)).toEqual([
      'the Connect server 10.0.0.20 tries it on Kerberos 88 (2 attempts), LDAP 389 (3 attempts) and Global Catalog 3268 (1 attempt), and it answers none of them: a DC behind a firewall that drops them, or one that is down',
    ]);
    // LDAP alone (TCP and UDP) is one port: not enough.
    expect(rolesOf(assignRoles(denials().build(), { catalog }), '10.0.0.11')).toEqual([]);
  });

  it('no DC answers at all: the host that tries Kerberos and LDAP on one and reaches Entra ID is the connect server (low), and what it tries, DCs (low)', () => {
    const cutOff = () =>
      new SummaryBuilder()
        .pair('10.0.0.20', '10.0.0.10', 'tcp', 88, { unanswered: 2 })
        .pair('10.0.0.20', '10.0.0.10', 'tcp', 389, { unanswered: 3 })
        .name('login.microsoftonline.com', '20.190.1.2');
    const map = assignRoles(cutOff().pair('10.0.0.20', '20.190.1.2', 'tcp', 443, { flows: 5 }).build(), { catalog });
    expect(rolesOf(map, '10.0.0.20')).toEqual([
      {
        role: 'connect',
        source: 'inferred',
        confidence: 'low',
        why: 'tries Kerberos 88 and LDAP 389 on 10.0.0.10 (3 LDAP attempts, none answered) and HTTPS 443 to azure-ad 20.190.1.2 (5 flows)',
      },
    ]);
    expect(rolesOf(map, '10.0.0.10')).toEqual([expect.objectContaining({ role: 'dc', confidence: 'low', why: expect.stringMatching(/^the Connect server 10\.0\.0\.20 tries it on Kerberos 88/) })]);
    // Without the reach for Entra ID, nothing says which host is the sync server.
    const noCloud = assignRoles(cutOff().pair('10.0.0.20', '198.51.100.7', 'tcp', 443, { flows: 5 }).build(), { catalog });
    expect(rolesOf(noCloud, '10.0.0.20')).toEqual([]);
    expect(rolesOf(noCloud, '10.0.0.10')).toEqual([]);
  });

  it('a name only the sync engine uses makes its client the connect server', () => {
    const s = new SummaryBuilder()
      .pair('10.0.0.20', '40.126.1.1', 'tcp', 443, { flows: 3 })
      .name('adminwebservice.microsoftonline.com', '40.126.1.1')
      .build();
    expect(rolesOf(assignRoles(s, { catalog }), '10.0.0.20')).toEqual([
      {
        role: 'connect',
        source: 'inferred',
        confidence: 'medium',
        why: 'contacts adminwebservice.microsoftonline.com (40.126.1.1) on tcp/443 (3 flows), a name only connect hosts use',
      },
    ]);
  });

  it('without any names: the weakest connect rule (most LDAP to a DC and HTTPS to public addresses)', () => {
    const s = new SummaryBuilder()
      .pair('10.0.0.20', '10.0.0.10', 'tcp', 88, { flows: 5 })
      .pair('10.0.0.20', '10.0.0.10', 'tcp', 389, { flows: 30 })
      .pair('10.0.0.20', '20.190.1.2', 'tcp', 443, { flows: 4 })
      .pair('10.0.0.31', '10.0.0.10', 'tcp', 389, { flows: 4 })
      .pair('10.0.0.31', '52.1.1.1', 'tcp', 443)
      .build();
    const map = assignRoles(s, { catalog });
    expect(rolesOf(map, '10.0.0.20')).toEqual([
      {
        role: 'connect',
        source: 'inferred',
        confidence: 'low',
        why: 'most completed LDAP flows to a DC (30, to 10.0.0.10) and HTTPS 443 to public addresses (20.190.1.2); no Entra ID name was seen to confirm',
      },
    ]);
    expect(rolesOf(map, '10.0.0.31')).toEqual([]);
  });

  it("HTTPS to a DC is not HTTPS to a public address, though a global IPv6 address cannot say it is internal", () => {
    // Enterprises number hosts with global IPv6: a workstation that talks LDAP, Kerberos and HTTPS
    // (AD CS web enrollment, say) to its DC over IPv6 reaches nothing public.
    const dcOnly = () =>
      new SummaryBuilder()
        .pair('2001:db8:20::20', '2001:db8:10::10', 'tcp', 389, { flows: 30 })
        .pair('2001:db8:20::20', '2001:db8:10::10', 'tcp', 88, { flows: 5 })
        .pair('2001:db8:20::20', '2001:db8:10::10', 'tcp', 443, { flows: 4 });
    const internal = assignRoles(dcOnly().build(), { catalog });
    expect(roleNames(internal, '2001:db8:10::10')).toEqual(['dc']);
    expect(rolesOf(internal, '2001:db8:20::20')).toEqual([]);
    expect(internal.connectCandidates).toEqual([{ address: '2001:db8:20::20', flows: 35 }]);
    // HTTPS to an address that holds no on-premises role still counts as public.
    const out = assignRoles(dcOnly().pair('2001:db8:20::20', '2606:4700::1111', 'tcp', 443, { flows: 2 }).build(), { catalog });
    expect(rolesOf(out, '2001:db8:20::20')).toEqual([
      {
        role: 'connect',
        source: 'inferred',
        confidence: 'low',
        why: 'most completed LDAP flows to a DC (30, to 2001:db8:10::10) and HTTPS 443 to public addresses (2606:4700::1111); no Entra ID name was seen to confirm',
      },
    ]);
  });

  describe('no Connect server found, DCs found: its likely hosts are named for the user to confirm', () => {
    // A DC subnet's flow log: the DC answers its clients; nobody's HTTPS to Entra ID is in it.
    const dcSide = () =>
      new SummaryBuilder()
        .pair('10.0.0.20', '10.0.0.10', 'tcp', 389, { flows: 30 })
        .pair('10.0.0.20', '10.0.0.10', 'udp', 88, { flows: 5 })
        .pair('10.0.0.31', '10.0.0.10', 'tcp', 389, { flows: 4 })
        .pair('10.0.0.5', '10.0.0.10', 'tcp', 88, { flows: 4 })
        .pair('10.0.0.32', '10.0.0.10', 'tcp', 389, { flows: 4 })
        .pair('10.0.0.40', '10.0.0.10', 'tcp', 389)
        .pair('10.0.0.20', '10.0.0.10', 'tcp', 135, { flows: 2 })
        .pair('10.0.0.31', '10.0.0.10', 'tcp', 445, { flows: 2 });

    it('the busiest LDAP and Kerberos clients of the DCs, three at most, ties in address text order', () => {
      const map = assignRoles(dcSide().build(), { catalog });
      expect(roleNames(map, '10.0.0.10')).toEqual(['dc']);
      expect(rolesOf(map, '10.0.0.20')).toEqual([]);
      expect(map.connectCandidates).toEqual([
        { address: '10.0.0.20', flows: 35 },
        { address: '10.0.0.31', flows: 4 },
        { address: '10.0.0.32', flows: 4 },
      ]);
    });

    it('the same whatever the order of the pairs (threads merge their tables in any order)', () => {
      const s = dcSide().build();
      const reversed = { ...s, pairs: s.pairs.slice().reverse() };
      expect(assignRoles(reversed, { catalog }).connectCandidates).toEqual(assignRoles(s, { catalog }).connectCandidates);
    });

    it('none once a Connect server is known: inferred, from the inventory, or from --role', () => {
      expect(assignRoles(healthySync().build(), { catalog }).connectCandidates).toBeUndefined();
      const cli = assignRoles(dcSide().build(), { catalog, cliRoles: parseRoleFlag('10.0.0.20=connect') });
      expect(cli.connectCandidates).toBeUndefined();
      const inv = parseInventory('roles:\n  connect: [10.0.0.99]\n', 'inv.yaml');
      expect(assignRoles(dcSide().build(), { catalog, inventory: inv }).connectCandidates).toBeUndefined();
    });

    it('none without a DC', () => {
      const s = new SummaryBuilder().pair('10.0.0.20', '10.0.0.10', 'tcp', 389, { flows: 3 }).build();
      expect(assignRoles(s, { catalog }).connectCandidates).toBeUndefined();
    });
  });

  it('federation: WAP answering 443 and 49443 and forwarding to AD FS; its clients are users', () => {
    const s = new SummaryBuilder()
      .pair('198.51.100.7', '10.0.2.30', 'tcp', 443, { flows: 10 })
      .pair('198.51.100.7', '10.0.2.30', 'tcp', 49443, { flows: 2 })
      .pair('203.0.113.9', '10.0.2.30', 'tcp', 443, { flows: 4 })
      .pair('10.0.2.30', '10.0.0.40', 'tcp', 443, { flows: 14, completed: 12, refused: 2 })
      .build();
    const map = assignRoles(s, { catalog });
    expect(rolesOf(map, '10.0.2.30')).toEqual([
      {
        role: 'wap',
        source: 'inferred',
        confidence: 'medium',
        why: 'answers HTTPS 443 (14 flows from 2 clients) and certificate authentication 49443 (2 flows from 1 client); forwards HTTPS 443 to 10.0.0.40',
      },
    ]);
    expect(rolesOf(map, '10.0.0.40')).toEqual([
      { role: 'adfs', source: 'inferred', confidence: 'medium', why: 'contacted on HTTPS 443 by WAP 10.0.2.30 (14 flows, 12 completed)' },
    ]);
    expect(rolesOf(map, '198.51.100.7')).toEqual([
      { role: 'users', source: 'inferred', confidence: 'medium', why: 'contacts WAP 10.0.2.30 on 443 and 49443 (12 flows)' },
    ]);
    expect(roleNames(map, '203.0.113.9')).toEqual(['users']);
  });

  it('a WAP from the inventory makes the host it forwards to AD FS', () => {
    const s = new SummaryBuilder().pair('10.0.2.30', '10.0.0.40', 'tcp', 443, { unanswered: 3 }).pair('10.0.9.9', '10.0.2.30', 'tcp', 443).build();
    const map = assignRoles(s, { catalog, cliRoles: parseRoleFlag('10.0.2.30=wap') });
    expect(rolesOf(map, '10.0.0.40')).toEqual([
      { role: 'adfs', source: 'inferred', confidence: 'medium', why: 'contacted on HTTPS 443 by WAP 10.0.2.30 (3 flows, 0 completed)' },
    ]);
    expect(roleNames(map, '10.0.9.9')).toEqual(['users']);
  });

  it('a host answering 443 and 49443 to several clients, with no AD FS leg, is a WAP at low confidence', () => {
    const s = new SummaryBuilder()
      .pair('10.1.0.5', '10.0.2.30', 'tcp', 443)
      .pair('10.1.0.6', '10.0.2.30', 'tcp', 49443)
      .build();
    expect(rolesOf(assignRoles(s, { catalog }), '10.0.2.30')[0]).toMatchObject({ role: 'wap', confidence: 'low' });
    // One client only: not enough.
    const one = new SummaryBuilder().pair('10.1.0.5', '10.0.2.30', 'tcp', 443).pair('10.1.0.5', '10.0.2.30', 'tcp', 49443).build();
    expect(rolesOf(assignRoles(one, { catalog }), '10.0.2.30')).toEqual([]);
  });

  it('health agents: AMQP 5671 to a named health-service host, a Health-only name, or (low) an unnamed public address', () => {
    const s = new SummaryBuilder()
      .pair('10.0.0.20', '40.1.1.1', 'tcp', 5671, { flows: 2 })
      .name('ns1.servicebus.windows.net', '40.1.1.1')
      .pair('10.0.0.41', '40.2.2.2', 'tcp', 443)
      .name('s1.adhybridhealth.azure.com', '40.2.2.2', 'sni')
      .pair('10.0.0.42', '40.3.3.3', 'tcp', 5671, { unanswered: 1 })
      .build();
    const map = assignRoles(s, { catalog });
    expect(rolesOf(map, '10.0.0.20')).toEqual([
      {
        role: 'health-agent',
        source: 'inferred',
        confidence: 'medium',
        why: 'opens AMQP 5671 (Azure Service Bus) to health-service 40.1.1.1 (2 flows)',
      },
    ]);
    expect(rolesOf(map, '10.0.0.41')[0]).toMatchObject({ role: 'health-agent', confidence: 'medium' });
    expect(rolesOf(map, '10.0.0.41')[0].why).toMatch(/^contacts s1\.adhybridhealth\.azure\.com \(40\.2\.2\.2\) on tcp\/443/);
    expect(rolesOf(map, '10.0.0.42')[0]).toMatchObject({ role: 'health-agent', confidence: 'low' });
  });

  it('AMQP 5671 to a DC at a global IPv6 address is not AMQP to a public address: no health agent', () => {
    const s = new SummaryBuilder()
      .pair('2001:db8:20::20', '2001:db8:10::10', 'tcp', 389, { flows: 3 })
      .pair('2001:db8:20::20', '2001:db8:10::10', 'tcp', 88, { flows: 3 })
      .pair('2001:db8:20::20', '2001:db8:10::10', 'tcp', 5671)
      .pair('2001:db8:20::21', '2603:1006::1', 'tcp', 5671)
      .build();
    const map = assignRoles(s, { catalog });
    expect(roleNames(map, '2001:db8:10::10')).toEqual(['dc']);
    expect(roleNames(map, '2001:db8:20::20')).toEqual([]);
    expect(rolesOf(map, '2001:db8:20::21')[0]).toMatchObject({ role: 'health-agent', confidence: 'low' });
  });

  it('a WAP on global IPv6 forwards to the AD FS server of its own site (/48); HTTPS to other sites is the internet', () => {
    const farm = () =>
      new SummaryBuilder()
        .pair('2a01:e0a:2::7', '2001:db8:abcd:ff::10', 'tcp', 443, { flows: 3 })
        .pair('2a01:e0a:2::7', '2001:db8:abcd:ff::10', 'tcp', 49443)
        .pair('2a02:8108:1::25', '2001:db8:abcd:ff::10', 'tcp', 443);
    const sameSite = assignRoles(farm().pair('2001:db8:abcd:ff::10', '2001:db8:abcd:2::10', 'tcp', 443, { flows: 2 }).build(), { catalog });
    expect(rolesOf(sameSite, '2001:db8:abcd:ff::10')[0]).toMatchObject({ role: 'wap', confidence: 'medium', why: expect.stringMatching(/forwards HTTPS 443 to 2001:db8:abcd:2::10$/) });
    expect(rolesOf(sameSite, '2001:db8:abcd:2::10')[0]).toMatchObject({ role: 'adfs', confidence: 'medium' });
    const elsewhere = assignRoles(farm().pair('2001:db8:abcd:ff::10', '2600:1406:3c00::17d5:d213', 'tcp', 443).build(), { catalog });
    expect(rolesOf(elsewhere, '2001:db8:abcd:ff::10')[0]).toMatchObject({ role: 'wap', confidence: 'low' });
    expect(rolesOf(elsewhere, '2600:1406:3c00::17d5:d213')).toEqual([]);
  });

  it('reports distinct roles and the source summary per host', () => {
    const map = assignRoles(healthySync().build(), { catalog });
    expect(hostRoles(map.hosts.get('20.190.1.2')!)).toEqual(['azure-ad', 'health-service']);
    expect(roleSourceSummary(map.hosts.get('20.190.1.2')!)).toBe('dns');
    expect(roleSourceSummary(map.hosts.get('10.0.0.10')!)).toBe('inferred');
  });
});

describe('isPrivateAddress', () => {
  it('knows RFC 1918, CGNAT, loopback, link-local, ULA and mapped forms', () => {
    for (const a of ['10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1', '127.0.0.1', '169.254.1.1', 'fd00::1', 'fe80::1', '::1', '::ffff:10.0.0.1']) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['172.32.0.1', '20.190.1.2', '8.8.8.8', '2001:db8::1', '2603:1006::1', '::ffff:8.8.8.8', 'not-an-ip']) {
      expect(isPrivateAddress(a), a).toBe(false);
    }
  });
});

describe('sameIpv6Site', () => {
  it('is the same /48 of two global IPv6 addresses, and never IPv4, IPv4-mapped or ::/16', () => {
    expect(sameIpv6Site('2001:db8:abcd:10::10', '2001:db8:abcd:ff::10')).toBe(true);
    expect(sameIpv6Site('2001:db8:abcd:10::10', '2001:DB8:ABCD:0::1')).toBe(true);
    expect(sameIpv6Site('2001:db8:abcd:10::10', '2001:db8:abce:10::10')).toBe(false);
    expect(sameIpv6Site('2001:db8:abcd:10::10', '2603:1037:1:c8::8')).toBe(false);
    expect(sameIpv6Site('10.0.0.1', '10.0.0.2')).toBe(false);
    expect(sameIpv6Site('::ffff:10.0.0.1', '::ffff:10.0.0.2')).toBe(false);
    expect(sameIpv6Site('2001:db8:abcd::1', '10.0.0.1')).toBe(false);
    expect(sameIpv6Site('2001:db8:abcd::1', 'not-an-address')).toBe(false);
  });
});

describe('plainlyOneHost', () => {
  it('passes only addresses that are neither a group nor a possible subnet broadcast, and sends the rest to a closer look', () => {
    for (const a of ['10.0.0.1', '192.168.1.20', '172.16.0.254', '1.2.3.4', '9.9.9.9', '10.0.0.5', '10.0.0.25', '3ffe::1', '2001:db8::1', '2a01:110::ff', '::1', '::ffff:224.0.0.1']) {
      expect(plainlyOneHost(a), a).toBe(true);
    }
    for (const a of ['10.0.0.255', '224.0.0.252', '255.255.255.255', '239.1.2.3', '20.190.1.2', 'ff02::1:3', 'FF05::C', '0224.0.0.1', ' 10.0.0.1', 'fe80::1', 'not-an-ip', '']) {
      expect(plainlyOneHost(a), a).toBe(false);
    }
    // Whatever it passes is no group and no x.x.x.255.
    for (let i = 0; i < 2000; i++) {
      const a = `${(i * 37) % 256}.${i % 256}.${(i * 7) % 256}.${(i * 13) % 256}`;
      if (plainlyOneHost(a)) expect(isGroupAddress(a) || a.endsWith('.255'), a).toBe(false);
      const hex = ((i * 2654435761) >>> 0).toString(16).padStart(8, '0');
      const v6 = `${hex.slice(0, 4)}:${hex.slice(4)}::${(i % 256).toString(16)}`;
      if (plainlyOneHost(v6)) expect(isGroupAddress(v6), v6).toBe(false);
    }
  });
});

describe('plainlyRoutableHost', () => {
  it('is plainlyOneHost without the IPv4 link-local range (IPv6 link-local texts start with f, already looked at closer)', () => {
    for (const a of ['169.254.0.1', '169.254.10.20', '169.254.255.254', 'fe80::1', 'FE80::EDBC:1', '10.0.0.255', '224.0.0.252']) {
      expect(plainlyRoutableHost(a), a).toBe(false);
    }
    for (const a of ['169.253.0.1', '169.255.0.1', '16.254.0.1', '10.169.254.1', '2001:db8::1', '10.0.0.1']) {
      expect(plainlyRoutableHost(a), a).toBe(plainlyOneHost(a));
      expect(plainlyRoutableHost(a), a).toBe(true);
    }
  });
});

describe('isGroupAddress', () => {
  it('knows multicast (IPv4 and IPv6) and the limited broadcast, and nothing else', () => {
    for (const a of ['230.1.2.3', '224.0.0.252', '239.255.255.250', '224.0.0.251', '255.255.255.255', 'ff02::1:3', 'ff02::fb', 'FF05::C']) expect(isGroupAddress(a), a).toBe(true);
    for (const a of ['1.2.3.4', '100.64.0.1', '9.9.9.9', '199.255.255.255', '1::ff', '223.255.255.255', '240.0.0.1', '10.0.0.255', '20.190.151.68', 'fe80::1', '2001:db8::ff', 'not-an-ip']) expect(isGroupAddress(a), a).toBe(false);
  });
});

describe('inference on IPv6', () => {
  it('infers a DC on a global IPv6 address: enterprises number internal hosts with global unicast', () => {
    const dc = '2a01:110:2001:d:fe::1a';
    const client = '2a01:110:20:10::4a9';
    const s = new SummaryBuilder().pair(client, dc, 'tcp', 88, { flows: 4 }).pair(client, dc, 'tcp', 389, { flows: 6 }).build();
    expect(rolesOf(assignRoles(s, { catalog }), dc)).toEqual([expect.objectContaining({ role: 'dc', source: 'inferred' })]);
  });
});
