import { afterEach, describe, expect, it, vi } from 'vitest';
import { readNsg } from '../../../src/sources/flowlog-nsg.js';
import { byteInputFrom, collect } from '../../support/flowlog-builder.js';

// NSG records are read from their bytes where they can be (nsg-record-scan.ts), else through
// JSON.parse. A record with a non-ASCII byte always goes through JSON.parse, so the same record
// with an extra `"é":0` key is the yardstick: both ways must give the same flows and diagnostics.

const T = 1714557600;
const RES = '/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/NSG-A';

/** Record text from its `properties` text, with the other keys in Azure's order. */
const record = (properties: string, head = `"time":"2024-05-01T10:01:00Z","resourceId":"${RES}","category":"NetworkSecurityGroupFlowEvent",`) =>
  `{${head}"properties":${properties}}`;
const props = (version: string, entries: string) => `{"Version":${version},"flows":[${entries}]}`;
const entry = (rule: string, tuples: string[], mac = '"000D3A000001"') => `{"rule":"${rule}","flows":[{"mac":${mac},"flowTuples":[${tuples.map((t) => `"${t}"`).join(',')}]}]}`;

const file = (records: string[]) => `{"records":[${records.join(',')}]}`;
/** The same records, each forced through JSON.parse. */
const viaJsonParse = (records: string[]) => file(records.map((r) => `{"é":0,${r.slice(1)}`));

async function read(text: string) {
  const parse = vi.spyOn(JSON, 'parse');
  const { flows, summary, diag } = await collect(readNsg, byteInputFrom('t.json', text, 1000));
  const parsed = parse.mock.calls.length;
  parse.mockRestore();
  const diagnostics = diag.toDataQuality().diagnostics.map((d) => ({ code: d.code, count: d.count, details: d.examples.map((e) => e.detail) }));
  return { flows, summary: { ...summary, bytes: 0 }, diagnostics, parsed };
}

/** Reads `records` both ways; checks they agree and returns the in-place reading. */
async function bothWays(records: string[]) {
  const inPlace = await read(file(records));
  const reference = await read(viaJsonParse(records));
  expect(reference.parsed).toBe(records.length);
  expect(inPlace.flows).toEqual(reference.flows);
  expect(inPlace.summary).toEqual(reference.summary);
  expect(inPlace.diagnostics).toEqual(reference.diagnostics);
  return inPlace;
}

afterEach(() => {
  vi.restoreAllMocks();
});

const TUPLES = [
  `${T},10.1.0.4,10.1.0.10,50000,389,T,O,A,B,,,,`,
  `${T + 5},10.1.0.4,10.1.0.10,50000,389,T,O,A,C,3,300,2,200`,
  `${T + 9},10.1.0.4,10.1.0.10,50000,389,T,O,A,E,1,60,1,60`,
  `${T},10.1.0.4,10.1.0.10,50001,389,T,O,A,B,,x y,-,z`, // empty first count: the rest is not read
  `${T},10.1.0.4,10.1.0.10,,,U,O,A,C,1,2,3,4`, // empty ports read as 0
  `${T},10.1.0.4 ,10.1.0.10,50003,389,T,O,A,C,1,2,3,4`, // canonicalIp trims spaces
  `${T},2001:DB8::1,10.1.0.10,50004,389,T,I,D,C,1,2,3,4`, // not canonical: the general path
  `${T},10.1.0.4,10.1.0.10,50005,0000389,T,O,A,C,1,2,3,4`,
  `${T},10.1.0.4,10.1.0.10,50006,389,T,O,A`, // v1 shape
  `${T},10.1.0.4,10.1.0.10,50007,389,T,O,A,C,1,,3,4`, // bad: one empty count
  `${T},10.1.0.256,10.1.0.10,50008,389,T,O,A,C,1,2,3,4`, // bad: octet
  `${T},10.1.0.4,10.1.0.10,65536,389,T,O,A,C,1,2,3,4`, // bad: port
  `${T},10.1.0.4,10.1.0.10,50010,389,T,O,A,C,1,2,3,4,5`, // bad: 14 fields
  `${T},10.1.0.4,10.1.0.10,50011,389,T,O,A,B,,,,,`, // bad: 14 fields, empty counts
  `${T},10.1.0.4,10.1.0.10,50012,389,TT,O,A,C,1,2,3,4`, // bad: protocol
  `${T},10.1.0.4,10.1.0.10,50013,389,T,O,A,X,1,2,3,4`, // bad: state
  `1714557600000000,10.1.0.4,10.1.0.10,50014,389,T,O,A,C,1,2,3,4`, // bad: 16 digits
  `${T},10.1.0.4,10.1.0.10,50015,389,T,O,A,C,1,2,3,4 `, // bad: trailing space
  `${T},10.1.0.4,10.1.0.10,50016,389,T,O,A,C,`,
  `${T},010.1.0.4,10.1.0.10,50017,389,T,O,A,C,1,2,3,4`, // a leading zero: the general path reads it as 10.1.0.4
  '',
  'garbage',
];

describe('NSG records read in place', () => {
  it('reads every tuple shape as JSON.parse and the tuple parser do, for each version', async () => {
    for (const version of ['2', '1', '"2"', '"x"', '2.0', '2e0', 'null', '[2]']) {
      const got = await bothWays([record(props(version, entry('R', TUPLES))), record(props(version, entry('D', TUPLES.slice(0, 9))))]);
      expect(got.parsed).toBe(0);
      expect(got.summary.records).toBe(TUPLES.length + 9);
      expect(got.flows.length).toBeGreaterThan(0);
    }
    const v2 = await read(file([record(props('2', entry('R', TUPLES)))]));
    const bad = v2.diagnostics.find((d) => d.code === 'nsg_bad_tuple')!;
    expect(bad.count).toBe(13); // the v1 tuple and the twelve marked bad
    expect(bad.details[0]).toBe(`record 0 tuple 8 is not a valid flow tuple: ${JSON.stringify(TUPLES[8])}; skipped`);
  });

  it('reads keys in any order, whitespace, unknown keys of any kind, and no resource or MAC', async () => {
    const tuples = TUPLES.slice(0, 3).map((t) => `"${t}"`).join(' ,\r\n ');
    const got = await bothWays([
      // properties before resourceId, flows before Version, flows before rule, flowTuples before mac.
      `{ "properties" : {"flows": [ {"flows":[{"flowTuples":[ ${tuples} ],"x":{"a":[1,-2.5e+3,true,false,null,"s\\"\\u0041"]},"mac":"MAC1"}],"rule":"Late"} ] ,"Version" : 2 } ,"resourceId":"${RES}"}`,
      // no resourceId, a rule that is no string, a MAC that is no string, entries that are no objects
      `{"properties":{"Version":2,"flows":[{"rule":7,"flows":[null,5,[1],{"mac":{},"flowTuples":["${TUPLES[1]}"]},{"flowTuples":{}}]}],"extra":[]},"resourceId":null}`,
      // a group with no tuples, then one with
      record(props('2', `{"rule":"E","flows":[]},{"rule":"F"},${entry('G', [TUPLES[2]])}`)),
    ]);
    expect(got.parsed).toBe(0);
    expect(got.flows.find((f) => f.log?.rule === 'Late')).toMatchObject({ log: { mac: 'MAC1', resource: RES, state: 'BCE' }, evidence: { record: 0, tuple: 0 } });
    expect(got.flows.find((f) => f.evidence.record === 1)).toMatchObject({ log: { rule: '' } });
    expect(got.flows.find((f) => f.evidence.record === 1)!.log!.mac).toBeUndefined();
  });

  it('leaves to JSON.parse what it does not read itself, and reads it the same', async () => {
    // Each record's tuples on ports of their own, so that no flow spans records.
    const own = (i: number, t: string) => t.replace(',50000,', `,${40000 + i},`);
    const records = [
      record(props('2', entry('R\\"quoted\\u0021', [own(0, TUPLES[1])]))), // an escape in a rule
      record(props('2', entry('R', [own(1, TUPLES[1]).replace('T,O,A,C,3', 'T,O,A,\\u0043,\\u0033')]))), // escapes in a tuple
      record(props('1', entry('A', [TUPLES[8]]))).replace('"properties":', '"properties":{"Version":2,"flows":[]},"properties":'), // repeated key: the last wins
      record(`{"Version":1,"Version":2,"flows":[${entry('R', [own(2, TUPLES[1])])}]}`),
      record(props('2', `"not an entry",${entry('R', [own(3, TUPLES[1])])}`)), // reported as a bad record
      record(props('2', `{"rule":"R","flows":[{"flowTuples":[42,null,"${own(4, TUPLES[1])}"]}]}`)), // tuples that are no strings
      record(props('2', entry('R', [own(5, TUPLES[1])]))).replace('"properties"', '"propert\\u0069es"'), // an escaped key
      `{"time":"t","category":"FlowLogFlowEvent","flowRecords":{"flows":[]}}`, // VNet
      `{"category":"Other","properties":{"foo":1}}`, // neither
    ];
    const got = await bothWays(records);
    expect(got.parsed).toBe(records.length);
    expect(got.flows.find((f) => f.evidence.record === 0)!.log!.rule).toBe('R"quoted!');
    expect(got.flows.find((f) => f.evidence.record === 1)).toMatchObject({ origPkts: 3, log: { state: 'C' } });
    // The second `properties` wins: a v1 record.
    expect(got.flows.find((f) => f.evidence.record === 2)).toMatchObject({ connState: 'OTH', reason: expect.stringContaining('v1 logs') });
    expect(got.flows.some((f) => f.evidence.record === 3)).toBe(true);
    expect(got.diagnostics.map((d) => [d.code, d.count])).toEqual(
      expect.arrayContaining([
        ['nsg_bad_record', 2],
        ['nsg_bad_tuple', 2],
      ]),
    );
  });

  it('reports a record that is not valid JSON as JSON.parse does, and reads its neighbours', async () => {
    const good = record(props('2', entry('R', [TUPLES[2]])));
    const broken = [
      record(props('2', entry('R', [TUPLES[2]]))).replace('"category"', '"n":01,"category"'),
      record(props('2', entry('R', [TUPLES[2]]))).replace('"category"', '"n":tru,"category"'),
      record(props('2', entry('R', [TUPLES[2].replace('E,1', 'E,\t1')]))), // a raw tab in a string
      record(props('2', entry('R', [TUPLES[2].replace('E,1', 'E,\\x1')]))), // a bad escape
      record(props('2', entry('R', [TUPLES[2]]))).replace(']}]}', '],}]}'), // a trailing comma
      record(props('2', entry('R', [TUPLES[2]]))).replace('"rule":', '"rule"'),
      record(props('2', entry('R', [TUPLES[2]]))).replace('"rule":"R"', '"rule":"R\\u12"'),
    ];
    const records = [good, ...broken, good];
    const got = await read(file(records));
    expect(got.flows.map((f) => f.evidence.record)).toEqual([0, records.length - 1]);
    const malformed = got.diagnostics.find((d) => d.code === 'json_malformed')!;
    expect(malformed.count).toBe(broken.length);
    broken.forEach((text, i) => {
      let message = '';
      try {
        JSON.parse(text);
      } catch (e) {
        message = (e as Error).message.slice(0, 120);
      }
      expect(message).not.toBe('');
      expect(malformed.details[i]).toBe(`record ${i + 1} (line 1) is not valid JSON: ${message}; skipped`);
    });
  });

  it('reads line-delimited records in place with their lines', async () => {
    const text = [record(props('2', entry('R', [TUPLES[2]]))), record(props('1', entry('S', [TUPLES[8]])))].join('\n') + '\n';
    const parse = vi.spyOn(JSON, 'parse');
    const { flows } = await collect(readNsg, byteInputFrom('l.json', text, 7));
    expect(parse).not.toHaveBeenCalled();
    expect(flows.map((f) => f.evidence)).toEqual([
      { file: 'l.json', line: 1, record: 0, tuple: 0 },
      { file: 'l.json', line: 2, record: 1, tuple: 0 },
    ]);
  });
});
