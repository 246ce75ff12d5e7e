import { describe, expect, it } from 'vitest';
import { firstPacketMicros } from '../../../src/sources/capture-start.js';
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
