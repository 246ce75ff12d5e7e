import { describe, expect, it } from 'vitest';
import { firstPacketMicros, lastPacketMicros } from '../../../src/sources/capture-start.js';
import { writePcap } from '../../support/pcap-writer.js';
import { PcapngWriter } from '../../support/pcapng-writer.js';

const T = 1_714_557_600_123_456; // 2024-05-01T10:00:00.123456Z
const FRAME = new Uint8Array(60);

describe('firstPacketMicros', () => {
  it('reads the first record of a pcap in either byte order, microseconds or nanoseconds', () => {
    for (const byteOrder of ['le', 'be'] as const) {
      for (const nanos of [false, true]) {
        const file = writePcap({ byteOrder, nanos, linkType: 1, records: [{ tsMicros: T, extraNanos: nanos ? 789 : undefined, data: FRAME }, { tsMicros: T + 5, data: FRAME }] });
        expect(firstPacketMicros(file)).toBe(T);
      }
    }
  });

  it('reads the first Enhanced Packet Block of a pcapng, with its interface resolution and offset', () => {
    const file = new PcapngWriter()
      .shb('be')
      .idb({ linkType: 1 })
      .idb({ linkType: 1, tsresol: 9, tsoffset: 3600n, name: 'eth1' })
      .nrb([10, 0, 0, 10], 'dc01.contoso.local')
      .epb({ interfaceId: 1, tsMicros: T, data: FRAME }) // the writer stores T - if_tsoffset, in nanoseconds
      .epb({ interfaceId: 0, tsMicros: T + 1, data: FRAME })
      .finish();
    expect(firstPacketMicros(file)).toBe(T);
  });

  it('gives null when the first bytes do not tell: no packet yet, a packet without a time, damage, not a capture', () => {
    const noPacket = new PcapngWriter().shb('le').idb({ linkType: 1 }).finish();
    const simple = new PcapngWriter().shb('le').idb({ linkType: 1 }).spb(FRAME).epb({ interfaceId: 0, tsMicros: T, data: FRAME }).finish();
    const unknownInterface = new PcapngWriter().shb('le').idb({ linkType: 1 }).epb({ interfaceId: 3, tsMicros: T, data: FRAME }).finish();
    const headerOnly = writePcap({ byteOrder: 'le', linkType: 1, records: [] });
    const badMicros = writePcap({ byteOrder: 'le', linkType: 1, records: [{ tsMicros: T, data: FRAME }] });
    new DataView(badMicros.buffer, badMicros.byteOffset).setUint32(28, 2_000_000, true);
    for (const head of [noPacket, simple, unknownInterface, headerOnly, badMicros, new TextEncoder().encode('#Fields: date time action\n'), new Uint8Array(0)]) {
      expect(firstPacketMicros(head)).toBeNull();
    }
    // A block longer than the bytes given (the head of a big file): not guessed past.
    const big = new PcapngWriter().shb('le').idb({ linkType: 1 }).epb({ interfaceId: 0, tsMicros: T, data: new Uint8Array(9000) }).finish();
    expect(firstPacketMicros(big.subarray(0, 4096))).toBeNull();
    expect(firstPacketMicros(big)).toBe(T);
  });
});

describe('lastPacketMicros', () => {
  const build = (order: 'le' | 'be', end: (w: PcapngWriter) => PcapngWriter) =>
    end(new PcapngWriter().shb(order).idb({ linkType: 1, tsresol: 9 }).epb({ interfaceId: 0, tsMicros: T, data: FRAME }).epb({ interfaceId: 0, tsMicros: T + 7, data: new Uint8Array(61) })).finish();

  it("walks a pcapng file back from its end to the last packet's time, past statistics and name blocks", () => {
    for (const order of ['le', 'be'] as const) {
      const file = build(order, (w) => w.nrb([10, 0, 0, 10], 'dc01').isb(0));
      expect(lastPacketMicros(file, file)).toBe(T + 7);
      // Only the file's last bytes are needed (and its head, for the interfaces).
      expect(lastPacketMicros(file.subarray(0, 60), file.subarray(file.length - 160))).toBe(T + 7);
    }
  });

  it('gives null when the end does not add up: a cut file, a packet without a time last, a pcap', () => {
    const file = build('le', (w) => w);
    expect(lastPacketMicros(file, file.subarray(0, file.length - 2))).toBeNull();
    const simpleLast = build('le', (w) => w.spb(FRAME));
    expect(lastPacketMicros(simpleLast, simpleLast)).toBeNull();
    const pcap = writePcap({ byteOrder: 'le', linkType: 1, records: [{ tsMicros: T, data: FRAME }] });
    expect(lastPacketMicros(pcap, pcap)).toBeNull();
    const noPacket = new PcapngWriter().shb('le').idb({ linkType: 1 }).finish();
    expect(lastPacketMicros(noPacket, noPacket)).toBeNull();
  });
});
