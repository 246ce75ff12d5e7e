import { describe, expect, it } from 'vitest';
import { unsupportedFormatHint } from '../../../src/sources/unsupported.js';

const bytes = (text: string, size = text.length) => {
  const b = new Uint8Array(size);
  b.set(Buffer.from(text, 'latin1'));
  return b;
};

/** The start of an ETL file: a 64 KiB WMI buffer whose valid bytes end at 0x2000. */
function etlHead(): Uint8Array {
  const b = new Uint8Array(4096);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x10000, true);
  v.setUint32(0x30, 0x2000, true);
  return b;
}

describe('unsupportedFormatHint', () => {
  it('names Network Monitor captures, event logs and ETW traces, with the way to a pcapng', () => {
    expect(unsupportedFormatHint(bytes('GMBU\x02\x00junk', 64), 'trace.cap')).toMatch(/Network Monitor capture.*editcap -F pcapng/);
    expect(unsupportedFormatHint(bytes('RTSS\x01\x00', 64), 'x')).toMatch(/Network Monitor/);
    expect(unsupportedFormatHint(bytes('ElfFile\x00', 128), 'Security.evtx')).toMatch(/Windows event log.*pfirewall\.log/);
    expect(unsupportedFormatHint(etlHead(), 'capture.bin')).toMatch(/ETW trace.*pktmon etl2pcap.*etl2pcapng/);
    expect(unsupportedFormatHint(bytes('garbage'), 'NetTrace.ETL')).toMatch(/ETW trace/);
  });

  it('names the archives and compressors captures are sent in, with the way to unpack them', () => {
    expect(unsupportedFormatHint(bytes('PK\x03\x04\x14\x00', 64), 'capture.zip')).toMatch(/^this is a ZIP archive: unpack it \(Expand-Archive, unzip\)/);
    expect(unsupportedFormatHint(bytes('7z\xbc\xaf\x27\x1c', 64), 'x')).toMatch(/7-Zip archive.*7z x/);
    expect(unsupportedFormatHint(bytes('Rar!\x1a\x07\x01', 64), 'x')).toMatch(/RAR archive/);
    expect(unsupportedFormatHint(bytes('\xfd7zXZ\x00', 64), 'x')).toMatch(/xz-compressed.*xz -d/);
    expect(unsupportedFormatHint(bytes('\x28\xb5\x2f\xfd', 64), 'c.pcapng.zst')).toMatch(/zstd-compressed.*zstd -d/);
    expect(unsupportedFormatHint(bytes('\x04\x22\x4d\x18', 64), 'x')).toMatch(/LZ4/);
    expect(unsupportedFormatHint(bytes('BZh91AY', 64), 'x')).toMatch(/bzip2/);
    expect(unsupportedFormatHint(bytes('MSCF\x00\x00', 64), 'NetTrace.cab')).toMatch(/cabinet.*reports, not the packets.*etl2pcapng/);
  });

  it('says nothing about other bytes', () => {
    expect(unsupportedFormatHint(bytes('hello world, not a capture', 200), 'notes.txt')).toBeNull();
    expect(unsupportedFormatHint(new Uint8Array(0), 'empty.pcap')).toBeNull();
    const half = etlHead();
    new DataView(half.buffer).setUint32(0x30, 0x20000, true); // valid bytes past the buffer: not ETL
    expect(unsupportedFormatHint(half, 'x.bin')).toBeNull();
  });
});
