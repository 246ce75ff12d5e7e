import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/common/diagnostics.js';
import { builtinCatalogDir, listBuiltinCatalogs, loadCatalog, parseCatalog } from '../../../src/catalog/load.js';
import type { Catalog, CatalogRule } from '../../../src/catalog/types.js';

const current = loadCatalog('hybrid-identity');
const old = loadCatalog('hybrid-identity-2016');

function rule(c: Catalog, id: string): CatalogRule {
  const r = c.rules.find((x) => x.id === id);
  if (!r) throw new Error(`no rule ${id} in ${c.name}`);
  return r;
}
function rulesOnPort(c: Catalog, port: number): CatalogRule[] {
  return c.rules.filter((r) => port >= r.ports.from && port <= r.ports.to && r.ports.to - r.ports.from < 1000);
}
function countByTable(c: Catalog): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of c.rules) out[r.table] = (out[r.table] ?? 0) + 1;
  return out;
}

describe('built-in catalogs', () => {
  it('are found in the package catalogs/ folder and listed default first', () => {
    expect(builtinCatalogDir()).toBe(join(process.cwd(), 'catalogs'));
    const list = listBuiltinCatalogs();
    expect(list.map((c) => c.name)).toEqual(['hybrid-identity', 'hybrid-identity-2016']);
    expect(list[0].isDefault).toBe(true);
    expect(loadCatalog().name).toBe('hybrid-identity');
  });

  it('the current table has every row of the reference, one rule per role pair', () => {
    // Table 1: 10 rows; Table 2: 2; Table 3: 3 rows x (adfs, wap); 4: 1; 5: 2; 6a PTA: 3; 6b SSO: 1; 7a Health: 2.
    expect(current.rules).toHaveLength(27);
    expect(Object.values(countByTable(current))).toEqual([10, 2, 6, 1, 2, 3, 1, 2]);
    expect(current.rules.filter((r) => r.table.startsWith('Table 1')).map((r) => r.ports.from)).toEqual([
      53, 88, 135, 389, 445, 636, 49152, 5985, 9389, 3268,
    ]);
  });

  it('the 2016 table has exactly its published rows', () => {
    // Table 1: 6; Table 2: 2; Table 3: 3 rows x (adfs, wap); 4: 1; 5: 2; 6a: 2.
    expect(old.rules).toHaveLength(19);
    expect(countByTable(old)).toEqual({
      'Table 1 - Azure AD Connect and On-premises AD': 6,
      'Table 2 - Azure AD Connect and Azure AD': 2,
      'Table 3 - Azure AD Connect and Federation Servers/WAP': 6,
      'Table 4 - WAP and Federation Servers': 1,
      'Table 5 - WAP and Users': 2,
      'Table 6a - Ports and Protocols for Azure AD Connect Health agent for (AD FS/Sync) and Azure AD': 2,
    });
    // TCP/UDP everywhere the doc says so: all but WinRM 5985 and 49443.
    for (const r of old.rules) {
      const tcpOnly = r.ports.from === 5985 || r.ports.from === 49443;
      expect(r.transports, r.id).toEqual(tcpOnly ? ['tcp'] : ['tcp', 'udp']);
    }
  });

  it('2016: the RPC range is 1024-65353 TCP/UDP as published, with the typo noted', () => {
    const rpc = rule(old, 'connect-dc-rpc-dynamic');
    expect(rpc.ports).toEqual({ from: 1024, to: 65353 });
    expect(rpc.transports).toEqual(['tcp', 'udp']);
    expect(rpc.dynamicRpc).toBe(true);
    expect(rpc.note).toMatch(/65353.*typo.*65535/);
  });

  it('2016: HTTPS 443 is TCP/UDP, 636 needs ldaps, Health 443 and 5671 are required with health-agent', () => {
    expect(rule(old, 'connect-azure-ad-https')).toMatchObject({ transports: ['tcp', 'udp'], ports: { from: 443, to: 443 }, required: true });
    expect(rule(old, 'connect-dc-ldaps')).toMatchObject({ condition: 'ldaps', required: true });
    for (const id of ['health-service-https', 'health-service-amqp']) {
      expect(rule(old, id)).toMatchObject({ from: 'health-agent', to: 'health-service', required: true, condition: 'health-agent', transports: ['tcp', 'udp'] });
    }
    expect(rule(old, 'health-service-amqp').ports.from).toBe(5671);
  });

  it('current: 135 is TCP only and required; the range is 49152-65535 TCP with the changed-range note', () => {
    const epm = rule(current, 'connect-dc-msrpc');
    expect(epm).toMatchObject({ transports: ['tcp'], required: true, ports: { from: 135, to: 135 } });
    expect(epm.condition).toBeUndefined();
    const rpc = rule(current, 'connect-dc-rpc-dynamic');
    expect(rpc).toMatchObject({ transports: ['tcp'], ports: { from: 49152, to: 65535 }, dynamicRpc: true, required: true });
    expect(rpc.condition).toBeUndefined();
    expect(rpc.note).toMatch(/dynamic port range may have been changed/);
  });

  it('current: conditions and optional rows follow the doc', () => {
    expect(rule(current, 'connect-dc-smb')).toMatchObject({ condition: 'seamless-sso', conditions: ['seamless-sso', 'password-writeback'] });
    expect(rule(current, 'connect-dc-ldaps')).toMatchObject({ condition: 'ldaps', transports: ['tcp', 'udp'] });
    expect(rule(current, 'connect-dc-gc')).toMatchObject({ condition: 'seamless-sso', ports: { from: 3268, to: 3268 } });
    expect(rule(current, 'connect-dc-gc').note).toMatch(/3269/);
    expect(rule(current, 'connect-dc-winrm').condition).toBe('gmsa-adfs');
    expect(rule(current, 'connect-dc-adws').condition).toBe('gmsa-adfs');
    expect(rule(current, 'connect-adfs-winrm').condition).toBe('federation');
    expect(rule(current, 'pta-azure-ad-8080')).toMatchObject({ required: false, condition: 'pass-through-auth' });
    expect(rule(current, 'health-service-amqp')).toMatchObject({ required: false, condition: 'health-agent', transports: ['tcp'] });
    expect(rule(current, 'health-service-https')).toMatchObject({ required: true, condition: 'health-agent' });
    expect(rule(current, 'connect-azure-ad-sso-https')).toMatchObject({ condition: 'seamless-sso', ports: { from: 443, to: 443 } });
  });

  it('CRL downloads are occasional in both tables (cached lists: a window without one proves nothing), and still required', () => {
    for (const c of [current, old]) expect(rule(c, 'connect-crl-http')).toMatchObject({ occasional: true, required: true });
    expect(current.rules.filter((r) => r.occasional).map((r) => r.id)).toEqual(['connect-crl-http']);
  });

  it('445, 3268 and 9389 are only in the current table', () => {
    for (const port of [445, 3268, 9389]) {
      expect(rulesOnPort(current, port).length, `current ${port}`).toBe(1);
      expect(rulesOnPort(old, port), `2016 ${port}`).toEqual([]);
    }
  });

  it('models the role pairs of each table', () => {
    const pairs = (c: Catalog) => [...new Set(c.rules.map((r) => `${r.from}>${r.to}`))].sort();
    expect(pairs(old)).toEqual(
      ['connect>dc', 'connect>azure-ad', 'connect>crl', 'connect>adfs', 'connect>wap', 'wap>adfs', 'users>wap', 'health-agent>health-service'].sort(),
    );
    expect(pairs(current)).toEqual([...pairs(old), 'pta-agent>azure-ad'].sort());
    // Table 2's CRL download keeps its table attribution.
    expect(rule(old, 'connect-crl-http').table).toBe('Table 2 - Azure AD Connect and Azure AD');
    expect(rule(current, 'connect-crl-http')).toMatchObject({ from: 'connect', to: 'crl', ports: { from: 80, to: 80 } });
  });

  it('every 2016 rule id exists in the current catalog with the same role pair', () => {
    for (const r of old.rules) {
      const c = rule(current, r.id);
      expect([c.from, c.to], r.id).toEqual([r.from, r.to]);
    }
  });

  it('carries the endpoint names, with telemetry ignored', () => {
    for (const c of [current, old]) {
      const azure = c.endpoints.filter((e) => e.role === 'azure-ad' && !e.ignore).flatMap((e) => e.patterns);
      expect(azure).toContain('*.microsoftonline.com');
      expect(azure).toContain('login.windows.net');
      const ignored = c.endpoints.filter((e) => e.ignore).flatMap((e) => e.patterns);
      expect(ignored).toEqual(['dc.services.visualstudio.com', '*.nsatc.net']);
      expect(c.endpoints.some((e) => e.role === 'crl' && e.patterns.includes('crl.microsoft.com'))).toBe(true);
      expect(c.endpoints.some((e) => e.role === 'health-service' && e.patterns.includes('*.aadconnecthealth.azure.com'))).toBe(true);
    }
  });
});

describe('user catalogs and validation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowaudit-catalog-'));
  const write = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const good = `
name: mine
title: My ports
rules:
  - id: a
    table: T
    from: connect
    to: dc
    protocol: LDAP
    transports: tcp/udp
    ports: 389
    description: LDAP.
  - id: b
    table: T
    from: connect
    to: dc
    protocol: RPC
    transports: [tcp]
    ports: {from: 5000, to: 5100}
    description: Narrowed RPC range.
    dynamicRpc: true
    condition: [initial-config]
`;
  /** Catalog text with rule 2's field `key` replaced by `value` (or removed when value is null). */
  const withField = (key: string, value: string | null) => {
    const lines = good.split('\n');
    const start = lines.findIndex((l) => l.includes('- id: b'));
    const idx = lines.findIndex((l, i) => i >= start && (l.trim().startsWith(`${key}:`) || l.trim().startsWith(`- ${key}:`)));
    if (idx < 0) lines.splice(start + 1, 0, `    ${key}: ${value}`);
    else if (value === null) lines[idx] = lines[idx].trim().startsWith('- ') ? '  - table: T' : '';
    else lines[idx] = lines[idx].replace(/(\s*-?\s*)[A-Za-z]+:.*/, `$1${key}: ${value}`);
    return lines.join('\n');
  };
  const errorOf = (text: string, name = 'my.yaml'): string => {
    try {
      parseCatalog(text, name);
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      return (err as Error).message;
    }
    throw new Error('expected a UsageError');
  };

  it('loads a user YAML file by path, accepting the doc spellings', () => {
    const c = loadCatalog(write('mine.yaml', good));
    expect(c.name).toBe('mine');
    expect(c.title).toBe('My ports');
    expect(c.rules[0]).toMatchObject({ transports: ['tcp', 'udp'], ports: { from: 389, to: 389 }, required: true });
    expect(c.rules[1]).toMatchObject({ ports: { from: 5000, to: 5100 }, dynamicRpc: true, condition: 'initial-config' });
    expect(c.endpoints).toEqual([]);
  });

  it('loads a JSON catalog and names it after the file when it has no name', () => {
    const json = JSON.stringify({
      title: 'J',
      rules: [{ id: 'x', table: 'T', from: 'wap', to: 'adfs', protocol: 'HTTPS', transports: ['tcp'], ports: '443', description: 'd', required: false }],
      endpoints: [{ role: 'adfs', patterns: ['sts.contoso.com'] }],
    });
    const c = loadCatalog(write('ours.json', json));
    expect(c.name).toBe('ours');
    expect(c.rules[0]).toMatchObject({ required: false, ports: { from: 443, to: 443 } });
    expect(c.endpoints).toEqual([{ role: 'adfs', patterns: ['sts.contoso.com'] }]);
  });

  it('names an unknown role with the rule position, id and the allowed roles', () => {
    expect(errorOf(withField('to', 'dcc'))).toBe(
      "my.yaml: rule 2 (id 'b'): unknown role 'dcc' in `to` (expected one of connect, dc, azure-ad, crl, adfs, wap, users, health-agent, health-service, pta-agent)",
    );
  });

  it('rejects ports out of range and backwards ranges', () => {
    expect(errorOf(withField('ports', '70000'))).toBe("my.yaml: rule 2 (id 'b'): port 70000 out of range (expected a whole number from 1 to 65535)");
    expect(errorOf(withField('ports', '0'))).toMatch(/port 0 out of range/);
    expect(errorOf(withField('ports', '65535-1024'))).toBe("my.yaml: rule 2 (id 'b'): port range 65535-1024 runs backwards (from > to)");
    expect(errorOf(withField('ports', 'ldap'))).toMatch(/`ports` 'ldap' is not a port or a range/);
  });

  it('rejects duplicate ids, naming both rules', () => {
    expect(errorOf(withField('id', 'a'))).toBe("my.yaml: rule 2 (id 'a'): duplicate id (rule 1 has the same id)");
  });

  it('rejects missing fields', () => {
    expect(errorOf(withField('protocol', null))).toBe("my.yaml: rule 2 (id 'b'): missing field `protocol`");
    expect(errorOf(good.replace('  - id: b\n    table: T', '  - table: T'))).toBe('my.yaml: rule 2: missing field `id`');
    expect(errorOf(withField('description', null))).toMatch(/missing field `description`/);
    expect(errorOf('title: x\n')).toBe('my.yaml: missing field `rules` (a list of rules)');
  });

  it('rejects unknown conditions, transports and fields', () => {
    expect(errorOf(withField('condition', 'sso'))).toBe(
      "my.yaml: rule 2 (id 'b'): unknown condition 'sso' (expected one of ldaps, seamless-sso, password-writeback, federation, initial-config, gmsa-adfs, health-agent, pass-through-auth, password-hash-sync)",
    );
    expect(errorOf(withField('transports', '[tcp, sctp]'))).toBe("my.yaml: rule 2 (id 'b'): unknown transport 'sctp' (expected tcp or udp)");
    expect(errorOf(withField('transport', 'tcp'))).toMatch(/rule 2 \(id 'b'\): unknown field 'transport' \(expected one of id, table/);
    expect(errorOf(withField('required', 'yes please'))).toMatch(/`required` must be true or false/);
    expect(errorOf(withField('occasional', 'sometimes'))).toMatch(/`occasional` must be true or false/);
    expect(parseCatalog(withField('occasional', 'true'), 'my.yaml').rules[1].occasional).toBe(true);
  });

  it('validates endpoint entries', () => {
    expect(errorOf(`${good}endpoints:\n  - role: cloud\n    patterns: [a.com]\n`)).toMatch(/^my.yaml: endpoints entry 1: unknown role 'cloud' in `role`/);
    expect(errorOf(`${good}endpoints:\n  - role: crl\n    patterns: ["bad name.com"]\n`)).toMatch(/endpoints entry 1: pattern 'bad name.com': only letters/);
    expect(errorOf(`${good}endpoints:\n  - role: crl\n    patterns: ["*"]\n`)).toMatch(/endpoints entry 1: pattern '\*'/);
  });

  it('reports YAML syntax errors with the line', () => {
    expect(errorOf('rules: [\n  - id: a\n', 'bad.yaml')).toMatch(/^bad.yaml: not valid YAML at line \d+/);
  });

  it('rejects an unknown catalog name that is not a file', () => {
    expect(() => loadCatalog('hybrid-identity-2099')).toThrow(
      "catalog 'hybrid-identity-2099': no such file, and not a built-in catalog (built-in: hybrid-identity, hybrid-identity-2016)",
    );
    expect(() => loadCatalog(dir)).toThrow(/is a folder/);
  });
});
