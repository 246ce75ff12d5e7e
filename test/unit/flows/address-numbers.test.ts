import { describe, expect, it } from 'vitest';
import { ipv4Number, parseIp } from '../../../src/common/ip.js';
import { ipv6AddressKey } from '../../../src/flows/key.js';
import { pairColumns } from '../../../src/flows/pair-table.js';
import { FlowSummary } from '../../../src/flows/summary.js';
import type { Flow } from '../../../src/flows/types.js';
import { PairIndex } from '../../../src/roles/pair-index.js';
import { mulberry32 as rng } from '../../support/rng.js';
import { sent } from '../../support/summary-transfer.js';

// Captures hand the summary their addresses' keys too (Flow.origKey / respKey: an IPv4 address's
// number, an IPv6 address's hash), flow logs text only. Whichever way an address came, it is one
// address of one pair.

const T0 = 1_700_000_000_000_000;

function randomFlows(seed: number, n: number): Flow[] {
  const r = rng(seed);
  const flows: Flow[] = [];
  for (let i = 0; i < n; i++) {
    const proto = r() < 0.7 ? 'tcp' : 'udp';
    flows.push({
      uid: `C${seed}x${i}`,
      ts: T0 + Math.floor(r() * 3e9),
      duration: Math.floor(r() * 5e6),
      proto,
      origH: r() < 0.2 ? `2001:db8::${Math.floor(r() * 30).toString(16)}` : `10.0.${Math.floor(r() * 3)}.${Math.floor(r() * 40)}`,
      origP: 49152 + Math.floor(r() * 1000),
      respH: r() < 0.2 ? '2001:db8::a' : `10.1.0.${Math.floor(r() * 8)}`,
      respP: [53, 88, 389, 443][Math.floor(r() * 4)],
      connState: 'SF',
      history: '',
      origPkts: 1,
      origBytes: 10,
      origIpBytes: 0,
      respPkts: 1,
      respBytes: 10,
      respIpBytes: 0,
      outcome: 'completed',
      reason: 'SF: established and closed',
      observedBy: 'packets',
      evidence: { file: 'c.pcap', frame: i + 1 },
    });
  }
  return flows;
}

/** An address's key, as a capture's flow table gives it. */
function keyOf(address: string): number {
  const v4 = ipv4Number(address);
  return v4 >= 0 ? v4 : ipv6AddressKey(parseIp(address)!, 0);
}

/** The flow as a capture gives it: its addresses' keys as well. */
function numbered(f: Flow): Flow {
  return { ...f, origKey: keyOf(f.origH), respKey: keyOf(f.respH) };
}

describe('addresses given as numbers and as text', () => {
  it('fold into the same pairs, in any mix and order, and through merges (seeded)', () => {
    for (let seed = 1; seed <= 6; seed++) {
      const flows = randomFlows(seed, 2000);
      const asText = new FlowSummary();
      for (const f of flows) asText.add(f);
      const expected = asText.toData();
      expect(expected.pairs.length).toBeGreaterThan(100);

      const r = rng(seed * 7);
      const mixed = new FlowSummary();
      for (const f of flows) mixed.add(r() < 0.5 ? numbered(f) : f);
      expect(mixed.toData()).toEqual(expected);

      // A capture's summary (numbers) merged into a log's (text), and the other way round.
      const half = flows.length / 2;
      const fromCapture = new FlowSummary();
      for (const f of flows.slice(0, half)) fromCapture.add(numbered(f));
      const intoLog = new FlowSummary();
      for (const f of flows.slice(half)) intoLog.add(f);
      intoLog.mergeTransfer(sent(fromCapture));
      expect(intoLog.toData()).toEqual(expected);

      const fromLog = new FlowSummary();
      for (const f of flows.slice(half)) fromLog.add(f);
      const intoCapture = new FlowSummary();
      for (const f of flows.slice(0, half)) intoCapture.add(numbered(f));
      intoCapture.mergeTransfer(sent(fromLog));
      // Text flows after the merge find the addresses the capture brought as numbers.
      for (const f of flows.slice(0, 50)) intoCapture.add(f);
      const again = new FlowSummary();
      for (const f of [...flows, ...flows.slice(0, 50)]) again.add(f);
      expect(intoCapture.toData()).toEqual(again.toData());
    }
  });

  it('role inference finds by text an address that came as a number', () => {
    const s = new FlowSummary();
    for (const f of randomFlows(9, 500)) s.add(numbered(f));
    const pairs = s.toData({ share: true }).pairs;
    const columns = pairColumns(pairs)!;
    expect(columns).toBeDefined();
    columns.addresses.forEach((address, id) => expect(columns.addressIds.get(address)).toBe(id));
    expect(columns.addressIds.get('10.9.9.9')).toBeUndefined();
    expect(columns.addressIds.get('010.1.0.1')).toBeUndefined();
    const index = new PairIndex(pairs);
    expect(index.idOf('10.1.0.1')).toBe(columns.addresses.indexOf('10.1.0.1'));
    expect(index.idOf('2001:db8::a')).toBe(columns.addresses.indexOf('2001:db8::a'));
  });

  it('two IPv6 addresses whose keys collide stay two addresses (the texts are compared)', () => {
    const s = new FlowSummary();
    const [f] = randomFlows(5, 1);
    const collide = -12345;
    s.add({ ...f, origH: '2001:db8::1', origKey: collide, respH: '2001:db8::a', respKey: keyOf('2001:db8::a') });
    s.add({ ...f, uid: 'C2', origH: '2001:db8::2', origKey: collide, respH: '2001:db8::a', respKey: keyOf('2001:db8::a') });
    s.add({ ...f, uid: 'C3', origH: '2001:db8::1', origKey: collide, respH: '2001:db8::a', respKey: keyOf('2001:db8::a') });
    expect(s.toData().pairs.map((p) => [p.origH, p.flows])).toEqual([
      ['2001:db8::1', 2],
      ['2001:db8::2', 1],
    ]);
  });

  it('a tunnel through a proxy is keyed by the name it asks for, not by the proxy address the flow carried', () => {
    const s = new FlowSummary();
    const [f] = randomFlows(4, 1);
    s.add(numbered({ ...f, respH: '10.5.5.5', respP: 8080, proxy: { method: 'CONNECT', target: 'login.microsoftonline.com:443', status: 200 } }));
    s.add(numbered({ ...f, uid: 'Cdirect', respH: '10.5.5.5', respP: 8080 }));
    const keys = s.toData().pairs.map((p) => `${p.respH}:${p.respP}`);
    expect(keys).toEqual(['10.5.5.5:8080', 'login.microsoftonline.com:443']);
  });
});
