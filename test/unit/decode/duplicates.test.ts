import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiagnosticSink } from '../../../src/common/diagnostics.js';
import { COPY_WINDOW_MICROS, NUMBERED_COPY_WINDOW_MICROS } from '../../../src/decode/duplicates.js';
import { decodeFrame } from '../../../src/decode/frame.js';
import { Packet } from '../../../src/decode/types.js';
import {
  ethernet,
  frameOf,
  IPPROTO_TCP,
  IPPROTO_UDP,
  ipv4,
  ipv6,
  tcp,
  TCP_ACK,
  TCP_PSH,
  TCP_SYN,
  tlsClientHello,
  udp,
} from '../../support/packet-builder.js';
import { writePcap } from '../../support/pcap-writer.js';

const T0 = 1_714_557_600_000_000;
const C = '10.0.0.20';
const DC = '10.0.0.10';

/** Decodes frames in order into one Packet (as one capture is): which ones give a packet. */
function decodeAll(frames: { data: Uint8Array; tsMicros: number }[]) {
  const pkt = new Packet();
  const diag = new DiagnosticSink();
  const kept = frames.map((f, i) => decodeFrame(frameOf(1, f.data, { tsMicros: f.tsMicros, index: i + 1, offset: 24 + 100 * i }), pkt, diag));
  return { kept, diag };
}

const syn = (id: number) => ethernet({}, ipv4({ src: C, dst: DC, proto: IPPROTO_TCP, id }, tcp({ sport: 50000, dport: 389, flags: TCP_SYN, seq: 100 })));

describe('second copies of one packet (pktmon, Npcap, NFLOG, SPAN)', () => {
  it('a copy microseconds later is skipped, counted, and the first one reported with both frame numbers', () => {
    const { kept, diag } = decodeAll([
      { data: syn(7), tsMicros: T0 },
      { data: syn(7), tsMicros: T0 + 3 },
      { data: syn(7), tsMicros: T0 + 40 },
      { data: syn(8), tsMicros: T0 + 50 },
      { data: syn(8), tsMicros: T0 + 51 },
    ]);
    expect(kept).toEqual([true, false, false, true, false]);
    expect(diag.counters.get('frames_duplicate')).toBe(3);
    const reported = diag.toDataQuality().diagnostics.filter((d) => d.code === 'frame_duplicate');
    expect(reported).toHaveLength(1);
    expect(reported[0].count).toBe(1);
    expect(reported[0].examples[0].origin).toEqual({ file: 'test.pcap', offset: 124, index: 2 });
    expect(reported[0].examples[0].detail).toMatch(/^frame 2 is a copy of frame 1: .*pktmon/);
  });

  it('a retransmission is not a copy: a new IPv4 Identification, or a retransmission timeout later', () => {
    const { kept, diag } = decodeAll([
      { data: syn(7), tsMicros: T0 },
      { data: syn(9), tsMicros: T0 + 5 }, // same segment, sent again (Windows numbers every packet)
      { data: syn(9), tsMicros: T0 + 5 + NUMBERED_COPY_WINDOW_MICROS + 1 }, // identical, but too late to be a copy
      { data: syn(0), tsMicros: T0 + 200_000 }, // no Identification (a stack that leaves it 0) ...
      { data: syn(0), tsMicros: T0 + 200_000 + COPY_WINDOW_MICROS + 1 }, // ... so 2 ms later it is a packet sent again
    ]);
    expect(kept).toEqual([true, true, true, true, true]);
    expect(diag.counters.get('frames_duplicate')).toBeUndefined();
  });

  it('with an IPv4 Identification, a copy a loaded host logged later is still a copy', () => {
    const { kept } = decodeAll([
      { data: syn(7), tsMicros: T0 },
      { data: syn(7), tsMicros: T0 + 30_000 },
    ]);
    expect(kept).toEqual([true, false]);
  });

  it('packets that differ only past the headers differ by their checksum; IPv6 copies are copies too', () => {
    const data = (byte: number) => ethernet({}, ipv4({ src: C, dst: DC, proto: IPPROTO_UDP, id: 1 }, udp({ sport: 53000, dport: 53 }, new Uint8Array(40).fill(byte))));
    expect(decodeAll([{ data: data(1), tsMicros: T0 }, { data: data(2), tsMicros: T0 + 1 }]).kept).toEqual([true, true]);
    const v6 = ethernet({}, ipv6({ src: '2001:db8::20', dst: '2001:db8::10', nextHeader: IPPROTO_TCP }, tcp({ sport: 50001, dport: 88, flags: TCP_SYN, seq: 5 })));
    const v6other = ethernet({}, ipv6({ src: '2001:db8::21', dst: '2001:db8::10', nextHeader: IPPROTO_TCP }, tcp({ sport: 50001, dport: 88, flags: TCP_SYN, seq: 5 })));
    expect(decodeAll([{ data: v6, tsMicros: T0 }, { data: v6other, tsMicros: T0 + 1 }, { data: v6, tsMicros: T0 + 2 }]).kept).toEqual([true, true, false]);
  });

  it('later fragments are never taken for copies (their offset is not kept)', () => {
    const frag = (offset: number) => ethernet({}, ipv4({ src: C, dst: DC, proto: IPPROTO_UDP, id: 3, fragOffset: offset, mf: true }, new Uint8Array(64)));
    expect(decodeAll([{ data: frag(1480), tsMicros: T0 }, { data: frag(1480), tsMicros: T0 + 1 }]).kept).toEqual([true, true]);
  });
});

describe('a capture that logs every packet three times reads as the capture of each packet once', () => {
  // What pktmon's default capture gives on the Connect server: each packet logged at three components.
  const login = '20.190.151.68';
  let id = 0x100;
  const seg = (src: string, dst: string, sport: number, dport: number, flags: number, seq: number, ack: number, payload: Uint8Array = new Uint8Array(0)) =>
    ethernet({}, ipv4({ src, dst, proto: IPPROTO_TCP, id: id++ }, tcp({ sport, dport, flags, seq, ack }, payload)));
  const hello = tlsClientHello('login.microsoftonline.com');
  const packets = [
    // A Kerberos SYN nothing answers (S0, sent once).
    seg(C, DC, 50001, 88, TCP_SYN, 900, 0),
    // HTTPS to Entra ID, established, ClientHello sent, no answer yet when the capture stops (S1).
    seg(C, login, 50002, 443, TCP_SYN, 100, 0),
    seg(login, C, 443, 50002, TCP_SYN | TCP_ACK, 700, 101),
    seg(C, login, 50002, 443, TCP_ACK, 101, 701),
    seg(C, login, 50002, 443, TCP_ACK | TCP_PSH, 101, 701, hello),
  ];
  const once = packets.map((data, i) => ({ tsMicros: T0 + i * 20_000, data }));
  const thrice = once.flatMap((r) => [r, { ...r, tsMicros: r.tsMicros + 12 }, { ...r, tsMicros: r.tsMicros + 31 }]);

  function flowsOf(records: { tsMicros: number; data: Uint8Array }[]) {
    const dir = mkdtempSync(join(tmpdir(), 'flowaudit-copies-'));
    const file = join(dir, 'pktmon.pcap');
    writeFileSync(file, writePcap({ byteOrder: 'le', linkType: 1, records }));
    const bin = join(__dirname, '../../../dist/src/cli/bin.js');
    const r = spawnSync(process.execPath, [bin, 'flows', file, '--format', 'ndjson'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    return {
      stderr: r.stderr,
      rows: rows.map((f) => ({ resp: f['id.resp_h'], state: f.conn_state, history: f.history, pkts: [f.orig_pkts, f.resp_pkts], syn: f.syn_count, outcome: f.outcome, reason: f.reason })),
    };
  }

  it('same flows, states, histories, packet counts and outcomes; the copies are said on stderr, once, as a note', () => {
    const single = flowsOf(once);
    const tripled = flowsOf(thrice);
    expect(tripled.rows).toEqual(single.rows);
    expect(single.rows.map((r) => [r.resp, r.state, r.outcome])).toEqual([
      [DC, 'S0', 'unanswered'],
      [login, 'S1', 'unknown'],
    ]);
    expect(single.rows[0].reason).toBe('S0: SYN sent once, no reply');
    // Handled (each packet counted once), nothing to fix: a note, not a warning.
    expect(tripled.stderr).toMatch(/^flowaudit: note: .*pktmon\.pcap: byte \d+: frame_duplicate: frame 2 is a copy of frame 1/);
    expect(tripled.stderr).not.toMatch(/warning/);
    expect(tripled.stderr.trim().split('\n')).toHaveLength(1);
    expect(single.stderr).not.toMatch(/frame_duplicate/);
  });
});
