import { describe, expect, it } from 'vitest';
import { DiagnosticSink } from '../../../src/common/diagnostics.js';
import type { Flow } from '../../../src/flows/types.js';
import { readPanos, splitCsvLine } from '../../../src/sources/flowlog-panos.js';
import { openInputStream, sniffFormat } from '../../../src/sources/input.js';

// PAN-OS traffic logs as syslog sends them (Palo Alto's "Traffic Log Fields" order).
const traffic = (time: string, subtype: string, rule: string, sport: number, dport: number, action: string, counts: string, end: string) =>
  `Nov 20 ${time} pa-fw 1,2026/11/20 ${time},012801096514,TRAFFIC,${subtype},2561,2026/11/20 ${time},10.0.0.20,10.0.1.11,0.0.0.0,0.0.0.0,${rule},,,app,vsys1,trust,dc,ethernet1/1,ethernet1/2,Log-Forwarding,2026/11/20 ${time},1001,1,${sport},${dport},0,0,0x19,tcp,${action},${counts},2026/11/20 ${time},1,any,0,7001,0x0,10.0.0.0-10.255.255.255,10.0.0.0-10.255.255.255,0,${end}\n`;

async function read(text: string, tz?: string) {
  const diag = new DiagnosticSink();
  const flows: Flow[] = [];
  const input = await openInputStream('pan.log', (async function* () {
    yield new TextEncoder().encode(text);
  })());
  const summary = await readPanos(input, { diag, tz }, (f) => flows.push(f));
  return { flows, summary, diag };
}

describe('Palo Alto Networks traffic logs (PAN-OS syslog)', () => {
  it('split CSV fields, quoted ones with commas too', () => {
    expect(splitCsvLine('1,"deny, all",,"say ""hi"""')).toEqual(['1', 'deny, all', '', 'say "hi"']);
  });

  it('are told by their type field', () => {
    expect(sniffFormat(new TextEncoder().encode(traffic('09:15:02', 'drop', 'deny-all', 50123, 389, 'deny', '66,66,0,1', '1,0,policy-deny')))).toBe('panos');
  });

  it('read each line as a row of the traffic log export: a drop refused with its rule, an end completed, in the zone given', async () => {
    const { flows, summary, diag } = await read(
      traffic('09:15:01', 'end', 'allow-dc', 50200, 88, 'allow', '4500,1500,3000,11', '6,5,tcp-fin') +
        traffic('09:15:02', 'drop', '"deny, all"', 50123, 389, 'deny', '66,66,0,1', '1,0,policy-deny') +
        'Nov 20 09:15:03 pa-fw 1,2026/11/20 09:15:03,012801096514,SYSTEM,general,2561,2026/11/20 09:15:03,,general,,0,0,general,informational,"User admin logged in",7003,0x0\n',
      'Europe/Berlin',
    );
    expect(flows).toHaveLength(2);
    expect(flows[0]).toMatchObject({ respP: 88, outcome: 'completed', origPkts: 6, respPkts: 5 });
    expect(flows[1]).toMatchObject({ respP: 389, outcome: 'refused', log: { rule: 'deny, all' } });
    expect(summary).toMatchObject({ format: 'panos', records: 2, firstTs: Date.UTC(2026, 10, 20, 8, 15, 1) * 1000 });
    expect(diag.counters.get('log_message_not_a_flow')).toBe(1);
  });
});
