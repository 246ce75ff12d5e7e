import { describe, expect, it, vi } from 'vitest';
import { PairTable, pairColumns, textOrder, v4TextKey } from '../../../src/flows/pair-table.js';
import { FlowSummary, transferList } from '../../../src/flows/summary.js';
import { groupItems, PairIndex, type PairGroups } from '../../../src/roles/pair-index.js';
import type { PairAggregate } from '../../../src/flows/summary-types.js';
import type { Flow, Transport } from '../../../src/flows/types.js';
import { mulberry32 as rng } from '../../support/rng.js';

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function randomAddress(r: () => number): string {
  const x = Math.floor(r() * 2 ** 32);
  if (r() < 0.3) return `2001:db8:${(x >>> 16).toString(16)}::${(x & 0xffff).toString(16)}`;
  // Few distinct first octets: long shared prefixes, as in a real network.
  return `10.${x & 3}.${(x >>> 8) & 255}.${x >>> 24}`;
}

describe('FlowSummary.toData: pair order', () => {
  it('sorts pairs by transport, originator text, responder text and numeric port', () => {
    const r = rng(3);
    const protos: Transport[] = ['tcp', 'udp', 'icmp'];
    const summary = new FlowSummary();
    const addrs = Array.from({ length: 200 }, () => randomAddress(r));
    for (let i = 0; i < 3000; i++) {
      const proto = protos[Math.floor(r() * 3)];
      const flow: Flow = {
        uid: `C${i}`,
        ts: 1_700_000_000_000_000 + i,
        duration: 0,
        proto,
        origH: addrs[Math.floor(r() * addrs.length)],
        origP: 50000,
        respH: addrs[Math.floor(r() * addrs.length)],
        respP: proto === 'icmp' ? 0 : [53, 88, 389, 443, 1024, 9, 65535][Math.floor(r() * 7)],
        connState: 'SF',
        history: '',
        origPkts: 1,
        origBytes: 1,
        origIpBytes: 1,
        respPkts: 1,
        respBytes: 1,
        respIpBytes: 1,
        outcome: 'completed',
        reason: 'ok',
        observedBy: 'packets',
        evidence: { file: 'a.pcap', frame: i + 1 },
      };
      summary.add(flow);
    }
    const keys = summary.toData().pairs.map((p) => [p.proto, p.origH, p.respH, p.respP] as const);
    const expected = keys
      .slice()
      .sort((a, b) => byCodeUnits(a[0], b[0]) || byCodeUnits(a[1], b[1]) || byCodeUnits(a[2], b[2]) || a[3] - b[3]);
    expect(keys.length).toBeGreaterThan(1000);
    expect(keys).toEqual(expected);
    // Shared pairs come in the table's order (their readers depend on none): the same pairs.
    const shared = summary.toData({ share: true }).pairs.map((p) => [p.proto, p.origH, p.respH, p.respP] as const);
    expect(shared).not.toEqual(expected);
    expect(shared.slice().sort((a, b) => byCodeUnits(a[0], b[0]) || byCodeUnits(a[1], b[1]) || byCodeUnits(a[2], b[2]) || a[3] - b[3])).toEqual(expected);
  });
});

/** A flow-log flow from 10.0.0.22 to 10.0.1.10 that was refused (S0, nothing back); `fields` set the rest. */
function refusedLogFlow(fields: Partial<Flow> & Pick<Flow, 'uid' | 'ts' | 'respP' | 'reason' | 'evidence'>): Flow {
  return {
    duration: 0,
    proto: 'tcp',
    origH: '10.0.0.22',
    origP: 50000,
    respH: '10.0.1.10',
    connState: 'S0',
    history: '',
    origPkts: 1,
    origBytes: 0,
    origIpBytes: 0,
    respPkts: 0,
    respBytes: 0,
    respIpBytes: 0,
    outcome: 'refused',
    observedBy: 'flowlog',
    ...fields,
  };
}

describe('FlowSummary: deny rules of refused flows', () => {
  function denyFlow(i: number, rule: string, respP: number): Flow {
    return refusedLogFlow({
      uid: `D${i}`,
      ts: 1_700_000_000_000_000 + i * 1000,
      origP: 50000 + (i % 1000),
      respP,
      reason: `denied by ${rule}`,
      evidence: { file: 'PT1H.json', record: 0, tuple: i },
      log: { action: 'D', rule },
    });
  }

  it('keeps the smallest MAX_DENY_RULES names whatever the order, with more names than fast-path bits, across an adopted part', () => {
    const r = rng(5);
    // 45 names (more than the table's 30 rule bits), each offered many times, in random order.
    const names = Array.from({ length: 45 }, (_, i) => `Rule${String(i).padStart(2, '0')}`);
    const flows = Array.from({ length: 4000 }, (_, i) => denyFlow(i, names[Math.floor(r() * names.length)], [389, 88][i % 2]));
    const whole = new FlowSummary();
    for (const f of flows) whole.add(f);
    for (const p of whole.toData().pairs) {
      const offered = [...new Set(flows.filter((f) => f.respP === p.respP).map((f) => f.log!.rule!))].sort();
      expect(p.denyRules).toEqual(offered.slice(0, 8));
    }
    // A part adopted by an empty summary (as the main thread adopts a worker's table), then the other
    // flows added to it: the part has only the larger names, so the smallest come after the adoption.
    const late = (f: Flow): boolean => f.log!.rule! < 'Rule20';
    const part = new FlowSummary();
    for (const f of flows) if (!late(f)) part.add(f);
    const t = part.toTransfer({ transfer: true });
    const merged = new FlowSummary();
    merged.mergeTransfer(structuredClone(t, { transfer: transferList(t) }), { adopt: true });
    for (const f of flows) if (late(f)) merged.add(f);
    expect(merged.toData()).toEqual(whole.toData());
  });

  it('keeps the smallest MAX_DENY_RULES names when a part is merged into a summary that was offered some of them already', () => {
    const r = rng(9);
    const names = Array.from({ length: 45 }, (_, i) => `Rule${String(i).padStart(2, '0')}`);
    const flows = Array.from({ length: 4000 }, (_, i) => denyFlow(i, names[Math.floor(r() * names.length)], [389, 88][i % 2]));
    const whole = new FlowSummary();
    for (const f of flows) whole.add(f);
    // This thread's part and a worker's part (as the main thread merges a worker's summary), with
    // names in common; then more flows after the merge.
    const mine = new FlowSummary();
    const theirs = new FlowSummary();
    for (const [i, f] of flows.entries()) if (i < 3000) (i % 3 === 0 ? theirs : mine).add(f);
    const t = theirs.toTransfer({ transfer: true });
    mine.mergeTransfer(structuredClone(t, { transfer: transferList(t) }));
    for (const f of flows.slice(3000)) mine.add(f);
    expect(mine.toData()).toEqual(whole.toData());
  });
});

describe('FlowSummary: lists of one text shared by pairs', () => {
  function refused(port: number, rule: string | undefined, icmp: boolean): Flow {
    return refusedLogFlow({
      uid: `L${port}${rule ?? ''}`,
      ts: 1_700_000_000_000_000 + port,
      respP: port,
      connState: icmp ? 'REJ' : 'S0',
      reason: rule ? `denied by ${rule}` : 'no rule named',
      evidence: { file: 'PT1H.json', record: 0, tuple: port },
      ...(rule ? { log: { action: 'D', rule } } : {}),
    });
  }

  it('a second text for one pair leaves the other pairs with the same first text unchanged, added, merged and adopted', () => {
    const first = [88, 389, 445].map((port) => refused(port, 'RuleB', false));
    const later = [refused(389, 'RuleA', false), refused(445, 'RuleC', false), refused(88, undefined, true), refused(135, undefined, true)];
    const whole = new FlowSummary();
    for (const f of [...first, ...later]) whole.add(f);
    const byPort = (s: FlowSummary) => Object.fromEntries(s.toData().pairs.map((p) => [p.respP, [p.denyRules, p.icmpReasons]]));
    expect(byPort(whole)).toEqual({
      88: [['RuleB'], ['no rule named']],
      135: [[], ['no rule named']],
      389: [['RuleA', 'RuleB'], []],
      445: [['RuleB', 'RuleC'], []],
    });
    // The shared lists a reader gets cannot be changed through it.
    const shared = whole.toData({ share: true }).pairs.find((p) => p.respP === 88)!;
    expect(() => shared.denyRules.push('X')).toThrow();
    for (const adopt of [false, true]) {
      const part = new FlowSummary();
      for (const f of first) part.add(f);
      const t = part.toTransfer({ transfer: true });
      const merged = new FlowSummary();
      // Merged into a summary that already holds a pair (not adopted) or into an empty one.
      if (!adopt) merged.add(later[3]);
      merged.mergeTransfer(structuredClone(t, { transfer: transferList(t) }), { adopt });
      for (const f of adopt ? later : later.slice(0, 3)) merged.add(f);
      expect(merged.toData()).toEqual(whole.toData());
    }
  });
});

/** Shared pairs (in the table's order) in the order of the copies: transport, originator, responder, port. */
function inKeyOrder(pairs: readonly PairAggregate[]): PairAggregate[] {
  return pairs
    .slice()
    .sort((a, b) => byCodeUnits(a.proto, b.proto) || byCodeUnits(a.origH, b.origH) || byCodeUnits(a.respH, b.respH) || a.respP - b.respP);
}

describe('FlowSummary.toData with share: pairs read through the table', () => {
  const outcomes = ['completed', 'refused', 'unanswered', 'unknown'] as const;
  function flowOf(i: number, proto: Transport, origH: string, respH: string, respP: number, r: () => number): Flow {
    return {
      uid: `C${i}`,
      ts: 1_700_000_000_000_000 + Math.floor(r() * 1e9),
      duration: Math.floor(r() * 1e6),
      proto,
      origH,
      origP: 40000 + i,
      respH,
      respP: proto === 'icmp' ? 0 : respP,
      connState: (['SF', 'S0', 'REJ', 'OTH'] as const)[Math.floor(r() * 4)],
      history: '',
      origPkts: 1,
      origBytes: 10,
      origIpBytes: 40,
      respPkts: 1,
      respBytes: 20,
      respIpBytes: 40,
      outcome: outcomes[Math.floor(r() * 4)],
      reason: `reason ${i % 7}`,
      observedBy: 'packets',
      evidence: { file: 'a.pcap', frame: i + 1 },
    };
  }

  function randomSummary(seed: number): FlowSummary {
    const r = rng(seed);
    const addrs = Array.from({ length: 60 }, () => randomAddress(r));
    const pick = () => addrs[Math.floor(r() * addrs.length)];
    const summary = new FlowSummary();
    for (let i = 0; i < 2000; i++) {
      summary.add(flowOf(i, (['tcp', 'udp', 'icmp'] as const)[Math.floor(r() * 3)], pick(), pick(), [53, 88, 389, 443][Math.floor(r() * 4)], r));
    }
    return summary;
  }

  it('gives the same pairs as the copies, one array on every call, with the same part objects on every read', () => {
    const summary = randomSummary(11);
    const copies = summary.toData().pairs;
    const sharedArray = summary.toData({ share: true }).pairs;
    const shared = inKeyOrder(sharedArray);
    expect(JSON.parse(JSON.stringify(shared))).toEqual(JSON.parse(JSON.stringify(copies)));
    for (let i = 0; i < shared.length; i++) {
      const [s, c] = [shared[i], copies[i]];
      expect([s.proto, s.origH, s.respH, s.respP, s.flows, s.completed, s.refused, s.unanswered, s.unknown]).toEqual([
        c.proto, c.origH, c.respH, c.respP, c.flows, c.completed, c.refused, c.unanswered, c.unknown,
      ]);
      expect([s.firstTs, s.lastTs, s.bytes, s.connStates, s.samples, s.icmpReasons, s.denyRules]).toEqual([
        c.firstTs, c.lastTs, c.bytes, c.connStates, c.samples, c.icmpReasons, c.denyRules,
      ]);
      expect({ width: s.timeline.width, buckets: s.timeline.buckets }).toEqual({ width: c.timeline.width, buckets: c.timeline.buckets });
    }
    expect(summary.toData({ share: true }).pairs).toBe(sharedArray);
    expect(shared[0].samples).toBe(shared[0].samples);
    expect(shared[0].timeline).toBe(shared[0].timeline);
  });

  it('comes with its columns, and a pair index built on them equals one built from the objects', () => {
    const summary = randomSummary(12);
    const shared = summary.toData({ share: true }).pairs;
    expect(pairColumns(shared)).toBeDefined();
    expect(pairColumns(summary.toData().pairs)).toBeUndefined();
    expect(pairColumns(shared.slice(1))).toBeUndefined();
    const fromColumns = new PairIndex(shared);
    const fromObjects = new PairIndex(shared.slice()); // the same pairs, without columns
    expect(pairColumns(shared.slice())).toBeUndefined();
    // The table keeps some of these up as it folds flows (plainFlowTally, notPlainHosts ...); the
    // index counts them from the objects: they must agree.
    for (const key of ['addresses', 'orig', 'resp', 'port', 'proto', 'flows', 'completed', 'byOrig', 'byResp', 'order', 'flowsPerAddress', 'plainHost', 'plainFlowTally', 'notPlainHosts'] as const) {
      expect(fromColumns[key]).toEqual(fromObjects[key]);
    }
    for (const a of fromObjects.addresses) expect(fromColumns.idOf(a)).toBe(fromObjects.idOf(a));
    expect(fromColumns.idOf('192.0.2.99')).toBeUndefined();
  });

  it('tells the pairs with a capture sample from its columns, as the objects do, without building samples', () => {
    const summary = randomSummary(14);
    // Flow-log flows (no frame) on pairs of their own, and on a pair that also has capture flows.
    const r = rng(2);
    for (let i = 0; i < 50; i++) {
      const f = flowOf(5000 + i, 'tcp', '198.51.100.1', `198.51.100.${2 + (i % 5)}`, 445, r);
      summary.add({ ...f, observedBy: 'flowlog', evidence: { file: 'PT1H.json', record: 0, tuple: i } });
    }
    const mixed = summary.toData().pairs[0];
    summary.add({ ...flowOf(6000, mixed.proto, mixed.origH, mixed.respH, mixed.respP, r), evidence: { file: 'PT1H.json', record: 1, tuple: 0 } });
    const shared = summary.toData({ share: true }).pairs;
    const fromObjects = new PairIndex(shared.slice()); // the same pairs, without columns
    const samplesOf = vi.spyOn(PairTable.prototype, 'samplesOf');
    const fromColumns = new PairIndex(shared);
    const captured = shared.map((_, i) => fromColumns.hasCaptureSample(i));
    expect(samplesOf).not.toHaveBeenCalled();
    samplesOf.mockRestore();
    expect(captured).toEqual(shared.map((_, i) => fromObjects.hasCaptureSample(i)));
    expect(captured).toEqual(shared.map((p) => p.samples.some((x) => x.frame !== undefined)));
    expect(captured.filter((c) => !c)).toHaveLength(5);
  });

  it('keeps its pair objects from one array to the next; read after any later change, a pair shows the table as it is then', () => {
    const summary = randomSummary(15);
    const r = rng(3);
    const before = summary.toData({ share: true }).pairs;
    const p = before[0];
    const copyOf = () => summary.toData().pairs.find((c) => c.proto === p.proto && c.origH === p.origH && c.respH === p.respH && c.respP === p.respP)!;
    const parts = (x: PairAggregate) => JSON.parse(JSON.stringify([x.flows, x.connStates, x.samples, x.timeline.buckets]));
    expect(parts(p)).toEqual(parts(copyOf()));
    // Changed twice with no shared array asked for in between: the parts read after the first
    // change must not be kept through the second.
    for (let k = 0; k < 2; k++) {
      for (let i = 0; i < 6; i++) summary.add(flowOf(7000 + 10 * k + i, p.proto, p.origH, p.respH, p.respP, r));
      expect(parts(p)).toEqual(parts(copyOf()));
      expect(p.samples).toBe(p.samples);
    }
    const after = summary.toData({ share: true }).pairs;
    expect(after).not.toBe(before);
    expect(after.indexOf(p)).toBe(0);
    expect(pairColumns(after)!.flows[0]).toBe(p.flows);
  });

  it('gives the same columns after merges and an adopted table as a table that folded the same flows', () => {
    const flows: Flow[] = [];
    const r = rng(21);
    const hosts = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '2001:db8::9'];
    for (let i = 0; i < 300; i++) flows.push(flowOf(i, (['tcp', 'udp'] as const)[i % 2], hosts[i % 3], hosts[3 - (i % 3)], [88, 389][i % 2], r));
    // A host talking to itself: its flows count once for it, on both sides of the merge.
    for (let i = 0; i < 4; i++) flows.splice(100 * i, 0, flowOf(300 + i, 'udp', hosts[0], hosts[0], 137, r));
    const folded = new FlowSummary();
    for (const f of flows) folded.add(f);
    // A worker's table adopted (transferred), a table's data merged, a summary's data merged; then
    // the rest of the flows folded in.
    const ways: ((into: FlowSummary, part: FlowSummary) => void)[] = [
      (into, part) => into.mergeTransfer(part.toTransfer({ transfer: true }), { adopt: true }),
      (into, part) => into.mergeTransfer(part.toTransfer()),
      (into, part) => into.merge(part.toData()),
    ];
    const parts = ways.map((join) => {
      const part = new FlowSummary();
      for (const f of flows.slice(0, 150)) part.add(f);
      const into = new FlowSummary();
      join(into, part);
      for (const f of flows.slice(150)) into.add(f);
      return into;
    });
    const columns = (s: FlowSummary) => {
      const pairs = s.toData({ share: true }).pairs;
      const c = pairColumns(pairs)!;
      const index = new PairIndex(pairs);
      // By pair key: the two tables number their pairs and addresses in their own orders.
      const byPair = pairs
        .map((p, i) => [p.proto, p.origH, p.respH, p.respP, c.addresses[c.orig[i]], c.addresses[c.resp[i]], c.port[i], c.proto[i], c.flows[i], c.completed[i], index.hasCaptureSample(i)].join(' '))
        .sort();
      // By address: its pairs on each side and its flows, as counted by the table, and the pairs the
      // index lists for it on each side (as the table linked them), each list the latest pair first.
      const pairKey = (i: number) => `${pairs[i].proto}/${pairs[i].origH}/${pairs[i].respH}/${pairs[i].respP}`;
      const listed = (g: PairGroups, id: number) => {
        const items = Array.from(groupItems(g, id));
        expect(items).toEqual([...items].sort((x, y) => y - x));
        expect(items).toHaveLength(g.count[id]);
        return items.map(pairKey).sort().join(',');
      };
      const byAddress = c.addresses
        .map((a, id) => [a, c.pairsAsOrig![id], c.pairsAsResp![id], c.flowsPerAddress![id], listed(index.byOrig, id), listed(index.byResp, id)].join(' '))
        .sort();
      return [...byPair, ...byAddress, `flow tally ${c.plainFlowTally!.join(',')}`, `not plain ${c.notPlainHosts!.length}`];
    };
    for (const joined of parts) expect(columns(joined)).toEqual(columns(folded));
  });

  it('gives a new array once a pair was added', () => {
    const summary = randomSummary(13);
    const before = summary.toData({ share: true }).pairs;
    summary.add(flowOf(9999, 'udp', '198.51.100.1', '198.51.100.2', 9, rng(1)));
    const after = summary.toData({ share: true }).pairs;
    expect(after).not.toBe(before);
    expect(after.length).toBe(before.length + 1);
  });

  it('gives a new array, with its columns, once a pair it holds changed (a flow or a merge); the old one loses its columns', () => {
    const summary = randomSummary(14);
    const r = rng(2);
    const plain = (pairs: unknown) => JSON.parse(JSON.stringify(pairs));
    const before = summary.toData({ share: true }).pairs;
    const first = before[0];
    void first.samples; // parts read once are kept by the pair object
    const flows = first.flows;
    summary.add(flowOf(9999, first.proto, first.origH, first.respH, first.respP, r));
    const after = summary.toData({ share: true }).pairs;
    expect(after).not.toBe(before);
    expect(after.length).toBe(before.length);
    expect(after[0].flows).toBe(flows + 1);
    expect(plain(inKeyOrder(after))).toEqual(plain(summary.toData().pairs));
    expect(pairColumns(before)).toBeUndefined();
    expect(pairColumns(after)!.flows[0]).toBe(flows + 1);
    // The same through a merge (of the same pairs: none is new).
    summary.merge(randomSummary(14).toData());
    const merged = summary.toData({ share: true }).pairs;
    expect(merged).not.toBe(after);
    expect(plain(inKeyOrder(merged))).toEqual(plain(summary.toData().pairs));
    expect(pairColumns(after)).toBeUndefined();
  });
});

describe('textOrder', () => {
  it('orders indexes as the default sort orders the texts, ties in index order', () => {
    const r = rng(21);
    const units = [0, 9, 46, 48, 49, 58, 97, 126, 127, 200, 0xd800, 0xffff];
    for (let round = 0; round < 40; round++) {
      const texts = Array.from({ length: Math.floor(r() * 2000) }, () =>
        String.fromCharCode(...Array.from({ length: Math.floor(r() * 6) }, () => units[Math.floor(r() * units.length)])),
      );
      const expected = texts.map((t, i) => i).sort((i, j) => byCodeUnits(texts[i], texts[j]) || i - j);
      expect(Array.from(textOrder(texts))).toEqual(expected);
    }
    const addrs = Array.from({ length: 5000 }, () => randomAddress(r));
    expect(Array.from(textOrder(addrs), (i) => addrs[i])).toEqual(addrs.slice().sort());
  });

  it('orders dotted quads among other texts as the default sort does, near misses included', () => {
    const r = rng(5);
    const octet = () => String([0, 1, 2, 9, 10, 19, 20, 25, 99, 100, 199, 200, 249, 250, 255][Math.floor(r() * 15)]);
    const nearMisses = ['01.2.3.4', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '1.2.3.', '.1.2.3', '1.2.3.4 ', '1000.1.1.1', '00.0.0.0', '::1', 'fe80::1', '10.0.0.1:5', ''];
    for (let round = 0; round < 20; round++) {
      const texts = Array.from({ length: 3000 }, () =>
        r() < 0.1 ? nearMisses[Math.floor(r() * nearMisses.length)] : r() < 0.2 ? randomAddress(r) : [octet(), octet(), octet(), octet()].join('.'),
      );
      const expected = texts.map((t, i) => i).sort((i, j) => byCodeUnits(texts[i], texts[j]) || i - j);
      expect(Array.from(textOrder(texts))).toEqual(expected);
    }
    expect(v4TextKey('10.0.0.1')).toBeGreaterThan(v4TextKey('1.255.255.255'));
    expect(v4TextKey('10.0.0.1')).toBeLessThan(v4TextKey('100.0.0.0'));
    for (const t of nearMisses) expect(v4TextKey(t), t).toBe(-1);
  });
});
