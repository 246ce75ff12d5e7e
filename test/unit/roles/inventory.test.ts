import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/common/diagnostics.js';
import { InventoryMatcher, loadInventory, normalizeMatch, parseInventory, parseRoleFlag } from '../../../src/roles/inventory.js';

const dir = mkdtempSync(join(tmpdir(), 'flowaudit-inv-'));

const sample = `# the example of docs/inventory.md
roles:
  connect: [10.0.0.20, aadc01.contoso.local]
  dc: [10.0.0.10, 10.0.0.11, 10.0.1.0/24]
  adfs: sts.contoso.com
  azure-ad: ["*.microsoftonline.com"]
  wap: ["FD00::30", "fd00:0:0:1::/64"]
  users:
hosts:
  aadc01.contoso.local: 10.0.0.20
  dc02.contoso.local: [10.0.1.5, "fd00::5"]
`;

const errorOf = (text: string): string => {
  try {
    parseInventory(text, 'inv.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
};

describe('loadInventory', () => {
  it('reads roles (lists or single values) and host hints, normalising addresses', () => {
    const path = join(dir, 'inventory.yaml');
    writeFileSync(path, sample);
    const inv = loadInventory(path);
    expect(inv.file).toBe(path);
    expect(inv.entries).toEqual([
      { role: 'connect', match: ['10.0.0.20', 'aadc01.contoso.local'] },
      { role: 'dc', match: ['10.0.0.10', '10.0.0.11', '10.0.1.0/24'] },
      { role: 'adfs', match: ['sts.contoso.com'] },
      { role: 'azure-ad', match: ['*.microsoftonline.com'] },
      { role: 'wap', match: ['fd00::30', 'fd00:0:0:1::/64'] },
    ]);
    expect(inv.hosts).toEqual([
      { name: 'aadc01.contoso.local', address: '10.0.0.20' },
      { name: 'dc02.contoso.local', address: '10.0.1.5' },
      { name: 'dc02.contoso.local', address: 'fd00::5' },
    ]);
  });

  it('says which file is missing', () => {
    expect(() => loadInventory(join(dir, 'nope.yaml'))).toThrow(`${join(dir, 'nope.yaml')}: no such inventory file`);
  });

  it('rejects unknown roles, bad CIDRs, bad addresses and bad names with the entry', () => {
    expect(errorOf('roles:\n  dcc: [10.0.0.1]\n')).toBe(
      "inv.yaml: unknown role 'dcc' under roles (expected one of connect, dc, azure-ad, crl, adfs, wap, users, health-agent, health-service, pta-agent)",
    );
    expect(errorOf('roles:\n  dc: [10.0.0.0/33]\n')).toBe("inv.yaml: roles.dc: '10.0.0.0/33' is not a valid CIDR block (expected e.g. 10.0.1.0/24 or fd00::/64)");
    expect(errorOf('roles:\n  dc: [10.0.0.300]\n')).toBe("inv.yaml: roles.dc: '10.0.0.300' is not a valid IP address");
    expect(errorOf('roles:\n  dc: ["dc 01.contoso.local"]\n')).toMatch(/^inv.yaml: roles.dc: 'dc 01.contoso.local' is not a valid hostname/);
    expect(errorOf('roles:\n  dc: [10]\n')).toBe('inv.yaml: roles.dc: 10 is not an address, CIDR or hostname (quote it)');
    expect(errorOf('roles:\n  dc: [10.0.0.1]\nhosts:\n  dc01.contoso.local: nowhere\n')).toBe('inv.yaml: hosts.dc01.contoso.local: "nowhere" is not a valid IP address');
    expect(errorOf('hosts:\n  a.b: 10.0.0.1\n')).toBe('inv.yaml: missing section `roles:` (role: [addresses, CIDRs, hostnames])');
    expect(errorOf('roles:\n  dc: [10.0.0.1]\nroels: {}\n')).toBe("inv.yaml: unknown section 'roels' (expected roles or hosts)");
    expect(errorOf('')).toBe('inv.yaml: empty inventory (expected a `roles:` mapping)');
    expect(errorOf('roles: [\n')).toMatch(/^inv.yaml: not valid YAML at line \d+, column \d+: /);
  });
});

describe('parseRoleFlag', () => {
  it('accepts an address, a CIDR, a hostname, and several roles', () => {
    expect(parseRoleFlag('10.0.0.5=dc')).toEqual([{ role: 'dc', match: ['10.0.0.5'] }]);
    expect(parseRoleFlag('10.0.0.0/24=dc')).toEqual([{ role: 'dc', match: ['10.0.0.0/24'] }]);
    expect(parseRoleFlag('sts.contoso.com=adfs')).toEqual([{ role: 'adfs', match: ['sts.contoso.com'] }]);
    expect(parseRoleFlag('10.0.0.5=dc,health-agent')).toEqual([
      { role: 'dc', match: ['10.0.0.5'] },
      { role: 'health-agent', match: ['10.0.0.5'] },
    ]);
    expect(parseRoleFlag('2001:db8::5=connect')).toEqual([{ role: 'connect', match: ['2001:db8::5'] }]);
  });
  it('rejects malformed flags with the expected form', () => {
    expect(() => parseRoleFlag('10.0.0.5')).toThrow(/--role '10.0.0.5': expected ADDRESS=ROLE\[,ROLE...\] \(e.g. 10.0.0.5=dc/);
    expect(() => parseRoleFlag('=dc')).toThrow(/expected ADDRESS=ROLE/);
    expect(() => parseRoleFlag('10.0.0.5=domaincontroller')).toThrow("--role '10.0.0.5=domaincontroller': unknown role 'domaincontroller' (expected one of connect, dc,");
    expect(() => parseRoleFlag('10.0.0.0/40=dc')).toThrow(/not a valid CIDR block/);
  });
});

describe('InventoryMatcher', () => {
  const inv = parseInventory(sample, 'inv.yaml');
  const m = new InventoryMatcher(inv.entries);
  it('matches exact IPs, CIDRs, hostnames and wildcards', () => {
    expect(m.match('10.0.0.20', [])).toEqual([{ role: 'connect', match: '10.0.0.20', kind: 'ip' }]);
    expect(m.match('10.0.1.77', [])).toEqual([{ role: 'dc', match: '10.0.1.0/24', kind: 'cidr' }]);
    expect(m.match('10.0.2.1', [])).toEqual([]);
    expect(m.match('10.9.9.9', ['sts.contoso.com'])).toEqual([{ role: 'adfs', match: 'sts.contoso.com', kind: 'hostname', viaName: 'sts.contoso.com' }]);
    expect(m.match('20.190.1.2', ['login.microsoftonline.com'])).toEqual([
      { role: 'azure-ad', match: '*.microsoftonline.com', kind: 'hostname', viaName: 'login.microsoftonline.com' },
    ]);
    expect(m.match('fd00::30', []).map((h) => h.role)).toEqual(['wap']);
    expect(m.match('fd00:0:0:1::9', []).map((h) => h.role)).toEqual(['wap']);
    expect(m.match('fd00:0:0:2::9', [])).toEqual([]);
  });
  it('lists the literal addresses', () => {
    expect(m.literalAddresses().sort()).toEqual(['10.0.0.10', '10.0.0.11', '10.0.0.20', 'fd00::30']);
  });
  it('normalizeMatch classifies entries', () => {
    expect(normalizeMatch(' 10.0.0.1 ')).toEqual({ kind: 'ip', value: '10.0.0.1' });
    expect(normalizeMatch('2001:DB8:0::1')).toEqual({ kind: 'ip', value: '2001:db8::1' });
    expect(normalizeMatch('Host.Contoso.Local.')).toEqual({ kind: 'hostname', value: 'host.contoso.local' });
    expect(normalizeMatch('10.0.0')).toEqual({ error: "'10.0.0' is not a valid IP address" });
  });
});
