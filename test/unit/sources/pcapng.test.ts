import { describe, expect, it } from 'vitest';
import { DiagnosticSink, InputError } from '../../../src/common/diagnostics.js';
import { readCapture } from '../../../src/sources/capture.js';
import { openInputStream } from '../../../src/sources/input.js';
import { PCAPNG_MAX_BLOCK_BYTES, toMicrosExact } from '../../../src/sources/pcapng.js';
import { chunksOf, fillerBytes, type ByteOrder } from '../../support/pcap-writer.js';
import { PcapngWriter } from '../../support/pcapng-writer.js';

interface Got {
  index: number;
  offset: number;
  tsMicros: number;
  linkType: number;
  interfaceId: number;
  capturedLen: number;
  originalLen: number;
  data: Uint8Array;
}

async function read(bytes: Uint8Array, chunk = 1 << 20) {
  const diag = new DiagnosticSink();
  const input = await openInputStream('t.pcapng', chunksOf(bytes, chunk));
  const frames: Got[] = [];
  const summary = await readCapture(input, { diag }, (f) =>
    frames.push({
      index: f.origin.index,
      offset: f.origin.offset,
      tsMicros: f.tsMicros,
      linkType: f.linkType,
      interfaceId: f.interfaceId,
      capturedLen: f.capturedLen,
      originalLen: f.originalLen,
      data: new Uint8Array(f.data), // a copy (Buffer#slice would be a view)
    }),
  );
  return { frames, summary, diag };
}

const T0 = 1_700_000_000_000_000;
const other = (o: ByteOrder): ByteOrder => (o === 'le' ? 'be' : 'le');

/**
 * Two sections in opposite byte orders. Section 1: Ethernet in microseconds with an if_name,
 * raw IP in nanoseconds with if_tsoffset; EPB, NRB, SPB, ISB, obsolete PB, DSB, a custom block.
 * Section 2: SLL with a 2^-20 resolution; EPB with options, an unknown block type, a copyable custom block.
 */
function sample(order: ByteOrder) {
  const w = new PcapngWriter();
  w.shb(order, { comment: 'fault matrix' });
  w.idb({ linkType: 1, snaplen: 65535, name: 'eth0' }); // 0: µs
  w.idb({ linkType: 101, snaplen: 0, tsresol: 9, tsoffset: 3600n }); // 1: ns, +1 h
  w.epb({ interfaceId: 0, tsMicros: T0, data: fillerBytes(60, 1) }); // frame 1
  w.nrb([10, 0, 0, 1], 'dc01.corp.example');
  w.epb({ interfaceId: 1, ts: BigInt(T0 - 3_600_000_000) * 1000n + 789n, data: fillerBytes(41, 2), origLen: 1500 }); // frame 2
  w.spb(fillerBytes(70, 3)); // frame 3, interface 0, no timestamp
  w.isb(0);
  w.pb({ interfaceId: 0, tsMicros: T0 + 2, data: fillerBytes(17, 4) }); // frame 4
  w.dsb('CLIENT_RANDOM 00 00');
  w.custom(false, 32473, fillerBytes(8, 5)); // frame 5 in Wireshark's numbering, no packet
  w.shb(other(order));
  w.idb({ linkType: 113, tsresol: 0x80 | 20 }); // 0: 2^-20 s
  w.epb({ interfaceId: 0, ts: (1_700_000_010n << 20n) + 524288n, data: fillerBytes(33, 6), withOptions: true }); // frame 6
  w.other(0x00000123, fillerBytes(12, 7));
  w.custom(true, 32473, fillerBytes(5, 8)); // frame 7, no packet
  w.epb({ interfaceId: 0, ts: 1_700_000_011n << 20n, data: fillerBytes(1, 9) }); // frame 8
  return w;
}

/** What the reader must produce from {@link sample}. */
function expectedFrames(w: PcapngWriter): Omit<Got, 'data'>[] {
  const packets = w.blocks.filter((b) => ['EPB', 'SPB', 'PB'].includes(b.kind));
  const offsets = packets.map((b) => b.offset);
  return [
    { index: 1, offset: offsets[0], tsMicros: T0, linkType: 1, interfaceId: 0, capturedLen: 60, originalLen: 60 },
    { index: 2, offset: offsets[1], tsMicros: T0, linkType: 101, interfaceId: 1, capturedLen: 41, originalLen: 1500 },
    // SPB: no timestamp of its own; gets the last one seen.
    { index: 3, offset: offsets[2], tsMicros: T0, linkType: 1, interfaceId: 0, capturedLen: 70, originalLen: 70 },
    { index: 4, offset: offsets[3], tsMicros: T0 + 2, linkType: 1, interfaceId: 0, capturedLen: 17, originalLen: 17 },
    { index: 6, offset: offsets[4], tsMicros: 1_700_000_010_500_000, linkType: 113, interfaceId: 0, capturedLen: 33, originalLen: 33 },
    { index: 8, offset: offsets[5], tsMicros: 1_700_000_011_000_000, linkType: 113, interfaceId: 0, capturedLen: 1, originalLen: 1 },
  ];
}

const SAMPLE_DATA = [fillerBytes(60, 1), fillerBytes(41, 2), fillerBytes(70, 3), fillerBytes(17, 4), fillerBytes(33, 6), fillerBytes(1, 9)];

describe('readPcapng round trip', () => {
  for (const order of ['le', 'be'] as const) {
    for (const chunk of [1, 5, 64, 1 << 20]) {
      it(`${order} then ${other(order)} sections, chunks of ${chunk}, at a non-zero offset`, async () => {
        const w = sample(order);
        const bytes = w.finish(7);
        expect(bytes.byteOffset).toBe(7);
        const { frames, summary, diag } = await read(bytes, chunk);
        expect(frames.map(({ data: _d, ...rest }) => rest)).toEqual(expectedFrames(w));
        frames.forEach((f, i) => expect(f.data).toEqual(SAMPLE_DATA[i]));
        expect(diag.codes()).toEqual([]);
        expect(summary).toEqual({
          file: 't.pcapng',
          format: 'pcapng',
          records: 6,
          bytes: bytes.length,
          firstTs: T0,
          lastTs: 1_700_000_011_000_000,
          complete: true,
        });
      });
    }
  }

  it('clips a simple packet to the snap length and to its original length', async () => {
    const w = new PcapngWriter().shb('be').idb({ linkType: 1, snaplen: 20 });
    w.spb(fillerBytes(40), 1000); // 40 bytes present, snap length 20: 20 captured
    w.spb(fillerBytes(12), 9); // origlen 9, data padded to 12: 9 captured
    const { frames, diag } = await read(w.finish());
    expect(frames.map((f) => [f.capturedLen, f.originalLen])).toEqual([
      [20, 1000],
      [9, 9],
    ]);
    expect(frames[0].data).toEqual(fillerBytes(20));
    expect(diag.codes()).toEqual([]);
  });

  it('reports a packet on an undefined interface and skips it, numbering unchanged', async () => {
    const w = new PcapngWriter().shb('le').idb({ linkType: 1 });
    w.epb({ interfaceId: 0, tsMicros: T0, data: fillerBytes(10) });
    w.epb({ interfaceId: 3, tsMicros: T0, data: fillerBytes(10) });
    w.epb({ interfaceId: 0, tsMicros: T0, data: fillerBytes(10) });
    const { frames, diag } = await read(w.finish());
    expect(frames.map((f) => f.index)).toEqual([1, 3]);
    expect(diag.codes()).toEqual(['pcapng_unknown_interface']);
    expect(diag.toDataQuality().diagnostics[0].examples[0].origin.index).toBe(2);
  });

  it('a new section header forgets the previous interfaces', async () => {
    const w = new PcapngWriter().shb('le').idb({ linkType: 1 }).idb({ linkType: 101 });
    w.shb('le').idb({ linkType: 1 });
    w.epb({ interfaceId: 1, tsMicros: T0, data: fillerBytes(10) });
    const { frames, diag } = await read(w.finish());
    expect(frames).toEqual([]);
    expect(diag.codes()).toEqual(['pcapng_unknown_interface']);
  });

  it('keeps the bytes a captured length claims beyond its block out, and says so', async () => {
    const w = new PcapngWriter().shb('le').idb({ linkType: 1 });
    w.epb({ interfaceId: 0, tsMicros: T0, data: fillerBytes(16), capLenField: 4000 });
    const { frames, diag } = await read(w.finish());
    expect(frames[0].capturedLen).toBe(16);
    expect(diag.codes()).toEqual(['pcapng_block_truncated']);
  });

  it('reports an unusable if_tsresol and falls back to microseconds', async () => {
    const w = new PcapngWriter().shb('le').idb({ linkType: 1, tsresol: 40 });
    w.epb({ interfaceId: 0, ts: BigInt(T0), data: fillerBytes(4) });
    const { frames, diag } = await read(w.finish());
    expect(frames[0].tsMicros).toBe(T0);
    expect(diag.codes()).toEqual(['pcapng_bad_option']);
  });
});

describe('pcapng timestamp conversion', () => {
  const split = (v: bigint) => ({ high: Number(v >> 32n), low: Number(v & 0xffffffffn) });
  const cases: [string, bigint, number, number][] = [
    // [what, units, if_tsresol, expected microseconds]
    ['microseconds', 1_700_000_000_123_456n, 6, 1_700_000_000_123_456],
    ['nanoseconds, truncated', 1_700_000_000_123_456_999n, 9, 1_700_000_000_123_456],
    ['nanoseconds at a carry edge', 1_700_000_000_999_999_999n, 9, 1_700_000_000_999_999],
    ['tenths of nanoseconds', 17_000_000_001_234_567_891n, 10, 1_700_000_000_123_456],
    ['picoseconds', 1_700_000_000_123_456_789_012n & 0xffffffffffffffffn, 12, 0],
    ['milliseconds', 1_700_000_000_123n, 3, 1_700_000_000_123_000],
    ['seconds', 1_700_000_000n, 0, 1_700_000_000_000_000],
    ['2^-10 s', (1_700_000_000n << 10n) + 512n, 0x80 | 10, 1_700_000_000_500_000],
    ['2^-32 s', (1_700_000_000n << 32n) + (1n << 31n), 0x80 | 32, 1_700_000_000_500_000],
    ['2^-20 s, floored', (5n << 20n) + 1n, 0x80 | 20, 5_000_000],
  ];
  for (const [what, units, res, micros] of cases) {
    it(what, () => {
      // The picosecond case wraps at 2^64; compute its expectation with BigInt.
      const expected = res === 12 ? Number(units / 1_000_000n) : micros;
      expect(toMicrosExact(split(units), res)).toBe(expected);
    });
  }
  it('adds if_tsoffset seconds, negative too', () => {
    expect(toMicrosExact(split(1_000_000n), 6, 1_700_000_000)).toBe(1_700_000_001_000_000);
    expect(toMicrosExact(split(1_000_000n), 6, -1)).toBe(0);
  });
  it('matches BigInt arithmetic for nanoseconds over a sweep of the 64-bit range used today', () => {
    let v = 1_500_000_000_000_000_000n;
    for (let i = 0; i < 2000; i++) {
      v += 987_654_321_123n + BigInt(i * 7919);
      expect(toMicrosExact(split(v), 9)).toBe(Number(v / 1000n));
    }
  });
});

describe('readPcapng fault matrix', () => {
  const order: ByteOrder = 'le';
  const w = sample(order);
  const file = w.finish();
  const packetBlocks = w.blocks.filter((b) => ['EPB', 'SPB', 'PB'].includes(b.kind));
  const expected = expectedFrames(w);

  const cuts = new Set<number>();
  for (const b of w.blocks) {
    for (const d of [0, 1, 4, 8, 11, 12, Math.floor(b.length / 2), b.length - 4, b.length - 1]) cuts.add(b.offset + d);
  }
  cuts.add(file.length);

  for (const cut of [...cuts].sort((a, b) => a - b)) {
    it(`truncated to ${cut} of ${file.length} bytes`, async () => {
      const bytes = file.slice(0, cut);
      if (cut === 0) {
        await expect(read(bytes)).rejects.toMatchObject({ code: 'input_empty' });
        return;
      }
      if (cut < 12) {
        const err = await read(bytes).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InputError);
        return;
      }
      const { frames, summary, diag } = await read(bytes, 32);
      const whole = packetBlocks.filter((b) => b.offset + b.length <= cut).length;
      expect(frames.map(({ data: _d, ...rest }) => rest)).toEqual(expected.slice(0, whole));
      const atBoundary = w.blocks.some((b) => b.offset + b.length === cut);
      if (atBoundary) {
        expect(diag.codes()).toEqual([]);
        expect(summary.complete).toBe(true);
      } else {
        expect(diag.codes()).toEqual(['pcapng_block_truncated']);
        expect(diag.countOf('pcapng_block_truncated')).toBe(1);
        expect(summary.complete).toBe(false);
        expect(summary.bytes).toBe(cut);
      }
    });
  }

  type Corruption = [string, (view: DataView, offset: number, length: number, le: boolean) => void, string];
  const corruptions: Corruption[] = [
    ['a total length of 0x7ffffff0', (v, o, _l, le) => v.setUint32(o + 4, 0x7ffffff0, le), 'pcapng_bad_block_length'],
    ['a total length not a multiple of 4', (v, o, l, le) => v.setUint32(o + 4, l + 2, le), 'pcapng_bad_block_length'],
    ['a total length below 12', (v, o, _l, le) => v.setUint32(o + 4, 8, le), 'pcapng_bad_block_length'],
    ['a trailing length that differs', (v, o, l, le) => v.setUint32(o + l - 4, l + 4, le), 'pcapng_trailer_mismatch'],
    ['a total length 4 bytes longer', (v, o, l, le) => v.setUint32(o + 4, l + 4, le), 'pcapng_trailer_mismatch'],
  ];
  // Every block except section headers and interface descriptions: losing those changes later
  // frames' meaning (tested separately below).
  const damageable = w.blocks.filter((b) => b.kind !== 'SHB' && b.kind !== 'IDB');
  for (const block of damageable) {
    for (const [what, corrupt, code] of corruptions) {
      it(`${block.kind} at byte ${block.offset} with ${what}: reported, resynchronised, nothing else lost`, async () => {
        const bytes = file.slice();
        corrupt(new DataView(bytes.buffer), block.offset, block.length, block.le);
        const { frames, summary, diag } = await read(bytes, 48);
        const lost = packetBlocks.findIndex((b) => b.offset === block.offset);
        const keep = expected.filter((_, i) => i !== lost);
        expect(frames.map((f) => [f.offset, f.tsMicros, f.capturedLen])).toEqual(keep.map((f) => [f.offset, f.tsMicros, f.capturedLen]));
        // Resync lands on the next block of a known type (an unknown type is no evidence of a block).
        const next = w.blocks.find((b) => b.offset > block.offset && !b.kind.startsWith('type '));
        const resync = diag.toDataQuality().diagnostics[1]?.examples[0];
        if (next) {
          expect(diag.codes()).toEqual([code, 'pcapng_resync']);
          expect(resync.origin.offset).toBe(next.offset);
          expect(resync.detail).toContain(`after skipping ${next.offset - block.offset} bytes from byte ${block.offset}`);
        } else {
          // The last block: a longer length now runs past the end of the file.
          if (what === 'a total length 4 bytes longer') {
            expect(diag.codes()).toEqual(['pcapng_block_truncated']);
          } else {
            expect(diag.codes()).toEqual([code, 'pcapng_resync']);
            expect(resync.detail).toBe(`t.pcapng: no valid block after byte ${block.offset}; ${block.length} bytes skipped to the end of the file`);
          }
        }
        expect(summary.complete).toBe(false);
      });
    }
  }

  it('a damaged interface block: its packets are reported, the others still read', async () => {
    const w2 = new PcapngWriter().shb('be').idb({ linkType: 1 });
    w2.epb({ interfaceId: 0, tsMicros: T0, data: fillerBytes(10) });
    w2.shb('le').idb({ linkType: 1 });
    w2.epb({ interfaceId: 0, tsMicros: T0 + 1, data: fillerBytes(10) });
    w2.shb('be').idb({ linkType: 101 });
    w2.epb({ interfaceId: 0, tsMicros: T0 + 2, data: fillerBytes(10) });
    const bytes = w2.finish();
    const idb = w2.blocks.filter((b) => b.kind === 'IDB')[1];
    new DataView(bytes.buffer).setUint32(idb.offset + 4, 3, true); // bad length
    const { frames, diag } = await read(bytes);
    expect(frames.map((f) => f.tsMicros)).toEqual([T0, T0 + 2]);
    expect(diag.codes()).toEqual(['pcapng_bad_block_length', 'pcapng_resync', 'pcapng_unknown_interface']);
  });

  it('a damaged section header in the middle: resyncs and keeps reading in the old byte order', async () => {
    const w2 = new PcapngWriter().shb('le').idb({ linkType: 1 });
    w2.epb({ interfaceId: 0, tsMicros: T0, data: fillerBytes(10) });
    w2.shb('le').idb({ linkType: 1 });
    w2.epb({ interfaceId: 0, tsMicros: T0 + 1, data: fillerBytes(10) });
    const bytes = w2.finish();
    const shb = w2.blocks.filter((b) => b.kind === 'SHB')[1];
    bytes[shb.offset + 8] = 0x00; // break the byte-order magic
    const { frames, diag } = await read(bytes);
    expect(frames.map((f) => f.tsMicros)).toEqual([T0, T0 + 1]);
    expect(diag.codes()).toEqual(['pcapng_bad_byte_order_magic', 'pcapng_resync']);
  });

  for (const junk of [1, 3, 4, 13]) {
    it(`${junk} garbage bytes between blocks: one resync, no frame lost`, async () => {
      const w2 = new PcapngWriter().shb('le').idb({ linkType: 1 });
      w2.epb({ interfaceId: 0, tsMicros: T0, data: fillerBytes(10) });
      w2.raw(new Uint8Array(junk).fill(0x07));
      w2.epb({ interfaceId: 0, tsMicros: T0 + 1, data: fillerBytes(10) });
      const { frames, diag } = await read(w2.finish());
      expect(frames.map((f) => f.tsMicros)).toEqual([T0, T0 + 1]);
      expect(diag.codes()[diag.codes().length - 1]).toBe('pcapng_resync');
      expect(diag.countOf('pcapng_resync')).toBe(1);
    });
  }

  it('garbage after the last block: reported with the bytes skipped', async () => {
    const junk = new TextEncoder().encode('this is not a block, just trailing text\n');
    const bytes = new Uint8Array(file.length + junk.length);
    bytes.set(file);
    bytes.set(junk, file.length);
    const { frames, diag, summary } = await read(bytes, 100);
    expect(frames).toHaveLength(expected.length);
    expect(diag.codes()).toContain('pcapng_resync');
    const last = diag.toDataQuality().diagnostics.find((d) => d.code === 'pcapng_resync')!.examples[0];
    expect(last.detail).toContain(`${junk.length} bytes skipped to the end of the file`);
    expect(summary.complete).toBe(false);
  });

  it('never asks for more than the block ceiling, whatever a length claims', async () => {
    const bytes = file.slice();
    const epb = packetBlocks[0];
    new DataView(bytes.buffer).setUint32(epb.offset + 4, PCAPNG_MAX_BLOCK_BYTES + 4, true);
    const { frames, diag } = await read(bytes);
    expect(frames).toHaveLength(expected.length - 1);
    expect(diag.codes()).toEqual(['pcapng_bad_block_length', 'pcapng_resync']);
  });

  it('a first block that is not a section header is not a pcapng file', async () => {
    const bytes = file.slice();
    bytes[8] = 0; // byte-order magic broken: the sniffer does not call this pcapng
    await expect(read(bytes)).rejects.toMatchObject({ code: 'input_unknown_format' });
  });
});

describe('capture filters (if_filter)', () => {
  it('names the filters the interfaces were captured with, as text, each once', async () => {
    const w = new PcapngWriter()
      .shb('le')
      .idb({ linkType: 1, filter: 'tcp port 389 or udp port 88' })
      .idb({ linkType: 1, filter: 'tcp port 389 or udp port 88' })
      .idb({ linkType: 1, filter: Uint8Array.of(0, ...new TextEncoder().encode('host 10.0.0.11'), 0) }) // a terminating NUL
      .idb({ linkType: 1, filter: Uint8Array.of(1, ...new Uint8Array(32)) }) // four BPF instructions
      .idb({ linkType: 1, filter: Uint8Array.of(0) }) // an empty filter is none
      .epb({ interfaceId: 0, tsMicros: T0, data: fillerBytes(60, 1) });
    const { summary, frames, diag } = await read(w.finish());
    expect(frames).toHaveLength(1);
    expect(diag.toDataQuality().diagnostics).toEqual([]);
    expect(summary.captureFilters).toEqual(['tcp port 389 or udp port 88', 'host 10.0.0.11', 'a compiled BPF program of 4 instructions']);
    // The last interface has no filter: its packets passed none, so not every packet passed one.
    expect(summary.everyInterfaceFiltered).toBeUndefined();
  });

  it('says when every interface was filtered: every packet in the file passed one of its filters', async () => {
    const both = new PcapngWriter().shb('le').idb({ linkType: 1, filter: 'host 10.0.0.10' }).idb({ linkType: 1, filter: 'host 10.0.0.11' });
    const { summary } = await read(both.epb({ interfaceId: 1, tsMicros: T0, data: fillerBytes(60, 1) }).finish());
    expect(summary.everyInterfaceFiltered).toBe(true);
    const one = new PcapngWriter().shb('le').idb({ linkType: 1, filter: 'host 10.0.0.10' }).idb({ linkType: 1 });
    expect((await read(one.epb({ interfaceId: 0, tsMicros: T0, data: fillerBytes(60, 1) }).finish())).summary.everyInterfaceFiltered).toBeUndefined();
  });

  it('none without the option, and an option too short to hold a filter is skipped', async () => {
    const plain = await read(new PcapngWriter().shb('be').idb({ linkType: 1 }).epb({ interfaceId: 0, tsMicros: T0, data: fillerBytes(60, 1) }).finish());
    expect(plain.summary.captureFilters).toBeUndefined();
    expect(plain.summary.everyInterfaceFiltered).toBeUndefined();
    const empty = await read(new PcapngWriter().shb('le').idb({ linkType: 1, filter: new Uint8Array(0) }).epb({ interfaceId: 0, tsMicros: T0, data: fillerBytes(60, 1) }).finish());
    expect(empty.summary.captureFilters).toBeUndefined();
    expect(empty.frames).toHaveLength(1);
  });
});

describe('interface statistics (ISB): packets dropped at capture', () => {
  it("sums each interface's last isb_ifdrop and isb_osdrop (the counts run from the start of the capture)", async () => {
    for (const order of ['le', 'be'] as const) {
      const w = new PcapngWriter()
        .shb(order)
        .idb({ linkType: 1 })
        .idb({ linkType: 1 })
        .epb({ interfaceId: 0, tsMicros: T0, data: fillerBytes(60, 1) })
        .isb(0, { ifdrop: 5n })
        .isb(0, { ifdrop: 12n, osdrop: 1n })
        .isb(1, { osdrop: 3n })
        .isb(1, { ifdrop: 0xffffffffffffffffn }) // all ones: not known (the last block of interface 1 says nothing)
        .shb(other(order))
        .idb({ linkType: 1 })
        .isb(0, { ifdrop: 4n }); // another section's interface 0
      const { summary, frames, diag } = await read(w.finish());
      expect(frames).toHaveLength(1);
      expect(diag.toDataQuality().diagnostics).toEqual([]);
      expect(summary.droppedAtCapture).toBe(12 + 1 + 3 + 4);
    }
  });

  it('none when the statistics count no drop, or there are none', async () => {
    const zero = await read(new PcapngWriter().shb('le').idb({ linkType: 1 }).isb(0, { ifdrop: 0n }).finish());
    expect(zero.summary.droppedAtCapture).toBeUndefined();
    const bare = await read(new PcapngWriter().shb('le').idb({ linkType: 1 }).isb(0).finish());
    expect(bare.summary.droppedAtCapture).toBeUndefined();
  });
});

