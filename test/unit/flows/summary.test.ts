import { describe, expect, it } from 'vitest';
import { FlowSummary, MAX_DNS_CLIENTS, selectSamples } from '../../../src/flows/summary.js';
import { MAX_TIMELINE_BUCKETS, SAMPLES_PER_AGGREGATE } from '../../../src/flows/summary-types.js';
import type { Flow } from '../../../src/flows/types.js';
import { STATES_WITH_OUTCOMES as STATES } from '../../support/flow-samples.js';
import { mulberry32 as rng } from '../../support/rng.js';

const T0 = 1_700_000_000_000_000;

let uidCounter = 0;
function mkFlow(p: Partial<Flow> = {}): Flow {
  uidCounter++;
  return {
    uid: `C${String(uidCounter).padStart(12, '0')}`,
    ts: T0,
    duration: 1000,
    proto: 'tcp',
    origH: '10.0.0.20',
    origP: 50000,
    respH: '10.0.0.10',
    respP: 389,
    connState: 'SF',
    history: 'ShADadFf',
    origPkts: 5,
    origBytes: 100,
    origIpBytes: 300,
    respPkts: 4,
    respBytes: 200,
    respIpBytes: 360,
    outcome: 'completed',
    reason: 'SF: established and closed',
    observedBy: 'packets',
    evidence: { file: 'a.pcap', frame: uidCounter },
    ...p,
  };
}

/** A DNS flow whose response carried `answers` to `question`. */
function answered(question: { name: string; type: string }, answers: NonNullable<Flow['dns']>['answers']): Flow {
  return mkFlow({ proto: 'udp', respP: 53, dns: { queries: [question], rcode: 0, answers } });
}

function randomFlows(seed: number, n: number): Flow[] {
  const r = rng(seed);
  const hosts = ['10.0.0.10', '10.0.0.11', '10.0.0.20', '20.190.1.2', '2001:db8::5'];
  const flows: Flow[] = [];
  for (let i = 0; i < n; i++) {
    const [connState, outcome] = STATES[Math.floor(r() * STATES.length)];
    const proto = r() < 0.7 ? 'tcp' : 'udp';
    const respH = hosts[Math.floor(r() * hosts.length)];
    // Spread over ~2 weeks in places, so timelines must coarsen past MAX_TIMELINE_BUCKETS.
    const ts = T0 + Math.floor(r() * (r() < 0.5 ? 1e9 : 1.2e12));
    const f = mkFlow({
      uid: `C${seed}x${i}`,
      ts,
      duration: Math.floor(r() * 5e6),
      proto,
      origH: hosts[Math.floor(r() * 3)],
      respH,
      respP: proto === 'udp' ? 53 : [389, 443, 135][Math.floor(r() * 3)],
      origP: 49152 + Math.floor(r() * 1000),
      connState,
      outcome,
      evidence: { file: `f${Math.floor(r() * 3)}.pcap`, frame: Math.floor(r() * 1e6) },
    });
    if (r() < 0.1) f.icmp = { family: 'icmp', type: 3, code: r() < 0.5 ? 13 : 3, codeName: 'x', from: hosts[Math.floor(r() * 5)] };
    if (proto === 'udp') {
      const rc = [0, 0, 3, 2, 5, null][Math.floor(r() * 6)];
      f.dns = {
        queries: [{ name: ['login.microsoftonline.com', 'dc.corp.local', 'x.example'][Math.floor(r() * 3)], type: 'A' }],
        rcode: rc,
        answers:
          rc === 0
            ? [
                { name: 'login.microsoftonline.com', type: 'CNAME', data: 'a.b.msidentity.com', ttl: 5 },
                { name: 'a.b.msidentity.com', type: 'A', data: `20.190.1.${Math.floor(r() * 4)}`, ttl: 5 },
              ]
            : [],
      };
    }
    if (proto === 'tcp' && f.respP === 443 && r() < 0.5) f.sni = 'login.microsoftonline.com';
    if (f.respP === 135 && r() < 0.5) f.epmPorts = [49668 + Math.floor(r() * 3), 49667];
    flows.push(f);
  }
  return flows;
}

describe('FlowSummary', () => {
  it('aggregates per (proto, orig, resp, resp port) with outcome and conn_state counts, window and bytes', () => {
    const s = new FlowSummary();
    s.add(mkFlow({ ts: T0 + 5_000_000 }));
    s.add(mkFlow({ ts: T0, connState: 'S0', outcome: 'unanswered', duration: 3_000_000 }));
    s.add(mkFlow({ ts: T0 + 1, respP: 636, connState: 'REJ', outcome: 'refused' }));
    const d = s.toData();
    expect(d.flows).toBe(3);
    expect(d.outcomes).toEqual({ completed: 1, refused: 1, unanswered: 1, unknown: 0 });
    expect(d.firstTs).toBe(T0);
    expect(d.lastTs).toBe(T0 + 5_001_000);
    expect(d.pairs).toHaveLength(2);
    const ldap = d.pairs.find((p) => p.respP === 389)!;
    expect(ldap).toMatchObject({ flows: 2, completed: 1, unanswered: 1, firstTs: T0, lastTs: T0 + 5_001_000, bytes: 600 });
    expect(ldap.connStates).toEqual({ SF: 1, S0: 1 });
    expect(ldap.samples.map((x) => x.connState)).toEqual(['S0', 'SF']);
    expect(ldap.timeline.width).toBe(1_000_000);
    expect(ldap.timeline.buckets).toEqual([
      [T0, 0, 1],
      [T0 + 5_000_000, 1, 0],
    ]);
  });

  it('samples keep the first flow of each outcome, then the earliest others', () => {
    const flows = [];
    for (let i = 0; i < 10; i++) flows.push(mkFlow({ ts: T0 + i }));
    flows.push(mkFlow({ ts: T0 + 100, connState: 'REJ', outcome: 'refused' }));
    flows.push(mkFlow({ ts: T0 + 200, connState: 'REJ', outcome: 'refused' }));
    const s = new FlowSummary();
    for (const f of flows) s.add(f);
    const samples = s.toData().pairs[0].samples;
    expect(samples).toHaveLength(SAMPLES_PER_AGGREGATE);
    expect(samples.map((x) => x.ts - T0)).toEqual([0, 1, 2, 3, 100]);
    expect(samples[4]).toMatchObject({ outcome: 'refused', file: 'a.pcap', frame: flows[10].evidence.frame });
    expect(selectSamples(samples)).toEqual(samples);
  });

  it('collects distinct ICMP refusal texts and deny rules, capped', () => {
    const s = new FlowSummary();
    for (const code of [13, 13, 3]) {
      s.add(mkFlow({ outcome: 'refused', connState: 'S0', icmp: { family: 'icmp', type: 3, code, codeName: code === 13 ? 'administratively prohibited' : 'port unreachable', from: '10.0.0.1' } }));
    }
    s.add(mkFlow({ outcome: 'refused', connState: 'S0', observedBy: 'flowlog', log: { action: 'D', rule: 'DenyLdap' } }));
    const p = s.toData().pairs[0];
    expect(p.icmpReasons).toEqual(['ICMP 3/13 administratively prohibited from 10.0.0.1', 'ICMP 3/3 port unreachable from 10.0.0.1']);
    expect(p.denyRules).toEqual(['DenyLdap']);
  });

  it('names addresses from DNS answers, following CNAME chains, and from SNI', () => {
    const s = new FlowSummary();
    s.add(
      answered({ name: 'login.microsoftonline.com', type: 'A' }, [
        { name: 'login.microsoftonline.com', type: 'CNAME', data: 'login.mso.msidentity.com', ttl: 60 },
        { name: 'login.mso.msidentity.com', type: 'CNAME', data: 'ak.privatelink.msidentity.com', ttl: 60 },
        { name: 'ak.privatelink.msidentity.com', type: 'A', data: '20.190.1.2', ttl: 60 },
        // A hostile loop must not hang the summary.
        { name: 'loop.a', type: 'CNAME', data: 'loop.b', ttl: 1 },
        { name: 'loop.b', type: 'CNAME', data: 'loop.a', ttl: 1 },
        { name: 'loop.a', type: 'A', data: '192.0.2.1', ttl: 1 },
      ]),
    );
    s.add(mkFlow({ respH: '20.190.1.3', respP: 443, sni: 'login.microsoftonline.com' }));
    const names = s.toData().names.map((n) => `${n.source} ${n.name} ${n.address}`);
    expect(names).toEqual([
      'dns ak.privatelink.msidentity.com 20.190.1.2',
      'dns login.microsoftonline.com 20.190.1.2',
      'sni login.microsoftonline.com 20.190.1.3',
      'dns login.mso.msidentity.com 20.190.1.2',
      'dns loop.a 192.0.2.1',
      'dns loop.b 192.0.2.1',
    ]);
  });

  it("names an SRV target's address by the SRV name too (the DC locator's answer)", () => {
    const s = new FlowSummary();
    s.add(
      answered({ name: '_ldap._tcp.dc._msdcs.contoso.local', type: 'SRV' }, [
        { name: '_ldap._tcp.dc._msdcs.contoso.local', type: 'SRV', data: 'dc02.contoso.local', ttl: 600 },
        { name: '_ldap._tcp.dc._msdcs.contoso.local', type: 'SRV', data: 'dc03.contoso.local', ttl: 600 },
        { name: 'dc02.contoso.local', type: 'A', data: '10.0.0.11', ttl: 3600 },
      ]),
    );
    expect(s.toData().names.map((n) => `${n.name} ${n.address}`)).toEqual(['_ldap._tcp.dc._msdcs.contoso.local 10.0.0.11', 'dc02.contoso.local 10.0.0.11']);
  });

  it('counts DNS lookups per name: answered, NXDOMAIN, SERVFAIL, other errors and unanswered', () => {
    const s = new FlowSummary();
    const lookup = (rcode: number | null, server = '10.0.0.10', ts = T0) =>
      s.add(mkFlow({ ts, proto: 'udp', respP: 53, respH: server, connState: rcode === null ? 'S0' : 'SF', outcome: rcode === null ? 'unanswered' : 'completed', dns: { queries: [{ name: 'login.microsoftonline.com', type: 'A' }], rcode, answers: [] } }));
    lookup(3, '10.0.0.11', T0 + 10);
    lookup(3);
    lookup(2);
    lookup(5);
    lookup(null, '10.0.0.10', T0 - 1);
    lookup(0);
    const d = s.toData().dns;
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ name: 'login.microsoftonline.com', queries: 6, answered: 1, nxdomain: 2, servfail: 1, otherError: 1, unanswered: 1, servers: ['10.0.0.10', '10.0.0.11'] });
    expect(d[0].firstEvidence.ts).toBe(T0 - 1);
  });

  it('keeps who asked for a name: the first MAX_DNS_CLIENTS in text order, the same however the lookups are split', () => {
    const lookup = (s: FlowSummary, client: string) =>
      s.add(mkFlow({ origH: client, proto: 'udp', respP: 53, connState: 'SF', dns: { queries: [{ name: 'login.microsoftonline.com', type: 'A' }], rcode: 3, answers: [] } }));
    const clients = Array.from({ length: MAX_DNS_CLIENTS + 3 }, (_, i) => `10.0.0.${40 - i}`);
    const whole = new FlowSummary();
    for (const c of clients) lookup(whole, c);
    lookup(whole, clients[0]);
    const expected = clients.slice().sort().slice(0, MAX_DNS_CLIENTS);
    expect(whole.toData().dns[0].clients).toEqual(expected);
    const a = new FlowSummary();
    const b = new FlowSummary();
    clients.forEach((c, i) => lookup(i % 2 ? a : b, c));
    a.merge(b.toData());
    expect(a.toData().dns[0].clients).toEqual(expected);
  });

  it('records endpoint-mapper handouts (client, server, ports)', () => {
    const s = new FlowSummary();
    s.add(mkFlow({ respP: 135, epmPorts: [49668, 49667], ts: T0 + 7 }));
    expect(s.toData().epm).toEqual([{ client: '10.0.0.20', server: '10.0.0.10', ports: [49667, 49668], ts: T0 + 7 }]);
  });

  it('keeps the timeline bounded by doubling the bucket width', () => {
    const s = new FlowSummary();
    for (let i = 0; i < 3000; i++) s.add(mkFlow({ ts: T0 + i * 1_000_000, outcome: i % 2 ? 'completed' : 'unanswered', connState: i % 2 ? 'SF' : 'S0' }));
    const t = s.toData().pairs[0].timeline;
    expect(t.buckets.length).toBeLessThanOrEqual(MAX_TIMELINE_BUCKETS);
    expect(t.width).toBe(64_000_000); // 3,000 s in at most 64 buckets: the smallest power-of-two width that fits
    expect(t.buckets.reduce((a, b) => a + b[1] + b[2], 0)).toBe(3000);
    for (const [start] of t.buckets) expect(start % t.width).toBe(0);
  });

  it('caps the number of pairs and counts the overflow', () => {
    const s = new FlowSummary({ maxPairs: 2 });
    for (let i = 0; i < 5; i++) s.add(mkFlow({ respP: 1000 + i }));
    const d = s.toData();
    expect(d.pairs).toHaveLength(2);
    expect(d.overflowFlows).toBe(3);
    expect(d.flows).toBe(5);
  });

  it('merge(toData()) of split inputs equals one summary over all (seeded property test)', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const flows = randomFlows(seed, 400 + seed * 50);
      const whole = new FlowSummary();
      for (const f of flows) whole.add(f);

      const r = rng(seed * 7919);
      const parts = 1 + Math.floor(r() * 5);
      const partSummaries = Array.from({ length: parts }, () => new FlowSummary());
      for (const f of flows) partSummaries[Math.floor(r() * parts)].add(f);
      const merged = new FlowSummary();
      // Merge in a shuffled order, some through an intermediate merge, through JSON (as across workers).
      const order = partSummaries.map((_, i) => i).sort(() => r() - 0.5);
      for (const i of order) merged.merge(JSON.parse(JSON.stringify(partSummaries[i].toData())));

      expect(merged.toData()).toEqual(whole.toData());
    }
  });

  it('room made for open flows (reserveFor) changes nothing in what it holds', () => {
    // 700 pairs of ~4 flows each: the pair index is rebuilt larger while it holds pairs, which
    // their later flows must still find (a lost pair would show up twice, with fewer flows each).
    const flows = Array.from({ length: 3000 }, (_, i) => mkFlow({ uid: `R${i}`, respP: 1000 + (i % 700), origH: `10.1.0.${i % 5}` }));
    const plain = new FlowSummary();
    const told = new FlowSummary();
    flows.forEach((f, i) => {
      plain.add(f);
      if (i % 500 === 0) told.reserveFor(1000 * (i + 1));
      told.add(f);
    });
    told.reserveFor(10);
    expect(told.toData()).toEqual(plain.toData());
    expect(told.toData().pairs).toHaveLength(700);
  });

  it('caps what it makes room for at its pair cap', () => {
    const s = new FlowSummary({ maxPairs: 2 });
    s.reserveFor(1e9); // an index for 2 pairs, not for a billion
    for (let i = 0; i < 5; i++) s.add(mkFlow({ respP: 1000 + i }));
    expect(s.toData().pairs).toHaveLength(2);
  });

  it('toData is a snapshot: mutating it does not change the summary', () => {
    const s = new FlowSummary();
    s.add(mkFlow());
    const d = s.toData();
    d.pairs[0].samples.length = 0;
    d.pairs[0].timeline.buckets.length = 0;
    expect(s.toData().pairs[0].samples).toHaveLength(1);
    expect(s.toData().pairs[0].timeline.buckets).toHaveLength(1);
  });
});
