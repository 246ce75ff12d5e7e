import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../../src/catalog/load.js';
import { assignRoles } from '../../../src/roles/assign.js';
import { InventoryMatcher, parseInventory, parseRoleFlag } from '../../../src/roles/inventory.js';
import { renderRoles } from '../../../src/roles/render.js';
import { roleMapToInventoryYaml } from '../../../src/roles/write-inventory.js';
import type { ConnectCandidate, RoleMap } from '../../../src/roles/types.js';
import { healthySync } from './summary-builder.js';

const catalog = loadCatalog('hybrid-identity');

function federationMap(): RoleMap {
  const s = healthySync()
    .name('aadc01.contoso.local', '10.0.0.20')
    .pair('198.51.100.7', '10.0.2.30', 'tcp', 443)
    .pair('198.51.100.7', '10.0.2.30', 'tcp', 49443)
    .pair('10.0.2.30', 'fd00::40', 'tcp', 443)
    .pair('10.0.0.20', '93.184.216.34', 'tcp', 443)
    .build();
  return assignRoles(s, { catalog, cliRoles: parseRoleFlag('10.0.0.20=connect,health-agent') });
}

/** A map with one inferred DC and no Connect server, and the hosts that may be it. */
function dcWithoutConnect(connectCandidates: ConnectCandidate[]): RoleMap {
  return {
    hosts: new Map([['10.0.0.10', { address: '10.0.0.10', names: [], roles: [{ role: 'dc', source: 'inferred', confidence: 'medium', why: 'answers LDAP' }] }]]),
    connectCandidates,
  };
}

describe('roleMapToInventoryYaml', () => {
  it('writes every role with a comment giving source, confidence and why, and loads back', () => {
    const map = federationMap();
    const yaml = roleMapToInventoryYaml(map, { generatedFrom: 'capture.pcap' });
    expect(yaml).toContain('# From: capture.pcap');
    expect(yaml).toMatch(/^ {2}dc:\n {4}- 10\.0\.0\.10 {2}# inferred, medium: answers Kerberos 88/m);
    expect(yaml).toMatch(/^ {2}adfs:\n {4}- "fd00::40" {2}# inferred, medium: contacted on HTTPS 443 by WAP 10\.0\.2\.30/m);
    expect(yaml).toContain('# dns, high: DNS answer login.microsoftonline.com → 20.190.1.2 (capture.pcap frame 1)');
    expect(yaml).toContain('# cli, high: --role 10.0.0.20=health-agent');
    const inv = parseInventory(yaml, 'written.yaml');
    // Every role of every host comes back, and nothing else.
    const matcher = new InventoryMatcher(inv.entries);
    for (const host of map.hosts.values()) {
      const want = [...new Set(host.roles.map((r) => r.role))].sort();
      const got = [...new Set(matcher.match(host.address, []).map((h) => h.role))].sort();
      expect(got, host.address).toEqual(want);
    }
    // Names of private role hosts become hosts: hints.
    expect(inv.hosts).toEqual([{ name: 'aadc01.contoso.local', address: '10.0.0.20' }]);
  });

  it('hosts: hints name the on-premises hosts at global IPv6 addresses too (a DC), not cloud addresses', () => {
    const map: RoleMap = {
      hosts: new Map([
        ['2001:db8:abcd:10::11', { address: '2001:db8:abcd:10::11', names: ['dc02.contoso.com'], roles: [{ role: 'dc', source: 'inferred', confidence: 'medium', why: 'answers LDAP' }] }],
        ['2603:1037:1:c8::8', { address: '2603:1037:1:c8::8', names: ['login.microsoftonline.com'], roles: [{ role: 'azure-ad', source: 'dns', confidence: 'high', why: 'DNS answer' }] }],
      ]),
    };
    const inv = parseInventory(roleMapToInventoryYaml(map), 'w.yaml');
    expect(inv.hosts).toEqual([{ name: 'dc02.contoso.com', address: '2001:db8:abcd:10::11' }]);
  });

  it('keeps the file parseable whatever the data put in names and reasons', () => {
    const map: RoleMap = {
      hosts: new Map([
        [
          '10.0.0.9',
          {
            address: '10.0.0.9',
            names: ['evil\nroles:\n  dc: [1.2.3.4]', 'ok.contoso.local', 'x: y'],
            roles: [{ role: 'dc', source: 'inferred', confidence: 'low', why: 'line one\nroles:\r\n  wap: [6.6.6.6]\u2028# x' }],
          },
        ],
      ]),
    };
    const yaml = roleMapToInventoryYaml(map);
    const inv = parseInventory(yaml, 'w.yaml');
    expect(inv.entries).toEqual([{ role: 'dc', match: ['10.0.0.9'] }]);
    expect(inv.hosts).toEqual([{ name: 'ok.contoso.local', address: '10.0.0.9' }]);
  });

  it('without a Connect server, its likely hosts are written commented out: the file loads as is, and with one uncommented', () => {
    const map = dcWithoutConnect([
      { address: '10.0.0.20', flows: 16 },
      { address: 'fd00::20', flows: 4 },
    ]);
    const yaml = roleMapToInventoryYaml(map);
    expect(yaml).toContain('  # connect:\n  #   - 10.0.0.20  # 16 LDAP and Kerberos flows to the DCs\n  #   - "fd00::20"  # 4 LDAP and Kerberos flows to the DCs\n');
    expect(parseInventory(yaml, 'i.yaml').entries.map((e) => e.role)).toEqual(['dc']);
    const chosen = yaml.replace('  # connect:', '  connect:').replace('  #   - 10.0.0.20', '    - 10.0.0.20');
    expect(parseInventory(chosen, 'i.yaml').entries).toContainEqual({ role: 'connect', match: ['10.0.0.20'] });
  });

  it('an empty map still writes a loadable file with a hint', () => {
    const yaml = roleMapToInventoryYaml({ hosts: new Map() });
    expect(yaml).toContain('# no roles were found');
    expect(parseInventory(yaml, 'e.yaml').entries).toEqual([]);
  });
});

describe('renderRoles', () => {
  it('terminal table: one line per role, then the addresses without a role', () => {
    const text = renderRoles(federationMap(), 'table');
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^address\s+names\s+role\s+source\s+confidence\s+why$/);
    expect(text).toMatch(/^10\.0\.0\.20\s+aadc01\.contoso\.local\s+connect\s+cli\s+high\s+--role 10\.0\.0\.20=connect$/m);
    expect(text).toMatch(/^\s+health-agent\s+cli\s+high\s+--role 10\.0\.0\.20=health-agent$/m);
    expect(text).toMatch(/^20\.190\.1\.2\s+login\.microsoftonline\.com\s+azure-ad\s+dns\s+high\s+DNS answer/m);
    expect(text).toContain('1 address holds no role: 93.184.216.34');
  });

  it('markdown escapes names from the data', () => {
    const map: RoleMap = {
      hosts: new Map([
        ['20.1.1.1', { address: '20.1.1.1', names: ['a|b.microsoftonline.com'], roles: [{ role: 'azure-ad', source: 'sni', confidence: 'high', why: 'TLS SNI <img src=x>' }] }],
      ]),
    };
    const md = renderRoles(map, 'md');
    expect(md).toContain('| 20.1.1.1 | a\\|b.microsoftonline.com | azure-ad | sni | high | TLS SNI \\<img src=x\\> |');
  });

  it('terminal output drops control characters from names', () => {
    const map: RoleMap = {
      hosts: new Map([['20.1.1.1', { address: '20.1.1.1', names: ['x\x1b]0;pwned\x07.com'], roles: [{ role: 'crl', source: 'dns', confidence: 'high', why: 'w' }] }]]),
    };
    expect(renderRoles(map, 'table')).not.toMatch(/[\x1b\x07]/);
  });

  it('without a Connect server, the hosts that may be it and the --role that says so, in every format', () => {
    const map = dcWithoutConnect([
      { address: '10.0.0.20', flows: 35 },
      { address: '10.0.0.31', flows: 4 },
    ]);
    const hint = 'No Connect server found: if it is one of 10.0.0.20 (35 LDAP and Kerberos flows to the DCs), 10.0.0.31 (4), say so: --role ADDRESS=connect (or in an inventory).';
    expect(renderRoles(map, 'table')).toContain(hint);
    expect(renderRoles(map, 'md')).toContain(hint);
    expect(JSON.parse(renderRoles(map, 'json')).connect_candidates).toEqual(map.connectCandidates);
    const one = renderRoles({ ...map, connectCandidates: [{ address: '10.0.0.20', flows: 1 }] }, 'table');
    expect(one).toContain('No Connect server found: if it is 10.0.0.20 (1 LDAP or Kerberos flow to the DCs), say so: --role 10.0.0.20=connect (or in an inventory).');
    expect(renderRoles(federationMap(), 'table')).not.toContain('No Connect server found');
  });

  it('json lists every host with its evidence', () => {
    const back = JSON.parse(renderRoles(federationMap(), 'json'));
    const wap = back.hosts.find((h: { address: string }) => h.address === '10.0.2.30');
    expect(wap.roles[0]).toMatchObject({ role: 'wap', source: 'inferred', confidence: 'medium' });
    expect(back.hosts.find((h: { address: string }) => h.address === '93.184.216.34').roles).toEqual([]);
  });
});
