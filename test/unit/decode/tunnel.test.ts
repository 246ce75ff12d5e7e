import { describe, expect, it } from 'vitest';
import {
  erspan2,
  erspan3,
  ethernet,
  gre,
  IPPROTO_GRE,
  IPPROTO_TCP,
  IPPROTO_UDP,
  ipv4,
  ipv6,
  tcp,
  TCP_SYN,
  udp,
  vxlan,
} from '../../support/packet-builder.js';
import { addrs, decode } from './helpers.js';

/** The audited packet: the Connect server's SYN to a DC's LDAP port. */
const inner4 = () => ipv4({ src: '10.0.0.20', dst: '10.0.0.10', proto: IPPROTO_TCP }, tcp({ sport: 50000, dport: 389, flags: TCP_SYN }));
const inner6 = () => ipv6({ src: '2001:db8::20', dst: '2001:db8::10', nextHeader: IPPROTO_TCP }, tcp({ sport: 50001, dport: 88, flags: TCP_SYN }));
/** The tunnel between a switch and the collector. */
const outer4 = (payload: Uint8Array, proto = IPPROTO_GRE) => ethernet({}, ipv4({ src: '192.0.2.1', dst: '192.0.2.200', proto }, payload));

function expectInner(r: ReturnType<typeof decode>, counter: string) {
  expect(r.ok).toBe(true);
  expect(r.pkt.ipVersion).toBe(4);
  expect(addrs(r.pkt)).toEqual(['10.0.0.20', '10.0.0.10']);
  expect([r.pkt.proto, r.pkt.srcPort, r.pkt.dstPort, r.pkt.tcpFlags]).toEqual([IPPROTO_TCP, 50000, 389, TCP_SYN]);
  expect(r.diag.counters.get(counter)).toBe(1);
}

describe('tunnels: the carried packet is the one audited', () => {
  it('GRE with IPv4 inside, plain and with checksum, key and sequence number', () => {
    expectInner(decode(1, outer4(gre({ protocol: 0x0800 }, inner4()))), 'tunnel_gre');
    expectInner(decode(1, outer4(gre({ protocol: 0x0800, checksum: true, key: 7, sequence: 99 }, inner4()))), 'tunnel_gre');
  });

  it('GRE with IPv6 inside, and GRE over IPv6', () => {
    const r = decode(1, outer4(gre({ protocol: 0x86dd }, inner6())));
    expect([r.ok, r.pkt.ipVersion, ...addrs(r.pkt), r.pkt.dstPort]).toEqual([true, 6, '2001:db8::20', '2001:db8::10', 88]);
    const overV6 = ethernet({}, ipv6({ src: '2001:db8:ffff::1', dst: '2001:db8:ffff::2', nextHeader: IPPROTO_GRE }, gre({ protocol: 0x0800 }, inner4())));
    expectInner(decode(1, overV6), 'tunnel_gre');
  });

  it('GRE transparent Ethernet bridging, ERSPAN type I, II and III (with and without the platform sub-header)', () => {
    const mirrored = ethernet({ vlan: [20] }, inner4());
    expectInner(decode(1, outer4(gre({ protocol: 0x6558 }, mirrored))), 'tunnel_gre');
    expectInner(decode(1, outer4(gre({ protocol: 0x88be }, mirrored))), 'tunnel_gre');
    expectInner(decode(1, outer4(gre({ protocol: 0x88be, sequence: 1 }, erspan2(5, mirrored)))), 'tunnel_gre');
    expectInner(decode(1, outer4(gre({ protocol: 0x22eb, sequence: 1 }, erspan3(5, mirrored)))), 'tunnel_gre');
    expectInner(decode(1, outer4(gre({ protocol: 0x22eb, sequence: 1 }, erspan3(5, mirrored, true)))), 'tunnel_gre');
  });

  it('VXLAN on UDP 4789', () => {
    expectInner(decode(1, outer4(udp({ sport: 51000, dport: 4789 }, vxlan(5001, ethernet({}, inner4()))), IPPROTO_UDP)), 'tunnel_vxlan');
  });

  it('UDP 4789 that is not VXLAN (no I flag) stays a UDP datagram', () => {
    const notVxlan = new Uint8Array(30).fill(0x41);
    const r = decode(1, outer4(udp({ sport: 51000, dport: 4789 }, notVxlan), IPPROTO_UDP));
    expect([r.ok, ...addrs(r.pkt), r.pkt.proto, r.pkt.dstPort, r.pkt.payloadLen]).toEqual([true, '192.0.2.1', '192.0.2.200', IPPROTO_UDP, 4789, 30]);
    expect(r.diag.counters.get('tunnel_vxlan')).toBeUndefined();
  });

  it("what is not a packet stays the tunnel's own: PPTP's enhanced GRE, MPLS", () => {
    for (const payload of [gre({ protocol: 0x880b, version: 1 }, new Uint8Array(20)), gre({ protocol: 0x8847 }, new Uint8Array(20))]) {
      const r = decode(1, outer4(payload));
      expect([r.ok, ...addrs(r.pkt), r.pkt.proto]).toEqual([true, '192.0.2.1', '192.0.2.200', IPPROTO_GRE]);
      expect(r.diag.counters.get('tunnel_other_payload')).toBe(1);
    }
  });

  it('tunnels inside tunnels are followed two deep, no deeper', () => {
    const twice = gre({ protocol: 0x0800 }, ipv4({ src: '198.51.100.1', dst: '198.51.100.2', proto: IPPROTO_GRE }, gre({ protocol: 0x0800 }, inner4())));
    const r2 = decode(1, outer4(twice));
    expect([r2.ok, ...addrs(r2.pkt)]).toEqual([true, '10.0.0.20', '10.0.0.10']);
    const thrice = gre({ protocol: 0x0800 }, ipv4({ src: '203.0.113.1', dst: '203.0.113.2', proto: IPPROTO_GRE }, twice));
    const r3 = decode(1, outer4(thrice));
    expect([r3.ok, ...addrs(r3.pkt), r3.pkt.proto]).toEqual([true, '198.51.100.1', '198.51.100.2', IPPROTO_GRE]);
  });

  it('a tunnelled packet cut short is reported with its byte offset and leaves no packet', () => {
    const whole = outer4(gre({ protocol: 0x0800 }, inner4()));
    const r = decode(1, whole.subarray(0, 14 + 20 + 4 + 12), { originalLen: whole.length });
    expect(r.ok).toBe(false);
    expect(r.pkt.ipVersion).toBe(0);
    expect(r.diag.countOf('ipv4_truncated')).toBe(1);
    // A GRE header itself cut short.
    const cut = decode(1, whole.subarray(0, 14 + 20 + 2), { originalLen: whole.length });
    expect(cut.diag.countOf('tunnel_truncated')).toBe(1);
    expect(cut.ok).toBe(true); // the outer packet is still there, flagged truncated
    expect(cut.pkt.truncated).toBe(true);
  });
});

describe('a remote SPAN capture end to end: flows of the mirrored traffic, as tshark sees them', () => {
  // The Connect server's LDAP connection to dc02, mirrored by a switch over ERSPAN II, and its
  // Kerberos SYN to dc01 that nothing answers, mirrored over VXLAN.
  const C = '10.0.0.20';
  const DC2 = '10.0.0.11';
  const DC1 = '10.0.0.10';
  const T0 = 1_714_557_600_000_000;
  const seg = (src: string, dst: string, sport: number, dport: number, flags: number, seq: number, ack: number, len = 0) =>
    ethernet({}, ipv4({ src, dst, proto: IPPROTO_TCP }, tcp({ sport, dport, flags, seq, ack }, new Uint8Array(len))));
  const ldap = [
    seg(C, DC2, 50000, 389, TCP_SYN, 100, 0),
    seg(DC2, C, 389, 50000, TCP_SYN | 0x10, 500, 101),
    seg(C, DC2, 50000, 389, 0x10, 101, 501),
    seg(C, DC2, 50000, 389, 0x18, 101, 501, 120),
    seg(DC2, C, 389, 50000, 0x18, 501, 221, 300),
    seg(C, DC2, 50000, 389, 0x11, 221, 801),
    seg(DC2, C, 389, 50000, 0x11, 801, 222),
    seg(C, DC2, 50000, 389, 0x10, 222, 802),
  ].map((frame, i) => ({ tsMicros: T0 + i * 1000, data: outer4(gre({ protocol: 0x88be, sequence: i }, erspan2(7, frame))) }));
  const kerberos = [0, 1_000_000, 3_000_000].map((dt) => ({
    tsMicros: T0 + 10_000 + dt,
    data: outer4(udp({ sport: 40000, dport: 4789 }, vxlan(5001, seg(C, DC1, 50001, 88, TCP_SYN, 900, 0))), IPPROTO_UDP),
  }));

  it('flows --format ndjson lists the inner conversations with their states; tshark agrees on the endpoints', async () => {
    const { mkdtempSync, writeFileSync, existsSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { execFileSync, spawnSync } = await import('node:child_process');
    const { writePcap } = await import('../../support/pcap-writer.js');
    const dir = mkdtempSync(join(tmpdir(), 'flowaudit-tunnel-'));
    const file = join(dir, 'erspan.pcap');
    writeFileSync(file, writePcap({ byteOrder: 'le', linkType: 1, records: [...ldap, ...kerberos].sort((a, b) => a.tsMicros - b.tsMicros) }));
    const bin = join(__dirname, '../../../dist/src/cli/bin.js');
    const r = spawnSync(process.execPath, [bin, 'flows', file, '--format', 'ndjson'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const flows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(flows.map((f) => [f['id.orig_h'], f['id.resp_h'], f['id.resp_p'], f.conn_state])).toEqual([
      [C, DC2, 389, 'SF'],
      [C, DC1, 88, 'S0'],
    ]);
    expect(flows[1].syn_count).toBe(3);
    const tshark = '/usr/bin/tshark';
    if (!existsSync(tshark)) return;
    // tshark decodes ERSPAN and VXLAN (UDP 4789) by default: its TCP conversations are the inner ones.
    const conv = execFileSync(tshark, ['-n', '-q', '-r', file, '-z', 'conv,tcp'], { encoding: 'utf8' });
    expect(conv).toMatch(/10\.0\.0\.20:50000\s+<->\s+10\.0\.0\.11:389/);
    expect(conv).toMatch(/10\.0\.0\.20:50001\s+<->\s+10\.0\.0\.10:88/);
  });
});
