import { describe, expect, it } from 'vitest';
import { CLIENT_PORTS, filterExcludes, parseCaptureFilter, type FlowSide } from '../../../src/audit/capture-filter.js';

const client = (address: string | null, cloud = false): FlowSide => ({ address, cloud, ports: CLIENT_PORTS });
const server = (address: string | null, port: number, to = port, cloud = false): FlowSide => ({ address, cloud, ports: { from: port, to } });

/** True when the filter text leaves out the flow client → server:port on `transports`. */
function excludes(filter: string, c: FlowSide, s: FlowSide, transports: ('tcp' | 'udp')[] = ['tcp']): boolean {
  const e = parseCaptureFilter(filter);
  expect(e, filter).not.toBeNull();
  return filterExcludes(e!, c, s, transports);
}

describe('capture filters: what a libpcap filter let through', () => {
  const SYNC = '10.0.0.20';
  const DC1 = '10.0.0.10';
  const DC2 = '10.0.0.11';

  it('host: a filter to one DC leaves out the other DC, in both directions, and keeps the one it names', () => {
    expect(excludes(`host ${DC1}`, client(SYNC), server(DC2, 389), ['tcp', 'udp'])).toBe(true);
    expect(excludes(`host ${DC1}`, client(SYNC), server(DC1, 389))).toBe(false);
    // Either side: the DC's answers to the client pass too.
    expect(excludes(`dst host ${SYNC}`, client(SYNC), server(DC1, 389))).toBe(false);
    expect(excludes(`src host ${DC2}`, client(SYNC), server(DC1, 389))).toBe(true);
    expect(excludes(`host ${DC1} or ${DC2}`, client(SYNC), server(DC2, 88))).toBe(false);
    expect(excludes(`host ${DC1} or host 10.0.0.12`, client(SYNC), server(DC2, 88))).toBe(true);
  });

  it('port: a filter to LDAP leaves out Kerberos, but not a port the client side may use', () => {
    expect(excludes('port 389', client(SYNC), server(DC1, 88), ['tcp', 'udp'])).toBe(true);
    expect(excludes('tcp port 389', client(SYNC), server(DC1, 389), ['tcp', 'udp'])).toBe(false);
    expect(excludes('udp port 389', client(SYNC), server(DC1, 389), ['tcp'])).toBe(true);
    // The client's ephemeral port is unknown: a filter on a high port may have caught it.
    expect(excludes('port 50000', client(SYNC), server(DC1, 88))).toBe(false);
    expect(excludes('not port 3389', client(SYNC), server(DC1, 88))).toBe(false);
    expect(excludes('portrange 1-1023', client(SYNC), server(DC1, 49152, 65535))).toBe(true);
    expect(excludes('tcp portrange 49152-65535', client(SYNC), server(DC1, 49152, 65535))).toBe(false);
    // Service names, as /etc/services gives them to libpcap.
    expect(excludes('port ldap or port kerberos', client(SYNC), server(DC1, 88))).toBe(false);
    expect(excludes('port ldap or port domain', client(SYNC), server(DC1, 88))).toBe(true);
  });

  it('net, and/or/not, parentheses and the C-style operators', () => {
    expect(excludes('net 10.0.0.0/24', client('10.0.1.5'), server('10.0.1.6', 88))).toBe(true);
    expect(excludes('net 10.0.0', client('10.0.1.5'), server(DC1, 88))).toBe(false);
    expect(excludes('dst net 10.0.1.0 mask 255.255.255.0', client(SYNC), server(DC1, 88))).toBe(true);
    expect(excludes(`host ${SYNC} && !(port 443 || port 80)`, client(SYNC), server('20.190.151.68', 443))).toBe(true);
    expect(excludes(`host ${SYNC} and not port 443`, client(SYNC), server(DC1, 389))).toBe(false);
    expect(excludes(`src or dst host ${DC2}`, client(SYNC), server(DC1, 389))).toBe(true);
    expect(excludes('arp or icmp', client(SYNC), server(DC1, 389), ['tcp', 'udp'])).toBe(true);
    expect(excludes('ip6', client(SYNC), server(DC1, 389))).toBe(true);
    expect(excludes('ip', client(SYNC), server(DC1, 389))).toBe(false);
  });

  it('a side the finding names by role only: unknown, except that a cloud endpoint is no private host', () => {
    expect(excludes(`host ${DC1}`, client(SYNC), server(null, 443, 443, true))).toBe(true);
    expect(excludes(`host ${DC1}`, client(SYNC), server(null, 443))).toBe(false);
    expect(excludes('host 20.190.151.68', client(SYNC), server(null, 443, 443, true))).toBe(false);
    expect(excludes(`host ${SYNC}`, client(SYNC), server(null, 443, 443, true))).toBe(false);
  });

  it('reads nothing it does not know: host names, link-layer and byte-offset filters', () => {
    for (const f of ['host dc01.contoso.local', 'ether host 00:11:22:33:44:55', 'vlan and host 10.0.0.1', 'tcp[13] & 2 != 0', 'greater 100', 'port constructor', 'port nosuchservice', 'host', '(host 10.0.0.1', 'host 10.0.0.1 port 80', '10.0.0.1', '']) {
      expect(parseCaptureFilter(f), f).toBeNull();
    }
  });
});
