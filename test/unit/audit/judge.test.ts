import { describe, expect, it } from 'vitest';
import { failureHints, judgeTraffic } from '../../../src/audit/judge.js';
import { FlowSummary } from '../../../src/flows/summary.js';
import type { PairAggregate } from '../../../src/flows/summary-types.js';
import type { PacketSpec } from '../flows/packet-helper.js';
import { runPackets, TcpTalk } from '../flows/packet-helper.js';
import { agg } from '../../support/audit-fixtures.js';

const CONNECT = '10.0.0.20';
const LOGIN = '20.190.151.68';

/** The HTTPS pair Connect → login from these connections, read as a capture and summarised. */
function httpsPair(talks: PacketSpec[][]): PairAggregate {
  const specs = talks.flat().sort((a, b) => a.t - b.t);
  const summary = new FlowSummary();
  for (const f of runPackets(specs).flows) summary.add(f);
  const pairs = summary.toData().pairs.filter((p) => p.respH === LOGIN && p.respP === 443);
  expect(pairs).toHaveLength(1);
  return pairs[0];
}

const T0 = 1_714_550_400;
const answered = (port: number, at: number) => new TcpTalk(CONNECT, port, LOGIN, 443, T0 + at).handshake().data('c', 517).data('s', 4000).fin('c').fin('s').ack('c').specs;
const helloDropped = (port: number, at: number) => new TcpTalk(CONNECT, port, LOGIN, 443, T0 + at).handshake().data('c', 517).wait(21).rst('c').specs;
const synDropped = (port: number, at: number) => new TcpTalk(CONNECT, port, LOGIN, 443, T0 + at).syn().specs;

describe('judging HTTPS whose ClientHello a TLS-inspecting firewall drops after the handshake', () => {
  it('every attempt dropped after the handshake: blocked, said in words, with the TLS-inspection hint', () => {
    const j = judgeTraffic(['tcp'], [httpsPair([helloDropped(50000, 0), helloDropped(50001, 60)])]);
    expect(j.status).toBe('blocked');
    expect(j.reason).toBe(
      '2 of 2 attempts failed: 2 established, then no answer to the request (a firewall, proxy or TLS inspection ending or dropping it after the handshake?)',
    );
    expect(j.hints.some((h) => /TLS inspection/.test(h) && /handshake completed/.test(h))).toBe(true);
    expect(j.hints.some((h) => /silent drop/.test(h))).toBe(false);
  });

  it('mixed with answered attempts and dropped SYNs: partial, each kind of failure named once', () => {
    const pair = httpsPair([answered(50010, 0), answered(50011, 30), helloDropped(50012, 60), synDropped(50013, 120)]);
    const j = judgeTraffic(['tcp'], [pair]);
    expect(j.status).toBe('partial');
    expect(j.reason).toBe(
      '2 of 4 attempts completed, 2 of 4 attempts failed: S0×1 (SYN unanswered); 1 established, then no answer to the request (a firewall, proxy or TLS inspection ending or dropping it after the handshake?)',
    );
    expect(failureHints('tcp', j.tally).filter((h) => /silent drop|TLS inspection/.test(h))).toHaveLength(2);
  });

  it('answered attempts alone are ok, with no hint', () => {
    const j = judgeTraffic(['tcp'], [httpsPair([answered(50020, 0)])]);
    expect([j.status, j.hints]).toEqual(['ok', []]);
  });
});

describe('ICMP port unreachable: who sent it', () => {
  const DC = '10.0.0.10';
  const refusedBy = (from: string): PairAggregate =>
    agg({ origH: CONNECT, respH: DC, respP: 389, refused: 2, connStates: { S0: 2 }, icmpReasons: [`ICMP 3/3 port unreachable from ${from}`] });

  it('from the destination itself: nothing listens on the port', () => {
    const j = judgeTraffic(['tcp'], [refusedBy(DC)]);
    expect(j.status).toBe('blocked');
    expect(j.hints).toEqual(['ICMP port unreachable: nothing listening on that port on the destination']);
  });

  it('from a device on the way: a firewall rejecting (as iptables does by default)', () => {
    const j = judgeTraffic(['tcp'], [refusedBy('10.0.0.1')]);
    expect(j.hints).toEqual([
      "ICMP port unreachable from 10.0.0.1, not from the destination: a firewall on the way rejecting the traffic (iptables' REJECT answers so by default)",
    ]);
  });
});

describe('ICMP fragmentation needed', () => {
  it('names the MTU, not a firewall rule', () => {
    const a = agg({ origH: CONNECT, respH: LOGIN, respP: 443, refused: 1, connStates: { RSTO: 1 }, icmpReasons: ['ICMP 3/4 fragmentation needed from 10.0.0.1'] });
    const j = judgeTraffic(['tcp'], [a]);
    expect(j.hints).toHaveLength(1);
    expect(j.hints[0]).toMatch(/^ICMP fragmentation needed: packets larger than the path's MTU/);
  });
});
