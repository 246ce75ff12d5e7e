import { mkdtempSync, readSync, writeFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { readOneFile } from '../../../src/cli/read.js';
import { DiagnosticSink, InputError, UsageError } from '../../../src/common/diagnostics.js';
import type { Flow } from '../../../src/flows/types.js';
import { parseColumnsFlag, parseCsvTime, readCsv } from '../../../src/sources/flowlog-csv.js';
import { ASSUMED_UTC, parseTimezone } from '../../../src/sources/flowlog-time.js';
import { READ_CHUNK_BYTES } from '../../../src/sources/input.js';
import { byteInputFrom, collect, csvText } from '../../support/flowlog-builder.js';

// Files are opened through this spy (the real open unless a test says otherwise).
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return { ...real, open: vi.fn(real.open) };
});

const CONNECT = '10.1.0.4';
const DC = '10.1.0.10';
const TS = Date.UTC(2024, 4, 1, 10, 0, 0) * 1000;

describe('readCsv', () => {
  it('reads a Traffic Analytics export (BOM, quotes, CRLF): deny → refused, no packets back → unanswered', async () => {
    const header = ['TimeGenerated', 'FlowStartTime', 'SrcIp', 'DestIp', 'SrcPort', 'DestPort', 'L4Protocol', 'FlowDirection', 'FlowStatus', 'AclRule', 'PacketsSrcToDest', 'BytesSrcToDest', 'PacketsDestToSrc', 'BytesDestToSrc'];
    const rows = [
      ['2024-05-01T10:05:00Z', '2024-05-01T10:00:00.5Z', CONNECT, DC, 50000, 389, 'T', 'O', 'A', 'UserRule_Allow, LDAP', 10, 1200, 8, 5000],
      ['2024-05-01T10:05:00Z', '2024-05-01T10:00:01Z', CONNECT, DC, 50001, 636, 'T', 'O', 'A', 'UserRule_Allow, LDAP', 3, 180, 0, 0],
      ['2024-05-01T10:05:00Z', '2024-05-01T10:00:02Z', '198.51.100.1', CONNECT, 41000, 3389, 'T', 'I', 'D', 'DefaultRule_DenyAllInBound', 1, 60, 0, 0],
    ];
    const text = csvText(header, rows, { bom: true, crlf: true, quoteAll: true });
    const { flows, summary } = await collect(readCsv, byteInputFrom('export.csv', text));
    expect(summary).toMatchObject({ format: 'csv', records: 3, complete: true, timeZone: { name: 'UTC', assumed: true } });
    expect(flows[0]).toMatchObject({
      // FlowStartTime is preferred over TimeGenerated (ingestion time).
      ts: TS + 500_000, proto: 'tcp', origH: CONNECT, origP: 50000, respH: DC, respP: 389,
      origPkts: 10, origBytes: 1200, respPkts: 8, respBytes: 5000, outcome: 'completed', connState: 'SF',
      evidence: { file: 'export.csv', line: 2 }, log: { action: 'A', rule: 'UserRule_Allow, LDAP', direction: 'O' },
    });
    expect(flows[1]).toMatchObject({ outcome: 'unanswered', connState: 'S0', evidence: { line: 3 } });
    expect(flows[2]).toMatchObject({ outcome: 'refused', connState: 'S0', reason: 'denied by rule DefaultRule_DenyAllInBound (D)' });
  });

  it('reads Azure Firewall application rule logs (AZFWApplicationRule): the FQDN is the destination, HTTPS is TCP', async () => {
    const header = ['TimeGenerated [UTC]', 'SourceIp', 'SourcePort', 'Fqdn', 'TargetUrl', 'Protocol', 'Action', 'ActionReason', 'Policy', 'RuleCollection', 'Rule', 'DestinationPort'];
    const rows = [
      ['5/1/2024, 10:00:00.000 AM', CONNECT, 50000, 'Login.MicrosoftOnline.com', '', 'HTTPS', 'Deny', 'No rule matched. Proceeding with default action', 'fw-policy', '', '', 443],
      ['5/1/2024, 10:00:01.000 AM', CONNECT, 50001, 'adminwebservice.microsoftonline.com', '', 'HTTPS', 'Allow', '', 'fw-policy', 'entra', 'allow-entra', 443],
      ['5/1/2024, 10:00:02.000 AM', CONNECT, 50002, '10.9.9.9', '', 'MSSQL', 'Allow', '', 'fw-policy', 'sql', 'allow-sql', 1433],
      ['5/1/2024, 10:00:03.000 AM', CONNECT, 50003, 'bad name!', '', 'HTTPS', 'Deny', '', 'fw-policy', '', '', 443],
    ];
    const { flows, diag } = await collect(readCsv, byteInputFrom('azfw.csv', csvText(header, rows)));
    expect(flows.map((f) => [f.respH, f.respP, f.proto, f.outcome, f.log?.dstName])).toEqual([
      ['login.microsoftonline.com', 443, 'tcp', 'refused', true],
      ['adminwebservice.microsoftonline.com', 443, 'tcp', 'completed', true],
      ['10.9.9.9', 1433, 'tcp', 'completed', undefined],
    ]);
    expect(flows[0].reason).toBe('denied (Deny: No rule matched. Proceeding with default action)');
    expect(diag.countOf('csv_bad_row')).toBe(1);
  });

  it('reads a Palo Alto traffic log export: reset actions are REJ, a server reset before any data is refused', async () => {
    const header = ['Receive Time', 'Type', 'Threat/Content Type', 'Source address', 'Destination address', 'Rule Name', 'Source Port', 'Destination Port', 'Protocol', 'Action', 'Bytes Sent', 'Bytes Received', 'Start Time', 'Packets Sent', 'Packets Received', 'Session End Reason'];
    const row = (sport: number, dport: number, proto: string, action: string, sent: number, back: number, end: string, rule = 'DC-Access', subtype = 'end') =>
      ['2024/05/01 10:00:09', 'TRAFFIC', subtype, CONNECT, DC, rule, sport, dport, proto, action, sent * 100, back * 100, '2024/05/01 10:00:00', sent, back, end];
    const rows = [
      row(50000, 389, 'tcp', 'allow', 10, 8, 'tcp-fin'),
      row(50001, 636, 'tcp', 'reset-both', 4, 0, 'policy-deny', 'Block-LDAPS'),
      row(50002, 3268, 'tcp', 'allow', 1, 1, 'tcp-rst-from-server'),
      row(50003, 88, 'udp', 'allow', 2, 0, 'aged-out'),
      row(50004, 445, 'tcp', 'drop-icmp', 1, 0, 'policy-deny', 'Block-SMB'),
      row(50005, 9389, 'tcp', 'allow', 12, 9, 'tcp-rst-from-server'),
      row(50006, 135, 'tcp', 'allow', 1, 0, 'n/a', 'DC-Access', 'start'),
    ];
    const { flows, diag } = await collect(readCsv, byteInputFrom('panos.csv', csvText(header, rows)));
    expect(diag.countOf('log_bad_field')).toBe(0);
    // Start Time is the flow's start (Receive Time is when the log was written).
    expect(flows[0]).toMatchObject({ ts: TS, respP: 389, outcome: 'completed', connState: 'SF', origPkts: 10, respPkts: 8, log: { rule: 'DC-Access' } });
    expect(flows.slice(1).map((f) => [f.respP, f.outcome, f.connState, f.reason])).toEqual([
      [636, 'refused', 'REJ', 'reset by the firewall by rule Block-LDAPS (reset-both: policy-deny)'],
      [3268, 'refused', 'REJ', 'allowed by rule DC-Access, but the server reset it before any data (tcp-rst-from-server; 1 sent, 1 back)'],
      [88, 'unanswered', 'S0', 'allowed by rule DC-Access, but no packets came back (2 sent)'],
      [445, 'refused', 'S0', 'denied by rule Block-SMB (drop-icmp: policy-deny)'],
      // A reset after data is an ended session, not a refusal.
      [9389, 'completed', 'SF', 'allowed by rule DC-Access; 12 packets sent, 9 back'],
      // Logged when the session began (log at session start): no outcome yet.
      [135, 'unknown', 'OTH', 'allowed by rule DC-Access; logged when the session began, before any answer'],
    ]);
  });

  it('reads a FortiGate traffic log export: allowed sessions by how they ended, deny and failed attempts', async () => {
    const header = ['date', 'time', 'srcip', 'srcport', 'dstip', 'dstport', 'proto', 'action', 'policyid', 'policyname', 'sentbyte', 'rcvdbyte', 'sentpkt', 'rcvdpkt'];
    const row = (sport: number, dport: number, proto: number, action: string, sent: number, back: number) =>
      ['2024-05-01', '12:00:00', CONNECT, sport, DC, dport, proto, action, 7, 'to-dcs', sent * 60, back * 60, sent, back];
    const rows = [
      row(50000, 389, 6, 'close', 10, 8),
      row(50001, 88, 17, 'timeout', 3, 0),
      row(50002, 636, 6, 'server-rst', 1, 1),
      row(50003, 445, 6, 'deny', 1, 0),
      row(50004, 135, 6, 'ip-conn', 3, 0),
      row(50005, 3268, 6, 'start', 1, 0),
    ];
    const { flows, diag } = await collect(readCsv, byteInputFrom('fortigate.csv', csvText(header, rows)), { tz: '+02:00' });
    expect(diag.countOf('log_bad_field')).toBe(0);
    expect(flows[0]).toMatchObject({ ts: TS, proto: 'tcp', respP: 389, outcome: 'completed', connState: 'SF', origBytes: 600, respBytes: 480, log: { rule: 'to-dcs' } });
    // With its epoch column (eventtime, nanoseconds since FortiOS 6.2), the local date and time are not needed.
    const withEpoch = await collect(
      readCsv,
      byteInputFrom('fortigate.csv', csvText([...header, 'eventtime'], rows.map((r) => [...r, '1714557600000000000']))),
    );
    expect(withEpoch.flows[0].ts).toBe(TS);
    expect(flows.slice(1).map((f) => [f.proto, f.respP, f.outcome, f.connState, f.reason])).toEqual([
      ['udp', 88, 'unanswered', 'S0', 'allowed by rule to-dcs, but no packets came back (3 sent)'],
      ['tcp', 636, 'refused', 'REJ', 'allowed by rule to-dcs, but the server reset it before any data (server-rst; 1 sent, 1 back)'],
      ['tcp', 445, 'refused', 'S0', 'denied by rule to-dcs (deny)'],
      ['tcp', 135, 'unanswered', 'S0', 'allowed by rule to-dcs, but the connection attempt failed (ip-conn)'],
      // Logged at the session's start, before any answer: no outcome.
      ['tcp', 3268, 'unknown', 'OTH', 'allowed by rule to-dcs; logged when the session began, before any answer'],
    ]);
  });

  it('matches header variants: Log Analytics suffixes, spaces, underscores, case; semicolons and tabs', async () => {
    const variants: { header: string[]; delimiter: string }[] = [
      { header: ['FlowStartTime_t', 'SrcIP_s', 'DestIP_s', 'SrcPort_d', 'DestPort_d', 'L4Protocol_s', 'FlowStatus_s'], delimiter: ',' },
      { header: ['Time', 'Source address', 'Destination address', 'Source port', 'Destination port', 'Protocol', 'Action'], delimiter: ';' },
      { header: ['timestamp', 'src_ip', 'dst_ip', 'src_port', 'dst_port', 'proto', 'decision'], delimiter: '\t' },
      { header: ['TIMESTAMP', 'SourceIP', 'DestinationIP', 'SOURCE_PORT', 'DESTINATION-PORT', 'Transport', 'Flow Status'], delimiter: ',' },
    ];
    for (const v of variants) {
      const text = csvText(v.header, [['2024-05-01 10:00:00', CONNECT, DC, 50000, 88, 'UDP', 'Allowed']], { delimiter: v.delimiter });
      const { flows } = await collect(readCsv, byteInputFrom('v.csv', text));
      expect(flows, v.header.join(',')).toHaveLength(1);
      expect(flows[0]).toMatchObject({ ts: TS, proto: 'udp', origH: CONNECT, respH: DC, origP: 50000, respP: 88, outcome: 'completed', connState: 'OTH' });
    }
  });

  it('combines separate date and time columns, and reads the portal time format as UTC when the header says so', async () => {
    const a = csvText(['date', 'time', 'src', 'dst', 'dport', 'protocol', 'action'], [['2024-05-01', '12:00:00', CONNECT, DC, 445, '6', 'Deny']]);
    const { flows, summary } = await collect(readCsv, byteInputFrom('a.csv', a), { tz: 'Europe/Berlin' });
    expect(flows[0]).toMatchObject({ ts: TS, outcome: 'refused', respP: 445, proto: 'tcp' });
    expect(summary.timeZone).toEqual({ name: 'Europe/Berlin', assumed: false });
    const b = csvText(['TimeGenerated [UTC]', 'SrcIP', 'DestIP', 'DestPort', 'Protocol', 'Action'], [['5/1/2024, 10:00:00.250 AM', CONNECT, DC, 53, 'U', 'Allow']]);
    const pb = await collect(readCsv, byteInputFrom('b.csv', b));
    expect(pb.flows[0].ts).toBe(TS + 250_000);
    expect(pb.summary.timeZone).toEqual({ name: 'UTC', assumed: false });
  });

  it('maps other column names with --columns', async () => {
    const mapping = parseColumnsFlag('time=EventTime, src=Client, dst=Server, dport=Service Port, proto=IP Proto, action=Verdict2');
    expect(mapping).toEqual({ time: 'EventTime', src: 'Client', dst: 'Server', dport: 'Service Port', proto: 'IP Proto', action: 'Verdict2' });
    const text = csvText(['EventTime', 'Client', 'Server', 'Service Port', 'IP Proto', 'Verdict2'], [['1714557600', CONNECT, DC, 9389, 'tcp', 'block']]);
    const { flows } = await collect(readCsv, byteInputFrom('m.csv', text), { columns: mapping });
    expect(flows[0]).toMatchObject({ ts: TS, respP: 9389, outcome: 'refused' });
    expect(() => parseColumnsFlag('time')).toThrow(UsageError);
    expect(() => parseColumnsFlag('colour=Red')).toThrow(/KEY one of time, date, src/);
    await expect(collect(readCsv, byteInputFrom('m.csv', text), { columns: { time: 'Nope' } })).rejects.toThrow(/--columns time=Nope: no such column/);
  });

  it('names the columns it found and the names it looked for when a required one is missing', async () => {
    const text = csvText(['When', 'SrcIP', 'DestIP', 'DestPort', 'Protocol'], [['2024-05-01 10:00:00', CONNECT, DC, 389, 'TCP']]);
    const err = await collect(readCsv, byteInputFrom('x.csv', text)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).code).toBe('csv_missing_column');
    expect((err as InputError).message).toContain('no column for time');
    expect((err as InputError).message).toContain('"When", "SrcIP"');
    expect((err as InputError).message).toContain('timegenerated');
    expect((err as InputError).message).toContain('--columns time=YourColumn');
  });

  it('reports bad rows with their line numbers and goes on', async () => {
    const text = [
      'Time,SrcIP,DestIP,DestPort,Protocol,Action,PacketsSent,PacketsReceived',
      `2024-05-01 10:00:00,${CONNECT},${DC},389,TCP,Allow,1,1`,
      `yesterday,${CONNECT},${DC},389,TCP,Allow,1,1`,
      `2024-05-01 10:00:00,${CONNECT},dc01,389,TCP,Allow,1,1`,
      `2024-05-01 10:00:00,${CONNECT},${DC},99999,TCP,Allow,1,1`,
      `2024-05-01 10:00:00,${CONNECT},${DC},389,TCP,Allow,x,1`,
      `2024-05-01 10:00:00,${CONNECT},${DC},389,GRE,Allow,1,1`,
      `"2024-05-01 10:00:00","${CONNECT}","${DC}",445,"TCP","Maybe",,`,
      `2024-05-01 10:00:09,${CONNECT},${DC},"3268",TCP,Allow,"2","0"`,
      '',
    ].join('\n');
    const { flows, summary, diag } = await collect(readCsv, byteInputFrom('bad.csv', text));
    expect(flows.map((f) => f.evidence.line)).toEqual([2, 8, 9]);
    expect(flows[1]).toMatchObject({ outcome: 'unknown' });
    expect(flows[2]).toMatchObject({ outcome: 'unanswered', respP: 3268 });
    expect(summary.records).toBe(8);
    const dq = diag.toDataQuality().diagnostics;
    expect(dq.find((d) => d.code === 'csv_bad_row')!.examples.map((e) => e.origin.index)).toEqual([3, 4, 5, 6]);
    expect(dq.find((d) => d.code === 'log_unsupported_protocol')!.examples[0].origin.index).toBe(7);
    expect(diag.countOf('log_bad_field')).toBe(1);
  });

  it('reads the same rows whatever the chunk boundaries, through quoted newlines and UTF-8', async () => {
    const header = ['Time', 'SrcIP', 'DestIP', 'DestPort', 'Protocol', 'Action', 'Rule'];
    const rows = [
      ['2024-05-01T10:00:00Z', CONNECT, DC, 389, 'TCP', 'Allow', 'Règle "LDAP"\nzweite Zeile'],
      ['2024-05-01T10:00:01+02:00', CONNECT, DC, 88, 'UDP', 'Deny', 'Zürich'],
    ];
    const text = csvText(header, rows, { bom: true, crlf: true });
    const whole = await collect(readCsv, byteInputFrom('q.csv', text));
    expect(whole.flows[0].log?.rule).toBe('Règle "LDAP"\nzweite Zeile');
    expect(whole.flows[1].ts).toBe(TS + 1_000_000 - 2 * 3600e6);
    // Evidence is the line where a row starts, even after a quoted field that spans two lines.
    expect(whole.flows.map((f) => f.evidence.line)).toEqual([2, 4]);
    for (const size of [1, 2, 5, 33]) {
      const split = await collect(readCsv, byteInputFrom('q.csv', text, size));
      expect(split.flows).toEqual(whole.flows);
    }
  });

  it('reads every row of a file of several read chunks intact, those cut by a chunk boundary too', async () => {
    // Through the real file reader, which refills its buffers for each chunk (an in-memory input does not).
    const header = ['Time', 'SrcIP', 'DestIP', 'SrcPort', 'DestPort', 'Protocol', 'Action', 'Rule'];
    const rowOf = (i: number) => [
      `2024-05-01T10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z`,
      `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      DC,
      1024 + (i % 60000),
      [389, 88, 53, 445][i % 4],
      'TCP',
      i % 3 === 0 ? 'Deny' : 'Allow',
      `rule-${i}-${'x'.repeat(i % 17)}`,
    ];
    const lines = [header.join(',')];
    let bytes = lines[0].length + 1;
    const boundaryRows: number[] = [];
    // Four boundaries: a chunk's buffer is refilled with the chunk two after it, a full one.
    for (let i = 0; bytes <= 4 * READ_CHUNK_BYTES + 100_000; i++) {
      const line = rowOf(i).join(',');
      // The rows that a chunk boundary cuts (a boundary inside the line or its newline).
      if (Math.floor(bytes / READ_CHUNK_BYTES) !== Math.floor((bytes + line.length) / READ_CHUNK_BYTES)) boundaryRows.push(i);
      lines.push(line);
      bytes += line.length + 1;
    }
    expect(boundaryRows).toHaveLength(4);
    const path = join(mkdtempSync(join(tmpdir(), 'flowaudit-csv-')), 'export.csv');
    writeFileSync(path, lines.join('\n') + '\n');
    const rows = lines.length - 1;

    const seen = (f: Flow) => [f.evidence.line, f.ts, f.origH, f.respH, f.origP, f.respP, f.log?.action, f.log?.rule];
    const expected = (i: number) => {
      const r = rowOf(i);
      return [i + 2, Date.parse(r[0] as string) * 1000, r[1], r[2], r[3], r[4], r[6], r[7]];
    };
    const readAll = async () => {
      const flows: Flow[] = [];
      const diag = new DiagnosticSink();
      const result = await readOneFile({ path, size: bytes }, {}, diag, (f) => flows.push(f));
      expect(diag.toDataQuality().diagnostics).toEqual([]);
      expect(result.summary).toMatchObject({ format: 'csv', records: rows });
      expect(flows).toHaveLength(rows);
      for (const i of boundaryRows) {
        expect(seen(flows[i])).toEqual(expected(i));
        expect(seen(flows[i + 1])).toEqual(expected(i + 1));
      }
      for (let i = 0; i < rows; i++) if (seen(flows[i]).join() !== expected(i).join()) expect(seen(flows[i])).toEqual(expected(i));
    };
    await readAll();
    // The reader refills a buffer while the parser works on the chunk after it; with real reads the
    // refill usually lands after the parser is done with the buffer. Here each read fills its buffer
    // at once, when it is started: the worst case, which any slow moment (a GC pause) can bring.
    const real = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises');
    vi.mocked(fsp.open).mockImplementation((async (file: string, flags: string) => {
      const fh = await real.open(file, flags);
      const read = (buffer: Buffer, offset: number, length: number, position: number) =>
        Promise.resolve({ bytesRead: readSync(fh.fd, buffer, offset, length, position), buffer });
      return Object.assign(Object.create(fh) as fsp.FileHandle, { read, stat: () => fh.stat(), close: () => fh.close() });
    }) as typeof fsp.open);
    try {
      await readAll();
    } finally {
      vi.mocked(fsp.open).mockRestore();
    }
  });

  it('parses the time forms exports use', () => {
    expect(parseCsvTime('2024-05-01T10:00:00.1234567Z', ASSUMED_UTC)).toBe(TS + 123_456);
    expect(parseCsvTime('2024-05-01 12:00:00 +02:00', ASSUMED_UTC)).toBe(TS);
    expect(parseCsvTime('5/1/2024 10:00:00 PM', ASSUMED_UTC)).toBe(TS + 12 * 3600e6);
    expect(parseCsvTime('1714557600000', ASSUMED_UTC)).toBe(TS);
    expect(parseCsvTime('1714557600.5', ASSUMED_UTC)).toBe(TS + 500_000);
    expect(parseCsvTime('1714557600123456789', ASSUMED_UTC)).toBe(TS + 123_457); // nanoseconds (FortiGate eventtime)
    expect(parseCsvTime('2024/05/01 10:00:00', ASSUMED_UTC)).toBe(TS); // Palo Alto
    expect(parseCsvTime('2024-05-01 12:00:00', parseTimezone('Europe/Berlin'))).toBe(TS);
    expect(parseCsvTime('2024-02-30 10:00:00', ASSUMED_UTC)).toBeNaN();
    expect(parseCsvTime('soon', ASSUMED_UTC)).toBeNaN();
  });
});
