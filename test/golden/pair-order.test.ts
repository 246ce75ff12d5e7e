import { describe, expect, it } from 'vitest';
import { buildAuditResult } from '../../src/audit/build.js';
import { loadCatalog } from '../../src/catalog/load.js';
import { DiagnosticSink } from '../../src/common/diagnostics.js';
import { auditCollected, auditSetup, collect } from '../../src/cli/commands.js';
import type { AuditResult } from '../../src/audit/types.js';
import { FlowSummary } from '../../src/flows/summary.js';
import type { FlowSummaryData, PairAggregate } from '../../src/flows/summary-types.js';
import type { Flow, Outcome, Transport } from '../../src/flows/types.js';
import { assignRoles } from '../../src/roles/assign.js';
import { renderCsv } from '../../src/report/csv.js';
import { renderHtml } from '../../src/report/html.js';
import { renderJson } from '../../src/report/json.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { mulberry32 } from '../support/rng.js';
import { flagsFor, quiet, SCENARIOS as FIXTURES, type GoldenScenario } from './scenarios.js';

/**
 * The audit reads a summary's pairs in whatever order they come: `analyze` hands it the pair
 * table's own order (insertion order, which differs with the number of reading threads and the
 * order files finish), not a sorted copy. Every report of every fixture, with the inventory and
 * without it (roles inferred from behaviour, where the examples in the reasons come from pairs),
 * must be the same with the pairs sorted, in table order and shuffled.
 */
/** Every fixture alone, and all of them in one audit. */
const SCENARIOS: GoldenScenario[] = [
  ...FIXTURES,
  { name: 'all fixtures together', inputs: ['fixtures'], feature: ['federation', 'ldaps'], tz: 'Europe/Berlin' },
];

function shuffled<T>(pairs: readonly T[], seed: number): T[] {
  const r = mulberry32(seed);
  const out = pairs.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const render = (r: AuditResult) => ({ md: renderMarkdown(r), json: renderJson(r), csv: renderCsv(r), html: renderHtml(r) });

describe.each(SCENARIOS)('$name: reports do not depend on the order of the pairs', (s) => {
  it.each([{ inventory: 'fixtures/inventory.yaml' }, { inventory: null }])('inventory $inventory', async ({ inventory }) => {
    const flags = flagsFor(s, inventory);
    const setup = await auditSetup(flags);
    const { collected } = await collect(s.inputs, flags, quiet);
    const now = new Date('2024-05-02T00:00:00Z');
    const sorted = collected.summary.toData();
    expect(sorted.pairs.length).toBeGreaterThan(3);
    const expected = render(await auditCollected(sorted, collected, setup, now));
    const audits: FlowSummaryData[] = [collected.summary.toData({ share: true })];
    for (const seed of [1, 2, 3]) audits.push({ ...sorted, pairs: shuffled(sorted.pairs, seed) });
    for (const data of audits) expect(render(await auditCollected(data, collected, setup, now))).toEqual(expected);
  });
});

/**
 * A busy network where every example list in the reasons has more candidates than it shows, and
 * findings gather several ICMP texts and deny rules from several pairs: a connect server (no Entra
 * ID name, so inferred from LDAP to three DCs and HTTPS to public addresses), a health agent with
 * AMQP to four public addresses, two WAPs with three AD FS back ends each, a user of both WAPs,
 * and a scanner touching forty ports of a DC. Flows are added in a shuffled order too.
 */
function busyNetwork(seed: number): FlowSummary {
  const flows: Flow[] = [];
  let n = 0;
  const T0 = Date.UTC(2024, 4, 1, 10) * 1000;
  const add = (proto: Transport, origH: string, respH: string, respP: number, outcome: Outcome = 'completed', extra: Partial<Flow> = {}) => {
    n++;
    flows.push({
      uid: `C${n}`,
      ts: T0 + n * 1_000_000,
      duration: 1000,
      proto,
      origH,
      origP: 40000 + (n % 20000),
      respH,
      respP,
      connState: outcome === 'completed' ? 'SF' : outcome === 'refused' ? 'REJ' : 'S0',
      history: '',
      origPkts: 1,
      origBytes: 10,
      origIpBytes: 40,
      respPkts: 1,
      respBytes: 10,
      respIpBytes: 40,
      outcome,
      reason: outcome,
      observedBy: 'packets',
      evidence: { file: 'busy.pcap', frame: n },
      ...extra,
    });
  };
  const dcs = ['10.0.1.12', '10.0.1.10', '10.0.1.11'];
  const connect = '10.0.0.22';
  for (const dc of dcs) {
    for (const port of [88, 389, 3268]) for (const client of ['10.0.5.1', '10.0.5.2']) add('tcp', client, dc, port);
    for (let k = 0; k < 4; k++) add('tcp', connect, dc, 389);
  }
  for (const last of [9, 200, 10, 1, 77]) add('tcp', connect, `20.190.128.${last}`, 443);
  // The dynamic RPC range refused by different routers and firewall rules, port by port.
  for (let k = 0; k < 7; k++) {
    add('tcp', connect, dcs[0], 49152 + k, 'refused', {
      connState: 'S0',
      icmp: { family: 'icmp', type: 3, code: k % 2 === 0 ? 13 : 10, codeName: k % 2 === 0 ? 'administratively prohibited' : 'host prohibited', from: `10.0.7.${k + 1}` },
    });
    add('tcp', connect, dcs[1], 49152 + k, 'refused', {
      observedBy: 'flowlog',
      log: { action: 'D', rule: `DenyRpc${7 - k}` },
      evidence: { file: 'PT1H.json', record: k, tuple: 0 },
    });
  }
  for (const last of [40, 4, 14, 140]) add('tcp', '10.0.0.30', `13.64.0.${last}`, 5671);
  for (const [wap, backends] of [
    ['10.0.2.6', ['10.0.3.9', '10.0.3.10', '10.0.3.2', '10.0.3.20']],
    ['10.0.2.5', ['10.0.4.30', '10.0.4.3', '10.0.4.100', '10.0.4.1']],
  ] as const) {
    for (const client of ['198.51.100.7', '198.51.100.8', '198.51.100.9']) {
      add('tcp', client, wap, 443);
      add('tcp', client, wap, 49443);
    }
    for (const b of backends) add('tcp', wap, b, 443);
  }
  for (let port = 1000; port < 1040; port++) add('tcp', '10.0.9.9', dcs[2], port, 'refused');
  const summary = new FlowSummary();
  for (const f of shuffled(flows, seed)) summary.add(f);
  return summary;
}

describe('a busy network: reports do not depend on the order of the pairs', () => {
  it('the same reports from pairs sorted, in table order (flows added in three orders) and shuffled', () => {
    const catalog = loadCatalog('hybrid-identity');
    const audit = (data: FlowSummaryData) =>
      render(
        buildAuditResult({
          summary: data,
          roles: assignRoles(data, { catalog }),
          catalog,
          features: new Set(),
          inputs: [],
          dataQuality: new DiagnosticSink().toDataQuality(),
          version: '0.0.0',
          generatedAt: new Date('2024-05-02T00:00:00Z'),
          failOn: ['blocked', 'missing'],
        }),
      );
    const sorted = busyNetwork(1).toData();
    const expected = audit(sorted);
    // The network is what this test says it is: each list has more candidates than it shows.
    expect(expected.md).toMatch(/connect \(inferred, low\)/);
    expect(expected.md).toMatch(/health-agent \(inferred, low\)/);
    expect(expected.md).toMatch(/users \(inferred, medium\)/);
    expect(expected.json).toContain('denied by flow-log rule');
    for (const seed of [1, 2, 3]) {
      expect(audit(busyNetwork(seed).toData({ share: true }))).toEqual(expected);
      expect(audit({ ...sorted, pairs: shuffled(sorted.pairs, seed + 10) })).toEqual(expected);
    }
  });
});
