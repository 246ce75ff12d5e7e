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

  it('says nothing about other bytes', () => {
    expect(unsupportedFormatHint(bytes('hello world, not a capture', 200), 'notes.txt')).toBeNull();
    expect(unsupportedFormatHint(new Uint8Array(0), 'empty.pcap')).toBeNull();
    const half = etlHead();
    new DataView(half.buffer).setUint32(0x30, 0x20000, true); // valid bytes past the buffer: not ETL
    expect(unsupportedFormatHint(half, 'x.bin')).toBeNull();
  });
});
