import { describe, expect, it } from 'vitest';
import {
  concat,
  dcerpcResponse,
  dcomStringBindingResponse,
  dnsOverTcp,
  dnsQuery,
  dnsResponse,
  epmMapResponse,
  ethernet,
  hex,
  IPPROTO_TCP,
  IPPROTO_UDP,
  ipv4,
  ipv6,
  tcp,
  TCP_ACK,
  TCP_PSH,
  tlsClientHello,
  udp,
} from '../../support/packet-builder.js';
import { DiagnosticSink } from '../../../src/common/diagnostics.js';
import { decodeFrame, endCapture } from '../../../src/decode/frame.js';
import { Packet } from '../../../src/decode/types.js';
import { frameOf } from '../../support/packet-builder.js';
import { decode } from './helpers.js';

const CLIENT = '10.0.0.20';
const RESOLVER = '10.0.0.10';

const overUdp = (sport: number, dport: number, msg: Uint8Array) =>
  ethernet({}, ipv4({ src: RESOLVER, dst: CLIENT, proto: IPPROTO_UDP }, udp({ sport, dport }, msg)));
const overTcp = (sport: number, dport: number, payload: Uint8Array, ip: { src: string; dst: string } = { src: CLIENT, dst: '20.190.151.7' }) =>
  ethernet({}, ipv4({ ...ip, proto: IPPROTO_TCP }, tcp({ sport, dport, flags: TCP_PSH | TCP_ACK }, payload)));

/** Frames of one capture decoded in turn into one Packet, as a capture reader does. */
function stream() {
  const pkt = new Packet();
  const diag = new DiagnosticSink();
  let index = 0;
  return {
    pkt,
    diag,
    send(seq: number, payload: Uint8Array, o: { sport?: number; src?: string; reverse?: boolean; snap?: number } = {}) {
      const client = { port: o.sport ?? 50000, ip: o.src ?? CLIENT };
      const server = { port: 443, ip: '20.190.151.7' };
      const [a, b] = o.reverse ? [server, client] : [client, server];
      const data = ethernet({}, ipv4({ src: a.ip, dst: b.ip, proto: IPPROTO_TCP }, tcp({ sport: a.port, dport: b.port, seq, flags: TCP_PSH | TCP_ACK }, payload)));
      const captured = o.snap === undefined ? data : data.subarray(0, 14 + 20 + 20 + o.snap);
      decodeFrame(frameOf(1, captured, { index: ++index, originalLen: data.length }), pkt, diag);
      return pkt;
    },
    end: () => endCapture(pkt, diag),
  };
}

describe('DNS', () => {
  it('summarises a query: id, question lowercase without trailing dot', () => {
    const r = decode(1, overUdp(53000, 53, dnsQuery('Login.MicrosoftOnline.com.', 'A', 0x1234)));
    expect(r.pkt.dns).toEqual({ id: 0x1234, isResponse: false, rcode: 0, questions: [{ name: 'login.microsoftonline.com', type: 'A' }], answers: [] });
  });

  it('keeps A, AAAA and CNAME answers with canonical address text', () => {
    const msg = dnsResponse({
      id: 7,
      name: 'login.microsoftonline.com',
      answers: [
        { type: 'CNAME', data: 'ak.privatelink.msidentity.com', ttl: 60 },
        { type: 'CNAME', name: 'ak.privatelink.msidentity.com', data: 'www.tm.ak.prd.aadg.trafficmanager.net' },
        { type: 'A', name: 'www.tm.ak.prd.aadg.trafficmanager.net', data: '20.190.151.7', ttl: 5 },
        { type: 'AAAA', name: 'www.tm.ak.prd.aadg.trafficmanager.net', data: '2603:1026:3000:0:0:0:0:e0' },
      ],
    });
    const r = decode(1, overUdp(53, 53000, msg));
    const dns = r.pkt.dns!;
    expect([dns.id, dns.isResponse, dns.rcode]).toEqual([7, true, 0]);
    expect(dns.answers).toEqual([
      { name: 'login.microsoftonline.com', type: 'CNAME', data: 'ak.privatelink.msidentity.com', ttl: 60 },
      { name: 'ak.privatelink.msidentity.com', type: 'CNAME', data: 'www.tm.ak.prd.aadg.trafficmanager.net', ttl: 300 },
      { name: 'www.tm.ak.prd.aadg.trafficmanager.net', type: 'A', data: '20.190.151.7', ttl: 5 },
      { name: 'www.tm.ak.prd.aadg.trafficmanager.net', type: 'AAAA', data: '2603:1026:3000::e0', ttl: 300 },
    ]);
  });

  it("keeps SRV answers, and from the other sections only the addresses of their targets (the DC locator's answer names the DCs there)", () => {
    const locator = {
      name: '_ldap._tcp.dc._msdcs.contoso.local',
      qtype: 'SRV' as const,
      answers: [
        { type: 'SRV' as const, data: 'DC01.contoso.local' },
        { type: 'SRV' as const, data: 'dc02.contoso.local' },
      ],
      authorities: [{ type: 'NS' as const, name: 'contoso.local', data: 'dc01.contoso.local' }],
      additionals: [
        { type: 'A' as const, name: 'dc01.contoso.local', data: '10.0.0.10' },
        { type: 'A' as const, name: 'ns.elsewhere.example', data: '192.0.2.53' },
        { type: 'AAAA' as const, name: 'dc02.contoso.local', data: '2001:db8:0:0:0:0:0:11' },
      ],
    };
    const r = decode(1, overUdp(53, 53000, dnsResponse(locator)));
    expect(r.pkt.dns!.answers).toEqual([
      { name: '_ldap._tcp.dc._msdcs.contoso.local', type: 'SRV', data: 'dc01.contoso.local', ttl: 300 },
      { name: '_ldap._tcp.dc._msdcs.contoso.local', type: 'SRV', data: 'dc02.contoso.local', ttl: 300 },
      { name: 'dc01.contoso.local', type: 'A', data: '10.0.0.10', ttl: 300 },
      { name: 'dc02.contoso.local', type: 'AAAA', data: '2001:db8::11', ttl: 300 },
    ]);
    // A damaged additional section ends there, counted; the answers stay and nothing is called malformed.
    const msg = dnsResponse(locator);
    msg[11] += 1; // one more additional record than the message holds
    const damaged = decode(1, overUdp(53, 53000, msg));
    expect(damaged.pkt.dns!.answers.map((a) => a.data)).toEqual(['dc01.contoso.local', 'dc02.contoso.local', '10.0.0.10', '2001:db8::11']);
    expect(damaged.diag.counters.get('dns_additional_unreadable')).toBe(1);
    expect(damaged.diag.countOf('dns_malformed')).toBe(0);
    // Without an SRV answer those sections are not read at all.
    const plain = decode(1, overUdp(53, 53000, dnsResponse({ name: 'x.contoso.local', answers: [{ type: 'A', data: '10.0.0.9' }], additionals: [{ type: 'A', name: 'y.contoso.local', data: '10.0.0.8' }] })));
    expect(plain.pkt.dns!.answers.map((a) => a.data)).toEqual(['10.0.0.9']);
  });

  it('reads the RCODE from the flags: NXDOMAIN (3) and SERVFAIL (2)', () => {
    expect(decode(1, overUdp(53, 53000, dnsResponse({ name: 'adfs.contoso.com', rcode: 3 }))).pkt.dns?.rcode).toBe(3);
    expect(decode(1, overUdp(53, 53000, dnsResponse({ name: 'adfs.contoso.com', rcode: 2 }))).pkt.dns?.rcode).toBe(2);
  });

  it('parses mDNS (5353), LLMNR (5355) and DNS over TCP', () => {
    expect(decode(1, overUdp(5353, 5353, dnsQuery('printer.local'))).pkt.dns?.questions[0].name).toBe('printer.local');
    expect(decode(1, overUdp(50000, 5355, dnsQuery('dc01'))).pkt.dns?.questions[0].name).toBe('dc01');
    const tcpMsg = dnsOverTcp(dnsResponse({ name: '_ldap._tcp.dc._msdcs.contoso.com', qtype: 'SRV', answers: [{ type: 'A', data: '10.0.0.10' }] }));
    const r = decode(1, overTcp(53, 50000, tcpMsg, { src: RESOLVER, dst: CLIENT }));
    expect(r.pkt.dns?.questions).toEqual([{ name: '_ldap._tcp.dc._msdcs.contoso.com', type: 'SRV' }]);
    expect(r.pkt.dns?.answers[0].data).toBe('10.0.0.10');
  });

  it('reads a frame that is a view at a non-zero offset into a larger reader buffer', () => {
    const frame = overUdp(53, 53000, dnsResponse({ name: 'login.microsoftonline.com', answers: [{ type: 'A', data: '20.190.151.7' }] }));
    const big = new Uint8Array(frame.length + 100).fill(0xee);
    big.set(frame, 37);
    const r = decode(1, big.subarray(37, 37 + frame.length));
    expect(r.pkt.dns?.answers.map((a) => a.data)).toEqual(['20.190.151.7']);
  });

  it('does not parse DNS on other ports', () => {
    expect(decode(1, overUdp(40000, 40001, dnsQuery('x.example'))).pkt.dns).toBeNull();
  });

  it('reports a malformed message and keeps what was read before the damage', () => {
    const msg = dnsResponse({ name: 'login.microsoftonline.com', answers: [{ type: 'A', data: '20.190.151.7' }] });
    // Claim a second answer that is not there.
    msg[7] = 2;
    const r = decode(1, overUdp(53, 53000, msg));
    expect(r.pkt.dns?.answers.map((a) => a.data)).toEqual(['20.190.151.7']);
    expect(r.diag.countOf('dns_malformed')).toBe(1);
    const tiny = decode(1, overUdp(53, 53000, new Uint8Array(5)));
    expect(tiny.pkt.dns).toBeNull();
    expect(tiny.diag.countOf('dns_malformed')).toBe(1);
  });

  it('survives a compression pointer loop', () => {
    // Header with 1 question whose name is a pointer to itself (offset 12).
    const msg = hex('abcd 0100 0001 0000 0000 0000 c00c 0001 0001');
    const r = decode(1, overUdp(50000, 53, msg));
    expect(r.diag.countOf('dns_malformed')).toBe(1);
    expect(r.pkt.dns?.questions).toEqual([]);
  });

  it('a message cut by the snap length keeps its header, questions and the answers captured whole; the packet is flagged', () => {
    const frame = overUdp(
      53,
      53000,
      dnsResponse({
        name: 'login.microsoftonline.com',
        answers: [
          { type: 'CNAME', data: 'login.mso.msidentity.com' },
          { type: 'A', name: 'login.mso.msidentity.com', data: '20.190.151.7' },
        ],
      }),
    );
    const r = decode(1, frame.subarray(0, frame.length - 6), { originalLen: frame.length });
    expect([r.pkt.truncated, r.pkt.srcPort, r.pkt.dns?.rcode]).toEqual([true, 53, 0]);
    expect(r.pkt.dns?.questions).toEqual([{ name: 'login.microsoftonline.com', type: 'A' }]);
    expect(r.pkt.dns?.answers.map((a) => [a.type, a.data])).toEqual([['CNAME', 'login.mso.msidentity.com']]);
    expect(r.diag.codes()).toEqual([]);
    expect(r.diag.counters.get('dns_partial')).toBe(1);
  });

  it("pktmon's default 128 bytes of a failed lookup's answer still say it failed, and for which name", () => {
    for (const rcode of [2, 3]) {
      const frame = overUdp(53, 53000, dnsResponse({ name: 'login.microsoftonline.com', rcode, answers: [{ type: 'CNAME', data: 'x'.repeat(60) + '.example' }] }));
      const r = decode(1, frame.subarray(0, 128), { originalLen: frame.length });
      expect([r.pkt.dns?.rcode, r.pkt.dns?.questions[0]?.name, r.pkt.dns?.answers.length]).toEqual([rcode, 'login.microsoftonline.com', 0]);
    }
    // Cut inside the header: nothing to read.
    const frame = overUdp(53, 53000, dnsResponse({ name: 'login.microsoftonline.com', rcode: 3 }));
    const cut = decode(1, frame.subarray(0, 14 + 20 + 8 + 6), { originalLen: frame.length });
    expect(cut.pkt.dns).toBeNull();
    expect(cut.diag.counters.get('dns_cut_before_header')).toBe(1);
  });
});

describe('TLS ClientHello SNI', () => {
  it('finds server_name after other extensions, lowercased', () => {
    const r = decode(1, overTcp(50000, 443, tlsClientHello('Login.MicrosoftOnline.com')));
    expect(r.pkt.sni).toBe('login.microsoftonline.com');
  });

  it('on any port (AD FS 49443), with any record version 3.0 .. 3.4', () => {
    for (const minor of [0, 1, 3]) expect(decode(1, overTcp(50000, 49443, tlsClientHello('adfs.contoso.com', { recordVersionMinor: minor }))).pkt.sni).toBe('adfs.contoso.com');
  });

  it('over IPv6', () => {
    const r = decode(1, ethernet({}, ipv6({ src: '2001:db8::20', dst: '2603:1026::1', nextHeader: IPPROTO_TCP }, tcp({ sport: 50000, dport: 443 }, tlsClientHello('graph.microsoft.com')))));
    expect(r.pkt.sni).toBe('graph.microsoft.com');
  });

  it('no SNI extension → null, quietly', () => {
    const r = decode(1, overTcp(50000, 443, tlsClientHello(null)));
    expect(r.pkt.sni).toBeNull();
    expect(r.diag.codes()).toEqual([]);
  });

  it('a ClientHello split across segments: the first segment alone, then the capture ends: counted, quietly', () => {
    const hello = tlsClientHello('login.microsoftonline.com', { before: [{ type: 0x0015, data: new Uint8Array(600) }] });
    const s = stream();
    expect(s.send(1000, hello.subarray(0, 200)).sni).toBeNull();
    s.end();
    expect(s.diag.counters.get('tls_clienthello_incomplete')).toBe(1);
    expect(s.diag.codes()).toEqual([]);
  });

  describe('a ClientHello split across TCP segments (post-quantum key shares, extensions in any order)', () => {
    // A Chrome-sized hello: a 1,200-byte key share before server_name puts the name in the second segment.
    const hello = tlsClientHello('Login.MicrosoftOnline.com', { before: [{ type: 0x0033, data: new Uint8Array(1250) }] });
    const cut = 1000;

    it('names the flow from the segment that completes the record', () => {
      const s = stream();
      expect(s.send(1000, hello.subarray(0, cut)).sni).toBeNull();
      expect(s.send(1000 + cut, hello.subarray(cut)).sni).toBe('login.microsoftonline.com');
      s.end();
      expect(s.diag.counters.get('tls_clienthello_incomplete')).toBeUndefined();
      expect(s.diag.codes()).toEqual([]);
    });

    it('in three segments, with retransmissions and an overlap, and other flows in between', () => {
      const s = stream();
      s.send(5000, hello.subarray(0, 500));
      s.send(5000, hello.subarray(0, 500)); // the first segment again
      s.send(70, hello.subarray(0, 300), { sport: 50001 }); // another flow's hello begins
      s.send(5500, hello.subarray(500, 900));
      s.send(5300, hello.subarray(300, 1000)); // overlaps what was taken
      s.send(5000 + 1000, new Uint8Array(0)); // a bare ACK
      expect(s.send(6000, hello.subarray(1000)).sni).toBe('login.microsoftonline.com');
      expect(s.send(370, hello.subarray(300), { sport: 50001 }).sni).toBe('login.microsoftonline.com');
      s.end();
      expect(s.diag.counters.get('tls_clienthello_incomplete')).toBeUndefined();
    });

    it('sequence numbers that wrap past 2^32', () => {
      const s = stream();
      s.send(0xffffff00, hello.subarray(0, cut));
      expect(s.send((0xffffff00 + cut) >>> 0, hello.subarray(cut)).sni).toBe('login.microsoftonline.com');
    });

    it('gives up, counted, when a segment is missing (a gap) or the snap length cut the next one', () => {
      const s = stream();
      s.send(1000, hello.subarray(0, 600));
      expect(s.send(1000 + 800, hello.subarray(800)).sni).toBeNull(); // 600 .. 800 never came
      s.send(1000, hello.subarray(0, cut), { sport: 50002 });
      expect(s.send(1000 + cut, hello.subarray(cut), { sport: 50002, snap: 100 }).sni).toBeNull();
      s.end();
      expect(s.diag.counters.get('tls_clienthello_incomplete')).toBe(2);
    });

    it('takes only the same direction of the same flow', () => {
      const s = stream();
      s.send(1000, hello.subarray(0, cut));
      // The server's segment with the same sequence number, and one from another client.
      expect(s.send(1000 + cut, hello.subarray(cut), { reverse: true }).sni).toBeNull();
      expect(s.send(1000 + cut, hello.subarray(cut), { src: '10.0.0.21' }).sni).toBeNull();
      expect(s.send(1000 + cut, hello.subarray(cut)).sni).toBe('login.microsoftonline.com');
    });

    it('does not wait for a record longer than TLS allows (2^14 bytes)', () => {
      const huge = tlsClientHello('login.microsoftonline.com', { before: [{ type: 0x0015, data: new Uint8Array(20000) }] });
      const s = stream();
      s.send(1000, huge.subarray(0, cut));
      expect(s.pkt.helloAssembly).toBeNull();
      expect(s.diag.counters.get('tls_clienthello_incomplete')).toBe(1);
    });

    it('keeps at most 256 waiting, giving the oldest up', () => {
      const s = stream();
      for (let k = 0; k < 300; k++) s.send(1000, hello.subarray(0, cut), { sport: 40000 + k });
      expect(s.pkt.helloAssembly!.waiting.size).toBe(256);
      expect(s.diag.counters.get('tls_clienthello_incomplete')).toBe(44);
      expect(s.send(1000 + cut, hello.subarray(cut), { sport: 40000 + 299 }).sni).toBe('login.microsoftonline.com');
      expect(s.send(1000 + cut, hello.subarray(cut), { sport: 40000 }).sni).toBeNull();
    });
  });

  it('reports inconsistent lengths inside a complete record', () => {
    const hello = tlsClientHello('login.microsoftonline.com');
    // The extensions block length sits after: record 5, handshake 4, version 2, random 32,
    // session id 1+32, cipher suites 2+6, compression 2 → offset 86.
    hello[86] = 0xff;
    const r = decode(1, overTcp(50000, 443, hello));
    expect(r.pkt.sni).toBeNull();
    expect(r.diag.countOf('tls_malformed')).toBe(1);
  });

  it('ignores other records and handshakes (a ServerHello, application data)', () => {
    const serverHello = tlsClientHello('x.example');
    serverHello[5] = 2;
    expect(decode(1, overTcp(443, 50000, serverHello)).pkt.sni).toBeNull();
    expect(decode(1, overTcp(50000, 443, hex('1703030010 00112233445566778899aabbccddeeff'))).pkt.sni).toBeNull();
  });
});

describe('RPC endpoint mapper (135)', () => {
  const fromMapper = (payload: Uint8Array) => overTcp(135, 50000, payload, { src: '10.0.0.10', dst: CLIENT });

  it('extracts the TCP port floors of an ept_map response', () => {
    expect(decode(1, fromMapper(epmMapResponse([49676]))).pkt.epmPorts).toEqual([49676]);
    expect(decode(1, fromMapper(epmMapResponse([49667, 49668, 49667]))).pkt.epmPorts).toEqual([49667, 49668]);
  });

  it('handles big-endian NDR headers (the tower itself is always little-endian lengths)', () => {
    expect(decode(1, fromMapper(epmMapResponse([1025], '10.0.0.10', { bigEndian: true }))).pkt.epmPorts).toEqual([1025]);
  });

  it('extracts the port of a DCOM string binding (host[port]) from an activation response', () => {
    expect(decode(1, fromMapper(dcomStringBindingResponse(['DC01', '10.0.0.10'], 49718))).pkt.epmPorts).toEqual([49718]);
  });

  it('only looks at responses from port 135', () => {
    expect(decode(1, overTcp(50000, 135, epmMapResponse([49676]))).pkt.epmPorts).toBeNull();
    expect(decode(1, overTcp(49676, 50000, epmMapResponse([49676]))).pkt.epmPorts).toBeNull();
    const request = epmMapResponse([49676]);
    request[2] = 0; // PTYPE request
    expect(decode(1, fromMapper(request)).pkt.epmPorts).toBeNull();
  });

  it('two PDUs in one segment', () => {
    const both = concat(epmMapResponse([49670]), dcerpcResponse(epmMapResponse([49671]).subarray(24)));
    expect(decode(1, fromMapper(both)).pkt.epmPorts).toEqual([49670, 49671]);
  });

  it('reports a frag_length shorter than the header', () => {
    const pdu = epmMapResponse([49676]);
    pdu[8] = 10;
    pdu[9] = 0;
    const r = decode(1, fromMapper(pdu));
    expect(r.pkt.epmPorts).toBeNull();
    expect(r.diag.countOf('dcerpc_malformed')).toBe(1);
  });
});
