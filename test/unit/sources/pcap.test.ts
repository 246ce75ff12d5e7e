import { describe, expect, it } from 'vitest';
import { DiagnosticSink, InputError } from '../../../src/common/diagnostics.js';
import { readCapture } from '../../../src/sources/capture.js';
import { openInputStream } from '../../../src/sources/input.js';
import { readPcap } from '../../../src/sources/pcap.js';
import { chunksOf, fillerBytes, writePcapLayout, type ByteOrder, type PcapRecordSpec, type PcapSpec } from '../../support/pcap-writer.js';

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

async function read(bytes: Uint8Array, chunk = 1 << 20, name = 't.pcap') {
  const diag = new DiagnosticSink();
  const input = await openInputStream(name, chunksOf(bytes, chunk));
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

/** A small multi-packet capture: sizes chosen to include an empty and a jumbo-ish frame. */
function sampleRecords(): PcapRecordSpec[] {
  const t0 = 1_700_000_000_123_456;
  return [
    { tsMicros: t0, data: fillerBytes(60, 1) },
    { tsMicros: t0 + 1, data: fillerBytes(1514, 2), origLen: 1514 },
    { tsMicros: t0 + 999_999, data: fillerBytes(0, 3) },
    { tsMicros: t0 + 5_000_000, data: fillerBytes(96, 4), origLen: 1500 },
    { tsMicros: t0 + 5_000_001, data: fillerBytes(3, 5) },
  ];
}

function spec(byteOrder: ByteOrder, extra: Partial<PcapSpec> = {}): PcapSpec {
  return { byteOrder, linkType: 1, records: sampleRecords(), ...extra };
}

describe('readPcap round trip', () => {
  for (const byteOrder of ['le', 'be'] as const) {
    for (const nanos of [false, true]) {
      for (const chunk of [1, 7, 16, 1 << 20]) {
        it(`${byteOrder} ${nanos ? 'ns' : 'us'}, chunks of ${chunk}, written at a non-zero offset`, async () => {
          const layout = writePcapLayout(spec(byteOrder, { nanos, at: 13 }));
          expect(layout.bytes.byteOffset).toBe(13);
          const { frames, summary, diag } = await read(layout.bytes, chunk);
          const records = sampleRecords();
          expect(frames).toHaveLength(records.length);
          frames.forEach((f, i) => {
            expect(f.index).toBe(i + 1);
            expect(f.offset).toBe(layout.recordOffsets[i]);
            expect(f.tsMicros).toBe(records[i].tsMicros);
            expect(f.linkType).toBe(1);
            expect(f.interfaceId).toBe(0);
            expect(f.capturedLen).toBe(records[i].data.length);
            expect(f.originalLen).toBe(records[i].origLen ?? records[i].data.length);
            expect(f.data).toEqual(records[i].data);
          });
          expect(summary).toEqual({
            file: 't.pcap',
            format: 'pcap',
            records: 5,
            bytes: layout.bytes.length,
            firstTs: records[0].tsMicros,
            lastTs: records[4].tsMicros,
            complete: true,
          });
          expect(diag.codes()).toEqual([]);
        });
      }
    }
  }

  it('truncates nanoseconds to whole microseconds', async () => {
    const layout = writePcapLayout({
      byteOrder: 'le',
      nanos: true,
      linkType: 1,
      records: [{ tsMicros: 1_600_000_000_000_001, extraNanos: 999, data: fillerBytes(10) }],
    });
    const { frames } = await read(layout.bytes);
    expect(frames[0].tsMicros).toBe(1_600_000_000_000_001);
  });

  it('strips the FCS bits from the link type field', async () => {
    // Bits 26-31 of LinkType: F bit (26) set, FCS length 2 (x 16 bits) in bits 28-31.
    const layout = writePcapLayout({ byteOrder: 'be', linkType: 113, linkTypeHighBits: 0x24000000, records: sampleRecords() });
    const { frames } = await read(layout.bytes);
    expect(frames.every((f) => f.linkType === 113)).toBe(true);
  });

  it('reports a captured length above the original length but keeps the frame', async () => {
    const records = sampleRecords();
    records[1].origLen = 100; // 1514 captured of a 100-byte packet: impossible, but keep it
    const layout = writePcapLayout({ byteOrder: 'le', linkType: 1, records });
    const { frames, diag } = await read(layout.bytes);
    expect(frames).toHaveLength(5);
    expect(diag.countOf('pcap_caplen_exceeds_origlen')).toBe(1);
    const d = diag.toDataQuality().diagnostics[0].examples[0];
    expect(d.origin).toEqual({ file: 't.pcap', offset: layout.recordOffsets[1], index: 2 });
  });

  it('accepts records larger than the snap length up to 262144 bytes', async () => {
    const layout = writePcapLayout({ byteOrder: 'le', linkType: 1, snaplen: 96, records: [{ tsMicros: 1, data: fillerBytes(9000) }] });
    const { frames, diag } = await read(layout.bytes, 4096);
    expect(frames[0].data).toEqual(fillerBytes(9000));
    expect(diag.codes()).toEqual([]);
  });

  it('reads a file with a header and no records', async () => {
    const layout = writePcapLayout({ byteOrder: 'be', linkType: 101, records: [] });
    const { frames, summary, diag } = await read(layout.bytes);
    expect(frames).toEqual([]);
    expect(summary).toMatchObject({ records: 0, complete: true, firstTs: null, lastTs: null, bytes: 24 });
    expect(diag.codes()).toEqual([]);
  });
});

describe('readPcap fault matrix', () => {
  const layout = writePcapLayout(spec('le'));
  const file = layout.bytes;
  const boundaries = new Set<number>();
  for (let cut = 0; cut <= 24; cut++) boundaries.add(cut);
  layout.recordOffsets.forEach((o, i) => {
    for (const d of [0, 1, 4, 8, 12, 15, 16, 17]) boundaries.add(o + d);
    boundaries.add(layout.recordEnds[i] - 1);
    boundaries.add(Math.floor((o + 16 + layout.recordEnds[i]) / 2));
  });
  boundaries.add(file.length);
  const cuts = [...boundaries].filter((c) => c <= file.length).sort((a, b) => a - b);

  for (const cut of cuts) {
    it(`truncated to ${cut} of ${file.length} bytes`, async () => {
      const bytes = file.slice(0, cut);
      if (cut === 0) {
        await expect(read(bytes)).rejects.toMatchObject({ code: 'input_empty' });
        return;
      }
      if (cut < 4) {
        await expect(read(bytes)).rejects.toMatchObject({ code: 'input_unknown_format' });
        return;
      }
      if (cut < 24) {
        const err = await read(bytes).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InputError);
        expect(err).toMatchObject({ code: 'pcap_header_truncated', offset: 0 });
        expect((err as Error).message).toBe(`t.pcap: pcap file header truncated: ${cut} of 24 bytes`);
        return;
      }
      const { frames, summary, diag } = await read(bytes, 64);
      const whole = layout.recordEnds.filter((e) => e <= cut).length;
      // Every frame before the damage is delivered, intact.
      expect(frames.map((f) => f.index)).toEqual(Array.from({ length: whole }, (_, i) => i + 1));
      frames.forEach((f, i) => expect(f.data).toEqual(sampleRecords()[i].data));
      const atBoundary = cut === 24 || layout.recordEnds.includes(cut);
      if (atBoundary) {
        expect(diag.codes()).toEqual([]);
        expect(summary.complete).toBe(true);
      } else {
        expect(diag.codes()).toEqual(['pcap_record_truncated']);
        expect(diag.countOf('pcap_record_truncated')).toBe(1);
        const example = diag.toDataQuality().diagnostics[0].examples[0];
        expect(example.origin).toEqual({ file: 't.pcap', offset: layout.recordOffsets[whole], index: whole + 1 });
        expect(example.detail).toContain(`at byte ${layout.recordOffsets[whole]}`);
        expect(summary.complete).toBe(false);
        expect(summary.bytes).toBe(cut);
      }
    });
  }

  layout.recordOffsets.forEach((offset, i) => {
    it(`record ${i + 1} claims 900000000 bytes: stops there and counts the unread bytes`, async () => {
      const bytes = file.slice();
      new DataView(bytes.buffer).setUint32(offset + 8, 900_000_000, true);
      const { frames, summary, diag } = await read(bytes, 100);
      expect(frames).toHaveLength(i);
      expect(diag.codes()).toEqual(['pcap_record_too_long']);
      const unread = file.length - offset;
      const message = `t.pcap: record at byte ${offset} claims 900000000 bytes (snap length 65535); stopped, ${unread} bytes unread`;
      expect(diag.toDataQuality().diagnostics[0].examples[0].detail).toBe(message);
      expect(diag.failedFiles).toEqual([{ file: 't.pcap', code: 'pcap_record_too_long', offset, message }]);
      expect(summary.complete).toBe(false);
    });

    it(`record ${i + 1} claims one byte more than the file holds: truncated, earlier frames kept`, async () => {
      const bytes = file.slice();
      new DataView(bytes.buffer).setUint32(offset + 8, file.length - offset - 16 + 1, true);
      const { frames, summary, diag } = await read(bytes, 100);
      expect(frames).toHaveLength(i);
      expect(diag.codes()).toEqual(['pcap_record_truncated']);
      expect(summary.complete).toBe(false);
    });
  });

  it('garbage after the last record is reported, not silently dropped', async () => {
    const bytes = new Uint8Array(file.length + 10);
    bytes.set(file);
    bytes.fill(0x41, file.length);
    const { frames, diag } = await read(bytes);
    expect(frames).toHaveLength(5);
    expect(diag.codes()).toEqual(['pcap_record_truncated']);
  });

  it('the too-long stop works on a stream of unknown size too (counts by reading)', async () => {
    const bytes = file.slice();
    const offset = layout.recordOffsets[2];
    new DataView(bytes.buffer).setUint32(offset + 8, 0xffffffff, true);
    const diag = new DiagnosticSink();
    const input = await openInputStream('-', chunksOf(bytes, 50));
    let n = 0;
    await readPcap(input, { diag }, () => n++);
    expect(n).toBe(2);
    expect(diag.failedFiles[0].message).toContain(`${file.length - offset} bytes unread`);
  });
});
