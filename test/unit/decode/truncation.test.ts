import { describe, expect, it } from 'vitest';
import {
  dnsResponse,
  epmMapResponse,
  ethernet,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  icmp6Unreachable,
  icmpUnreachable,
  ipv4,
  ipv6,
  nflog,
  nullLoopback,
  sll,
  sll2,
  tcp,
  TCP_SYN,
  TCP_SYN_OPTIONS,
  tlsClientHello,
  udp,
} from '../../support/packet-builder.js';
import { decode } from './helpers.js';

/**
 * Snap-length cuts at EVERY byte: decoding never throws, keeps the outer layers that were captured
 * whole, and flags the packet truncated whenever bytes the headers declare are missing.
 */
interface Case {
  name: string;
  linkType: number;
  frame: Uint8Array;
  /** Offset of the IP header and of the transport header in the frame. */
  ipAt: number;
  l4At: number;
  /** Fixed IP header length (20 or 40): the addresses are whole from there on. */
  ipFixedLen: number;
}

const syn4 = ipv4({ src: '10.0.0.20', dst: '10.0.0.10', proto: IPPROTO_TCP, options: new Uint8Array([0x94, 4, 0, 0]) }, tcp({ sport: 50000, dport: 443, flags: TCP_SYN, options: TCP_SYN_OPTIONS }, tlsClientHello('login.microsoftonline.com')));
const dns6 = ipv6({ src: '2001:db8::10', dst: '2001:db8::20', nextHeader: IPPROTO_UDP, extensions: [{ type: 0 }] }, udp({ sport: 53, dport: 50000 }, dnsResponse({ name: 'login.microsoftonline.com', answers: [{ type: 'A', data: '20.190.151.7' }] })));
const icmp4 = ipv4({ src: '10.0.0.1', dst: '10.0.0.20', proto: IPPROTO_ICMP }, icmpUnreachable(13, syn4));
const icmp6 = ipv6({ src: '2001:db8::1', dst: '2001:db8::20', nextHeader: IPPROTO_ICMPV6 }, icmp6Unreachable(1, dns6));
const epm = ipv4({ src: '10.0.0.10', dst: '10.0.0.20', proto: IPPROTO_TCP }, tcp({ sport: 135, dport: 50000 }, epmMapResponse([49676])));

const cases: Case[] = [
  { name: 'Ethernet+VLAN / IPv4 options / TCP options / TLS', linkType: 1, frame: ethernet({ vlan: [10] }, syn4), ipAt: 18, l4At: 18 + 24, ipFixedLen: 20 },
  { name: 'Ethernet / IPv6 hop-by-hop / UDP / DNS', linkType: 1, frame: ethernet({}, dns6), ipAt: 14, l4At: 14 + 48, ipFixedLen: 40 },
  { name: 'SLL / ICMP quoting TCP', linkType: 113, frame: sll({}, icmp4), ipAt: 16, l4At: 36, ipFixedLen: 20 },
  { name: 'SLL2 / ICMPv6 quoting UDP', linkType: 276, frame: sll2({}, icmp6), ipAt: 20, l4At: 60, ipFixedLen: 40 },
  { name: 'NULL / IPv4 / TCP / DCE/RPC', linkType: 0, frame: nullLoopback({}, epm), ipAt: 4, l4At: 24, ipFixedLen: 20 },
];

describe('truncation at every byte', () => {
  for (const c of cases) {
    it(c.name, () => {
      const full = decode(c.linkType, c.frame);
      expect(full.ok).toBe(true);
      expect(full.pkt.truncated).toBe(false);
      expect(full.diag.codes()).toEqual([]);
      for (let n = 0; n < c.frame.length; n++) {
        const r = decode(c.linkType, c.frame.subarray(0, n), { originalLen: c.frame.length });
        const where = `cut at ${n}`;
        // Outer layers are kept once the IPv4/IPv6 fixed header (with the addresses) is whole.
        expect(r.ok, where).toBe(n >= c.ipAt + c.ipFixedLen);
        expect(r.pkt.truncated, where).toBe(true);
        if (n >= c.l4At + 4 && r.pkt.proto !== IPPROTO_ICMP && r.pkt.proto !== IPPROTO_ICMPV6) {
          expect([r.pkt.srcPort, r.pkt.dstPort], where).toEqual([full.pkt.srcPort, full.pkt.dstPort]);
        }
        if (n >= c.l4At + 2 && (full.pkt.icmpType >= 0)) expect(r.pkt.icmpType, where).toBe(full.pkt.icmpType);
        // Application data from a partial capture is never invented.
        if (r.pkt.sni !== null) expect(r.pkt.sni, where).toBe(full.pkt.sni);
        if (r.pkt.epmPorts !== null) expect(r.pkt.epmPorts, where).toEqual(full.pkt.epmPorts);
        // A DNS message cut short keeps its start: the header, and the records captured whole.
        if (r.pkt.dns !== null) {
          const d = r.pkt.dns;
          const f = full.pkt.dns!;
          expect([d.id, d.isResponse, d.rcode], where).toEqual([f.id, f.isResponse, f.rcode]);
          expect(d.questions, where).toEqual(f.questions.slice(0, d.questions.length));
          expect(d.answers, where).toEqual(f.answers.slice(0, d.answers.length));
          if (d.answers.length > 0) expect(d.questions, where).toEqual(f.questions);
        }
        // Every problem that was reported names a known code and this frame.
        for (const d of r.diag.toDataQuality().diagnostics) expect(d.examples[0].origin.index).toBe(1);
      }
    });
  }

  it('frames kept only in part are counted as snapped, also when the capture wrote the cut length as the original one', () => {
    const frame = ethernet({ pad: false }, syn4);
    expect(decode(1, frame.subarray(0, 50), { originalLen: frame.length }).diag.counters.get('frames_snapped')).toBe(1);
    expect(decode(1, frame.subarray(0, 50)).diag.counters.get('frames_snapped')).toBe(1); // the IP total length tells
    expect(decode(1, frame).diag.counters.get('frames_snapped')).toBeUndefined();
  });

  it('a cut inside the IPv4 options keeps the addresses and reports ipv4_truncated', () => {
    const r = decode(1, ethernet({ pad: false }, syn4).subarray(0, 14 + 22), { originalLen: 200 });
    expect([r.ok, r.pkt.ipVersion, r.pkt.srcPort, r.pkt.truncated]).toEqual([true, 4, 0, true]);
    expect(r.diag.countOf('ipv4_truncated')).toBe(1);
  });

  it('a cut inside the TCP header keeps the ports and reports tcp_truncated', () => {
    const r = decode(1, ethernet({ pad: false }, syn4).subarray(0, 14 + 24 + 10));
    expect([r.pkt.srcPort, r.pkt.dstPort, r.pkt.tcpFlags, r.pkt.truncated]).toEqual([50000, 443, 0, true]);
    expect(r.diag.countOf('tcp_truncated')).toBe(1);
  });

  it('NFLOG with a payload TLV cut short still decodes the captured part', () => {
    const frame = nflog({}, syn4);
    const r = decode(239, frame.subarray(0, frame.length - 100), { originalLen: frame.length });
    expect([r.ok, r.pkt.srcPort, r.pkt.truncated]).toEqual([true, 50000, true]);
  });
});
