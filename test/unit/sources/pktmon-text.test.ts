import { describe, expect, it } from 'vitest';
import { DiagnosticSink } from '../../../src/common/diagnostics.js';
import { Packet } from '../../../src/decode/types.js';
import { FlowTable } from '../../../src/flows/table.js';
import type { Flow } from '../../../src/flows/types.js';
import { openInputStream, sniffFormat } from '../../../src/sources/input.js';
import { parsePacketText, PktmonDrops, readPktmonText } from '../../../src/sources/pktmon-text.js';
import { completedTcp, pktmonTrace } from '../../support/pktmon-text.js';

const at = (s: number) => `2026-11-20 09:15:${String(s).padStart(2, '0')}.100000000`;

async function read(text: string, tz?: string) {
  const diag = new DiagnosticSink();
  const flows: Flow[] = [];
  const drops = new PktmonDrops(diag);
  const table = new FlowTable({
    diag,
    onFlow: (f) => {
      drops.mark(f);
      flows.push(f);
    },
  });
  table.setFile('trace.txt', diag);
  const input = await openInputStream('trace.txt', (async function* () {
    yield new TextEncoder().encode(text);
  })());
  const summary = await readPktmonText(input, { diag, tz }, (p) => table.addPacket(p), drops);
  table.flush();
  return { flows, summary, diag };
}

describe('pktmon text traces: recognised', () => {
  it('knows etl2txt output and the real-time form, and does not take the bracketed ETW prefix for JSON', () => {
    const etl = pktmonTrace([{ time: at(2), group: 1, direction: 'Rx', ip: '10.0.0.20.50123 > 10.0.0.11.389: Flags [S], seq 1, win 64240, length 0' }]);
    expect(sniffFormat(new TextEncoder().encode(etl))).toBe('pktmon');
    const realTime =
      'Active measurement started.\nProcessing...\n\n23:02:26.539704700 PktGroupId 562949953421500, PktNumber 1, Appearance 1, Direction Tx , Type Ethernet , Component 78, Edge 1, Filter 1, OriginalSize 66, LoggedSize 66\n' +
      '        40-EC-99-B9-17-25 > F0-B4-D2-5A-D3-E2, ethertype IPv4 (0x0800), length 66: 192.168.0.62.65066 > 172.217.2.115.443: Flags [S], seq 1995496356, win 64240, length 0\n';
    expect(sniffFormat(new TextEncoder().encode(realTime))).toBe('pktmon');
    expect(sniffFormat(new TextEncoder().encode('[{"a":1}]'))).not.toBe('pktmon');
  });
});

describe('pktmon text traces: packets', () => {
  const parse = (text: string) => {
    const p = new Packet();
    return parsePacketText(text, p) ? p : null;
  };

  it('reads TCP after the Ethernet header, with flags, numbers and payload length', () => {
    const p = parse('00-15-5D-01-02-20 > 00-15-5D-01-02-11, ethertype IPv4 (0x0800), length 354: 10.0.0.20.50200 > 10.0.0.11.88: Flags [P.], seq 5001:5301, ack 9001, win 1026, length 300')!;
    expect([p.ipVersion, p.proto, p.srcPort, p.dstPort, p.tcpFlags, p.tcpSeq, p.tcpAck, p.payloadLen]).toEqual([4, 6, 50200, 88, 0x18, 5001, 9001, 300]);
  });

  it('reads IP-level records (`ip: `), IPv6 with its colons, and a VLAN tag', () => {
    expect(parse('ip: 192.168.5.88.50005 > 192.168.5.68.50005: UDP, length 374')).toMatchObject({ proto: 17, srcPort: 50005, dstPort: 50005, payloadLen: 374 });
    expect(parse('40-EC-99-B9-17-25 > 33-33-00-01-00-02, ethertype IPv6 (0x86dd), length 94: fe80::1.546 > ff02::1:2.547: UDP, length 40')).toMatchObject({
      ipVersion: 6,
      srcPort: 546,
      dstPort: 547,
    });
    expect(
      parse('00-15-5D-01-02-20 > 00-15-5D-01-02-11, ethertype 802.1Q (0x8100), length 70: vlan 5, p 0, ethertype IPv4 (0x0800), 10.0.0.20.50123 > 10.0.0.11.389: Flags [S], seq 1, win 64240, length 0'),
    ).toMatchObject({ proto: 6, dstPort: 389 });
  });

  it('reads the abbreviated form, which names the transport without TCP flags', () => {
    expect(parse('IPv4, length 46: 192.0.2.1.5000 > 198.51.100.2.443: tcp')).toMatchObject({ proto: 6, srcPort: 5000, dstPort: 443, tcpFlags: 0 });
    expect(parse('IPv4, length 66: 203.0.113.10.53 > 192.0.2.1.53000: udp')).toMatchObject({ proto: 17, srcPort: 53, dstPort: 53000 });
  });

  it('reads ICMP echo, and leaves out what is not IP', () => {
    expect(parse('ip: 10.0.0.20 > 10.0.0.11: ICMP echo request, id 1, seq 7, length 40')).toMatchObject({ proto: 1, icmpType: 8 });
    expect(parse('00-15-5D-01-02-20 > FF-FF-FF-FF-FF-FF, ethertype ARP (0x0806), length 42: Request who-has 10.0.0.11 tell 10.0.0.20, length 28')).toBeNull();
  });
});

describe('pktmon text traces: flows and drops', () => {
  it('counts a packet logged at several components once', async () => {
    const { flows, diag, summary } = await read(
      pktmonTrace(completedTcp((k) => `2026-11-20 09:15:04.00${k}000000`, 100, '10.0.0.20', 50200, '10.0.0.11', 88).map((p) => ({ ...p, appearances: 3 }))),
    );
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({ connState: 'SF', outcome: 'completed', origPkts: 5, respPkts: 3 });
    expect(diag.counters.get('frames_duplicate')).toBe(16);
    expect(summary).toMatchObject({ format: 'pktmon', records: 24, firstTs: Date.UTC(2026, 10, 20, 9, 15, 4) * 1000 });
  });

  it("refuses a flow whose packets Windows dropped, naming the host and pktmon's reason", async () => {
    const { flows } = await read(
      pktmonTrace([
        { time: at(2), group: 1, direction: 'Rx', appearances: 2, ip: '10.0.0.20.50123 > 10.0.0.11.389: Flags [S], seq 1000, win 64240, length 0', dropReason: 'WFP: Filtered by WFP' },
        { time: at(3), group: 2, direction: 'Rx', ip: '10.0.0.20.50123 > 10.0.0.11.389: Flags [S], seq 1000, win 64240, length 0', dropReason: 'WFP: Filtered by WFP' },
      ]),
    );
    expect(flows).toHaveLength(1);
    expect(flows[0].outcome).toBe('refused');
    expect(flows[0].connState).toBe('S0');
    expect(flows[0].reason).toMatch(/^dropped by Windows on 10\.0\.0\.11 \(pktmon: WFP: Filtered by WFP; component 49, location 0xE0004627; 2 packets received\); S0/);
    expect(flows[0].log).toMatchObject({ action: 'DROP', direction: 'RECEIVE' });
  });

  it('reads `--timestamp-only` headers and the two-line packets of `--verbose 2`', async () => {
    const text =
      '2026-11-20 09:15:02.100000000 PktGroupId 7, PktNumber 1, Appearance 1, Direction Rx , Type Ethernet , Component 12, Edge 1, Filter 0, OriginalSize 66, LoggedSize 66\n' +
      '        00-15-5D-01-02-20 > 00-15-5D-01-02-11, ethertype IPv4 (0x0800), length 66: (tos 0x0, ttl 128, id 4660, offset 0, flags [DF], proto TCP (6), length 52)\n' +
      '    10.0.0.20.50123 > 10.0.0.11.389: Flags [S], cksum 0x1234 (correct), seq 1000, win 64240, length 0\n' +
      '2026-11-20 09:15:02.100300000 PktGroupId 8, PktNumber 1, Appearance 1, Direction Tx , Type Ethernet , Component 12, Edge 1, Filter 0, OriginalSize 66, LoggedSize 66\n' +
      '        00-15-5D-01-02-11 > 00-15-5D-01-02-20, ethertype IPv4 (0x0800), length 60: (tos 0x0, ttl 128, id 4661, offset 0, flags [DF], proto TCP (6), length 40)\n' +
      '    10.0.0.11.389 > 10.0.0.20.50123: Flags [R.], cksum 0x1234 (correct), seq 0, ack 1001, win 0, length 0\n';
    expect(sniffFormat(new TextEncoder().encode(text))).toBe('pktmon');
    const { flows, summary, diag } = await read(text);
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({ connState: 'REJ', outcome: 'refused', respP: 389 });
    expect(summary.firstTs).toBe(Date.UTC(2026, 10, 20, 9, 15, 2, 100) * 1000);
    expect(diag.countOf('pktmon_no_date')).toBe(0);
    expect(diag.counters.get('pktmon_records_without_packet')).toBeUndefined();
  });

  it("reads Microsoft's own example: a UDP packet dropped for want of a listening socket", async () => {
    // docs: "Packet Monitor traces" in Microsoft's article on packet drops (pktmon etl2txt output).
    const text =
      '[30]0000.0000::2025-03-27 16:10:34.934020500 [Microsoft-Windows-PktMon] Drop: PktGroupId 8444249301423149, PktNumber 1, Appearance 0, Direction Rx , Type IP , Component 49, Filter 1, DropReason INET: transport endpoint was not found , DropLocation 0xE000460A, OriginalSize 402, LoggedSize 148\n' +
      '       Drop: ip: 192.168.5.88.50005 > 192.168.5.68.50005: UDP, length 374\n';
    const { flows, summary } = await read(text);
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({ proto: 'udp', origH: '192.168.5.88', respH: '192.168.5.68', respP: 50005, outcome: 'refused' });
    expect(flows[0].reason).toMatch(/^dropped by Windows on 192\.168\.5\.68 \(pktmon: INET: transport endpoint was not found; component 49, location 0xE000460A; 1 packet received\)/);
    expect(summary.tracedOn).toEqual(['192.168.5.68']);
  });

  it('leaves a completed flow completed when one of its packets was dropped (a duplicate, say)', async () => {
    const packets = completedTcp((k) => `2026-11-20 09:15:04.00${k}000000`, 100, '10.0.0.20', 50200, '10.0.0.11', 88);
    packets[3].dropReason = 'TCP: duplicate segment';
    const { flows } = await read(pktmonTrace(packets));
    expect(flows[0].outcome).toBe('completed');
    expect(flows[0].log).toBeUndefined();
  });

  it('reads times in the zone given, and real-time output (no date) on 1970-01-01, across midnight', async () => {
    const { summary } = await read(pktmonTrace([{ time: at(2), group: 1, direction: 'Rx', ip: '10.0.0.20.50123 > 10.0.0.11.389: Flags [S], seq 1, win 64240, length 0' }]), '+02:00');
    expect(summary.firstTs).toBe(Date.UTC(2026, 10, 20, 7, 15, 2, 100) * 1000);
    const rt = (time: string, group: number) =>
      `${time} PktGroupId ${group}, PktNumber 1, Appearance 1, Direction Rx , Type IP , Component 49, Filter 1, OriginalSize 52, LoggedSize 52\n        ip: 10.0.0.20.5${group} > 10.0.0.11.389: Flags [S], seq 1, win 64240, length 0\n`;
    const night = await read(rt('23:59:59.500000000', 1) + rt('00:00:00.250000000', 2));
    expect(night.summary.firstTs).toBe((86_400_000 - 500) * 1000);
    expect(night.summary.lastTs).toBe((86_400_000 + 250) * 1000);
    expect(night.diag.countOf('pktmon_no_date')).toBe(1);
  });
});
