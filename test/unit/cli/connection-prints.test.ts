import { describe, expect, it } from 'vitest';
import { ConnectionPrints, crossCheckFor, printsPerFile, sameConnections, type PrintedCapture } from '../../../src/cli/connection-prints.js';

const S = 1_000_000;
const conn = (origP: number, ts: number, respPkts = 1, respP = 389) => ({ proto: 'tcp' as const, origH: '10.0.0.20', origP, respH: '10.0.0.11', respP, ts, origPkts: 1, respPkts });

function capture(file: string, flows: ReturnType<typeof conn>[], firstTs: number, lastTs: number): PrintedCapture {
  const p = new ConnectionPrints();
  for (const f of flows) p.add(f);
  return { file, prints: p.data(), firstTs, lastTs };
}

describe('connection prints (both ends captured at once)', () => {
  const client = capture('sync.pcapng', [conn(50001, 10 * S), conn(50002, 20 * S), conn(50003, 30 * S, 0)], 0, 60 * S);

  it('find the captures that hold two or more of the same connections, their clocks a little apart', () => {
    // The DC's clock runs 1.5 s behind; it never saw the third connection.
    const dc = capture('dc.pcapng', [conn(50001, 8.5 * S), conn(50002, 18.5 * S)], 0, 60 * S);
    expect(sameConnections([client, dc])).toEqual([{ a: 0, b: 1, connections: 2 }]);
    // One in common may be chance; other ports, or another hour, are other connections.
    expect(sameConnections([client, capture('x', [conn(50001, 10 * S), conn(60000, 20 * S)], 0, 60 * S)])).toEqual([]);
    expect(sameConnections([client, capture('later', [conn(50001, 4000 * S), conn(50002, 4010 * S)], 3990 * S, 4100 * S)])).toEqual([]);
    // The next file of a rotation (named as no series): connections that span the cut are in both
    // parts, starting within the skew; the files do not overlap, so they are not one capture twice.
    const next = capture('next', [conn(50001, 60.5 * S), conn(50002, 60.5 * S)], 60 * S, 120 * S);
    expect(sameConnections([client, next])).toEqual([]);
  });

  it('say where a failed connection went: absent from the other capture, or there and answered or not', () => {
    const dc = capture('dc.pcapng', [conn(50001, 10 * S), conn(50002, 20 * S), conn(50004, 40 * S, 0), conn(50005, 45 * S, 1)], 0, 60 * S);
    const check = crossCheckFor([client, dc], sameConnections([client, dc]))!;
    const q = (origP: number, ts: number) => check({ file: 'sync.pcapng', proto: 'tcp', origH: '10.0.0.20', origP, respH: '10.0.0.11', respP: 389, ts });
    expect(q(50003, 30 * S)).toEqual({ file: 'dc.pcapng', seen: false, answered: false });
    expect(q(50004, 40 * S)).toEqual({ file: 'dc.pcapng', seen: true, answered: false });
    expect(q(50005, 45 * S)).toEqual({ file: 'dc.pcapng', seen: true, answered: true });
    // Near the edge of the other capture's window its absence proves nothing; nor from a file that shares nothing.
    expect(q(50006, 59.95 * S)).toBeUndefined();
    // "Running then" is on the other capture's clock: 1.5 s behind, its window ends earlier.
    const behind = capture('dc.pcapng', [conn(50001, 8.5 * S), conn(50002, 18.5 * S)], 0, 40 * S);
    const skewed = crossCheckFor([client, behind], sameConnections([client, behind]))!;
    const at = (ts: number) => skewed({ file: 'sync.pcapng', proto: 'tcp', origH: '10.0.0.20', origP: 50003, respH: '10.0.0.11', respP: 389, ts });
    expect(at(30 * S)).toEqual({ file: 'dc.pcapng', seen: false, answered: false });
    expect(at(41.3 * S)).toEqual({ file: 'dc.pcapng', seen: false, answered: false }); // 39.8 s on its clock
    expect(at(41.45 * S)).toBeUndefined(); // 39.95 s on its clock: too near its last packet
    expect(check({ file: 'other.pcap', proto: 'tcp', origH: '10.0.0.20', origP: 50003, respH: '10.0.0.11', respP: 389, ts: 30 * S })).toBeUndefined();
    expect(crossCheckFor([client, dc], [])).toBeUndefined();
  });

  it("ask the server's own capture first, and ask nothing of an attempt that capture holds", () => {
    const onClient = { ...client, takenOn: ['10.0.0.20'] };
    const onDc = { ...capture('dc.pcapng', [conn(50001, 10 * S), conn(50002, 20 * S), conn(50003, 30 * S, 0)], 0, 60 * S), takenOn: ['10.0.0.11'] };
    // A third capture (a SPAN port) that saw nothing of the third attempt.
    const span = capture('span.pcapng', [conn(50001, 10 * S), conn(50002, 20 * S)], 0, 60 * S);
    const check = crossCheckFor([onClient, span, onDc], sameConnections([onClient, span, onDc]))!;
    const query = { proto: 'tcp', origH: '10.0.0.20', origP: 50003, respH: '10.0.0.11', respP: 389, ts: 30 * S };
    expect(check({ ...query, file: 'sync.pcapng' })).toEqual({ file: 'dc.pcapng', seen: true, answered: false });
    expect(check({ ...query, file: 'dc.pcapng' })).toBeUndefined();
  });

  it('prove no absence once a capture had more connections than it keeps prints of, a share of a million over many files', () => {
    expect([2, 16, 17, 500, 5000].map(printsPerFile)).toEqual([65_536, 65_536, 61_680, 2_097, 1_024]);
    const many = new ConnectionPrints();
    for (let i = 0; i < 70_000; i++) many.add(conn(1024 + (i % 60_000), 10 * S + i, 1, 389 + Math.floor(i / 60_000)));
    many.add(conn(50001, 10 * S));
    many.add(conn(50002, 20 * S));
    const data = many.data();
    expect(data.complete).toBe(false);
    expect(data.keys.length).toBe(65_536);
    const dc: PrintedCapture = { file: 'dc.pcapng', prints: data, firstTs: 0, lastTs: 60 * S };
    // A Global Catalog attempt the DC's prints lack: it may be among the connections past the cap.
    const small = capture('sync.pcapng', [conn(1024, 10 * S), conn(1025, 10 * S + 1), conn(50003, 30 * S, 0, 3268)], 0, 60 * S);
    const check = crossCheckFor([small, dc], sameConnections([small, dc]))!;
    expect(check({ file: 'sync.pcapng', proto: 'tcp', origH: '10.0.0.20', origP: 50003, respH: '10.0.0.11', respP: 3268, ts: 30 * S })).toBeUndefined();
    expect(check({ file: 'sync.pcapng', proto: 'tcp', origH: '10.0.0.20', origP: 1024, respH: '10.0.0.11', respP: 389, ts: 10 * S })).toMatchObject({ seen: true });
  });
});
