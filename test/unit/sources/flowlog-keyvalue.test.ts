import { describe, expect, it } from 'vitest';
import { DiagnosticSink } from '../../../src/common/diagnostics.js';
import type { Flow } from '../../../src/flows/types.js';
import { keyValuePairs, readKeyValue } from '../../../src/sources/flowlog-keyvalue.js';
import { openInputStream, sniffFormat } from '../../../src/sources/input.js';

// FortiGate traffic log lines (FortiOS log reference: traffic logs), after a syslog server's head.
const session = (time: string, epochS: number, sport: number, dport: number, action: string, policy: string, extra: string) =>
  `Nov 20 ${time} fgt date=2026-11-20 time=${time} devname="FGT60F" devid="FGT60FTK2209" eventtime=${epochS}000000000 tz="+0100" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" srcip=10.0.0.20 srcport=${sport} srcintf="internal" dstip=10.0.1.11 dstport=${dport} dstintf="dmz" proto=6 action="${action}" policyid=3 policyname="${policy}" ${extra}\n`;

async function read(text: string) {
  const diag = new DiagnosticSink();
  const flows: Flow[] = [];
  const input = await openInputStream('fgt.log', (async function* () {
    yield new TextEncoder().encode(text);
  })());
  const summary = await readKeyValue(input, { diag }, (f) => flows.push(f));
  return { flows, summary, diag };
}

describe('FortiGate traffic logs (key=value)', () => {
  it('splits pairs, quoted values with spaces too', () => {
    expect(keyValuePairs('a=1 b="two words" c= d="say \\"hi\\""')).toEqual({ keys: ['a', 'b', 'c', 'd'], values: ['1', 'two words', '', 'say "hi"'] });
  });

  it('are told by their fields', () => {
    const t = session('09:15:02', 1795162502, 50123, 389, 'deny', 'implicit deny', 'sentpkt=1 rcvdpkt=0');
    expect(sniffFormat(new TextEncoder().encode(t))).toBe('keyvalue');
  });

  it('read each session as a row of the CSV export: a deny refused with its policy, a close completed, in UTC from eventtime', async () => {
    const { flows, summary, diag } = await read(
      session('10:15:01', 1795162501, 50200, 88, 'close', 'to-dc', 'duration=1 sentbyte=1500 rcvdbyte=3000 sentpkt=6 rcvdpkt=5') +
        session('10:15:02', 1795162502, 50123, 389, 'deny', 'implicit deny', 'duration=0 sentbyte=0 rcvdbyte=0 sentpkt=0 rcvdpkt=0') +
        'Nov 20 10:15:03 fgt date=2026-11-20 time=10:15:03 devname="FGT60F" logid="0100032001" type="event" subtype="system" srcip=10.0.0.5 dstip=10.0.0.1 msg="Administrator admin logged in"\n',
    );
    expect(flows).toHaveLength(2);
    expect(flows[0]).toMatchObject({ respP: 88, outcome: 'completed', origPkts: 6, respPkts: 5 });
    expect(flows[1]).toMatchObject({ respP: 389, outcome: 'refused', log: { rule: 'implicit deny' } });
    expect(summary).toMatchObject({ format: 'keyvalue', records: 2, firstTs: 1795162501 * 1_000_000 });
    expect(diag.counters.get('log_message_not_a_flow')).toBe(1);
  });
});
