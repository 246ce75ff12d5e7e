import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { filterForDnsNames, filterForFlow, filterForPorts, wiresharkString } from '../../../src/audit/display-filter.js';
import { mergeTimelines } from '../../../src/audit/evidence.js';
import { compareAddresses } from '../../../src/audit/order.js';
import { dnsNameMatches, ruleCoversPort } from '../../../src/audit/rule-match.js';
import { KERBEROS, RPC_DYNAMIC } from '../../support/audit-fixtures.js';
import { writePcap } from '../../support/pcap-writer.js';

const S = 1_000_000;

describe('display filters', () => {
  it('single port, IPv4 and IPv6', () => {
    expect(filterForPorts('10.0.0.20', '10.0.0.10', ['tcp'], [{ from: 389, to: 389 }])).toBe(
      'ip.addr==10.0.0.20 && ip.addr==10.0.0.10 && tcp.port==389',
    );
    expect(filterForFlow('2001:db8::20', '2001:db8::10', 'udp', 53)).toBe(
      'ipv6.addr==2001:db8::20 && ipv6.addr==2001:db8::10 && udp.port==53',
    );
    expect(filterForFlow('2001:db8::20', '2001:db8::10', 'icmp', 0)).toBe(
      'ipv6.addr==2001:db8::20 && ipv6.addr==2001:db8::10 && icmpv6',
    );
  });

  it('a range is tied to the direction, so client ephemeral ports do not match it', () => {
    expect(filterForPorts('10.0.0.20', '10.0.0.10', ['tcp'], [{ from: 49152, to: 65535 }])).toBe(
      'ip.addr==10.0.0.20 && ip.addr==10.0.0.10 && ((ip.src==10.0.0.20 && tcp.dstport in {49152..65535}) || (ip.dst==10.0.0.20 && tcp.srcport in {49152..65535}))',
    );
  });

  it('DNS names are quoted so a hostile name cannot escape the string', () => {
    expect(wiresharkString('a"b\\c\u0001')).toBe('"a\\"b\\\\c\\x01"');
    expect(filterForDnsNames(['login.microsoftonline.com', 'x"||1'])).toBe(
      'dns.qry.name == "login.microsoftonline.com" || dns.qry.name == "x\\"||1"',
    );
  });

  // tshark compiles a display filter before reading the file: exit 0 on an empty capture = valid syntax.
  const tshark = '/usr/bin/tshark';
  it.skipIf(!existsSync(tshark))('every filter form compiles in tshark', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowaudit-dfilter-'));
    const empty = join(dir, 'empty.pcap');
    writeFileSync(empty, writePcap({ byteOrder: 'le', linkType: 1, records: [] })); // Ethernet, no packets
    const filters = [
      filterForPorts('10.0.0.20', '10.0.0.10', KERBEROS.transports, [KERBEROS.ports]),
      filterForPorts('10.0.0.20', '10.0.0.10', RPC_DYNAMIC.transports, [RPC_DYNAMIC.ports]),
      filterForPorts('10.0.0.20', '10.0.0.10', ['tcp', 'udp'], [{ from: 49670, to: 49670 }, { from: 49671, to: 49671 }]),
      filterForPorts('10.0.0.20', null, ['tcp'], [{ from: 443, to: 443 }]),
      filterForPorts(null, null, ['udp'], [{ from: 1024, to: 65353 }]),
      filterForFlow('2001:db8::1', '2001:db8::2', 'tcp', 88),
      filterForFlow('10.0.0.1', '10.0.0.2', 'icmp', 0),
      filterForDnsNames(['login.microsoftonline.com', 'we"ird\\name\u0007']),
    ];
    for (const f of filters) {
      expect(() => execFileSync(tshark, ['-n', '-r', empty, '-Y', f], { stdio: 'pipe' }), f).not.toThrow();
    }
  });
});

describe('rule and name matching', () => {
  it('ruleCoversPort checks transport and range', () => {
    expect(ruleCoversPort(KERBEROS, 'udp', 88)).toBe(true);
    expect(ruleCoversPort(KERBEROS, 'icmp', 88)).toBe(false);
    expect(ruleCoversPort(RPC_DYNAMIC, 'tcp', 49152)).toBe(true);
    expect(ruleCoversPort(RPC_DYNAMIC, 'tcp', 49151)).toBe(false);
    expect(ruleCoversPort(RPC_DYNAMIC, 'udp', 50000)).toBe(false);
  });

  it('wildcards match one or more labels, not the bare domain', () => {
    expect(dnsNameMatches('LOGIN.microsoftonline.com.', '*.microsoftonline.com')).toBe(true);
    expect(dnsNameMatches('a.b.microsoftonline.com', '*.microsoftonline.com')).toBe(true);
    expect(dnsNameMatches('microsoftonline.com', '*.microsoftonline.com')).toBe(false);
    expect(dnsNameMatches('evilmicrosoftonline.com', '*.microsoftonline.com')).toBe(false);
    expect(dnsNameMatches('login.windows.net', 'login.windows.net')).toBe(true);
  });
});

describe('ordering and timelines', () => {
  it('orders addresses numerically, IPv4 first, null last', () => {
    const list = ['10.0.0.100', null, '2001:db8::1', '10.0.0.9', '9.9.9.9'];
    expect(list.sort(compareAddresses)).toEqual(['9.9.9.9', '10.0.0.9', '10.0.0.100', '2001:db8::1', null]);
  });

  it('merges timelines at the widest width', () => {
    const a = { width: S, buckets: [[10 * S, 1, 0], [11 * S, 0, 2]] as [number, number, number][] };
    const b = { width: 2 * S, buckets: [[10 * S, 3, 1], [12 * S, 1, 0]] as [number, number, number][] };
    expect(mergeTimelines([a, b])).toEqual({ width: 2 * S, buckets: [[10 * S, 4, 3], [12 * S, 1, 0]] });
    expect(mergeTimelines([])).toEqual({ width: S, buckets: [] });
  });

  it('keeps the merged timeline bounded', () => {
    const buckets: [number, number, number][] = [];
    for (let i = 0; i < 2000; i++) buckets.push([i * S, 1, 0]);
    const m = mergeTimelines([{ width: S, buckets }]);
    expect(m.buckets.length).toBeLessThanOrEqual(512);
    expect(m.buckets.reduce((n, b) => n + b[1], 0)).toBe(2000);
  });
});
