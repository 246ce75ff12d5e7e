import { describe, expect, it } from 'vitest';
import { DiagnosticSink } from '../../../src/common/diagnostics.js';
import { decodeFrame } from '../../../src/decode/frame.js';
import { Packet } from '../../../src/decode/types.js';
import {
  concat,
  ETHERTYPE_ARP,
  ethernet,
  ethernet8023Llc,
  ethernet8023Snap,
  frameOf,
  IPPROTO_TCP,
  IPPROTO_UDP,
  ipv4,
  ipv6,
  nflog,
  nullLoopback,
  sll,
  sll2,
  tcp,
  TCP_SYN,
  udp,
} from '../../support/packet-builder.js';
import { addrs, decode } from './helpers.js';

const v4Syn = () => ipv4({ src: '10.0.0.20', dst: '10.0.0.10', proto: IPPROTO_TCP }, tcp({ sport: 50000, dport: 389, flags: TCP_SYN }));
const v6Udp = () => ipv6({ src: '2001:db8::20', dst: '2001:db8::10', nextHeader: IPPROTO_UDP }, udp({ sport: 50001, dport: 88 }, new Uint8Array(10)));

function expectV4Syn(r: ReturnType<typeof decode>) {
  expect(r.ok).toBe(true);
  expect(r.pkt.ipVersion).toBe(4);
  expect(addrs(r.pkt)).toEqual(['10.0.0.20', '10.0.0.10']);
  expect([r.pkt.proto, r.pkt.srcPort, r.pkt.dstPort, r.pkt.tcpFlags]).toEqual([6, 50000, 389, TCP_SYN]);
  expect(r.pkt.truncated).toBe(false);
}
function expectV6Udp(r: ReturnType<typeof decode>) {
  expect(r.ok).toBe(true);
  expect(r.pkt.ipVersion).toBe(6);
  expect(addrs(r.pkt)).toEqual(['2001:db8::20', '2001:db8::10']);
  expect([r.pkt.proto, r.pkt.srcPort, r.pkt.dstPort, r.pkt.payloadLen]).toEqual([17, 50001, 88, 10]);
}

describe('decodeFrame: bookkeeping', () => {
  it('copies time, frame number and file offset, and resets the previous packet', () => {
    const pkt = new Packet();
    const diag = new DiagnosticSink();
    decodeFrame(frameOf(1, ethernet({}, v4Syn()), { index: 7, offset: 4096, tsMicros: 123 }), pkt, diag);
    expect([pkt.frame, pkt.fileOffset, pkt.tsMicros]).toEqual([7, 4096, 123]);
    // A following ARP frame must not inherit the TCP fields.
    const ok = decodeFrame(frameOf(1, ethernet({ etherType: ETHERTYPE_ARP }, new Uint8Array(28)), { index: 8 }), pkt, diag);
    expect(ok).toBe(false);
    expect([pkt.ipVersion, pkt.srcPort, pkt.tcpFlags, pkt.frame]).toEqual([0, 0, 0, 8]);
  });
});

describe('Ethernet (1)', () => {
  it('decodes Ethernet II with IPv4 and IPv6', () => {
    expectV4Syn(decode(1, ethernet({}, v4Syn())));
    expectV6Udp(decode(1, ethernet({}, v6Udp())));
  });

  it('skips an 802.1Q tag', () => {
    expectV4Syn(decode(1, ethernet({ vlan: [100] }, v4Syn())));
  });

  it('skips stacked 802.1ad + 802.1Q tags (QinQ), and the pre-standard 0x9100 outer tag', () => {
    expectV6Udp(decode(1, ethernet({ vlan: [200, 100], qinq: true }, v6Udp())));
    expectV4Syn(decode(1, ethernet({ vlan: [300, 200, 100], qinq: 0x9100 }, v4Syn())));
  });

  it('follows an MPLS label stack to the IP packet under its bottom label, and a PPPoE session to its IP packet', () => {
    const labels = (n: number) => {
      const out = new Uint8Array(4 * n);
      for (let i = 0; i < n; i++) {
        out[4 * i] = 0x01; // label 4096 + i
        out[4 * i + 1] = i;
        out[4 * i + 2] = i === n - 1 ? 0x01 : 0x00; // bottom of stack on the last
        out[4 * i + 3] = 64; // TTL
      }
      return out;
    };
    expectV4Syn(decode(1, ethernet({ etherType: 0x8847 }, concat(labels(1), v4Syn()))));
    expectV6Udp(decode(1, ethernet({ vlan: [10], etherType: 0x8847 }, concat(labels(3), v6Udp()))));
    // A pseudowire's control word (first nibble 0) carries Ethernet, not IP: counted, not decoded.
    const pw = decode(1, ethernet({ etherType: 0x8847 }, concat(labels(1), new Uint8Array(40))));
    expect(pw.ok).toBe(false);
    expect(pw.diag.counters.get('non_ip_frames')).toBe(1);
    // A stack cut by the capture is reported, not walked past the end.
    const cut = decode(1, ethernet({ etherType: 0x8847, pad: false }, labels(2).subarray(0, 6)));
    expect(cut.ok).toBe(false);
    expect(cut.diag.countOf('link_truncated')).toBe(1);
    const pppoe = (protocol: number, ip: Uint8Array) => {
      const head = new Uint8Array([0x11, 0x00, 0x12, 0x34, (ip.length + 2) >> 8, (ip.length + 2) & 0xff, protocol >> 8, protocol & 0xff]);
      return ethernet({ etherType: 0x8864 }, concat(head, ip));
    };
    expectV4Syn(decode(1, pppoe(0x0021, v4Syn())));
    expectV6Udp(decode(1, pppoe(0x0057, v6Udp())));
    const lcp = decode(1, pppoe(0xc021, new Uint8Array(20)));
    expect(lcp.ok).toBe(false);
    expect(lcp.diag.counters.get('non_ip_frames')).toBe(1);
  });

  it('refuses an absurd stack of VLAN tags without walking garbage', () => {
    const r = decode(1, ethernet({ vlan: Array(12).fill(5) }, v4Syn()));
    expect(r.ok).toBe(false);
    expect(r.diag.countOf('vlan_truncated')).toBe(1);
  });

  it('counts ARP and 802.3/LLC frames as non-IP without a diagnostic', () => {
    const arp = decode(1, ethernet({ etherType: ETHERTYPE_ARP }, new Uint8Array(28)));
    const stp = decode(1, ethernet8023Llc(new Uint8Array(35)));
    for (const r of [arp, stp]) {
      expect(r.ok).toBe(false);
      expect(r.diag.counters.get('non_ip_frames')).toBe(1);
      expect(r.diag.codes()).toEqual([]);
    }
  });

  it('decodes IP carried in 802.3 with LLC/SNAP', () => {
    expectV4Syn(decode(1, ethernet8023Snap(v4Syn())));
  });
});

describe('Linux cooked captures', () => {
  it('SLL (113) and SLL2 (276)', () => {
    expectV4Syn(decode(113, sll({}, v4Syn())));
    expectV6Udp(decode(113, sll({ packetType: 4 }, v6Udp())));
    expectV4Syn(decode(276, sll2({}, v4Syn())));
    expectV6Udp(decode(276, sll2({ ifindex: 7 }, v6Udp())));
  });

  it('SLL with a VLAN-tagged protocol', () => {
    const tagged = new Uint8Array([0x00, 0x64, 0x08, 0x00, ...v4Syn()]); // TCI VID 100, EtherType IPv4
    expectV4Syn(decode(113, sll({ protocol: 0x8100 }, tagged)));
  });

  it('SLL carrying ARP is non-IP', () => {
    const r = decode(276, sll2({ protocol: ETHERTYPE_ARP }, new Uint8Array(28)));
    expect(r.ok).toBe(false);
    expect(r.diag.counters.get('non_ip_frames')).toBe(1);
  });
});

describe('NFLOG (239)', () => {
  it('finds NFULA_PAYLOAD after other TLVs, in either TLV byte order', () => {
    expectV4Syn(decode(239, nflog({ byteOrder: 'le' }, v4Syn())));
    expectV4Syn(decode(239, nflog({ byteOrder: 'be' }, v4Syn())));
    expectV6Udp(decode(239, nflog({}, v6Udp())));
  });

  it('reports a frame without a payload attribute', () => {
    const r = decode(239, nflog({ omitPayload: true }, v4Syn()));
    expect(r.ok).toBe(false);
    expect(r.diag.countOf('nflog_no_payload')).toBe(1);
  });
});

describe('BSD loopback (0, 108)', () => {
  it('LINKTYPE_NULL in little- and big-endian host order', () => {
    expectV4Syn(decode(0, nullLoopback({ byteOrder: 'le' }, v4Syn())));
    expectV4Syn(decode(0, nullLoopback({ byteOrder: 'be' }, v4Syn())));
  });

  it('accepts the BSDs\' AF_INET6 values 24, 28 and 30', () => {
    for (const family of [24, 28, 30]) expectV6Udp(decode(0, nullLoopback({ family }, v6Udp())));
  });

  it('LINKTYPE_LOOP (108) in network byte order', () => {
    expectV4Syn(decode(108, nullLoopback({ byteOrder: 'be' }, v4Syn())));
    expectV6Udp(decode(108, nullLoopback({ byteOrder: 'be', family: 24 }, v6Udp())));
  });

  it('reports an unknown address family', () => {
    const r = decode(0, nullLoopback({ family: 7 }, v4Syn()));
    expect(r.ok).toBe(false);
    expect(r.diag.countOf('loopback_unknown_family')).toBe(1);
  });
});

describe('raw IP', () => {
  it('101 (and 12, 14) decide by the version nibble; 228 is IPv4, 229 IPv6', () => {
    for (const lt of [101, 12, 14]) {
      expectV4Syn(decode(lt, v4Syn()));
      expectV6Udp(decode(lt, v6Udp()));
    }
    expectV4Syn(decode(228, v4Syn()));
    expectV6Udp(decode(229, v6Udp()));
  });

  it('reports a version that is neither 4 nor 6', () => {
    const bad = v4Syn();
    bad[0] = 0x55;
    const r = decode(101, bad);
    expect(r.ok).toBe(false);
    expect(r.diag.countOf('ip_bad_version')).toBe(1);
  });
});

describe('unknown link types', () => {
  it('are counted every time and reported once per link type', () => {
    const pkt = new Packet();
    const diag = new DiagnosticSink();
    for (let i = 1; i <= 5; i++) expect(decodeFrame(frameOf(147, new Uint8Array(40), { index: i }), pkt, diag)).toBe(false);
    decodeFrame(frameOf(105, new Uint8Array(40), { index: 6 }), pkt, diag);
    expect(diag.counters.get('link_unknown_type')).toBe(6);
    const dq = diag.toDataQuality().diagnostics.find((d) => d.code === 'link_unknown_type');
    expect(dq?.count).toBe(2);
    expect(dq?.examples.map((e) => [e.origin.index, e.detail])).toEqual([
      [1, 'link type 147 not supported'],
      [6, 'link type 105 not supported'],
    ]);
  });
});
