import { describe, expect, it } from 'vitest';
import { icmpCodeName } from '../../../src/decode/icmp.js';
import { TCP_ACK, TCP_SYN } from '../../../src/decode/types.js';
import {
  ethernet,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  icmp6Unreachable,
  icmpEcho,
  icmpTimeExceeded,
  icmpUnreachable,
  ipv4,
  ipv6,
  tcp,
  TCP_SYN_OPTIONS,
  udp,
} from '../../support/packet-builder.js';
import { decode, quotedAddr } from './helpers.js';

const CONNECT = '10.0.0.20';
const DC = '10.0.0.10';
const FW = '10.0.0.1';

describe('TCP', () => {
  it('reads ports, seq, ack (unsigned), flags, window and skips options by the data offset', () => {
    const seg = tcp({ sport: 50123, dport: 88, seq: 0xfffffff0, ack: 0x80000001, flags: TCP_SYN | TCP_ACK, window: 8192, options: TCP_SYN_OPTIONS }, new Uint8Array(0));
    const r = decode(1, ethernet({}, ipv4({ src: DC, dst: CONNECT, proto: IPPROTO_TCP }, seg)));
    expect([r.pkt.srcPort, r.pkt.dstPort, r.pkt.tcpSeq, r.pkt.tcpAck, r.pkt.tcpFlags, r.pkt.tcpWindow]).toEqual([
      50123, 88, 0xfffffff0, 0x80000001, TCP_SYN | TCP_ACK, 8192,
    ]);
    expect([r.pkt.payloadLen, r.pkt.icmpType, r.pkt.quoted]).toEqual([0, -1, null]);
  });

  it('payload length is IP length minus both headers', () => {
    const r = decode(1, ethernet({}, ipv4({ src: CONNECT, dst: DC, proto: IPPROTO_TCP }, tcp({ sport: 50000, dport: 389, options: TCP_SYN_OPTIONS }, new Uint8Array(333)))));
    expect(r.pkt.payloadLen).toBe(333);
  });

  it('reports a data offset below 5 or beyond the segment, keeping the ports', () => {
    for (const dataOffset of [4, 15]) {
      const r = decode(1, ethernet({}, ipv4({ src: CONNECT, dst: DC, proto: IPPROTO_TCP }, tcp({ sport: 50000, dport: 389, dataOffset }, new Uint8Array(8)))));
      expect([r.ok, r.pkt.srcPort, r.pkt.dstPort, r.pkt.payloadLen]).toEqual([true, 50000, 389, 0]);
      expect(r.diag.countOf('tcp_bad_data_offset')).toBe(1);
    }
  });
});

describe('UDP', () => {
  it('reads ports and the payload length from the UDP header', () => {
    const r = decode(1, ethernet({}, ipv4({ src: CONNECT, dst: DC, proto: IPPROTO_UDP }, udp({ sport: 51000, dport: 389 }, new Uint8Array(90)))));
    expect([r.pkt.proto, r.pkt.srcPort, r.pkt.dstPort, r.pkt.payloadLen, r.pkt.tcpFlags]).toEqual([17, 51000, 389, 90, 0]);
  });

  it('reports a UDP length that disagrees with the IP length and trusts the IP length', () => {
    const tooLong = decode(101, ipv4({ src: CONNECT, dst: DC, proto: IPPROTO_UDP }, udp({ sport: 1, dport: 2, length: 500 }, new Uint8Array(20))));
    expect(tooLong.pkt.payloadLen).toBe(20);
    expect(tooLong.diag.countOf('udp_bad_length')).toBe(1);
    const tooShort = decode(101, ipv4({ src: CONNECT, dst: DC, proto: IPPROTO_UDP }, udp({ sport: 1, dport: 2, length: 4 }, new Uint8Array(20))));
    expect(tooShort.pkt.payloadLen).toBe(20);
    expect(tooShort.diag.countOf('udp_bad_length')).toBe(1);
  });
});

describe('ICMP', () => {
  it('echo: type and code, no quote, no ports', () => {
    const r = decode(1, ethernet({}, ipv4({ src: CONNECT, dst: DC, proto: IPPROTO_ICMP }, icmpEcho(1, 1))));
    expect([r.pkt.proto, r.pkt.icmpType, r.pkt.icmpCode, r.pkt.srcPort, r.pkt.dstPort, r.pkt.quoted]).toEqual([1, 8, 0, 0, 0, null]);
    expect(r.pkt.payloadLen).toBe(32);
  });

  it('destination unreachable 3/13 quotes the refused TCP SYN: addresses, protocol, ports', () => {
    const syn = ipv4({ src: CONNECT, dst: DC, proto: IPPROTO_TCP }, tcp({ sport: 50000, dport: 88, flags: TCP_SYN }));
    const r = decode(1, ethernet({}, ipv4({ src: FW, dst: CONNECT, proto: IPPROTO_ICMP }, icmpUnreachable(13, syn))));
    expect([r.pkt.icmpType, r.pkt.icmpCode]).toEqual([3, 13]);
    const q = r.pkt.quoted!;
    expect([q.ipVersion, quotedAddr(4, q.src), quotedAddr(4, q.dst), q.proto, q.srcPort, q.dstPort]).toEqual([4, CONNECT, DC, 6, 50000, 88]);
    // The quote is about another flow: the ICMP packet itself has no ports.
    expect([r.pkt.srcPort, r.pkt.dstPort]).toEqual([0, 0]);
  });

  it('port unreachable quoting a UDP datagram whose header has IP options', () => {
    const dgram = ipv4({ src: CONNECT, dst: DC, proto: IPPROTO_UDP, options: new Uint8Array([0x94, 4, 0, 0]) }, udp({ sport: 53000, dport: 389 }, new Uint8Array(50)));
    const r = decode(1, ethernet({}, ipv4({ src: DC, dst: CONNECT, proto: IPPROTO_ICMP }, icmpUnreachable(3, dgram))));
    const q = r.pkt.quoted!;
    expect([q.proto, q.srcPort, q.dstPort]).toEqual([17, 53000, 389]);
  });

  it('time exceeded quotes too', () => {
    const syn = ipv4({ src: CONNECT, dst: DC, proto: IPPROTO_TCP, ttl: 1 }, tcp({ sport: 50001, dport: 636, flags: TCP_SYN }));
    const r = decode(1, ethernet({}, ipv4({ src: FW, dst: CONNECT, proto: IPPROTO_ICMP }, icmpTimeExceeded(0, syn))));
    expect([r.pkt.icmpType, r.pkt.quoted?.dstPort]).toEqual([11, 636]);
  });

  it('a quote too short for ports gives ports -1; too short for addresses gives no quote', () => {
    const syn = ipv4({ src: CONNECT, dst: DC, proto: IPPROTO_TCP }, tcp({ sport: 50000, dport: 88, flags: TCP_SYN }));
    const noPorts = decode(1, ethernet({}, ipv4({ src: FW, dst: CONNECT, proto: IPPROTO_ICMP }, icmpUnreachable(1, syn, 2))));
    expect([noPorts.pkt.quoted?.proto, noPorts.pkt.quoted?.srcPort, noPorts.pkt.quoted?.dstPort]).toEqual([6, -1, -1]);
    const headerOnly = decode(1, ethernet({}, ipv4({ src: FW, dst: CONNECT, proto: IPPROTO_ICMP }, icmpUnreachable(1, syn.subarray(0, 12), -8))));
    expect(headerOnly.pkt.quoted).toBeNull();
    expect(headerOnly.diag.countOf('icmp_quote_truncated')).toBe(1);
  });
});

describe('ICMPv6', () => {
  const S = '2001:db8::20';
  const D = '2001:db8::10';

  it('destination unreachable 1/4 quotes the refused datagram, through its extension headers', () => {
    const dgram = ipv6({ src: S, dst: D, nextHeader: IPPROTO_UDP, extensions: [{ type: 60 }] }, udp({ sport: 50500, dport: 464 }, new Uint8Array(30)));
    const r = decode(1, ethernet({}, ipv6({ src: D, dst: S, nextHeader: IPPROTO_ICMPV6 }, icmp6Unreachable(4, dgram))));
    expect([r.pkt.proto, r.pkt.icmpType, r.pkt.icmpCode]).toEqual([58, 1, 4]);
    const q = r.pkt.quoted!;
    expect([q.ipVersion, quotedAddr(6, q.src), quotedAddr(6, q.dst), q.proto, q.srcPort, q.dstPort]).toEqual([6, S, D, 17, 50500, 464]);
  });

  it('administratively prohibited (1/1) with a quote cut before the ports', () => {
    const syn = ipv6({ src: S, dst: D, nextHeader: IPPROTO_TCP }, tcp({ sport: 50000, dport: 445, flags: TCP_SYN }));
    const r = decode(229, ipv6({ src: '2001:db8::1', dst: S, nextHeader: IPPROTO_ICMPV6 }, icmp6Unreachable(1, syn, 42)));
    expect([r.pkt.icmpCode, r.pkt.quoted?.proto, r.pkt.quoted?.srcPort]).toEqual([1, 6, -1]);
  });
});

describe('icmpCodeName', () => {
  it('names the ICMPv4 destination-unreachable codes a report shows', () => {
    expect(icmpCodeName('icmp', 3, 0)).toBe('network unreachable');
    expect(icmpCodeName('icmp', 3, 1)).toBe('host unreachable');
    expect(icmpCodeName('icmp', 3, 2)).toBe('protocol unreachable');
    expect(icmpCodeName('icmp', 3, 3)).toBe('port unreachable');
    expect(icmpCodeName('icmp', 3, 4)).toBe('fragmentation needed');
    expect(icmpCodeName('icmp', 3, 9)).toBe('network administratively prohibited');
    expect(icmpCodeName('icmp', 3, 10)).toBe('host administratively prohibited');
    expect(icmpCodeName('icmp', 3, 13)).toBe('administratively prohibited');
    expect(icmpCodeName('icmp', 11, 0)).toBe('TTL exceeded in transit');
  });

  it('names the ICMPv6 destination-unreachable codes', () => {
    expect(icmpCodeName('icmp6', 1, 0)).toBe('no route');
    expect(icmpCodeName('icmp6', 1, 1)).toBe('administratively prohibited');
    expect(icmpCodeName('icmp6', 1, 3)).toBe('address unreachable');
    expect(icmpCodeName('icmp6', 1, 4)).toBe('port unreachable');
    expect(icmpCodeName('icmp6', 1, 5)).toBe('source address failed ingress/egress policy');
    expect(icmpCodeName('icmp6', 1, 6)).toBe('reject route');
    expect(icmpCodeName('icmp6', 3, 0)).toBe('hop limit exceeded in transit');
  });

  it('falls back to the type name, then to numbers', () => {
    expect(icmpCodeName('icmp', 8, 0)).toBe('echo request');
    expect(icmpCodeName('icmp6', 128, 0)).toBe('echo request');
    expect(icmpCodeName('icmp', 3, 99)).toBe('type 3 code 99');
    expect(icmpCodeName('icmp6', 200, 1)).toBe('type 200 code 1');
  });
});
