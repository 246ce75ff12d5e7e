import { describe, expect, it } from 'vitest';
import { ipv4Number, parseIp } from '../../../src/common/ip.js';
import { ipv6AddressKey } from '../../../src/flows/key.js';
import { DEFAULT_TIMEOUTS, type Flow } from '../../../src/flows/types.js';
import { fillPacket, makeTable, runPackets, TcpTalk, type PacketSpec } from './packet-helper.js';

const C = '10.0.0.20'; // the sync server (client side)
const S = '10.0.0.10'; // a domain controller (server side)
const T0 = 1_700_000_000;

function one(specs: PacketSpec[]): Flow {
  const { flows } = runPackets(specs);
  expect(flows).toHaveLength(1);
  return flows[0];
}

describe('TCP conn_state and history (Zeek semantics)', () => {
  it('SF: handshake, data both ways, FIN both ways', () => {
    const t = new TcpTalk(C, 50000, S, 389).handshake().data('c', 100).data('s', 200).fin('c').fin('s').ack('c');
    const f = one(t.specs);
    expect(f.connState).toBe('SF');
    expect(f.history).toBe('ShADdFf');
    expect([f.origH, f.origP, f.respH, f.respP, f.proto]).toEqual([C, 50000, S, 389, 'tcp']);
    expect([f.origPkts, f.respPkts]).toEqual([5, 3]);
    expect([f.origBytes, f.respBytes]).toEqual([100, 200]);
    expect([f.origIpBytes, f.respIpBytes]).toEqual([5 * 40 + 100, 3 * 40 + 200]);
    // Zeek stops the clock once both sides closed: the last ACK does not count.
    expect(f.duration).toBe(60_000);
    expect(f.outcome).toBe('completed');
    expect(f.reason).toBe('SF: established and closed');
    expect(f.evidence).toEqual({ file: 'test.pcap', frame: 1 });
    expect(f.synCount).toBe(1);
    expect([f.origKey, f.respKey]).toEqual([ipv4Number(C), ipv4Number(S)]);
  });

  it('S0: retransmitted SYNs are one attempt with synCount and history S once', () => {
    const t = new TcpTalk(C, 50001, S, 389).syn().wait(1).synRetransmit().wait(2).synRetransmit();
    const f = one(t.specs);
    expect(f.connState).toBe('S0');
    expect(f.history).toBe('S');
    expect(f.synCount).toBe(3);
    expect(f.origPkts).toBe(3);
    expect(f.respPkts).toBe(0);
    expect(f.outcome).toBe('unanswered');
    expect(f.reason).toBe('S0: SYN sent 3 times, no reply');
  });

  it('S0 with a single SYN says so', () => {
    const f = one(new TcpTalk(C, 50002, S, 389).syn().specs);
    expect(f.reason).toBe('S0: SYN sent once, no reply');
    expect(f.duration).toBe(0);
  });

  it('REJ: SYN answered by RST, retries with the same ISN stay one flow', () => {
    const f1 = one(new TcpTalk(C, 50003, S, 636).syn().rst('s').specs);
    expect(f1.connState).toBe('REJ');
    expect(f1.history).toBe('Sr');
    expect(f1.outcome).toBe('refused');
    expect(f1.reason).toBe('REJ: SYN answered by RST');

    const t = new TcpTalk(C, 50004, S, 636).syn().rst('s').wait(0.5).synRetransmit().rst('s').wait(0.5).synRetransmit().rst('s');
    const f = one(t.specs);
    expect(f.connState).toBe('REJ');
    expect(f.synCount).toBe(3);
    expect(f.reason).toBe('REJ: SYN sent 3 times, answered by RST');
    expect([f.origPkts, f.respPkts]).toEqual([3, 3]);
  });

  it('RSTOS0: originator sent SYN then RST, no SYN-ACK', () => {
    const f = one(new TcpTalk(C, 50005, S, 389).syn().wait(3).rst('c', false).specs);
    expect(f.connState).toBe('RSTOS0');
    expect(f.history).toBe('SR');
    expect(f.outcome).toBe('unanswered');
  });

  it('SH: originator sent SYN then FIN, no SYN-ACK', () => {
    const f = one([
      { t: T0, src: C, dst: S, sport: 50006, dport: 389, proto: 'tcp', flags: 'S', seq: 1 },
      { t: T0 + 1, src: C, dst: S, sport: 50006, dport: 389, proto: 'tcp', flags: 'F', seq: 2 },
    ]);
    expect(f.connState).toBe('SH');
    expect(f.history).toBe('SF');
    expect(f.outcome).toBe('unanswered');
  });

  it("one way only: a client that acknowledged an unseen SYN-ACK and sent data proves the answer came (completed, counted, named once per pair)", () => {
    const oneWay = (sport: number, t: number): PacketSpec[] => [
      { t, src: C, dst: S, sport, dport: 389, proto: 'tcp', flags: 'S', seq: 1 },
      { t: t + 0.01, src: C, dst: S, sport, dport: 389, proto: 'tcp', flags: 'A', seq: 2, ack: 1001 },
      { t: t + 0.02, src: C, dst: S, sport, dport: 389, proto: 'tcp', flags: 'AP', seq: 2, ack: 1001, len: 300 },
      { t: t + 0.03, src: C, dst: S, sport, dport: 389, proto: 'tcp', flags: 'AF', seq: 302, ack: 1001 },
    ];
    const { flows, diag } = runPackets([...oneWay(50010, T0), ...oneWay(50011, T0 + 1)]);
    expect(flows).toHaveLength(2);
    for (const f of flows) {
      // Zeek's state (no SYN-ACK was seen) is kept; the outcome reads the client's own packets.
      expect(f).toMatchObject({ connState: 'SH', history: 'SADF', respPkts: 0, outcome: 'completed' });
      expect(f.reason).toBe('SH: no packet of the responder was captured, but the originator acknowledged its SYN-ACK and sent data: established (the capture sees one direction only)');
    }
    expect(diag.counters.get('flows_one_way')).toBe(2);
    const reported = diag.toDataQuality().diagnostics.find((d) => d.code === 'flow_one_way')!;
    expect(reported.count).toBe(1);
    expect(reported.examples[0].subject).toEqual({ client: C, server: S, transport: 'tcp', port: 389 });
    // A client that only sent SYNs (and a FIN) proves nothing: still unanswered, nothing counted.
    const silent = runPackets([
      { t: T0, src: C, dst: S, sport: 50012, dport: 389, proto: 'tcp', flags: 'S', seq: 1 },
      { t: T0 + 3, src: C, dst: S, sport: 50012, dport: 389, proto: 'tcp', flags: 'S', seq: 1 },
      { t: T0 + 9, src: C, dst: S, sport: 50012, dport: 389, proto: 'tcp', flags: 'F', seq: 2 },
    ]);
    expect(silent.flows[0]).toMatchObject({ connState: 'SH', outcome: 'unanswered' });
    expect(silent.diag.counters.get('flows_one_way')).toBeUndefined();
  });

  it('SHR and RSTRH: a lone SYN-ACK flips the direction (^) and names the receiver as originator', () => {
    const shr = one([
      { t: T0, src: S, dst: C, sport: 389, dport: 50007, proto: 'tcp', flags: 'SA', seq: 500, ack: 101 },
      { t: T0 + 1, src: S, dst: C, sport: 389, dport: 50007, proto: 'tcp', flags: 'F', seq: 501 },
    ]);
    expect(shr.connState).toBe('SHR');
    expect(shr.history).toBe('^hf');
    expect([shr.origH, shr.origP, shr.respH, shr.respP]).toEqual([C, 50007, S, 389]);
    // The addresses' keys follow the flip too (the summary finds addresses by them).
    expect([shr.origKey, shr.respKey]).toEqual([ipv4Number(C), ipv4Number(S)]);
    expect(shr.outcome).toBe('unknown');

    const rstrh = one([
      { t: T0, src: S, dst: C, sport: 389, dport: 50008, proto: 'tcp', flags: 'SA', seq: 500, ack: 101 },
      { t: T0 + 1, src: S, dst: C, sport: 389, dport: 50008, proto: 'tcp', flags: 'R', seq: 501 },
    ]);
    expect(rstrh.connState).toBe('RSTRH');
    expect(rstrh.history).toBe('^hr');
  });

  it('S1, S2, S3, RSTO, RSTR', () => {
    const talk = (port: number) => new TcpTalk(C, port, S, 445).handshake().data('c', 10).data('s', 20);
    expect(one(talk(50010).specs).connState).toBe('S1');
    expect(one(talk(50011).fin('c').specs).connState).toBe('S2');
    expect(one(talk(50012).fin('s').specs).connState).toBe('S3');
    const rsto = one(talk(50013).rst('c').specs);
    expect(rsto.connState).toBe('RSTO');
    expect(rsto.history).toBe('ShADdR');
    expect(rsto.outcome).toBe('completed');
    const rstr = one(talk(50014).rst('s').specs);
    expect(rstr.connState).toBe('RSTR');
    expect(rstr.outcome).toBe('completed');
  });

  it('RSTR before one byte of reply is refused: a proxy or SNI filter resetting after the ClientHello', () => {
    const f = one(new TcpTalk(C, 50015, '20.190.151.68', 443).handshake().data('c', 517).rst('s').specs);
    expect(f.connState).toBe('RSTR');
    expect(f.outcome).toBe('refused');
    expect(f.reason).toBe('RSTR: established, then reset by the responder after 517 bytes from the originator and none back (a proxy or filter rejecting the request?)');
  });

  describe('a request with no answer after the handshake (a TLS-inspecting firewall dropping the ClientHello)', () => {
    const LOGIN = '20.190.151.68';
    const hello = (port: number) => new TcpTalk(C, port, LOGIN, 443).handshake().data('c', 517);

    it('closed with no answer (SF, S3): refused', () => {
      const sf = one(hello(50040).fin('s').fin('c').ack('s').specs);
      expect([sf.connState, sf.outcome]).toEqual(['SF', 'refused']);
      expect(sf.reason).toBe('SF: established, then closed with no answer to the 517 bytes sent (a proxy or filter ending the request after the handshake?)');
      expect(one(hello(50041).fin('s').specs)).toMatchObject({ connState: 'S3', outcome: 'refused' });
    });

    it('given up by the client (RSTO, S2): unanswered', () => {
      const rsto = one(hello(50042).wait(30).rst('c').specs);
      expect([rsto.connState, rsto.outcome]).toEqual(['RSTO', 'unanswered']);
      expect(rsto.reason).toBe(
        'RSTO: established, but no answer to the 517 bytes sent; the originator gave up (a filter dropping the request after the handshake, such as TLS inspection?)',
      );
      expect(one(hello(50043).wait(30).fin('c').specs)).toMatchObject({ connState: 'S2', outcome: 'unanswered' });
    });

    it('still open: unanswered once the client had to send again, else undetermined (the answer may come after the capture)', () => {
      const t = hello(50044);
      const first = t.specs[t.specs.length - 1];
      t.specs.push({ ...first, t: first.t + 0.3 }, { ...first, t: first.t + 0.9 }); // retransmissions
      const resent = one(t.specs);
      expect([resent.connState, resent.history, resent.outcome]).toEqual(['S1', 'ShADT', 'unanswered']);
      const pending = one(hello(50045).specs);
      expect([pending.connState, pending.outcome, pending.reason]).toEqual(['S1', 'unknown', 'S1: established, 517 bytes sent, no answer yet when the data ends']);
    });

    it('an answer of any size, or no request at all, leaves the flow completed', () => {
      expect(one(hello(50046).data('s', 1).fin('c').fin('s').specs).outcome).toBe('completed');
      expect(one(new TcpTalk(C, 50047, LOGIN, 443).handshake().fin('c').fin('s').ack('c').specs)).toMatchObject({ connState: 'SF', outcome: 'completed' });
    });
  });

  it('OTH: midstream, with the likely-server-port heuristic choosing the originator', () => {
    const f = one([
      { t: T0, src: S, dst: C, sport: 389, dport: 50020, proto: 'tcp', flags: 'PA', seq: 7000, ack: 3000, len: 50 },
      { t: T0 + 0.1, src: C, dst: S, sport: 50020, dport: 389, proto: 'tcp', flags: 'PA', seq: 3000, ack: 7050, len: 30 },
    ]);
    expect(f.connState).toBe('OTH');
    expect(f.history).toBe('^dD');
    expect([f.origH, f.respP]).toEqual([C, 389]);
    expect(f.outcome).toBe('unknown');
    expect([f.origBytes, f.respBytes]).toEqual([30, 50]);
  });

  it('retransmitted data is marked t/T once and counted once in the bytes', () => {
    const t = new TcpTalk(C, 50030, S, 443).handshake();
    t.data('c', 100);
    const first = t.specs[t.specs.length - 1];
    t.specs.push({ ...first, t: first.t + 0.2 }); // same seq, same payload: a retransmission
    t.wait(0.3).data('s', 10).fin('c').fin('s');
    const f = one(t.specs);
    expect(f.history).toBe('ShADTdFf');
    expect(f.origBytes).toBe(100);
    expect(f.origPkts).toBe(5);
  });

  it('zero window is recorded as W', () => {
    const t = new TcpTalk(C, 50031, S, 443).handshake();
    t.data('s', 10, { win: 0 });
    const f = one(t.specs);
    expect(f.history).toBe('ShAdw');
  });
});

describe('flow boundaries', () => {
  it('port reuse after a close with a new ISN starts a second flow (new uid)', () => {
    const t = new TcpTalk(C, 50100, S, 389).handshake().fin('c').fin('s').ack('c').wait(1).newIsn(777_777).handshake();
    const { flows } = runPackets(t.specs);
    expect(flows).toHaveLength(2);
    expect(flows.map((f) => f.connState)).toEqual(['SF', 'S1']);
    expect(flows[1].evidence.frame).toBe(7);
    expect(flows[0].uid).not.toBe(flows[1].uid);
  });

  it('port reuse after a RST with a new ISN starts a second flow', () => {
    const t = new TcpTalk(C, 50101, S, 389).syn().rst('s').wait(1).newIsn(555).syn().synAck().ack();
    const { flows } = runPackets(t.specs);
    expect(flows.map((f) => f.connState)).toEqual(['REJ', 'S1']);
  });

  it('an idle gap past the timeout splits the flow (TCP 5 min, UDP 1 min by default)', () => {
    const u = (t: number): PacketSpec => ({ t, src: C, dst: S, sport: 51000, dport: 123, proto: 'udp', len: 48 });
    expect(runPackets([u(T0), u(T0 + 59)]).flows).toHaveLength(1);
    expect(runPackets([u(T0), u(T0 + 61)]).flows).toHaveLength(2);

    const t = new TcpTalk(C, 50102, S, 445).handshake().data('c', 5).wait(DEFAULT_TIMEOUTS.tcpInactivity / 1e6 + 1).data('c', 5);
    const { flows } = runPackets(t.specs);
    expect(flows.map((f) => f.connState)).toEqual(['S1', 'OTH']);
  });

  it('timeouts are configurable', () => {
    const u = (t: number): PacketSpec => ({ t, src: C, dst: S, sport: 51001, dport: 123, proto: 'udp', len: 48 });
    expect(runPackets([u(T0), u(T0 + 20)], { timeouts: { udpInactivity: 10_000_000 } }).flows).toHaveLength(2);
  });

  it('expires idle flows on packet time, before the end of input', () => {
    const { table, flows } = makeTable();
    table.addPacket(fillPacket({ t: T0, src: C, dst: S, sport: 52000, dport: 53, proto: 'udp', len: 30, frame: 1 }));
    table.addPacket(fillPacket({ t: T0 + 30, src: C, dst: '10.0.0.11', sport: 52001, dport: 53, proto: 'udp', len: 30, frame: 2 }));
    expect(flows).toHaveLength(0);
    table.addPacket(fillPacket({ t: T0 + 65, src: C, dst: '10.0.0.12', sport: 52002, dport: 53, proto: 'udp', len: 30, frame: 3 }));
    expect(flows.map((f) => f.evidence.frame)).toEqual([1]);
    expect(table.liveFlows).toBe(2);
    table.flush();
    expect(flows.map((f) => f.evidence.frame)).toEqual([1, 2, 3]);
    expect(table.liveFlows).toBe(0);
  });

  it('a closed connection lingers 5 s, then a stray packet starts a new flow', () => {
    const t = new TcpTalk(C, 50103, S, 389).handshake().fin('c').fin('s').wait(10).ack('c');
    const { flows } = runPackets(t.specs);
    expect(flows.map((f) => f.connState)).toEqual(['SF', 'OTH']);
  });

  it('eviction at maxFlows emits the oldest idle flow early and reports it', () => {
    const { table, flows, diag } = makeTable({ maxFlows: 3 });
    for (let i = 0; i < 5; i++) {
      table.addPacket(fillPacket({ t: T0 + i, src: C, dst: S, sport: 53000 + i, dport: 88, proto: 'udp', len: 100, frame: i + 1 }));
    }
    // Activity on the first flow makes the second the oldest idle one.
    expect(flows.map((f) => f.origP)).toEqual([53000, 53001]);
    expect(diag.counters.get('flow_evicted')).toBe(2);
    expect(diag.countOf('flow_evicted')).toBe(2);
    table.flush();
    expect(flows).toHaveLength(5);
    expect(new Set(flows.map((f) => f.uid)).size).toBe(5);
  });

  it('evicts the least recently active flow, not the oldest started', () => {
    const { table, flows } = makeTable({ maxFlows: 2 });
    const u = (t: number, sport: number, frame: number) =>
      fillPacket({ t, src: C, dst: S, sport, dport: 88, proto: 'udp', len: 10, frame });
    table.addPacket(u(T0, 60000, 1));
    table.addPacket(u(T0 + 1, 60001, 2));
    table.addPacket(u(T0 + 2, 60000, 3)); // 60000 active again
    table.addPacket(u(T0 + 3, 60002, 4)); // full: 60001 goes
    expect(flows.map((f) => f.origP)).toEqual([60001]);
  });

  it('grows past its initial capacity and finds every flow again (hash table correctness)', () => {
    const { table, flows } = makeTable();
    const n = 20_000;
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < n; i++) {
        const dst = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
        table.addPacket(fillPacket({ t: T0 + round * 0.5, src: C, dst, sport: 40000 + (i % 1000), dport: 53, proto: 'udp', len: 20, frame: round * n + i + 1 }));
      }
    }
    expect(table.liveFlows).toBe(n);
    table.flush();
    expect(flows).toHaveLength(n);
    expect(flows.every((f) => f.origPkts === 2)).toBe(true);
  });

  it('IPv6 flows are keyed by all 16 bytes of each address', () => {
    const a = '2001:db8::20';
    const b = '2001:db8::10';
    const b2 = '2001:db8:1::10';
    const { flows } = runPackets([
      { t: T0, src: a, dst: b, sport: 50000, dport: 389, proto: 'tcp', flags: 'S', seq: 1 },
      { t: T0 + 0.01, src: b, dst: a, sport: 389, dport: 50000, proto: 'tcp', flags: 'SA', seq: 9, ack: 2 },
      { t: T0 + 0.02, src: a, dst: b2, sport: 50000, dport: 389, proto: 'tcp', flags: 'S', seq: 1 },
    ]);
    expect(flows).toHaveLength(2);
    expect(flows[0]).toMatchObject({ origH: a, respH: b, history: 'Sh', connState: 'S1' });
    expect(flows[1]).toMatchObject({ origH: a, respH: b2, connState: 'S0' });
    // An IPv6 address's key is a negative hash of its bytes.
    const keys = [flows[0].origKey, flows[0].respKey, flows[1].respKey];
    expect(keys).toEqual([a, b, b2].map((x) => ipv6AddressKey(parseIp(x)!, 0)));
    expect(new Set(keys).size).toBe(3);
    for (const k of keys) expect(k).toBeLessThan(0);
  });

  it('uids are deterministic across runs and unique within a run', () => {
    const specs = new TcpTalk(C, 50200, S, 389).handshake().specs.concat(new TcpTalk(C, 50201, S, 389).syn().specs);
    const a = runPackets(specs).flows.map((f) => f.uid);
    const b = runPackets(specs).flows.map((f) => f.uid);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(2);
    for (const uid of a) expect(uid).toMatch(/^C[0-9A-Za-z]{12}$/);
  });

  it('files given out of time order: live flows are emitted at the jump back, none lost or merged across it', () => {
    const { table, flows, diag } = makeTable();
    const u = (t: number, frame: number) => fillPacket({ t, src: C, dst: S, sport: 53500, dport: 53, proto: 'udp', len: 10, frame });
    table.setFile('later.pcap');
    table.addPacket(u(T0 + 3600, 1));
    table.addPacket(u(T0 + 3601, 2));
    table.setFile('earlier.pcap');
    table.addPacket(u(T0, 1));
    expect(flows).toHaveLength(1);
    table.flush();
    expect(flows.map((f) => [f.evidence.file, f.origPkts])).toEqual([
      ['later.pcap', 2],
      ['earlier.pcap', 1],
    ]);
    expect(diag.counters.get('flow_time_went_back')).toBe(1);
  });

  it('evidence carries the file and the frame number of the first packet', () => {
    const { table, flows } = makeTable();
    table.setFile('first.pcapng');
    table.addPacket(fillPacket({ t: T0, src: C, dst: S, sport: 1, dport: 53, proto: 'udp', frame: 41 }));
    table.setFile('second.pcapng');
    table.addPacket(fillPacket({ t: T0 + 1, src: S, dst: C, sport: 53, dport: 1, proto: 'udp', frame: 7 }));
    table.addPacket(fillPacket({ t: T0 + 2, src: C, dst: S, sport: 2, dport: 53, proto: 'udp', frame: 8 }));
    table.flush();
    expect(flows.map((f) => f.evidence)).toEqual([
      { file: 'first.pcapng', frame: 41 },
      { file: 'second.pcapng', frame: 8 },
    ]);
  });
});

describe('UDP', () => {
  const q = (t: number, frame?: number): PacketSpec => ({ t, src: C, dst: S, sport: 53001, dport: 53, proto: 'udp', len: 40, frame });
  const r = (t: number): PacketSpec => ({ t, src: S, dst: C, sport: 53, dport: 53001, proto: 'udp', len: 120 });

  it('SF when both sides spoke', () => {
    const f = one([q(T0), r(T0 + 0.02)]);
    expect(f).toMatchObject({ connState: 'SF', history: 'Dd', origBytes: 40, respBytes: 120, outcome: 'completed' });
    expect(f.origIpBytes).toBe(68);
  });

  it('S0 when only the originator spoke', () => {
    const f = one([q(T0), q(T0 + 1)]);
    expect(f).toMatchObject({ connState: 'S0', history: 'D', outcome: 'unanswered', reason: 'UDP S0: 2 packets sent, no reply' });
  });

  it('SHR when only the responder spoke: a first packet from port 53 to an ephemeral port is a reply (^)', () => {
    const f = one([r(T0)]);
    expect(f).toMatchObject({ connState: 'SHR', history: '^d', origH: C, origP: 53001, respH: S, respP: 53, outcome: 'unknown' });
  });

  it('no flip between two likely server ports (NetBIOS 137 → 137)', () => {
    const f = one([{ t: T0, src: C, dst: '10.0.0.255', sport: 137, dport: 137, proto: 'udp', len: 50 }]);
    expect(f).toMatchObject({ origH: C, history: 'D', connState: 'S0' });
  });
});

describe('ICMP', () => {
  it('a port unreachable (3/3) is attached to the UDP flow it quotes, not a flow of its own', () => {
    const { flows } = runPackets([
      { t: T0, src: C, dst: S, sport: 53002, dport: 88, proto: 'udp', len: 200 },
      { t: T0 + 0.001, src: S, dst: C, proto: 'icmp', icmpType: 3, icmpCode: 3, len: 228, quoted: { src: C, dst: S, proto: 'udp', sport: 53002, dport: 88 } },
    ]);
    expect(flows).toHaveLength(1);
    const f = flows[0];
    expect(f).toMatchObject({ proto: 'udp', connState: 'S0', outcome: 'refused', reason: 'ICMP 3/3 port unreachable from 10.0.0.10' });
    expect(f.icmp).toEqual({ family: 'icmp', type: 3, code: 3, codeName: 'port unreachable', from: S, frame: 2 });
    expect(f.respPkts).toBe(0);
  });

  it('an administratively prohibited (3/13) from a router refuses the TCP attempt, in either quote orientation', () => {
    const { flows } = runPackets([
      { t: T0, src: C, dst: S, sport: 50300, dport: 88, proto: 'tcp', flags: 'S', seq: 1 },
      { t: T0 + 0.001, src: '10.0.0.1', dst: C, proto: 'icmp', icmpType: 3, icmpCode: 13, quoted: { src: C, dst: S, proto: 'tcp', sport: 50300, dport: 88 } },
      { t: T0 + 1, src: C, dst: S, sport: 50300, dport: 88, proto: 'tcp', flags: 'S', seq: 1 },
    ]);
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({ connState: 'S0', synCount: 2, outcome: 'refused', reason: 'ICMP 3/13 administratively prohibited from 10.0.0.1' });
  });

  it('ICMPv6 destination unreachable (type 1) works the same', () => {
    const a = '2001:db8::20';
    const b = '2001:db8::10';
    const { flows } = runPackets([
      { t: T0, src: a, dst: b, sport: 50400, dport: 389, proto: 'tcp', flags: 'S', seq: 1 },
      { t: T0 + 0.001, src: b, dst: a, proto: 'icmp', icmpType: 1, icmpCode: 1, quoted: { src: a, dst: b, proto: 'tcp', sport: 50400, dport: 389 } },
    ]);
    expect(flows).toHaveLength(1);
    expect(flows[0].icmp).toMatchObject({ family: 'icmp6', type: 1, code: 1, codeName: 'administratively prohibited' });
    expect(flows[0].reason).toBe('ICMPv6 1/1 administratively prohibited from 2001:db8::10');
    expect(flows[0].outcome).toBe('refused');
  });

  it('an unreachable that matches no captured flow makes the flow from the quote and is counted', () => {
    const { flows, diag } = runPackets([
      { t: T0, src: S, dst: C, proto: 'icmp', icmpType: 3, icmpCode: 3, frame: 12, quoted: { src: C, dst: S, proto: 'udp', sport: 53003, dport: 389 } },
      { t: T0 + 1, src: S, dst: C, proto: 'icmp', icmpType: 3, icmpCode: 3, frame: 13, quoted: { src: C, dst: S, proto: 'udp', sport: 53003, dport: 389 } },
    ]);
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({
      proto: 'udp',
      origH: C,
      origP: 53003,
      respH: S,
      respP: 389,
      connState: 'S0',
      origPkts: 0,
      outcome: 'refused',
      evidence: { file: 'test.pcap', frame: 12 },
    });
    expect(flows[0].reason).toContain('ICMP 3/3 port unreachable from 10.0.0.10');
    expect(flows[0].reason).toContain('not captured');
    expect(diag.countOf('flow_icmp_error_unmatched')).toBe(1);
    expect(diag.counters.get('flow_icmp_error_unmatched')).toBe(1);
  });

  it("an ICMP error about the answer (the client's port unreachable for a late DNS answer) refuses nothing and is counted", () => {
    const { flows, diag } = runPackets([
      { t: T0, src: C, dst: S, sport: 53004, dport: 53, proto: 'udp', len: 40 },
      { t: T0 + 0.01, src: S, dst: C, sport: 53, dport: 53004, proto: 'udp', len: 100 },
      { t: T0 + 0.02, src: C, dst: S, proto: 'icmp', icmpType: 3, icmpCode: 3, quoted: { src: S, dst: C, proto: 'udp', sport: 53, dport: 53004 } },
    ]);
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({ outcome: 'completed', connState: 'SF', icmp: undefined });
    expect(diag.counters.get('icmp_errors_about_answers')).toBe(1);
    // As a real capture had it: the query not captured, the DC's answer, and the client's port
    // unreachable for it. The answer's error is no refusal of the query (it was, before).
    const late = runPackets([
      { t: T0, src: S, dst: C, sport: 53, dport: 33652, proto: 'udp', len: 60 },
      { t: T0 + 0.0001, src: C, dst: S, proto: 'icmp', icmpType: 3, icmpCode: 3, quoted: { src: S, dst: C, proto: 'udp', sport: 53, dport: 33652 } },
    ]).flows;
    expect(late).toHaveLength(1);
    expect(late[0]).toMatchObject({ origH: C, respH: S, respP: 53, outcome: 'unknown', icmp: undefined });
    // Another error about the answer (the client's firewall prohibiting it) stays with the flow.
    const prohibited = runPackets([
      { t: T0, src: C, dst: S, sport: 53005, dport: 53, proto: 'udp', len: 40 },
      { t: T0 + 0.01, src: S, dst: C, sport: 53, dport: 53005, proto: 'udp', len: 100 },
      { t: T0 + 0.02, src: C, dst: S, proto: 'icmp', icmpType: 3, icmpCode: 13, quoted: { src: S, dst: C, proto: 'udp', sport: 53, dport: 53005 } },
    ]);
    expect(prohibited.flows[0].icmp).toMatchObject({ type: 3, code: 13 });
    expect(prohibited.diag.counters.get('icmp_errors_about_answers')).toBeUndefined();
  });

  it('echo request/reply form one icmp flow with Zeek ports (type, counterpart)', () => {
    const { flows } = runPackets([
      { t: T0, src: C, dst: S, proto: 'icmp', icmpType: 8, icmpCode: 0, len: 32 },
      { t: T0 + 0.001, src: S, dst: C, proto: 'icmp', icmpType: 0, icmpCode: 0, len: 32 },
      { t: T0 + 1, src: C, dst: S, proto: 'icmp', icmpType: 8, icmpCode: 0, len: 32 },
      { t: T0 + 5, src: C, dst: '10.0.0.99', proto: 'icmp', icmpType: 8, icmpCode: 0, len: 32 },
    ]);
    expect(flows).toHaveLength(2);
    expect(flows[0]).toMatchObject({ proto: 'icmp', origP: 8, respP: 0, origPkts: 2, respPkts: 1, connState: 'OTH', outcome: 'completed' });
    expect(flows[0].reason).toBe('ICMP echo: 2 requests, 1 reply');
    expect(flows[1]).toMatchObject({ outcome: 'unanswered', reason: 'ICMP echo: 1 request, no reply' });
  });
});

describe('application facts', () => {
  it('DNS: first queries, rcode of the first response, answers; service dns', () => {
    const f = one([
      {
        t: T0, src: C, dst: S, sport: 53010, dport: 53, proto: 'udp', len: 40,
        dns: { id: 1, isResponse: false, rcode: 0, questions: [{ name: 'login.microsoftonline.com', type: 'A' }], answers: [] },
      },
      {
        t: T0 + 0.01, src: S, dst: C, sport: 53, dport: 53010, proto: 'udp', len: 120,
        dns: {
          id: 1, isResponse: true, rcode: 0,
          questions: [{ name: 'login.microsoftonline.com', type: 'A' }],
          answers: [
            { name: 'login.microsoftonline.com', type: 'CNAME', data: 'login.mso.msidentity.com', ttl: 60 },
            { name: 'login.mso.msidentity.com', type: 'A', data: '20.190.1.2', ttl: 60 },
          ],
        },
      },
    ]);
    expect(f.service).toBe('dns');
    expect(f.dns).toEqual({
      queries: [{ name: 'login.microsoftonline.com', type: 'A' }],
      rcode: 0,
      answers: [
        { name: 'login.microsoftonline.com', type: 'CNAME', data: 'login.mso.msidentity.com', ttl: 60 },
        { name: 'login.mso.msidentity.com', type: 'A', data: '20.190.1.2', ttl: 60 },
      ],
    });
  });

  it('DNS with no response keeps rcode null', () => {
    const f = one([
      { t: T0, src: C, dst: S, sport: 53011, dport: 53, proto: 'udp', len: 40, dns: { id: 2, isResponse: false, rcode: 0, questions: [{ name: 'x.example', type: 'A' }], answers: [] } },
    ]);
    expect(f.dns?.rcode).toBeNull();
  });

  it('SNI and EPM ports land on the flow with services ssl and dce_rpc', () => {
    const t = new TcpTalk(C, 50500, '20.190.1.2', 443).handshake().data('c', 300, { sni: 'login.microsoftonline.com' });
    const f = one(t.specs);
    expect(f.sni).toBe('login.microsoftonline.com');
    expect(f.service).toBe('ssl');

    const e = new TcpTalk(C, 50501, S, 135).handshake().data('c', 100).data('s', 150, { epmPorts: [49667, 49668] });
    const g = one(e.specs);
    expect(g.epmPorts).toEqual([49667, 49668]);
    expect(g.service).toBe('dce_rpc');
  });
});

describe('flush: flows still open at the end', () => {
  // A flow that ends early frees its place in the table for a later one: the table's order is then
  // not the order of start times, which a listing keeps.
  const talks = [
    new TcpTalk(C, 51000, S, 389, T0).syn().rst('s'),
    new TcpTalk(C, 51001, S, 389, T0 + 1).syn(),
    new TcpTalk(C, 51002, S, 389, T0 + 101).syn(),
  ];
  // Packets in time order, as a capture has them.
  const specs = talks.flatMap((t) => t.specs).sort((a, b) => a.t - b.t);

  it('are emitted by start time, then uid (a listing of flows)', () => {
    const { flows } = runPackets(specs);
    expect(flows.map((f) => f.origP)).toEqual([51000, 51001, 51002]);
  });

  it('come as the same flows, in table order, when the reader does not need them ordered (orderedFlush: false)', () => {
    const ordered = runPackets(specs).flows;
    const unordered = runPackets(specs, { orderedFlush: false }).flows;
    expect(unordered.map((f) => f.origP)).not.toEqual(ordered.map((f) => f.origP));
    expect(unordered.slice().sort((a, b) => a.ts - b.ts)).toEqual(ordered);
  });
});

describe('onOpenFlows', () => {
  it('tells, as each flow starts, how many flows are open (each will be emitted)', () => {
    const told: number[] = [];
    // A new UDP flow every 0.25 s for 3 s; then one two minutes later, when the first twelve have
    // timed out (UDP: 1 minute) and been emitted.
    const specs: PacketSpec[] = Array.from({ length: 12 }, (_, i) => ({ t: T0 + i * 0.25, src: C, dst: S, proto: 'udp', sport: 50000 + i, dport: 53, len: 30 }));
    specs.push({ t: T0 + 120, src: C, dst: S, proto: 'udp', sport: 49999, dport: 53, len: 30 });
    const { flows } = runPackets(specs, { onOpenFlows: (n) => told.push(n) });
    expect(told).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 1]);
    expect(flows).toHaveLength(13);
  });
});
