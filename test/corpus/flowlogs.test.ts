import { describe, expect, it } from 'vitest';
import { readCorpusFile } from './support.js';

/** The real flow logs: record counts match what the files hold, outcomes follow the actions. */
describe('Windows Firewall logs', () => {
  it('pfirewall_real_ad_client_2021.log: 16,809 data lines, DROP refused, ALLOW completed, the events-lost gaps reported', async () => {
    const { flows, diag, result } = await readCorpusFile('windows-firewall/pfirewall_real_ad_client_2021.log');
    expect(result.summary!.format).toBe('pfirewall');
    expect(result.summary!.records).toBe(16_809);
    expect(result.summary!.complete).toBe(true);
    // 32 IGMP lines are counted, not flows; 2 INFO-EVENTS-LOST lines are gaps, not flows
    expect(flows).toHaveLength(16_775);
    expect(diag.countOf('log_events_lost')).toBe(2);
    expect(diag.countOf('log_unsupported_protocol')).toBe(32);
    const drops = flows.filter((f) => f.log?.action === 'DROP');
    expect(drops).toHaveLength(11_688);
    expect(drops.every((f) => f.outcome === 'refused')).toBe(true);
    expect(flows.filter((f) => f.log?.action === 'ALLOW').every((f) => f.outcome === 'completed')).toBe(true);
    const ports = new Set(flows.map((f) => f.respP));
    for (const p of [53, 88, 389, 3268, 135, 445, 5985, 443]) expect(ports.has(p), `port ${p}`).toBe(true);
    expect(flows.some((f) => f.origH.includes(':'))).toBe(true); // IPv6 lines
    expect(result.summary!.localAddress).toBe('192.168.178.51');
  });

  it('pfirewall_sample_plaso_2005.log: old OPEN/CLOSE format with an events-lost gap', async () => {
    const { flows, diag, result } = await readCorpusFile('windows-firewall/pfirewall_sample_plaso_2005.log');
    expect(result.summary!.records).toBe(15);
    expect(flows).toHaveLength(14);
    expect(diag.countOf('log_events_lost')).toBe(1);
  });
});

describe('Azure NSG and VNet flow logs', () => {
  it('NSG v1: 40 records, 4,334 tuples, all allowed', async () => {
    const { flows, result } = await readCorpusFile('nsg-flowlogs/nsg_v1_PT1H_40records.json');
    expect(result.summary!.format).toBe('nsg');
    expect(result.summary!.records).toBe(4_334);
    expect(flows.length).toBeGreaterThan(4_000);
    expect(flows.every((f) => f.outcome === 'completed' && f.log?.action === 'A')).toBe(true);
    expect(new Set(flows.map((f) => f.respP))).toEqual(new Set([80, 443, 8080]));
  });

  it('NSG v2: denied tuples refused with their rule, allowed ones judged by their counts', async () => {
    const { flows, result } = await readCorpusFile('nsg-flowlogs/nsg_v2_PT1H_2records_elastic-sample.json');
    expect(result.summary!.records).toBe(11);
    const denied = flows.filter((f) => f.log?.action === 'D');
    expect(denied.length).toBe(7);
    for (const f of denied) {
      expect(f.outcome).toBe('refused');
      expect(f.reason).toMatch(/denied by NSG rule \S+/);
    }
  });

  it('VNet v4: millisecond times, D refused, encryption kept', async () => {
    const { flows, result } = await readCorpusFile('nsg-flowlogs/vnet_v4_PT1H_elastic-sample.json');
    expect(result.summary!.format).toBe('vnet');
    expect(result.summary!.records).toBe(19);
    expect(flows.filter((f) => f.outcome === 'refused')).toHaveLength(9);
    expect(flows.every((f) => f.log?.encryption !== undefined)).toBe(true);
    expect(flows.every((f) => f.ts % 1000 === 0 && f.ts > 1.6e15)).toBe(true);
  });

  it('VNet v4 (pretty-printed, OpenTelemetry sample): one completed flow', async () => {
    const { flows, result } = await readCorpusFile('nsg-flowlogs/vnet_v4_PT1H_otel-contrib.json');
    expect(result.summary!.records).toBe(2);
    expect(flows.map((f) => [f.respP, f.outcome])).toEqual([[443, 'completed']]);
  });
});
