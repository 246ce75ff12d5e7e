import { describe, expect, it } from 'vitest';
import { readNsg } from '../../../src/sources/flowlog-nsg.js';
import { byteInputFrom, collect, ndjson, nsgRecord, recordsFile } from '../../support/flowlog-builder.js';
import type { NsgTuple } from '../../support/flowlog-builder.js';
import { DiagnosticSink } from '../../../src/common/diagnostics.js';
import type { Flow } from '../../../src/flows/types.js';

const T0 = 1714557600; // 2024-05-01T10:00:00Z
const CONNECT = '10.1.0.4';
const DC = '10.1.0.10';

const v1 = (over: Partial<NsgTuple>): NsgTuple => ({
  ts: T0, src: CONNECT, dst: DC, sport: 50000, dport: 389, proto: 'T', dir: 'O', action: 'A', ...over,
});

const V1_RECORDS = [
  nsgRecord({
    version: 1,
    groups: [
      { rule: 'UserRule_AllowLdap', tuples: [v1({}), v1({ ts: T0 + 1 }), v1({ ts: T0 + 3, sport: 50001, dport: 636 })] },
      { rule: 'DefaultRule_DenyAllInBound', tuples: [v1({ src: '198.51.100.7', dst: CONNECT, sport: 41000, dport: 3389, dir: 'I', action: 'D' })] },
    ],
  }),
  nsgRecord({ version: 1, groups: [{ rule: 'UserRule_AllowKerberos', tuples: [v1({ ts: T0 + 60, proto: 'U', sport: 50002, dport: 88 })] }] }),
];

describe('readNsg, version 1', () => {
  it('reads a records file: allowed → completed, denied → refused with the rule, evidence by record and tuple', async () => {
    const { flows, summary } = await collect(readNsg, byteInputFrom('PT1H.json', recordsFile(V1_RECORDS)));
    expect(summary).toMatchObject({ format: 'nsg', records: 5, complete: true, firstTs: T0 * 1e6, lastTs: (T0 + 60) * 1e6 });
    expect(flows).toHaveLength(4);
    const ldap = flows.find((f) => f.respP === 389)!;
    // Two tuples of one attempt (SYN retry) are one flow.
    expect(ldap).toMatchObject({
      proto: 'tcp', origH: CONNECT, respH: DC, ts: T0 * 1e6, duration: 1e6,
      outcome: 'completed', connState: 'OTH', reason: 'allowed by NSG rule UserRule_AllowLdap (v1 logs carry no reply counts)',
      evidence: { file: 'PT1H.json', record: 0, tuple: 0 },
      log: { action: 'A', rule: 'UserRule_AllowLdap', direction: 'O', records: 2, mac: '000D3A000001' },
    });
    expect(ldap.log?.resource).toMatch(/NETWORKSECURITYGROUPS\/CONNECT-NSG$/);
    const rdp = flows.find((f) => f.respP === 3389)!;
    expect(rdp).toMatchObject({ outcome: 'refused', connState: 'S0', reason: 'denied by NSG rule DefaultRule_DenyAllInBound', evidence: { record: 0, tuple: 3 } });
    expect(flows.find((f) => f.respP === 88)).toMatchObject({ proto: 'udp', evidence: { record: 1, tuple: 0 } });
  });

  it('reads pretty-printed files, CRLF files and one bare record per line alike', async () => {
    const compact = await collect(readNsg, byteInputFrom('a.json', recordsFile(V1_RECORDS)));
    const pretty = await collect(readNsg, byteInputFrom('a.json', recordsFile(V1_RECORDS, { pretty: true, crlf: true })));
    expect(pretty.flows).toEqual(compact.flows);
    const lines = await collect(readNsg, byteInputFrom('a.json', ndjson(V1_RECORDS)));
    expect(lines.flows.map((f) => ({ ...f, evidence: { ...f.evidence, line: undefined } }))).toEqual(
      compact.flows.map((f) => ({ ...f, evidence: { ...f.evidence, line: undefined } })),
    );
    expect(lines.flows.find((f) => f.respP === 88)!.evidence).toEqual({ file: 'a.json', line: 2, record: 1, tuple: 0 });
  });

  it('takes the NSG resource and MAC from the PT1H.json folder path when the record lacks them', async () => {
    const rec = nsgRecord({ version: 1, resourceId: null, groups: [{ rule: 'R', tuples: [v1({})] }] });
    const path =
      'insights-logs-networksecuritygroupflowevent/resourceId=/SUBSCRIPTIONS/0000/RESOURCEGROUPS/HYBRID/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/DC-NSG/y=2024/m=05/d=01/h=10/m=00/macAddress=000D3AAABBCC/PT1H.json';
    const { flows } = await collect(readNsg, byteInputFrom(path, recordsFile([rec])));
    expect(flows[0].log?.resource).toBe('/SUBSCRIPTIONS/0000/RESOURCEGROUPS/HYBRID/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/DC-NSG');
    // The tuple group's own MAC wins over the path.
    expect(flows[0].log?.mac).toBe('000D3A000001');
    const winPath = path.replace(/\//g, '\\');
    const bare = JSON.parse(JSON.stringify(rec));
    delete bare.properties.flows[0].flows[0].mac;
    const w = await collect(readNsg, byteInputFrom(winPath, recordsFile([bare])));
    expect(w.flows[0].log).toMatchObject({ mac: '000D3AAABBCC', resource: expect.stringContaining('DC-NSG') });
  });
});

describe('readNsg, version 2', () => {
  const v2 = (over: Partial<NsgTuple>): NsgTuple => v1({ state: 'B', ...over });

  it('merges B, C and E tuples of one flow, summing their counts', async () => {
    const rec1 = nsgRecord({
      version: 2,
      groups: [{ rule: 'UserRule_AllowLdap', tuples: [v2({}), v2({ ts: T0 + 30, state: 'C', pktsOut: 10, bytesOut: 1000, pktsIn: 8, bytesIn: 4000 })] }],
    });
    const rec2 = nsgRecord({
      version: 2,
      groups: [{ rule: 'UserRule_AllowLdap', tuples: [v2({ ts: T0 + 90, state: 'E', pktsOut: 2, bytesOut: 100, pktsIn: 1, bytesIn: 60 })] }],
    });
    const { flows } = await collect(readNsg, byteInputFrom('v2.json', recordsFile([rec1, rec2])));
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({
      ts: T0 * 1e6, duration: 90e6, origPkts: 12, origBytes: 1100, respPkts: 9, respBytes: 4060,
      outcome: 'completed', connState: 'SF', log: { state: 'BCE', records: 3 }, evidence: { record: 0, tuple: 0 },
    });
  });

  it('marks an allowed flow with no packets back as unanswered, not ok', async () => {
    const rec = nsgRecord({
      version: 2,
      groups: [
        {
          rule: 'DefaultRule_AllowVnetOutBound',
          tuples: [
            v2({ dport: 636 }),
            v2({ dport: 636, ts: T0 + 20, state: 'E', pktsOut: 3, bytesOut: 180, pktsIn: 0, bytesIn: 0 }),
            v2({ dport: 3268, state: 'C', pktsOut: 5, bytesOut: 300, pktsIn: 4, bytesIn: 900 }),
            v2({ dport: 88 }),
          ],
        },
      ],
    });
    const { flows } = await collect(readNsg, byteInputFrom('v2.json', recordsFile([rec])));
    const ldaps = flows.find((f) => f.respP === 636)!;
    expect(ldaps).toMatchObject({ outcome: 'unanswered', connState: 'S0', origPkts: 3, respPkts: 0 });
    expect(ldaps.reason).toBe('allowed by NSG rule DefaultRule_AllowVnetOutBound, but no packets came back (3 sent)');
    expect(flows.find((f) => f.respP === 3268)).toMatchObject({ outcome: 'completed', connState: 'S1' });
    // Only a B tuple: the counts are in a later file.
    expect(flows.find((f) => f.respP === 88)).toMatchObject({ outcome: 'unknown', connState: 'OTH' });
  });

  it('gives each flow the reason of its own rule and counts, across groups and files (reason texts are shared)', async () => {
    const ended = (sport: number, pktsOut: number, pktsIn: number) =>
      v2({ sport, state: 'E', pktsOut, bytesOut: 100, pktsIn, bytesIn: 100 });
    const rec = nsgRecord({
      version: 2,
      groups: [
        { rule: 'UserRule_A', tuples: [ended(50001, 3, 2), ended(50002, 3, 2), ended(50003, 2, 3)] },
        { rule: 'UserRule_B', tuples: [ended(50004, 3, 2), ended(50005, 3, 0)] },
        { rule: '', tuples: [ended(50006, 3, 2)] },
      ],
    });
    const expected = [
      'allowed by NSG rule UserRule_A; 3 packets sent, 2 back',
      'allowed by NSG rule UserRule_A; 3 packets sent, 2 back',
      'allowed by NSG rule UserRule_A; 2 packets sent, 3 back',
      'allowed by NSG rule UserRule_B; 3 packets sent, 2 back',
      'allowed by NSG rule UserRule_B, but no packets came back (3 sent)',
      'allowed by NSG (no rule name in the log); 3 packets sent, 2 back',
    ];
    for (const file of ['a.json', 'b.json']) {
      const { flows } = await collect(readNsg, byteInputFrom(file, recordsFile([rec])));
      expect(flows.sort((x, y) => x.origP - y.origP).map((f) => f.reason)).toEqual(expected);
    }
  });

  it('keeps denied v2 flows refused, naming the rule', async () => {
    const rec = nsgRecord({
      version: 2,
      groups: [{ rule: 'DefaultRule_DenyAllInBound', tuples: [v2({ src: '203.0.113.9', dst: CONNECT, dir: 'I', action: 'D', dport: 445 })] }],
    });
    const { flows } = await collect(readNsg, byteInputFrom('v2.json', recordsFile([rec])));
    expect(flows[0]).toMatchObject({ outcome: 'refused', reason: 'denied by NSG rule DefaultRule_DenyAllInBound', log: { action: 'D', direction: 'I', state: 'B' } });
  });

  it('reports bad tuples and malformed records with their place and keeps reading', async () => {
    const good = nsgRecord({ version: 2, groups: [{ rule: 'R', tuples: [v2({ state: 'E', pktsOut: 1, bytesOut: 60, pktsIn: 1, bytesIn: 60 })] }] });
    const badTuples = nsgRecord({
      version: 2,
      groups: [{ rule: 'R', tuples: ['1714557600,10.1.0.4,10.1.0.10,1,99999,T,O,A,E,1,1,1,1', 'garbage', v2({ dport: 53, proto: 'U', state: 'E', pktsOut: 1, bytesOut: 70, pktsIn: 1, bytesIn: 90 })] }],
    });
    const goodText = JSON.stringify(good);
    const broken = goodText.replace('"properties":{', '"properties":{"Version":2,,');
    const text = `{"records":[${goodText},${broken},${JSON.stringify(badTuples)},${goodText}]}`;
    const { flows, summary, diag } = await collect(readNsg, byteInputFrom('bad.json', text));
    expect(flows.map((f) => f.evidence.record)).toEqual([0, 2, 3]);
    const dq = diag.toDataQuality().diagnostics;
    const malformed = dq.find((d) => d.code === 'json_malformed')!;
    expect(malformed.count).toBe(1);
    expect(malformed.examples[0].origin.offset).toBe(text.indexOf(broken));
    const tuples = dq.find((d) => d.code === 'nsg_bad_tuple')!;
    expect(tuples.count).toBe(2);
    expect(tuples.examples.map((e) => e.detail.slice(0, 17))).toEqual(['record 2 tuple 0 ', 'record 2 tuple 1 ']);
    expect(summary.records).toBe(5); // tuples in the records that parsed
  });

  it('keeps the flows read before a truncation and says the file is incomplete', async () => {
    const rec = nsgRecord({ version: 2, groups: [{ rule: 'R', tuples: [v2({ state: 'E', pktsOut: 1, bytesOut: 60, pktsIn: 1, bytesIn: 60 })] }] });
    const text = recordsFile([rec, rec]);
    const cut = text.slice(0, text.length - 40);
    const { flows, summary, diag } = await collect(readNsg, byteInputFrom('cut.json', cut));
    expect(flows).toHaveLength(1);
    expect(summary.complete).toBe(false);
    expect(diag.toDataQuality().diagnostics.find((d) => d.code === 'json_malformed')!.examples[0].detail).toMatch(/ends inside record 1/);
  });

  it('resyncs line-delimited files at the next line after a broken one', async () => {
    const rec = nsgRecord({ version: 2, groups: [{ rule: 'R', tuples: [v2({ state: 'E', pktsOut: 1, bytesOut: 60, pktsIn: 1, bytesIn: 60 })] }] });
    const line = JSON.stringify(rec);
    const text = `${line}\n${line.slice(0, 80)}\n${line}\nnot json at all\n${line}\n`;
    const { flows, diag } = await collect(readNsg, byteInputFrom('x.ndjson', text));
    expect(flows.map((f) => f.evidence.line)).toEqual([1, 3, 5]);
    expect(diag.countOf('json_malformed')).toBe(2);
  });

  it('reads the same flows whatever the chunk boundaries, through UTF-8 and escaped quotes', async () => {
    const rec = nsgRecord({
      version: 2,
      groups: [
        { rule: 'Règle_"LDAP"\\Zürich', tuples: [v2({}), v2({ ts: T0 + 5, state: 'E', pktsOut: 4, bytesOut: 400, pktsIn: 3, bytesIn: 300 })] },
        { rule: 'DefaultRule_DenyAllInBound', tuples: [v2({ src: '2001:DB8::7', dst: '2001:db8::1', dir: 'I', action: 'D', dport: 445 })] },
      ],
    });
    const text = recordsFile([rec, rec], { pretty: true });
    const whole = await collect(readNsg, byteInputFrom('c.json', text, 1 << 20));
    expect(whole.flows[0].log?.rule).toBe('Règle_"LDAP"\\Zürich');
    expect(whole.flows.find((f) => f.respP === 445)!.origH).toBe('2001:db8::7');
    for (const size of [1, 2, 3, 5, 17, 100, 1000]) {
      const split = await collect(readNsg, byteInputFrom('c.json', text, size));
      expect(split.flows).toEqual(whole.flows);
      expect(split.summary).toEqual(whole.summary);
    }
  });

  it('reports records that are not flow-log records', async () => {
    const text = JSON.stringify({ records: [{ time: 'x', category: 'NetworkSecurityGroupEvent', properties: { foo: 1 } }, 42] });
    const { flows, diag } = await collect(readNsg, byteInputFrom('other.json', text));
    expect(flows).toHaveLength(0);
    expect(diag.countOf('nsg_bad_record')).toBe(1); // 42 is not an object record: not seen as a record by the scanner
  });
});

describe('readNsg, tuple text', () => {
  const A = '1714557600';
  /** Reads one version-`version` record holding `tuples`; returns the tuple indices that became flows and the bad ones. */
  const read = async (version: unknown, tuples: unknown[]) => {
    const rec = nsgRecord({ version: 2, groups: [{ rule: 'R', tuples: [] }] }) as { properties: { Version: unknown; flows: { flows: { flowTuples: unknown[] }[] }[] } };
    rec.properties.Version = version;
    rec.properties.flows[0].flows[0].flowTuples = tuples;
    const { flows, diag } = await collect(readNsg, byteInputFrom('t.json', recordsFile([rec])));
    const bad = diag.toDataQuality().diagnostics.find((d) => d.code === 'nsg_bad_tuple');
    return { flows, good: flows.map((f) => f.evidence.tuple).sort((a, b) => a! - b!), badCount: bad?.count ?? 0 };
  };

  it('accepts what the format allows and rejects every other field shape, one tuple at a time', async () => {
    // Each tuple has its own ports, so none merge.
    const cases: [string, boolean][] = [
      [`${A},10.1.0.4,10.1.0.10,50000,389,T,O,A,B,,,,`, true], // B: empty counts
      [`${A},10.1.0.4,10.1.0.10,50001,389,T,O,A,C,1,2,3,4`, true],
      [`${A},10.1.0.4,10.1.0.10,,,U,O,A,C,1,2,3,4`, true], // empty ports read as 0
      [`${A},10.1.0.4,10.1.0.10,50003,0000000000389,T,O,A,C,1,2,3,4`, true], // leading zeros in a number
      [`${A},10.1.0.4,10.1.0.10,50004,389,T,O,A,B,,x,y,z`, true], // empty first count: the others are not read
      [`${A},10.1.0.4,10.1.0.10,50005,389,T,O,A,C,1,,3,4`, false], // one empty count among numbers
      [`${A},10.1.0.4,10.1.0.10,50006,389,T,O,A,C,1,2,3,4 `, false], // trailing space
      [`${A},10.1.0.4 ,10.1.0.10,50007,389,T,O,A,C,1,2,3,4`, true], // canonicalIp trims spaces around an address
      [`${A},10.1.0.256,10.1.0.10,50008,389,T,O,A,C,1,2,3,4`, false], // octet > 255
      [`${A},10.1.0,10.1.0.10,50009,389,T,O,A,C,1,2,3,4`, false], // three octets
      [`${A},10.1.0.4.5,10.1.0.10,50010,389,T,O,A,C,1,2,3,4`, false], // five octets
      [`${A},10..0.4,10.1.0.10,50011,389,T,O,A,C,1,2,3,4`, false],
      [`${A},10.1.0.4,10.1.0.,50012,389,T,O,A,C,1,2,3,4`, false],
      [`${A},10.1.0.4,10.1.0.10,65536,389,T,O,A,C,1,2,3,4`, false], // port > 65535
      [`${A},10.1.0.4,10.1.0.10,-1,389,T,O,A,C,1,2,3,4`, false],
      [`${A},10.1.0.4,10.1.0.10,50015,389,TT,O,A,C,1,2,3,4`, false], // two-letter protocol
      [`${A},10.1.0.4,10.1.0.10,50016,389,X,O,A,C,1,2,3,4`, false],
      [`${A},10.1.0.4,10.1.0.10,50017,389,T,X,A,C,1,2,3,4`, false],
      [`${A},10.1.0.4,10.1.0.10,50018,389,T,O,X,C,1,2,3,4`, false],
      [`${A},10.1.0.4,10.1.0.10,50019,389,T,O,A,X,1,2,3,4`, false], // unknown state
      [`${A},10.1.0.4,10.1.0.10,50020,389,T,O,A,C,1,2,3`, false], // 12 fields
      [`${A},10.1.0.4,10.1.0.10,50021,389,T,O,A,C,1,2,3,4,5`, false], // 14 fields
      [`${A},10.1.0.4,10.1.0.10,50022,389,T,O,A,B,,,,,`, false], // 14 fields, empty counts
      [`${A},10.1.0.4,10.1.0.10,50023,389,T,O,A,C,`, false],
      [`,10.1.0.4,10.1.0.10,50024,389,T,O,A,C,1,2,3,4`, false], // no time
      [`1714557600000000,10.1.0.4,10.1.0.10,50025,389,T,O,A,C,1,2,3,4`, false], // 16 digits
      [`${A},10.1.0.4,10.1.0.10,50026,389,T,O,A`, false], // a v1 tuple in a v2 record
      ['', false],
    ];
    const { good, badCount } = await read(2, cases.map((c) => c[0]));
    expect(good).toEqual(cases.flatMap((c, i) => (c[1] ? [i] : [])));
    expect(badCount).toBe(cases.filter((c) => !c[1]).length);
  });

  it('takes v1 tuples only where the version allows them, and v2 tuples likewise', async () => {
    const t1 = `${A},10.1.0.4,10.1.0.10,50000,389,T,O,A`;
    const t2 = `${A},10.1.0.4,10.1.0.10,50001,389,T,O,A,C,1,2,3,4`;
    expect((await read(1, [t1, t2])).good).toEqual([0]);
    expect((await read(2, [t1, t2])).good).toEqual([1]);
    expect((await read('2', [t1, t2])).good).toEqual([1]);
    // A version the reader does not know: both shapes are read.
    expect((await read('x', [t1, t2])).good).toEqual([0, 1]);
  });

  it('merges the tuples of one flow however its addresses are written', async () => {
    const { flows } = await read(2, [
      `${A},010.1.0.4,2001:DB8::1,50000,389,T,O,A,B,,,,`,
      `1714557610,10.1.0.4,2001:db8::1,50000,389,T,O,A,C,1,2,3,4`,
      `1714557620,10.1.0.4,2001:db8:0::1,50000,389,T,O,A,E,1,2,0,0`,
    ]);
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({ origH: '10.1.0.4', respH: '2001:db8::1', origPkts: 2, respPkts: 3, log: { state: 'BCE', records: 3 } });
  });

  it('reads a tuple with JSON escapes in it as its decoded text', async () => {
    const rec = nsgRecord({ version: 2, groups: [{ rule: 'R', tuples: [`${A},10.1.0.4,10.1.0.10,50000,389,T,O,A,C,1,2,3,4`] }] });
    const text = recordsFile([rec]).replace('T,O,A,C,1', 'T,O,A,\\u0043,\\u0031');
    expect(text).toContain('\\u0043');
    const { flows } = await collect(readNsg, byteInputFrom('e.json', text));
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({ origPkts: 1, log: { state: 'C' } });
  });

  it('emits flows closed by E tuples and the rest at the end in the order they began', async () => {
    const tuples: string[] = [];
    for (let i = 0; i < 3000; i++) tuples.push(`${A},10.1.${i >> 8}.${i & 255},10.1.0.10,${40000 + (i % 7)},389,T,O,A,B,,,,`);
    for (let i = 0; i < 3000; i += 2) tuples.push(`1714557630,10.1.${i >> 8}.${i & 255},10.1.0.10,${40000 + (i % 7)},389,T,O,A,E,1,60,1,60`);
    const { flows } = await read(2, tuples);
    expect(flows).toHaveLength(3000);
    // Ended flows come first (at the end of their record), in tuple order; then the open ones.
    const ended = flows.slice(0, 1500).map((f) => f.evidence.tuple);
    const open = flows.slice(1500).map((f) => f.evidence.tuple);
    expect(ended).toEqual(Array.from({ length: 1500 }, (_, k) => 2 * k));
    expect(open).toEqual(Array.from({ length: 1500 }, (_, k) => 2 * k + 1));
    expect(flows[0]).toMatchObject({ outcome: 'completed', connState: 'SF', duration: 30e6 });
    expect(flows[1500]).toMatchObject({ outcome: 'unknown' });
  });

  it('emits an ended flow once, even when a new connection on its ports replaced it in the same record', async () => {
    // Tuple 0 ends flow X; tuple 1 (a later B on the same ports) starts a new connection, so X is
    // emitted at once. Thousands of flows replaced the same way, then thousands of new ones, follow
    // in the same record: the merger reuses the objects of emitted flows, and the end of the record
    // must not emit whichever new flow now holds X's.
    const tuples = [`${A},10.1.0.4,10.1.0.10,40000,389,T,O,A,E,1,60,1,60`, `1714557610,10.1.0.4,10.1.0.10,40000,389,T,O,A,B,,,,`];
    for (let i = 0; i < 3000; i++) {
      const key = `10.2.${i >> 8}.${i & 255},10.1.0.10,50000,445,T,O,A`;
      tuples.push(`${A},${key},C,1,60,1,60`, `1714557601,${key},B,,,,`, `1714557602,${key},C,1,60,1,60`, `1714557603,${key},B,,,,`);
    }
    for (let i = 0; i < 20000; i++) tuples.push(`${A},10.3.${i >> 8}.${i & 255},10.1.0.10,50000,88,T,O,A,C,1,60,1,60`);
    const { flows } = await read(2, tuples);
    expect(flows).toHaveLength(2 + 3 * 3000 + 20000);
    // X first; then the replaced ones as they were replaced; then, at the end of the file, the
    // open flows in the order they began: the new connection on X's ports, the last of each
    // replaced flow, and the 20000 new flows (none of them ended early).
    expect(flows[0]).toMatchObject({ evidence: { tuple: 0 }, connState: 'SF' });
    expect(flows.filter((f) => f.evidence.tuple === 0)).toHaveLength(1);
    const tail = flows.slice(1 + 2 * 3000);
    expect(tail[0].evidence.tuple).toBe(1);
    expect(tail.slice(1 + 3000).map((f) => f.evidence.tuple)).toEqual(Array.from({ length: 20000 }, (_, k) => 2 + 4 * 3000 + k));
  });
});

describe('readNsg, transient flows', () => {
  it('hands out one refilled flow object that reads, key for key, as the fresh flows do', async () => {
    const v2 = (over: Partial<NsgTuple>): NsgTuple => v1({ state: 'B', ...over });
    const records = [
      ...V1_RECORDS,
      nsgRecord({
        version: 2,
        resourceId: null,
        groups: [
          { rule: 'UserRule_AllowLdap', tuples: [v2({}), v2({ ts: T0 + 30, state: 'E', pktsOut: 10, bytesOut: 1000, pktsIn: 8, bytesIn: 4000 })] },
          { rule: 'UserRule_AllowSmb', tuples: [v2({ dport: 445 }), v2({ dport: 135, ts: T0 + 5, state: 'C', pktsOut: 3, bytesOut: 180 })] },
          { rule: 'DefaultRule_DenyAllInBound', tuples: [v2({ src: '198.51.100.7', dst: CONNECT, sport: 41000, dport: 3389, dir: 'I', action: 'D' })] },
        ],
      }),
    ];
    for (const content of [recordsFile(records), ndjson(records)]) {
      const fresh = await collect(readNsg, byteInputFrom('PT1H.json', content));
      const diag = new DiagnosticSink();
      const seen = new Set<Flow>();
      const copies: string[] = [];
      await readNsg(byteInputFrom('PT1H.json', content), { diag, transientFlows: true }, (f) => {
        seen.add(f);
        copies.push(JSON.stringify(f));
      });
      expect(seen.size).toBe(1);
      expect(copies).toEqual(fresh.flows.map((f) => JSON.stringify(f)));
    }
  });
});
