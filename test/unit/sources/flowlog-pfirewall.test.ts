import { describe, expect, it } from 'vitest';
import { InputError, UsageError } from '../../../src/common/diagnostics.js';
import { parseTimezone, readPfirewall } from '../../../src/sources/flowlog-pfirewall.js';
import { byteInputFrom, collect, pfirewallLog, PFIREWALL_FIELDS } from '../../support/flowlog-builder.js';
import type { PfLine } from '../../support/flowlog-builder.js';

const CONNECT = '10.0.0.10'; // the logging host: an Entra Connect server
const DC = '10.0.0.4';

/** A day on the Connect server: LDAP and Kerberos out to the DC, an inbound RDP drop, one gap. */
const DAY: PfLine[] = [
  { date: '2024-05-01', time: '10:00:00', action: 'ALLOW', protocol: 'TCP', src: CONNECT, dst: DC, sport: 50001, dport: 389, size: 0, path: 'SEND', pid: 4120 },
  { date: '2024-05-01', time: '10:00:01', action: 'ALLOW', protocol: 'UDP', src: CONNECT, dst: DC, sport: 50002, dport: 88, size: 0, path: 'SEND', pid: 4120 },
  { date: '2024-05-01', time: '10:00:02', action: 'DROP', protocol: 'TCP', src: '192.0.2.50', dst: CONNECT, sport: 41000, dport: 3389, size: 52, tcpflags: 'S', path: 'RECEIVE' },
  { date: '2024-05-01', time: '10:00:03', action: 'INFO-EVENTS-LOST', info: '59' },
  { date: '2024-05-01', time: '10:00:04', action: 'ALLOW', protocol: 'ICMP', src: DC, dst: CONNECT, size: 60, icmptype: 8, icmpcode: 0, path: 'RECEIVE' },
  { date: '2024-05-01', time: '10:00:05', action: 'DROP', protocol: 'TCP', src: DC, dst: CONNECT, sport: 389, dport: 50001, size: 40, tcpflags: 'A', path: 'RECEIVE' },
];

describe('readPfirewall', () => {
  it('turns each line into a flow with direction, outcome and evidence', async () => {
    const text = pfirewallLog(DAY, { pid: true });
    const { flows, summary, diag } = await collect(readPfirewall, byteInputFrom('pfirewall.log', text));
    expect(flows).toHaveLength(5);
    // DROP lines are held for the rest of their run (see the merging test): in line order here.
    const [ldap, kerberos, rdp, ping, midstream] = [...flows].sort((a, b) => a.evidence.line! - b.evidence.line!);
    expect(ldap).toMatchObject({
      proto: 'tcp', origH: CONNECT, origP: 50001, respH: DC, respP: 389,
      outcome: 'completed', connState: 'OTH', observedBy: 'flowlog',
      ts: Date.UTC(2024, 4, 1, 10, 0, 0) * 1000,
      evidence: { file: 'pfirewall.log', line: 6 },
      log: { action: 'ALLOW', direction: 'SEND', pid: 4120, records: 1 },
    });
    expect(ldap.reason).toMatch(/allowed out by the Windows Firewall.*does not show replies/);
    expect(kerberos).toMatchObject({ proto: 'udp', respP: 88, outcome: 'completed' });
    expect(rdp).toMatchObject({ origH: '192.0.2.50', respH: CONNECT, respP: 3389, outcome: 'refused', connState: 'S0', origBytes: 52 });
    expect(rdp.reason).toBe('DROP by the Windows Firewall of the receiving host (RECEIVE)');
    // ICMP: type and code in the port fields, as Zeek writes them.
    expect(ping).toMatchObject({ proto: 'icmp', origP: 8, respP: 0, outcome: 'completed' });
    // A dropped ACK is midstream, not an attempt.
    expect(midstream).toMatchObject({ outcome: 'refused', connState: 'OTH' });
    expect(summary).toMatchObject({ format: 'pfirewall', records: 6, complete: true, timeZone: { name: 'UTC', assumed: true }, localAddress: CONNECT });
    expect(summary.firstTs).toBe(Date.UTC(2024, 4, 1, 10, 0, 0) * 1000);
    expect(summary.lastTs).toBe(Date.UTC(2024, 4, 1, 10, 0, 5) * 1000);
    expect(new Set(flows.map((f) => f.uid)).size).toBe(5);
    expect(diag.countOf('log_events_lost')).toBe(1);
  });

  it('reports INFO-EVENTS-LOST as a gap with its line and count, not as a flow', async () => {
    const text = pfirewallLog(DAY);
    const { flows, diag } = await collect(readPfirewall, byteInputFrom('fw.log', text));
    expect(flows.every((f) => f.log?.action !== 'INFO-EVENTS-LOST')).toBe(true);
    const gap = diag.toDataQuality().diagnostics.find((d) => d.code === 'log_events_lost')!;
    expect(gap.examples[0].origin.index).toBe(9);
    expect(gap.examples[0].detail).toContain('lost 59 events');
    expect(diag.counters.get('evidence_gap_events_lost')).toBe(59);
    expect(diag.counters.get('evidence_gaps')).toBe(1);
  });

  it('takes columns from the #Fields line, in any order and with or without pid', async () => {
    const plain = await collect(readPfirewall, byteInputFrom('a.log', pfirewallLog(DAY)));
    const shuffled = [...PFIREWALL_FIELDS, 'pid'].reverse();
    const reordered = await collect(readPfirewall, byteInputFrom('a.log', pfirewallLog(DAY, { fields: shuffled })));
    const strip = (f: (typeof plain.flows)[number]) => ({ ...f, log: { ...f.log, pid: undefined } });
    expect(reordered.flows.map(strip)).toEqual(plain.flows.map(strip));
    expect(reordered.flows[0].log?.pid).toBe(4120);
    expect(plain.flows[0].log?.pid).toBeUndefined();
  });

  it('converts local times with an IANA zone, across both DST changes', async () => {
    const at = (date: string, time: string): PfLine => ({ date, time, action: 'ALLOW', protocol: 'TCP', src: CONNECT, dst: DC, sport: 1, dport: 389, path: 'SEND' });
    const lines = [
      at('2024-01-15', '12:00:00'), // CET, +01:00
      at('2024-07-15', '12:00:00'), // CEST, +02:00
      at('2024-03-31', '01:59:59'), // just before the jump
      at('2024-03-31', '03:00:00'), // just after: CEST
      at('2024-03-31', '02:30:00'), // does not exist: read with the offset before the jump
      at('2024-10-27', '02:30:00'), // happens twice: the first (CEST) occurrence
      at('2024-10-27', '03:00:00'), // CET again
    ];
    const { flows, summary } = await collect(readPfirewall, byteInputFrom('fw.log', pfirewallLog(lines)), { tz: 'Europe/Berlin' });
    const iso = flows.map((f) => new Date(f.ts / 1000).toISOString());
    expect(iso).toEqual([
      '2024-01-15T11:00:00.000Z',
      '2024-07-15T10:00:00.000Z',
      '2024-03-31T00:59:59.000Z',
      '2024-03-31T01:00:00.000Z',
      '2024-03-31T01:30:00.000Z',
      '2024-10-27T00:30:00.000Z',
      '2024-10-27T02:00:00.000Z',
    ]);
    expect(summary.timeZone).toEqual({ name: 'Europe/Berlin', assumed: false });
  });

  it('converts with a fixed offset and parses zone names strictly', async () => {
    const line: PfLine = { date: '2024-05-01', time: '10:00:00', action: 'ALLOW', protocol: 'TCP', src: CONNECT, dst: DC, sport: 1, dport: 389, path: 'SEND' };
    const { flows } = await collect(readPfirewall, byteInputFrom('fw.log', pfirewallLog([line])), { tz: '+05:30' });
    expect(flows[0].ts).toBe(Date.UTC(2024, 4, 1, 4, 30) * 1000);
    expect(parseTimezone('UTC').name).toBe('UTC');
    expect(parseTimezone('-0800').toUtcMillis(0)).toBe(8 * 3600_000);
    expect(parseTimezone('UTC+2').name).toBe('+02:00');
    expect(parseTimezone('America/New_York').toUtcMillis(Date.UTC(2024, 6, 1, 12))).toBe(Date.UTC(2024, 6, 1, 16));
    expect(() => parseTimezone('Mars/Olympus_Mons')).toThrow(UsageError);
    expect(() => parseTimezone('+15:00')).toThrow(UsageError);
    expect(() => parseTimezone('')).toThrow(UsageError);
    await expect(collect(readPfirewall, byteInputFrom('fw.log', pfirewallLog([line])), { tz: 'Nowhere/Town' })).rejects.toThrow(UsageError);
  });

  it('infers the logging host from SEND sources and RECEIVE destinations, ignoring multicast', async () => {
    const lines: PfLine[] = [
      // Many multicast receives must not make 224.0.0.251 "the host".
      ...Array.from({ length: 5 }, (): PfLine => ({ date: '2024-05-01', time: '10:00:00', action: 'DROP', protocol: 'UDP', src: '10.0.0.99', dst: '224.0.0.251', sport: 5353, dport: 5353, path: 'RECEIVE' })),
      { date: '2024-05-01', time: '10:00:01', action: 'ALLOW', protocol: 'TCP', src: '10.0.0.10', dst: DC, sport: 1, dport: 445, path: 'SEND' },
      { date: '2024-05-01', time: '10:00:01', action: 'ALLOW', protocol: 'TCP', src: DC, dst: '10.0.0.10', sport: 1, dport: 5985, path: 'RECEIVE' },
      { date: '2024-05-01', time: '10:00:01', action: 'ALLOW', protocol: 'TCP', src: '10.0.0.11', dst: DC, sport: 1, dport: 445, path: 'SEND' },
    ];
    const inferred = await collect(readPfirewall, byteInputFrom('fw.log', pfirewallLog(lines)));
    expect(inferred.summary.localAddress).toBe('10.0.0.10');
    const given = await collect(readPfirewall, byteInputFrom('fw.log', pfirewallLog(lines)), { localAddress: '10.0.0.11' });
    expect(given.summary.localAddress).toBe('10.0.0.11');
    // The five multicast DROPs make one flow (one run of one 5-tuple); the third ALLOW names the host.
    expect(given.flows).toHaveLength(4);
    expect(given.flows.find((f) => f.evidence.line === 12)!.reason).toContain('on 10.0.0.11');
  });

  it('makes the dropped packets of one attempt one flow: same 5-tuple and path, each within the inactivity timeout of the last', async () => {
    const drop = (time: string, sport: number, extra: Partial<PfLine> = {}): PfLine => ({
      date: '2024-05-01', time, action: 'DROP', protocol: 'TCP', src: CONNECT, dst: DC, sport, dport: 389, size: 52, tcpflags: 'S', path: 'SEND', ...extra,
    });
    const lines: PfLine[] = [
      // A SYN and its two retransmissions (Windows: after 1 s and 2 s more), then an ALLOW between.
      drop('10:00:00', 50001),
      { date: '2024-05-01', time: '10:00:00', action: 'ALLOW', protocol: 'UDP', src: CONNECT, dst: DC, sport: 50002, dport: 53, path: 'SEND' },
      drop('10:00:01', 50001),
      drop('10:00:03', 50001),
      // Another source port: another attempt.
      drop('10:00:30', 50003),
      // The same 5-tuple after more than 5 minutes of silence: a new attempt (port reuse).
      drop('10:06:00', 50001),
      // A dropped UDP request sent again 70 s later: past UDP's 1 minute, two flows.
      drop('10:07:00', 50004, { protocol: 'UDP', dport: 88, tcpflags: '-' }),
      drop('10:08:10', 50004, { protocol: 'UDP', dport: 88, tcpflags: '-' }),
    ];
    const { flows } = await collect(readPfirewall, byteInputFrom('fw.log', pfirewallLog(lines)));
    const dropped = flows.filter((f) => f.log?.action === 'DROP').sort((a, b) => a.ts - b.ts);
    expect(dropped.map((f) => [f.proto, f.origP, f.log!.records, f.origPkts, f.synCount, f.evidence.line])).toEqual([
      ['tcp', 50001, 3, 3, 3, 6],
      ['tcp', 50003, 1, 1, undefined, 10],
      ['tcp', 50001, 1, 1, undefined, 11],
      ['udp', 50004, 1, 1, undefined, 12],
      ['udp', 50004, 1, 1, undefined, 13],
    ]);
    expect(dropped[0]).toMatchObject({ ts: Date.UTC(2024, 4, 1, 10, 0, 0) * 1000, duration: 3_000_000, origBytes: 156, outcome: 'refused', connState: 'S0' });
    expect(dropped[0].reason).toBe('DROP by the Windows Firewall of the sending host (SEND)');
    // --tcp-timeout shorter than the gap between retransmissions splits the run.
    const short = await collect(readPfirewall, byteInputFrom('fw.log', pfirewallLog(lines)), { timeouts: { tcpInactivity: 1_500_000 } });
    expect(short.flows.filter((f) => f.log?.action === 'DROP' && f.origP === 50001).map((f) => f.log!.records)).toEqual([2, 1, 1]);
  });

  it('merges an OPEN with its CLOSE, and keeps unmatched ones as their own flows', async () => {
    const lines: PfLine[] = [
      { date: '2005-04-11', time: '08:09:29', action: 'OPEN', protocol: 'TCP', src: '192.0.2.1', dst: '192.0.2.2', sport: 1606, dport: 445 },
      { date: '2005-04-11', time: '08:09:30', action: 'CLOSE', protocol: 'TCP', src: '192.0.2.1', dst: '192.0.2.2', sport: 1607, dport: 139 },
      { date: '2005-04-11', time: '08:09:33', action: 'CLOSE', protocol: 'TCP', src: '192.0.2.1', dst: '192.0.2.2', sport: 1606, dport: 445 },
      { date: '2005-04-11', time: '08:09:40', action: 'OPEN-INBOUND', protocol: 'UDP', src: '192.0.2.9', dst: '192.0.2.1', sport: 500, dport: 500 },
    ];
    const { flows } = await collect(readPfirewall, byteInputFrom('old.log', pfirewallLog(lines)));
    expect(flows).toHaveLength(3);
    const smb = flows.find((f) => f.respP === 445)!;
    expect(smb).toMatchObject({ duration: 4_000_000, outcome: 'completed', evidence: { line: 6 }, log: { action: 'OPEN', records: 2 } });
    expect(smb.reason).toContain('closed (CLOSE, line 8) after 4 s');
    expect(flows.find((f) => f.respP === 139)!.reason).toContain('its OPEN is not in this log');
    expect(flows.find((f) => f.respP === 500)!.log?.action).toBe('OPEN-INBOUND');
  });

  it('reports bad lines and unsupported protocols with their line numbers and goes on', async () => {
    const text = [
      '#Version: 1.5',
      '#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn tcpack tcpwin icmptype icmpcode info path',
      '2024-05-01 10:00:00 ALLOW TCP 10.0.0.10 10.0.0.4 1 389 0 - - - - - - - SEND',
      '2024-05-01 10:00:00 ALLOW',
      '2024-13-01 10:00:00 ALLOW TCP 10.0.0.10 10.0.0.4 1 389 0 - - - - - - - SEND',
      '2024-05-01 10:00:00 ALLOW 2 10.0.0.10 224.0.0.22 - - 40 - - - - - - - SEND',
      '2024-05-01 10:00:00 ALLOW TCP 10.0.0.10 not-an-ip 1 389 0 - - - - - - - SEND',
      '2024-05-01 10:00:00 ALLOW TCP 10.0.0.10 10.0.0.4 1 70000 0 - - - - - - - SEND',
      '2024-05-01 10:00:00 PONDER TCP 10.0.0.10 10.0.0.4 1 389 0 - - - - - - - SEND',
      '2024-05-01 10:00:09 DROP UDP 10.0.0.4 10.0.0.10 53 50000 80 - - - - - - - RECEIVE',
      '',
    ].join('\r\n');
    const { flows, summary, diag } = await collect(readPfirewall, byteInputFrom('bad.log', text));
    expect(flows.map((f) => f.evidence.line)).toEqual([3, 10]);
    expect(summary.records).toBe(8);
    const lines = (code: Parameters<typeof diag.countOf>[0]) =>
      diag.toDataQuality().diagnostics.find((d) => d.code === code)?.examples.map((e) => e.origin.index);
    expect(lines('log_bad_line')).toEqual([4, 7]);
    expect(lines('log_bad_time')).toEqual([5]);
    expect(lines('log_unsupported_protocol')).toEqual([6]);
    expect(lines('log_bad_field')).toEqual([8, 9]);
    const igmp = diag.toDataQuality().diagnostics.find((d) => d.code === 'log_unsupported_protocol')!;
    expect(igmp.examples[0].detail).toBe('line 6: protocol "2" (IGMP) is not TCP, UDP or ICMP; not a flow');
  });

  it('says "1 event" when the firewall lost one', async () => {
    const day = DAY.map((l) => (l.action === 'INFO-EVENTS-LOST' ? { ...l, info: '1' } : l));
    const { diag } = await collect(readPfirewall, byteInputFrom('fw.log', pfirewallLog(day)));
    const gap = diag.toDataQuality().diagnostics.find((d) => d.code === 'log_events_lost')!;
    expect(gap.examples[0].detail).toBe('line 9: the firewall lost 1 event here: a gap in the evidence');
  });

  it('gives exact byte offsets in diagnostics, also after multi-byte UTF-8 text', async () => {
    const good = '2024-05-01 10:00:00 ALLOW TCP 10.0.0.10 10.0.0.4 1 389 0 - - - - - - - SEND';
    const header = `#Fields: ${PFIREWALL_FIELDS.join(' ')}`;
    const comment = '#Software: Microsoft Windows Firewall — Zürich';
    const text = `\uFEFF${comment}\n${header}\n${good}\nbroken line\n`;
    const bytes = new TextEncoder().encode(text);
    const expected = bytes.length - new TextEncoder().encode('broken line\n').length;
    for (const size of [1, 2, 3, 5, 4096]) {
      const { diag, flows } = await collect(readPfirewall, byteInputFrom('u.log', bytes, size));
      expect(flows).toHaveLength(1);
      const bad = diag.toDataQuality().diagnostics.find((d) => d.code === 'log_bad_line')!;
      expect(bad.examples[0].origin).toEqual({ file: 'u.log', offset: expected, index: 4 });
    }
  });

  it('reads the same flows whatever the chunk boundaries', async () => {
    const text = pfirewallLog(DAY, { pid: true, eol: '\r\n' });
    const whole = await collect(readPfirewall, byteInputFrom('c.log', text, 1 << 20));
    for (const size of [1, 2, 3, 7, 13, 64, 100]) {
      const split = await collect(readPfirewall, byteInputFrom('c.log', text, size));
      expect(split.flows).toEqual(whole.flows);
      expect(split.summary).toEqual(whole.summary);
    }
  });

  it('rejects a #Fields line without the required columns, and reads data without any #Fields line', async () => {
    const noAddr = '#Fields: date time action protocol\n2024-05-01 10:00:00 ALLOW TCP\n';
    await expect(collect(readPfirewall, byteInputFrom('x.log', noAddr))).rejects.toThrow(InputError);
    await expect(collect(readPfirewall, byteInputFrom('x.log', noAddr))).rejects.toThrow(/lacks src-ip, dst-ip/);
    const headless = pfirewallLog(DAY.slice(0, 2), { header: false, pid: true });
    const { flows, diag } = await collect(readPfirewall, byteInputFrom('h.log', headless));
    expect(flows).toHaveLength(2);
    expect(flows[0].log?.pid).toBe(4120);
    expect(diag.countOf('log_no_fields_header')).toBe(1);
  });
});
