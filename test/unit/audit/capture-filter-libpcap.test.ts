import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLIENT_PORTS, filterExcludes, parseCaptureFilter } from '../../../src/audit/capture-filter.js';
import { ethernet, IPPROTO_TCP, IPPROTO_UDP, ipv4, ipv6, tcp, TCP_ACK, TCP_SYN, udp } from '../../support/packet-builder.js';
import { writePcap } from '../../support/pcap-writer.js';

/**
 * What flowaudit reads in a capture filter, checked against libpcap itself: tcpdump applies the
 * same filter text to the packets of a flow. Where flowaudit says the filter leaves the flow out,
 * libpcap must let none of its packets through, whatever the client's port; where it says the
 * filter may let it through, libpcap must pass a packet for some client port.
 */
const tcpdump = '/usr/bin/tcpdump';

interface Flow {
  client: string;
  server: string;
  transport: 'tcp' | 'udp';
  port: number;
}

const FLOWS: Flow[] = [
  { client: '10.0.0.20', server: '10.0.0.10', transport: 'tcp', port: 389 },
  { client: '10.0.0.20', server: '10.0.0.11', transport: 'udp', port: 389 },
  { client: '10.0.0.20', server: '10.0.0.11', transport: 'tcp', port: 88 },
  { client: '10.0.0.20', server: '20.190.151.68', transport: 'tcp', port: 443 },
  { client: '10.0.0.20', server: '10.0.0.10', transport: 'tcp', port: 49668 },
  { client: '10.0.1.51', server: '10.0.0.10', transport: 'udp', port: 53 },
  { client: '172.16.0.10', server: '10.0.2.10', transport: 'tcp', port: 443 },
  { client: '2001:db8::20', server: '2001:db8::10', transport: 'tcp', port: 389 },
];

const FILTERS = [
  'host 10.0.0.10',
  'host 10.0.0.10 or host 10.0.0.11',
  'host 10.0.0.10 or 10.0.0.12',
  'src host 10.0.0.20',
  'dst host 10.0.0.20',
  'src or dst host 10.0.0.11',
  'src and dst net 10.0.0.0/24',
  'net 10.0.0.0/16',
  'net 10.0',
  'dst net 10.0.2.0 mask 255.255.255.0',
  'port 389',
  'tcp port 389',
  'udp port 389 or udp port 88',
  'port 50000',
  'not port 443',
  'tcp dst port 443',
  'portrange 49152-65535',
  'tcp portrange 1-1023',
  'port ldap or port kerberos',
  'host 10.0.0.20 and (port 88 or port 389)',
  'host 10.0.0.20 && !(port 443 || port 80)',
  'ip6',
  'ip and not udp',
  'arp or icmp',
  'ip6 host 2001:db8::10',
];

/** Client ports to try: the ends of the ephemeral range, Windows's, and any the filter names. */
function clientPorts(filter: string): number[] {
  const named = [...filter.matchAll(/\b(\d{4,5})\b/g)].map((m) => Number(m[1])).filter((p) => p >= CLIENT_PORTS.from && p <= CLIENT_PORTS.to);
  return [...new Set([CLIENT_PORTS.from, 49152, 50000, CLIENT_PORTS.to, ...named])];
}

function packetsOf(f: Flow, ports: number[]): Uint8Array[] {
  const ip = (src: string, dst: string, payload: Uint8Array) => {
    const proto = f.transport === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP;
    return ethernet({}, src.includes(':') ? ipv6({ src, dst, nextHeader: proto }, payload) : ipv4({ src, dst, proto }, payload));
  };
  return ports.flatMap((cp) =>
    f.transport === 'tcp'
      ? [ip(f.client, f.server, tcp({ sport: cp, dport: f.port, flags: TCP_SYN })), ip(f.server, f.client, tcp({ sport: f.port, dport: cp, flags: TCP_SYN | TCP_ACK }))]
      : [ip(f.client, f.server, udp({ sport: cp, dport: f.port })), ip(f.server, f.client, udp({ sport: f.port, dport: cp }))],
  );
}

describe.skipIf(!existsSync(tcpdump))('capture filters: flowaudit and libpcap agree', () => {
  it('on every filter form and flow: left out means no packet passes, else some packet does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowaudit-bpf-'));
    for (const filter of FILTERS) {
      const expr = parseCaptureFilter(filter);
      expect(expr, filter).not.toBeNull();
      FLOWS.forEach((f, k) => {
        const file = join(dir, `${k}.pcap`);
        const ports = clientPorts(filter);
        writeFileSync(file, writePcap({ byteOrder: 'le', linkType: 1, records: packetsOf(f, ports).map((data, i) => ({ tsMicros: 1_714_557_600_000_000 + i, data })) }));
        const out = execFileSync(tcpdump, ['-n', '-r', file, filter], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
        const passed = out.split('\n').filter((l) => l.trim() !== '').length;
        const excluded = filterExcludes(expr!, { address: f.client, ports: CLIENT_PORTS }, { address: f.server, ports: { from: f.port, to: f.port } }, [f.transport]);
        expect({ filter, flow: f, passed: passed > 0 }).toEqual({ filter, flow: f, passed: !excluded });
      });
    }
  });
});
