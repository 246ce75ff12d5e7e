import { describe, expect, it } from 'vitest';
import { formatNdjsonRow } from '../../../src/flows/format-ndjson.js';
import { formatTableHeader, formatTableRow, sanitizeForTerminal } from '../../../src/flows/format-table.js';
import { formatZeekRow, zeekFooter, zeekHeader } from '../../../src/flows/format-zeek.js';
import type { Flow } from '../../../src/flows/types.js';
import { runPackets, TcpTalk } from './packet-helper.js';
import { SAMPLE_DNS_FLOW } from '../../support/flow-samples.js';

const flow: Flow = { ...SAMPLE_DNS_FLOW, evidence: { ...SAMPLE_DNS_FLOW.evidence } };

describe('Zeek conn.log TSV', () => {
  it('writes the header exactly as Zeek does, so zeek-cut can read it', () => {
    expect(zeekHeader(Date.UTC(2019, 9, 16, 15, 13, 9) * 1000)).toBe(
      [
        '#separator \\x09',
        '#set_separator\t,',
        '#empty_field\t(empty)',
        '#unset_field\t-',
        '#path\tconn',
        '#open\t2019-10-16-15-13-09',
        '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents',
        '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]',
        '',
      ].join('\n'),
    );
    expect(zeekFooter(Date.UTC(2019, 9, 16, 15, 14, 0) * 1000)).toBe('#close\t2019-10-16-15-14-00\n');
  });

  it('writes a row with the same columns and formats as Zeek', () => {
    expect(formatZeekRow(flow)).toBe(
      '1517336042.279652\tCAbc123def456\t192.168.88.2\t55638\t165.227.88.15\t53\tudp\tdns\t0.069982\t61\t81\tSF\t-\t-\t0\tDd\t1\t89\t1\t109\t-\n',
    );
  });

  it('leaves duration and byte counts unset when the duration is 0 (as Zeek does), and service unset when none', () => {
    const row = formatZeekRow({ ...flow, duration: 0, service: undefined, connState: 'S0', history: 'S' }).split('\t');
    expect(row).toHaveLength(21);
    expect(row.slice(7, 12)).toEqual(['-', '-', '-', '-', 'S0']);
  });

  it('header field count matches every row', () => {
    const { flows } = runPackets(new TcpTalk('10.0.0.20', 50000, '10.0.0.10', 389).handshake().fin('c').fin('s').specs);
    const fields = zeekHeader(0).split('\n').find((l) => l.startsWith('#fields'))!.split('\t').slice(1);
    for (const f of flows) {
      const cols = formatZeekRow(f).trimEnd().split('\t');
      expect(cols).toHaveLength(fields.length);
      expect(cols[fields.indexOf('conn_state')]).toBe('SF');
      expect(cols[fields.indexOf('history')]).toBe('ShAFf');
    }
  });
});

describe('NDJSON', () => {
  it('uses Zeek field names plus file, frame, outcome and reason', () => {
    const o = JSON.parse(formatNdjsonRow(flow));
    expect(o).toMatchObject({
      ts: 1517336042.279652,
      uid: 'CAbc123def456',
      'id.orig_h': '192.168.88.2',
      'id.orig_p': 55638,
      'id.resp_h': '165.227.88.15',
      'id.resp_p': 53,
      proto: 'udp',
      service: 'dns',
      duration: 0.069982,
      conn_state: 'SF',
      history: 'Dd',
      orig_ip_bytes: 89,
      file: 'dns.pcap',
      frame: 3,
      outcome: 'completed',
      reason: 'SF: 1 packet sent, 1 back',
    });
    expect(formatNdjsonRow(flow).endsWith('}\n')).toBe(true);
  });

  it('carries the ICMP refusal, SNI and log facts when present, and log evidence fields', () => {
    const o = JSON.parse(
      formatNdjsonRow({
        ...flow,
        observedBy: 'flowlog',
        evidence: { file: 'PT1H.json', record: 0, tuple: 4 },
        icmp: { family: 'icmp', type: 3, code: 13, codeName: 'administratively prohibited', from: '10.0.0.1', frame: 9 },
        sni: 'login.microsoftonline.com',
        log: { action: 'D', rule: 'DenyAll' },
      }),
    );
    expect(o.icmp).toEqual({ family: 'icmp', type: 3, code: 13, code_name: 'administratively prohibited', from: '10.0.0.1', frame: 9 });
    expect(o.sni).toBe('login.microsoftonline.com');
    expect(o.log).toEqual({ action: 'D', rule: 'DenyAll' });
    expect([o.record, o.tuple, o.frame]).toEqual([0, 4, undefined]);
  });
});

describe('terminal table', () => {
  it('has a header and one aligned row per flow', () => {
    const header = formatTableHeader();
    const row = formatTableRow(flow);
    expect(header).toMatch(/^TIME \(UTC\)\s+PROTO\s+ORIGINATOR\s+RESPONDER\s+STATE\s+PKTS o\/r\s+BYTES o\/r\s+OUTCOME\s+REASON\n$/);
    expect(row).toContain('2018-01-30 18:14:02.279');
    expect(row).toContain('192.168.88.2:55638');
    expect(row).toContain('165.227.88.15:53');
    expect(row).toContain('SF: 1 packet sent, 1 back');
    expect(header.indexOf('OUTCOME')).toBe(row.indexOf('completed'));
  });

  it('brackets IPv6 addresses and neutralises control characters from the data', () => {
    const row = formatTableRow({ ...flow, origH: '2001:db8::1', reason: 'evil\x1b[2Jname' });
    expect(row).toContain('[2001:db8::1]:55638');
    expect(row).not.toContain('\x1b');
    expect(sanitizeForTerminal('a\u0007b\u009bc')).toBe('a?b?c');
  });

  it('colours the outcome only when asked', () => {
    expect(formatTableRow(flow)).not.toContain('\x1b[');
    expect(formatTableRow({ ...flow, outcome: 'refused' }, { color: true })).toContain('\x1b[31mrefused');
  });
});
