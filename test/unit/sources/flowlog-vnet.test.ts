import { describe, expect, it } from 'vitest';
import { readFlowLog } from '../../../src/sources/flowlog.js';
import { readNsg } from '../../../src/sources/flowlog-nsg.js';
import { readVnet } from '../../../src/sources/flowlog-vnet.js';
import { byteInputFrom, collect, ndjson, recordsFile, vnetRecord } from '../../support/flowlog-builder.js';
import type { VnetTuple } from '../../support/flowlog-builder.js';

const T0_MS = 1714557600000; // 2024-05-01T10:00:00Z
const ADFS = '10.2.0.5';
const WAP = '10.3.0.5';

const t = (over: Partial<VnetTuple>): VnetTuple => ({
  ts: T0_MS, src: WAP, dst: ADFS, sport: 51000, dport: 443, proto: 6, dir: 'O', state: 'B', ...over,
});

describe('readVnet', () => {
  it('reads millisecond timestamps, sums B/C/E deltas, keeps encryption, rule and resource', async () => {
    const rec = vnetRecord({
      acls: [
        {
          aclID: 'acl-1',
          groups: [
            {
              rule: 'AllowWapToAdfs',
              tuples: [
                t({ encryption: 'X' }),
                t({ ts: T0_MS + 60_000, state: 'C', encryption: 'X', pktsOut: 10, bytesOut: 2000, pktsIn: 12, bytesIn: 9000 }),
                t({ ts: T0_MS + 61_500, state: 'E', encryption: 'X', pktsOut: 2, bytesOut: 120, pktsIn: 1, bytesIn: 60 }),
              ],
            },
          ],
        },
      ],
    });
    const { flows, summary } = await collect(readVnet, byteInputFrom('PT1H.json', recordsFile([rec])));
    expect(summary).toMatchObject({ format: 'vnet', records: 3, firstTs: T0_MS * 1000, lastTs: (T0_MS + 61_500) * 1000 });
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({
      proto: 'tcp', origH: WAP, respH: ADFS, respP: 443, ts: T0_MS * 1000, duration: 61_500_000,
      origPkts: 12, origBytes: 2120, respPkts: 13, respBytes: 9060, outcome: 'completed', connState: 'SF',
      log: { action: 'A', rule: 'AllowWapToAdfs', encryption: 'X', state: 'BCE', records: 3, mac: '00224871C205', resource: expect.stringContaining('virtualNetworks/hybrid-vnet') },
      evidence: { file: 'PT1H.json', record: 0, tuple: 0 },
    });
  });

  it('accepts timestamps in seconds too', async () => {
    const rec = vnetRecord({ acls: [{ aclID: 'a', groups: [{ rule: 'R', tuples: [t({ ts: T0_MS / 1000, state: 'E', pktsOut: 1, pktsIn: 1 })] }] }] });
    const { flows } = await collect(readVnet, byteInputFrom('s.json', recordsFile([rec])));
    expect(flows[0].ts).toBe(T0_MS * 1000);
  });

  it('treats state D as denied (refused, naming the rule) and a flow with nothing back as unanswered', async () => {
    const rec = vnetRecord({
      acls: [
        { aclID: 'acl-deny', groups: [{ rule: 'BlockHighRiskTCPPortsFromInternet', tuples: [t({ src: '198.51.100.3', dst: ADFS, dir: 'I', dport: 22, state: 'D' })] }] },
        { aclID: 'acl-allow', groups: [{ rule: 'AllowWapToAdfs', tuples: [t({ dport: 49443 }), t({ dport: 49443, ts: T0_MS + 21_000, state: 'E', pktsOut: 3, bytesOut: 180 })] }] },
      ],
    });
    const { flows } = await collect(readVnet, byteInputFrom('d.json', recordsFile([rec])));
    expect(flows.find((f) => f.respP === 22)).toMatchObject({
      outcome: 'refused', connState: 'S0', reason: 'denied by VNet rule BlockHighRiskTCPPortsFromInternet', log: { action: 'D', state: 'D' },
    });
    expect(flows.find((f) => f.respP === 49443)).toMatchObject({
      outcome: 'unanswered', connState: 'S0', origPkts: 3, respPkts: 0, evidence: { record: 0, tuple: 1 },
    });
  });

  it('joins a B listed after its E in the same millisecond (as Azure writes short flows)', async () => {
    const rec = vnetRecord({ acls: [{ aclID: 'a', groups: [{ rule: 'PlatformRule', tuples: [t({ state: 'E', pktsOut: 1, bytesOut: 66, pktsIn: 1, bytesIn: 635 }), t({})] }] }] });
    const { flows } = await collect(readVnet, byteInputFrom('o.json', recordsFile([rec], { pretty: true })));
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({ outcome: 'completed', log: { state: 'EB', records: 2 } });
  });

  it('reads ICMP, reports other protocols and bad tuples, uses the ACL id when a group has no rule', async () => {
    const rec = vnetRecord({
      target: null,
      acls: [
        {
          aclID: 'acl-9',
          groups: [
            { rule: '', tuples: [t({ proto: 1, sport: 0, dport: 0, state: 'E', pktsOut: 1, pktsIn: 1 }), t({ proto: 47 }), '1714557600000,10.3.0.5,10.2.0.5,1,2,6,O,Q,NX,0,0,0,0'] },
          ],
        },
      ],
    });
    const { flows, diag } = await collect(readVnet, byteInputFrom('i.json', recordsFile([rec])));
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({ proto: 'icmp', log: { rule: 'acl-9', resource: expect.stringContaining('FLOWLOGS/VNETFLOWLOG') } });
    expect(diag.countOf('log_unsupported_protocol')).toBe(1);
    expect(diag.countOf('vnet_bad_tuple')).toBe(1);
  });

  it('reads line-delimited records with their line numbers, whatever the chunk size', async () => {
    const recs = [1, 2, 3].map((i) =>
      vnetRecord({ acls: [{ aclID: 'a', groups: [{ rule: 'Über', tuples: [t({ sport: 51000 + i, state: 'E', pktsOut: i, pktsIn: i })] }] }] }),
    );
    const text = ndjson(recs);
    const whole = await collect(readVnet, byteInputFrom('n.json', text, 1 << 20));
    expect(whole.flows.map((f) => f.evidence.line)).toEqual([1, 2, 3]);
    for (const size of [1, 3, 11, 256]) {
      expect((await collect(readVnet, byteInputFrom('n.json', text, size))).flows).toEqual(whole.flows);
    }
  });

  it('reads a VNet file the same through the NSG reader and the dispatcher (records decide by shape)', async () => {
    const rec = vnetRecord({ acls: [{ aclID: 'a', groups: [{ rule: 'R', tuples: [t({ state: 'E', pktsOut: 1, pktsIn: 1 })] }] }] });
    const text = recordsFile([rec]);
    const viaVnet = await collect(readVnet, byteInputFrom('v.json', text));
    const viaNsg = await collect(readNsg, byteInputFrom('v.json', text));
    expect(viaNsg.flows).toEqual(viaVnet.flows);
    const viaDispatch = await collect((input, ctx, onFlow) => readFlowLog('vnet', input, ctx, onFlow), byteInputFrom('v.json', text));
    expect(viaDispatch.flows).toEqual(viaVnet.flows);
    await expect(collect((input, ctx, onFlow) => readFlowLog('pcap', input, ctx, onFlow), byteInputFrom('v.json', text))).rejects.toThrow(/not a flow-log format/);
  });
});
