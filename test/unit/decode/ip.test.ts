import { describe, expect, it } from 'vitest';
import {
  ethernet,
  hex,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  icmp6Echo,
  ipv4,
  ipv6,
  tcp,
  TCP_ACK,
  TCP_PSH,
  udp,
} from '../../support/packet-builder.js';
import { addrs, decode } from './helpers.js';

const A = '192.0.2.1';
const B = '198.51.100.7';

describe('IPv4', () => {
  it('fills addresses as bytes and as 32-bit numbers, lengths from the header', () => {
    const r = decode(1, ethernet({}, ipv4({ src: A, dst: B, proto: IPPROTO_UDP }, udp({ sport: 123, dport: 123 }, new Uint8Array(48)))));
    expect(r.ok).toBe(true);
    expect(addrs(r.pkt)).toEqual([A, B]);
    expect(r.pkt.srcV4).toBe(0xc0000201);
    expect(r.pkt.dstV4).toBe(0xc6336407);
    expect(Array.from(r.pkt.src.subarray(4))).toEqual(Array(12).fill(0));
    expect([r.pkt.ipLen, r.pkt.payloadLen]).toEqual([20 + 8 + 48, 48]);
  });

  it('skips options by IHL', () => {
    // Router Alert (RFC 2113) + a timestamp option: 12 bytes of options, IHL 8.
    const options = hex('94040000 44080500 00000000');
    const r = decode(1, ethernet({}, ipv4({ src: A, dst: B, proto: IPPROTO_TCP, options }, tcp({ sport: 1025, dport: 636, flags: TCP_PSH | TCP_ACK }, new Uint8Array(5)))));
    expect([r.pkt.srcPort, r.pkt.dstPort, r.pkt.payloadLen, r.pkt.ipLen]).toEqual([1025, 636, 5, 20 + 12 + 20 + 5]);
  });

  it('takes the payload length from Total Length, not from Ethernet padding', () => {
    // A bare ACK is 40 bytes of IP; the Ethernet frame is padded to 60 bytes (6 bytes of padding).
    const frame = ethernet({}, ipv4({ src: A, dst: B, proto: IPPROTO_TCP }, tcp({ sport: 50000, dport: 445 })));
    expect(frame.length).toBe(60);
    const r = decode(1, frame);
    expect([r.pkt.ipLen, r.pkt.payloadLen, r.pkt.truncated]).toEqual([40, 0, false]);
  });

  it('treats Total Length 0 as a capture before segmentation offload (captured bytes are the packet)', () => {
    const r = decode(1, ethernet({}, ipv4({ src: A, dst: B, proto: IPPROTO_TCP, totalLength: 0 }, tcp({ sport: 50000, dport: 445 }, new Uint8Array(3000)))));
    expect([r.ok, r.pkt.ipLen, r.pkt.payloadLen]).toEqual([true, 3040, 3000]);
    expect(r.diag.counters.get('ipv4_tso_zero_length')).toBe(1);
  });

  it('reports IHL below 5 and a total length shorter than the header', () => {
    const badIhl = decode(101, ipv4({ src: A, dst: B, proto: IPPROTO_TCP, ihl: 4 }, tcp({ sport: 1, dport: 2 })));
    expect(badIhl.ok).toBe(false);
    expect(badIhl.diag.countOf('ipv4_bad_ihl')).toBe(1);
    const badLen = decode(101, ipv4({ src: A, dst: B, proto: IPPROTO_TCP, totalLength: 12 }, tcp({ sport: 1, dport: 2 })));
    expect(badLen.ok).toBe(false);
    expect(badLen.diag.countOf('ipv4_bad_total_length')).toBe(1);
  });

  it('first fragment (MF, offset 0) carries the ports; later fragments are flagged and counted', () => {
    const first = decode(1, ethernet({}, ipv4({ src: A, dst: B, proto: IPPROTO_UDP, mf: true, id: 77 }, udp({ sport: 53, dport: 40000, length: 8 + 3000 }, new Uint8Array(1472)))));
    expect([first.pkt.srcPort, first.pkt.dstPort, first.pkt.laterFragment]).toEqual([53, 40000, false]);
    expect(first.pkt.payloadLen).toBe(3000); // the UDP header declares the whole datagram
    expect(first.diag.codes()).toEqual([]); // a UDP length beyond this fragment is not an error
    const later = decode(1, ethernet({}, ipv4({ src: A, dst: B, proto: IPPROTO_UDP, fragOffset: 1480, id: 77 }, new Uint8Array(1528))));
    expect(later.ok).toBe(true);
    expect([later.pkt.proto, later.pkt.srcPort, later.pkt.dstPort, later.pkt.laterFragment, later.pkt.payloadLen]).toEqual([17, 0, 0, true, 1528]);
    expect(later.diag.counters.get('ipv4_later_fragment')).toBe(1);
    expect(later.diag.codes()).toEqual([]);
  });
});

const S6 = '2001:db8:0:1::20';
const D6 = 'fe80::1';

describe('IPv6', () => {
  it('walks hop-by-hop, routing, destination options, AH and mobility headers to the transport', () => {
    const r = decode(
      1,
      ethernet(
        {},
        ipv6(
          {
            src: S6,
            dst: D6,
            nextHeader: IPPROTO_TCP,
            extensions: [{ type: 0 }, { type: 43, data: new Uint8Array(22) }, { type: 60 }, { type: 51 }, { type: 135 }],
          },
          tcp({ sport: 49152, dport: 3268 }, new Uint8Array(9)),
        ),
      ),
    );
    expect(r.ok).toBe(true);
    expect(addrs(r.pkt)).toEqual(['2001:db8:0:1::20', 'fe80::1']);
    expect([r.pkt.proto, r.pkt.srcPort, r.pkt.dstPort, r.pkt.payloadLen]).toEqual([6, 49152, 3268, 9]);
    expect(r.pkt.ipLen).toBe(40 + 8 + 24 + 8 + 24 + 8 + 20 + 9);
    expect([r.pkt.srcV4, r.pkt.dstV4]).toEqual([0, 0]);
  });

  it('first fragment (offset 0) has ports; a later fragment is flagged', () => {
    const first = decode(1, ethernet({}, ipv6({ src: S6, dst: D6, nextHeader: IPPROTO_UDP, extensions: [{ type: 44, more: true }] }, udp({ sport: 53, dport: 5000, length: 3008 }, new Uint8Array(1000)))));
    expect([first.pkt.proto, first.pkt.srcPort, first.pkt.dstPort, first.pkt.laterFragment]).toEqual([17, 53, 5000, false]);
    const later = decode(1, ethernet({}, ipv6({ src: S6, dst: D6, nextHeader: IPPROTO_UDP, extensions: [{ type: 0 }, { type: 44, fragOffset: 1008 }] }, new Uint8Array(500))));
    expect([later.ok, later.pkt.proto, later.pkt.srcPort, later.pkt.laterFragment, later.pkt.payloadLen]).toEqual([true, 17, 0, true, 500]);
    expect(later.diag.counters.get('ipv6_later_fragment')).toBe(1);
  });

  it('an atomic fragment (offset 0, M clear) is a whole packet', () => {
    const r = decode(229, ipv6({ src: S6, dst: D6, nextHeader: IPPROTO_UDP, extensions: [{ type: 44 }] }, udp({ sport: 5353, dport: 5353 }, new Uint8Array(4))));
    expect([r.pkt.srcPort, r.pkt.laterFragment, r.pkt.payloadLen]).toEqual([5353, false, 4]);
  });

  it('stops at ESP (50) and No Next Header (59)', () => {
    const esp = decode(229, ipv6({ src: S6, dst: D6, nextHeader: 50 }, new Uint8Array(64)));
    expect([esp.ok, esp.pkt.proto, esp.pkt.srcPort, esp.pkt.payloadLen]).toEqual([true, 50, 0, 64]);
    const none = decode(229, ipv6({ src: S6, dst: D6, nextHeader: 59, extensions: [{ type: 60 }] }, new Uint8Array(0)));
    expect([none.ok, none.pkt.proto]).toEqual([true, 59]);
    expect(none.diag.codes()).toEqual([]);
  });

  it('reports a chain longer than the bound or running past the payload length', () => {
    const long = decode(229, ipv6({ src: S6, dst: D6, nextHeader: IPPROTO_TCP, extensions: Array.from({ length: 20 }, () => ({ type: 60 as const })) }, tcp({ sport: 1, dport: 2 })));
    expect(long.ok).toBe(true); // addresses are kept
    expect(long.pkt.srcPort).toBe(0);
    expect(long.diag.countOf('ipv6_bad_extension_header')).toBe(1);
    // Hop-by-hop claiming 64 bytes inside a 16-byte payload.
    const bad = ipv6({ src: S6, dst: D6, nextHeader: IPPROTO_TCP, extensions: [{ type: 0 }] }, new Uint8Array(8));
    bad[41] = 7;
    const r = decode(229, bad);
    expect(r.diag.countOf('ipv6_bad_extension_header')).toBe(1);
  });

  it('decodes ICMPv6 after extension headers', () => {
    const r = decode(229, ipv6({ src: S6, dst: D6, nextHeader: IPPROTO_ICMPV6, extensions: [{ type: 0 }] }, icmp6Echo(1, 2)));
    expect([r.pkt.proto, r.pkt.icmpType, r.pkt.icmpCode, r.pkt.srcPort]).toEqual([58, 128, 0, 0]);
  });

  it('reports an IPv6 EtherType whose packet is IPv4', () => {
    const r = decode(1, ethernet({ etherType: 0x86dd }, ipv4({ src: A, dst: B, proto: IPPROTO_TCP }, tcp({ sport: 1, dport: 2 }))));
    expect(r.ok).toBe(false);
    expect(r.diag.countOf('ip_bad_version')).toBe(1);
  });
});
