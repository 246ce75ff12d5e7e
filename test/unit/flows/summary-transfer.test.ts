import { describe, expect, it } from 'vitest';
import { FlowSummary, selectSamples } from '../../../src/flows/summary.js';
import type { FlowSample } from '../../../src/flows/summary-types.js';
import { PairTimeline } from '../../../src/flows/timeline.js';
import { TimelineStore } from '../../../src/flows/timeline-store.js';
import type { Flow } from '../../../src/flows/types.js';
import { STATES_WITH_OUTCOMES as STATES } from '../../support/flow-samples.js';
import { mulberry32 as rng } from '../../support/rng.js';
import { sent } from '../../support/summary-transfer.js';

const T0 = 1_700_000_000_000_000;

/** Flows over many pairs (hundreds, so the pair index and the timeline pool grow and compact), in shuffled time order. */
function manyFlows(seed: number, n: number): Flow[] {
  const r = rng(seed);
  const flows: Flow[] = [];
  for (let i = 0; i < n; i++) {
    const [connState, outcome] = STATES[Math.floor(r() * STATES.length)];
    const proto = r() < 0.1 ? 'icmp' : r() < 0.7 ? 'tcp' : 'udp';
    const refusedByLog = outcome === 'refused' && r() < 0.5;
    flows.push({
      uid: `C${seed}x${i}`,
      ts: T0 + Math.floor(r() * (r() < 0.5 ? 2e8 : 3e12)),
      duration: Math.floor(r() * 5e6),
      proto,
      origH: `10.0.${Math.floor(r() * 4)}.${Math.floor(r() * 20)}`,
      origP: 49152 + Math.floor(r() * 1000),
      respH: r() < 0.3 ? '2001:db8::5' : `10.1.0.${Math.floor(r() * 10)}`,
      respP: proto === 'icmp' ? 8 : [53, 88, 389, 443, 445, 1000 + Math.floor(r() * 30)][Math.floor(r() * 6)],
      connState,
      history: '',
      origPkts: 1,
      origBytes: Math.floor(r() * 1000),
      origIpBytes: 0,
      respPkts: 1,
      respBytes: Math.floor(r() * 1000),
      respIpBytes: 0,
      outcome,
      reason: `reason ${Math.floor(r() * 5)}`,
      observedBy: refusedByLog || r() < 0.5 ? 'flowlog' : 'packets',
      evidence: r() < 0.5 ? { file: `f${Math.floor(r() * 3)}.json`, record: Math.floor(r() * 50), tuple: Math.floor(r() * 500) } : { file: 'c.pcap', frame: Math.floor(r() * 1e6) },
      ...(refusedByLog ? { log: { action: 'D', rule: `Deny${Math.floor(r() * 12)}` } } : {}),
      ...(r() < 0.05 ? { icmp: { family: 'icmp' as const, type: 3, code: Math.floor(r() * 16), codeName: 'x', from: '10.9.9.9' } } : {}),
    });
  }
  return flows;
}

describe('FlowSummary transfer between threads', () => {
  it('merging transferred parts (first adopted) equals one summary over all (seeded property test)', () => {
    for (let seed = 1; seed <= 8; seed++) {
      const flows = manyFlows(seed, 3000 + seed * 500);
      const whole = new FlowSummary();
      for (const f of flows) whole.add(f);
      const r = rng(seed * 31);
      const parts = 2 + Math.floor(r() * 3);
      const partSummaries = Array.from({ length: parts }, () => new FlowSummary());
      for (const f of flows) partSummaries[Math.floor(r() * parts)].add(f);
      const merged = new FlowSummary();
      for (const p of partSummaries) merged.mergeTransfer(sent(p), { adopt: true });
      expect(merged.toData()).toEqual(whole.toData());
      // Transfers and plain data mix (an empty summary's data first: the next transfer is then merged, not adopted).
      const mixed = new FlowSummary();
      mixed.merge(JSON.parse(JSON.stringify(new FlowSummary().toData())));
      const again = Array.from({ length: parts }, () => new FlowSummary());
      for (const f of flows) again[flows.indexOf(f) % parts].add(f);
      for (const [i, p] of again.entries()) {
        if (i % 2 === 0) mixed.mergeTransfer(sent(p));
        else mixed.merge(JSON.parse(JSON.stringify(p.toData())));
      }
      expect(mixed.toData()).toEqual(whole.toData());
    }
  });

  it('a transfer that does not fit under the pair cap counts the overflow', () => {
    const flows = manyFlows(5, 2000);
    const part = new FlowSummary();
    for (const f of flows) part.add(f);
    const pairs = part.toData().pairs;
    const merged = new FlowSummary({ maxPairs: 10 });
    merged.mergeTransfer(sent(part), { adopt: true });
    const d = merged.toData();
    expect(d.pairs).toHaveLength(10);
    expect(d.flows).toBe(2000);
    expect(d.overflowFlows + d.pairs.reduce((a, p) => a + p.flows, 0)).toBe(pairs.reduce((a, p) => a + p.flows, 0));
  });

  it('samples are the sample policy applied to every flow of the pair, whatever the arrival order', () => {
    const flows = manyFlows(9, 6000);
    const s = new FlowSummary();
    for (const f of flows) s.add(f);
    const byPair = new Map<string, FlowSample[]>();
    for (const f of flows) {
      const key = `${f.proto}|${f.origH}|${f.respH}|${f.proto === 'icmp' ? 0 : f.respP}`;
      const sample: FlowSample = { file: f.evidence.file, uid: f.uid, ts: f.ts, origP: f.origP, connState: f.connState, outcome: f.outcome, reason: f.reason };
      for (const k of ['frame', 'line', 'record', 'tuple'] as const) if (f.evidence[k] !== undefined) sample[k] = f.evidence[k];
      if (f.log?.rule !== undefined) sample.rule = f.log.rule;
      const list = byPair.get(key) ?? [];
      list.push(sample);
      byPair.set(key, list);
    }
    const pairs = s.toData().pairs;
    expect(pairs).toHaveLength(byPair.size);
    for (const p of pairs) expect(p.samples).toEqual(selectSamples(byPair.get(`${p.proto}|${p.origH}|${p.respH}|${p.respP}`)!));
  });

  it('every pair timeline equals the one-object timeline fed the same attempts', () => {
    const flows = manyFlows(11, 8000);
    const s = new FlowSummary();
    for (const f of flows) s.add(f);
    const ref = new Map<string, PairTimeline>();
    for (const f of flows) {
      const key = `${f.proto}|${f.origH}|${f.respH}|${f.proto === 'icmp' ? 0 : f.respP}`;
      let t = ref.get(key);
      if (!t) ref.set(key, (t = new PairTimeline()));
      const completed = f.outcome === 'completed' ? 1 : 0;
      const failed = f.outcome === 'refused' || f.outcome === 'unanswered' ? 1 : 0;
      if (completed + failed > 0) t.add(f.ts, completed, failed);
    }
    for (const p of s.toData().pairs) {
      const t = ref.get(`${p.proto}|${p.origH}|${p.respH}|${p.respP}`)!;
      expect(p.timeline).toEqual({ width: t.width, buckets: t.buckets });
    }
  });

  it('timeline starts that are not whole seconds in 0 .. 2^32 - 1 (before 1970, after 2106) stay exact, added and merged', () => {
    const r = rng(5);
    const times = [T0, -86_400_000_000, 5_000_000_000_000_000, 0, T0 + 1, -1];
    for (let i = 0; i < 200; i++) times.push(Math.floor((r() - 0.3) * 2e16));
    const ref = new PairTimeline();
    const store = new TimelineStore();
    const id = store.create();
    const other = new TimelineStore();
    const oid = other.create();
    for (const [i, ts] of times.entries()) {
      ref.add(ts, i % 2, 1 - (i % 2));
      if (i % 3 === 0) other.add(oid, ts, i % 2, 1 - (i % 2));
      else store.add(id, ts, i % 2, 1 - (i % 2));
    }
    store.mergeFrom(id, other.exportData(false), oid);
    expect(store.widthOf(id)).toBe(ref.width);
    expect(store.bucketsOf(id)).toEqual(ref.buckets);
  });

  it('a full timeline coarsens to the same width as doubling one step at a time, however far apart its attempts', () => {
    const r = rng(11);
    const patterns: number[][] = [
      // Hours apart (a dozen doublings from 1 s before two share a bucket), in time order and not.
      Array.from({ length: 300 }, (_, i) => T0 + i * 3_600_000_000 + Math.floor(r() * 1e9)),
      Array.from({ length: 300 }, () => T0 + Math.floor(r() * 21 * 86_400e6)),
      // Around the epoch (signs differ), and far out (past 32-bit arithmetic on widths from the epoch).
      Array.from({ length: 300 }, () => Math.floor((r() - 0.5) * 4e12)),
      Array.from({ length: 300 }, () => Math.floor((r() - 0.2) * 9e18)),
    ];
    for (const times of patterns) {
      const ref = new PairTimeline();
      const store = new TimelineStore();
      const id = store.create();
      for (const [i, ts] of times.entries()) {
        ref.add(ts, i % 3 === 0 ? 0 : 1, i % 3 === 0 ? 1 : 0);
        store.add(id, ts, i % 3 === 0 ? 0 : 1, i % 3 === 0 ? 1 : 0);
        if (i % 37 === 0) expect(store.widthOf(id)).toBe(ref.width);
      }
      expect(store.widthOf(id)).toBe(ref.width);
      expect(store.bucketsOf(id)).toEqual(ref.buckets);
    }
  });

  it('timeline counts past 2^16 - 1 stay exact, added one by one and merged', () => {
    const store = new TimelineStore();
    const id = store.create();
    const other = store.create();
    for (let i = 0; i < 70_000; i++) store.add(id, T0, 1, i % 2);
    store.add(other, T0 + 5_000_000, 0, 1);
    store.mergeBuckets(other, 1_000_000, [T0 + 5_000_000], [65_535, 1], 0, 1);
    expect(store.bucketsOf(id)).toEqual([[T0, 70_000, 35_000]]);
    expect(store.bucketsOf(other)).toEqual([[T0 + 5_000_000, 65_535, 2]]);
    const copy = new TimelineStore();
    const cid = copy.create();
    copy.mergeFrom(cid, store.exportData(false), id);
    expect(copy.bucketsOf(cid)).toEqual([[T0, 70_000, 35_000]]);
  });

  it('timeline counts past 2^32 - 1 stay exact', () => {
    const store = new TimelineStore();
    const id = store.create();
    store.add(id, T0, 1, 0);
    store.mergeBuckets(id, 1_000_000, [T0], [2 ** 32, 5], 0, 1);
    store.add(id, T0, 1, 1);
    expect(store.bucketsOf(id)).toEqual([[T0, 2 ** 32 + 2, 6]]);
  });

  it('pair counts past 2^32 - 1 stay exact (never wrap), added, merged, transferred and adopted', () => {
    const flow = manyFlows(21, 1)[0];
    const big = new FlowSummary();
    big.add(flow);
    const [p] = big.toData().pairs;
    const state = Object.keys(p.connStates)[0] as keyof typeof p.connStates;
    const outcome = flow.outcome;
    // A pair at the 32-bit limit (as merged from parts), then one more flow: 2^32.
    const atLimit = { ...big.toData(), pairs: [{ ...p, flows: 2 ** 32 - 1, [outcome]: 2 ** 32 - 1, connStates: { [state]: 2 ** 32 - 1 } }] };
    const s = new FlowSummary();
    s.merge(atLimit);
    expect(s.toData().pairs[0]).toMatchObject({ flows: 2 ** 32 - 1, [outcome]: 2 ** 32 - 1, connStates: { [state]: 2 ** 32 - 1 } });
    s.add(flow);
    const expected = { flows: 2 ** 32, [outcome]: 2 ** 32, connStates: { [state]: 2 ** 32 } };
    expect(s.toData().pairs[0]).toMatchObject(expected);
    expect(s.toData({ share: true }).pairs[0]).toMatchObject(expected);
    // Two parts whose sum passes the limit, merged from a transfer; and a widened table adopted.
    const half = new FlowSummary();
    half.merge({ ...atLimit, pairs: [{ ...p, flows: 2 ** 31, [outcome]: 2 ** 31, connStates: { [state]: 2 ** 31 } }] });
    const merged = new FlowSummary();
    merged.merge({ ...atLimit, pairs: [{ ...p, flows: 2 ** 31, [outcome]: 2 ** 31, connStates: { [state]: 2 ** 31 } }] });
    merged.mergeTransfer(sent(half));
    expect(merged.toData().pairs[0]).toMatchObject(expected);
    const adopted = new FlowSummary();
    adopted.mergeTransfer(sent(merged), { adopt: true });
    adopted.add(flow);
    expect(adopted.toData().pairs[0]).toMatchObject({ flows: 2 ** 32 + 1, [outcome]: 2 ** 32 + 1, connStates: { [state]: 2 ** 32 + 1 } });
  });
});
