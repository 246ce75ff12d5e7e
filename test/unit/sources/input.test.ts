import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiagnosticSink, InputError } from '../../../src/common/diagnostics.js';
import { readCapture } from '../../../src/sources/capture.js';
import { HEAD_BYTES, openInput, openInputStream, READ_CHUNK_BYTES, sniffFormat } from '../../../src/sources/input.js';
import type { ByteInput } from '../../../src/sources/types.js';
import { chunksOf, fillerBytes, writePcap } from '../../support/pcap-writer.js';
import { PcapngWriter } from '../../support/pcapng-writer.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flowaudit-input-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(input: ByteInput): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  // Copy each chunk: the producer may reuse its buffer after the next pull.
  for await (const c of input.chunks) parts.push(new Uint8Array(c));
  return Buffer.concat(parts);
}

/** Byte equality for megabytes (toEqual walks element by element): first differing index, or -1. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length))) return -1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

/** A capture of about 3 MiB, so plain reads span several 1 MiB chunks. */
function bigCapture(): Uint8Array {
  const records = [];
  for (let i = 0; i < 2100; i++) records.push({ tsMicros: 1_700_000_000_000_000 + i, data: fillerBytes(1500, i) });
  return writePcap({ byteOrder: 'le', linkType: 1, records });
}

describe('openInput', () => {
  it('reads a plain file in order, with head and size, across several chunks', async () => {
    const bytes = bigCapture();
    expect(bytes.length).toBeGreaterThan(2 * READ_CHUNK_BYTES);
    const path = join(dir, 'big.bin');
    await writeFile(path, bytes);
    const input = await openInput(path);
    expect(input.name).toBe(path);
    expect(input.gzip).toBe(false);
    expect(input.size).toBe(bytes.length);
    expect(input.head).toEqual(bytes.subarray(0, HEAD_BYTES));
    expect(firstDifference(await collect(input), bytes)).toBe(-1);
    expect(input.bytesConsumed()).toBe(bytes.length);
  });

  it('files read one after another, or at the same time, each get their own bytes (read buffers are reused)', async () => {
    const a = fillerBytes(2 * READ_CHUNK_BYTES + 123, 1);
    const b = fillerBytes(READ_CHUNK_BYTES + 7, 2);
    await writeFile(join(dir, 'a.bin'), a);
    await writeFile(join(dir, 'b.bin'), b);
    for (let round = 0; round < 2; round++) {
      expect(firstDifference(await collect(await openInput(join(dir, 'a.bin'))), a)).toBe(-1);
      expect(firstDifference(await collect(await openInput(join(dir, 'b.bin'))), b)).toBe(-1);
    }
    // Interleaved: a chunk is checked before its own input's next pull, whatever the other does.
    const ia = (await openInput(join(dir, 'a.bin'))).chunks[Symbol.asyncIterator]();
    const ib = (await openInput(join(dir, 'b.bin'))).chunks[Symbol.asyncIterator]();
    let at = 0;
    let bt = 0;
    for (;;) {
      const x = await ia.next();
      const y = await ib.next();
      if (!x.done) {
        expect(firstDifference(x.value, a.subarray(at, at + x.value.length))).toBe(-1);
        at += x.value.length;
      }
      if (!y.done) {
        expect(firstDifference(y.value, b.subarray(bt, bt + y.value.length))).toBe(-1);
        bt += y.value.length;
      }
      if (x.done && y.done) break;
    }
    expect([at, bt]).toEqual([a.length, b.length]);
  });

  it('gunzips on the fly, detected from the magic bytes whatever the name', async () => {
    const bytes = bigCapture();
    const path = join(dir, 'capture.pcap'); // no .gz: the bytes decide
    const gz = gzipSync(bytes);
    await writeFile(path, gz);
    const input = await openInput(path);
    expect(input.gzip).toBe(true);
    expect(input.size).toBe(gz.length);
    expect(sniffFormat(input.head)).toBe('pcap');
    expect(firstDifference(await collect(input), bytes)).toBe(-1);
    expect(input.bytesConsumed()).toBe(gz.length);
  });

  it('reads a gzip capture end to end', async () => {
    const path = join(dir, 'small.pcap.gz');
    await writeFile(path, gzipSync(bigCapture()));
    const diag = new DiagnosticSink();
    let n = 0;
    const summary = await readCapture(await openInput(path), { diag }, () => n++);
    expect(n).toBe(2100);
    expect(summary.complete).toBe(true);
    expect(diag.codes()).toEqual([]);
  });

  it('a truncated gzip file keeps the frames before the cut and reports input_gzip_corrupt', async () => {
    const gz = gzipSync(bigCapture());
    const path = join(dir, 'cut.pcap.gz');
    await writeFile(path, gz.subarray(0, Math.floor(gz.length / 2)));
    const diag = new DiagnosticSink();
    let n = 0;
    const summary = await readCapture(await openInput(path), { diag }, () => n++);
    expect(n).toBeGreaterThan(100);
    expect(n).toBeLessThan(2100);
    expect(diag.codes()).toContain('input_gzip_corrupt');
    const failed = diag.failedFiles.find((f) => f.code === 'input_gzip_corrupt')!;
    expect(failed.offset).toBeGreaterThanOrEqual(summary.bytes);
    expect(failed.message).toContain(`gzip stream corrupt or truncated after ${failed.offset} decompressed bytes`);
    expect(summary.complete).toBe(false);
  });

  it('corrupt gzip data in the middle: frames before it kept, one diagnostic, no throw', async () => {
    const gz = Buffer.from(gzipSync(bigCapture(), { level: 1 }));
    const at = Math.floor(gz.length * 0.6);
    for (let i = at; i < at + 64; i++) gz[i] ^= 0x5a;
    const path = join(dir, 'corrupt.gz');
    await writeFile(path, gz);
    const diag = new DiagnosticSink();
    let n = 0;
    const summary = await readCapture(await openInput(path), { diag }, () => n++);
    expect(n).toBeGreaterThan(0);
    expect(diag.codes()).toContain('input_gzip_corrupt');
    expect(summary.complete).toBe(false);
  });

  it('a file that starts like gzip but is not: one-line input_gzip_corrupt from openInput', async () => {
    const path = join(dir, 'fake.gz');
    await writeFile(path, Buffer.from([0x1f, 0x8b, 0x00, 0x00, 0x01, 0x02, 0x03]));
    const err = await openInput(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err).toMatchObject({ code: 'input_gzip_corrupt', offset: 0 });
    expect((err as Error).message).not.toContain('\n');
  });

  it('a missing file: input_unreadable, "no such file"', async () => {
    const path = join(dir, 'nope.pcap');
    const err = await openInput(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err).toMatchObject({ code: 'input_unreadable', file: path, offset: -1, message: `cannot read ${path}: no such file` });
  });

  it('a directory: input_unreadable, "is a directory"', async () => {
    const err = await openInput(dir).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'input_unreadable', message: `cannot read ${dir}: is a directory` });
  });

  it.skipIf(process.getuid?.() === 0)('an unreadable file: input_unreadable, "permission denied"', async () => {
    const path = join(dir, 'secret.pcap');
    await writeFile(path, 'x');
    await chmod(path, 0o000);
    const err = await openInput(path).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'input_unreadable', message: `cannot read ${path}: permission denied` });
  });

  it('an empty file opens with an empty head and no chunks', async () => {
    const path = join(dir, 'empty');
    await writeFile(path, '');
    const input = await openInput(path);
    expect(input.head.length).toBe(0);
    expect((await collect(input)).length).toBe(0);
  });

  it('close() before reading releases the file and ends the chunks', async () => {
    const path = join(dir, 'closed.pcap');
    await writeFile(path, bigCapture());
    const input = await openInput(path);
    await input.close();
    expect((await collect(input)).length).toBe(0);
  });
});

describe('standard input', () => {
  it("'-' reads the injected stdin stream, plain", async () => {
    const bytes = writePcap({ byteOrder: 'be', linkType: 1, records: [{ tsMicros: 5, data: fillerBytes(100) }] });
    const stdin = Readable.from([Buffer.from(bytes.subarray(0, 10)), Buffer.from(bytes.subarray(10))]);
    const input = await openInput('-', { stdin });
    expect(input.name).toBe('-');
    expect(input.size).toBeUndefined();
    const diag = new DiagnosticSink();
    const frames: number[] = [];
    await readCapture(input, { diag }, (f) => frames.push(f.tsMicros));
    expect(frames).toEqual([5]);
    expect(input.bytesConsumed()).toBe(bytes.length);
  });

  it("'-' gunzips a gzip stream", async () => {
    const w = new PcapngWriter().shb('le').idb({ linkType: 1 });
    for (let i = 0; i < 50; i++) w.epb({ interfaceId: 0, tsMicros: i, data: fillerBytes(200, i) });
    const bytes = w.finish();
    const input = await openInput('-', { stdin: chunksOf(gzipSync(bytes), 333) });
    expect(input.gzip).toBe(true);
    const diag = new DiagnosticSink();
    let n = 0;
    await readCapture(input, { diag }, () => n++);
    expect(n).toBe(50);
    expect(diag.codes()).toEqual([]);
  });

  it('fills head from tiny chunks without losing or reordering bytes, even when the producer reuses its buffer', async () => {
    const bytes = fillerBytes(10_000, 3);
    const input = await openInputStream('-', chunksOf(bytes, 3));
    expect(input.head).toEqual(bytes.subarray(0, HEAD_BYTES));
    expect(firstDifference(await collect(input), bytes)).toBe(-1);
  });

  it('a stream that fails mid-way: the bytes before are kept, the error ends the chunks', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield fillerBytes(5000);
      throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    }
    const input = await openInputStream('-', failing());
    expect(input.head.length).toBe(HEAD_BYTES);
    const got: Uint8Array[] = [];
    const err = await (async () => {
      for await (const c of input.chunks) got.push(new Uint8Array(c));
    })().catch((e: unknown) => e);
    expect(Buffer.concat(got).length).toBe(5000);
    expect(err).toMatchObject({ code: 'EIO' });
  });
});

describe('UTF-16 text (Windows PowerShell 5.1 writes it for `>` and Out-File)', () => {
  /** A firewall log of a few MiB, so the UTF-16 file spans several read chunks. */
  function firewallLog(lines: number): string {
    const out = ['#Version: 1.5', '#Software: Microsoft Windows Firewall', '#Time Format: Local', '#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn tcpack tcpwin icmptype icmpcode info path', ''];
    for (let i = 0; i < lines; i++) out.push(`2024-05-01 10:00:${String(i % 60).padStart(2, '0')} DROP TCP 10.0.${(i >> 8) & 255}.${i & 255} 10.0.0.11 ${40000 + (i % 20000)} 389 52 S 1 0 64240 - - - SEND`);
    return out.join('\r\n') + '\r\n';
  }
  const utf16le = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  const utf16be = (text: string) => {
    const le = Buffer.from(text, 'utf16le');
    return Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(le).swap16()]);
  };

  it('a UTF-16LE file with a BOM reads as the same text in UTF-8, across read chunks', async () => {
    const text = firewallLog(30_000);
    const bytes = utf16le(text);
    expect(bytes.length).toBeGreaterThan(2 * READ_CHUNK_BYTES);
    const path = join(dir, 'pfirewall-utf16.log');
    await writeFile(path, bytes);
    const input = await openInput(path);
    expect(sniffFormat(input.head)).toBe('pfirewall');
    expect(Buffer.from(await collect(input)).toString('utf8')).toBe(text);
    expect(input.bytesConsumed()).toBe(bytes.length);
  });

  it('UTF-16BE, gzip of UTF-16, and a stream cut inside characters', async () => {
    const text = 'time,source,destination,dport,protocol,action\r\n2024-05-01T10:00:00Z,10.0.0.20,10.0.0.11,389,TCP,Deny\r\n'.repeat(50);
    const be = await openInputStream('-', chunksOf(utf16be(text), 3));
    expect(Buffer.from(await collect(be)).toString('utf8')).toBe(text);
    const gz = await openInputStream('-', chunksOf(gzipSync(utf16le(text)), 7));
    expect(gz.gzip).toBe(true);
    expect(sniffFormat(gz.head)).toBe('csv');
    expect(Buffer.from(await collect(gz)).toString('utf8')).toBe(text);
  });

  it('a capture is never taken for UTF-16 text', async () => {
    const bytes = writePcap({ byteOrder: 'le', linkType: 1, records: [{ tsMicros: 1_700_000_000_000_000, data: fillerBytes(60, 1) }] });
    const input = await openInputStream('-', chunksOf(bytes, 1));
    expect(sniffFormat(input.head)).toBe('pcap');
    expect(firstDifference(await collect(input), bytes)).toBe(-1);
  });
});

describe('sniffFormat', () => {
  const text = (s: string) => new TextEncoder().encode(s);
  const cases: [string, Uint8Array, string][] = [
    ['pcap µs LE', Uint8Array.of(0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0), 'pcap'],
    ['pcap µs BE', Uint8Array.of(0xa1, 0xb2, 0xc3, 0xd4, 0, 2, 0, 4), 'pcap'],
    ['pcap ns LE', Uint8Array.of(0x4d, 0x3c, 0xb2, 0xa1), 'pcap'],
    ['pcap ns BE', Uint8Array.of(0xa1, 0xb2, 0x3c, 0x4d), 'pcap'],
    ['pcapng LE', new PcapngWriter().shb('le').finish(), 'pcapng'],
    ['pcapng BE', new PcapngWriter().shb('be').finish(), 'pcapng'],
    ['pcapng magic with a broken byte-order magic', Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 1, 2, 3, 4), 'unknown'],
    [
      'Windows Firewall log',
      text('#Version: 1.5\r\n#Software: Microsoft Windows Firewall\r\n#Time Format: Local\r\n#Fields: date time action protocol\r\n'),
      'pfirewall',
    ],
    ['Windows Firewall log, fields line only', text('#Fields: date time action protocol src-ip dst-ip\n'), 'pfirewall'],
    ['IIS log (W3C, not a firewall log)', text('#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n'), 'unknown'],
    [
      'NSG flow log',
      text('{"records":[{"time":"2024-01-01T00:00:00Z","category":"NetworkSecurityGroupFlowEvent","properties":{"Version":2,"flows":[{"rule":"r","flows":[{"mac":"x","flowTuples":["1,a"]}]}]}}]}'),
      'nsg',
    ],
    ['NSG flow log with a BOM', new Uint8Array([0xef, 0xbb, 0xbf, ...text('{ "records": [ { "properties": { "Version": 1 } } ] }')]), 'nsg'],
    ['NSG bare record per line', text('{"time":"x","properties":{"Version":2,"flows":[{"flows":[{"flowTuples":[]}]}]}}\n'), 'nsg'],
    ['VNet flow log', text('{"records":[{"time":"x","flowLogVersion":4,"flowRecords":{"flows":[{"flowGroups":[{"flowTuples":[]}]}]}}]}'), 'vnet'],
    ['other JSON', text('{"hello": "world"}'), 'unknown'],
    ['CSV with header', text('TimeGenerated,SrcIP,DestIP,DestPort,Protocol,Action\r\n2024-01-01,10.0.0.1,10.0.0.2,445,TCP,Deny\r\n'), 'csv'],
    ['CSV with BOM and quoted header', new Uint8Array([0xef, 0xbb, 0xbf, ...text('"Source address";"Destination port";"Decision"\n')]), 'csv'],
    ['TSV header', text('src\tdst\tport\n'), 'csv'],
    ['CSV data without a header', text('10.0.0.1,10.0.0.2,445,6\n'), 'unknown'],
    ['HTTP request', text('GET / HTTP/1.1\r\nHost: x\r\n'), 'unknown'],
    ['binary', Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 0, 0, 0), 'unknown'],
    ['empty', new Uint8Array(0), 'unknown'],
  ];
  for (const [what, head, format] of cases) {
    it(`${what} → ${format}`, () => {
      expect(sniffFormat(head)).toBe(format);
    });
  }
});
