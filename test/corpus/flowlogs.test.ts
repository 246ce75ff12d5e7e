import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { corpusDir, readCorpusFile } from './support.js';

/**
 * DROP lines of a pfirewall.log grouped as flowaudit groups them, by a plain reading of the text:
 * one run per 5-tuple and path while each line comes within the transport's timeout of the last.
 */
function dropRuns(text: string): { lines: number; runs: number } {
  let fields: string[] = [];
  const last = new Map<string, number>();
  let lines = 0;
  let runs = 0;
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('#Fields:')) fields = line.slice(8).trim().split(/\s+/);
    if (line === '' || line.startsWith('#')) continue;
    const v = Object.fromEntries(line.split(' ').map((x, i) => [fields[i], x]));
    if (v.action !== 'DROP' || !['TCP', 'UDP', 'ICMP', 'ICMPv6'].includes(v.protocol)) continue;
    lines++;
    const icmp = v.protocol.startsWith('ICMP');
    const key = [v.protocol, v['src-ip'], icmp ? v.icmptype : v['src-port'], v['dst-ip'], icmp ? v.icmpcode : v['dst-port'], v.path].join('|');
    const t = Date.parse(`${v.date}T${v.time}Z`);
    const timeout = v.protocol === 'TCP' ? 300_000 : 60_000;
    const prev = last.get(key);
    if (prev === undefined || Math.abs(t - prev) > timeout) runs++;
    last.set(key, prev !== undefined && Math.abs(t - prev) <= timeout ? Math.max(prev, t) : t);
  }
  return { lines, runs };
}

/** The real flow logs: record counts match what the files hold, outcomes follow the actions. */
describe('Windows Firewall logs', () => {
  it('pfirewall_real_ad_client_2021.log: 16,809 data lines, DROP refused, ALLOW completed, the events-lost gaps reported', async () => {
    const { flows, diag, result } = await readCorpusFile('windows-firewall/pfirewall_real_ad_client_2021.log');
    expect(result.summary!.format).toBe('pfirewall');
    expect(result.summary!.records).toBe(16_809);
    expect(result.summary!.complete).toBe(true);
    // 32 IGMP lines are counted, not flows; 2 INFO-EVENTS-LOST lines are gaps, not flows; the
    // 11,688 DROP lines make one flow per run of one 5-tuple and path (each line within the
    // inactivity timeout of the last: TCP 5 min, UDP and ICMP 1 min), counted here on the raw text.
    expect(diag.countOf('log_events_lost')).toBe(2);
    expect(diag.countOf('log_unsupported_protocol')).toBe(32);
    const runs = dropRuns(readFileSync(join(corpusDir(), 'windows-firewall/pfirewall_real_ad_client_2021.log'), 'utf8'));
    expect(runs.lines).toBe(11_688);
    const drops = flows.filter((f) => f.log?.action === 'DROP');
    expect(drops).toHaveLength(runs.runs);
    expect(drops.reduce((n, f) => n + f.log!.records!, 0)).toBe(11_688);
    expect(flows).toHaveLength(16_775 - 11_688 + runs.runs);
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
    // 14 events; two pairs of them are dropped packets of one connection each (80 → 1774 at
    // 08:06:26 and :27, 80 → 1693 at 08:48:46), one flow per pair.
    expect(flows).toHaveLength(12);
    expect(flows.filter((f) => f.log?.records === 2 && f.log.action === 'DROP').map((f) => f.respP).sort()).toEqual([1693, 1774]);
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
