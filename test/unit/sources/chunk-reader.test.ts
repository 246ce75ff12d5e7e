import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/common/diagnostics.js';
import { ChunkReader, MAX_ENSURE_BYTES } from '../../../src/sources/chunk-reader.js';
import { chunksOf, fillerBytes } from '../../support/pcap-writer.js';

/** Reads `bytes` through a ChunkReader in records of the given sizes, copying each view. */
async function readRecords(bytes: Uint8Array, chunk: number, sizes: number[]): Promise<{ parts: Uint8Array[]; offsets: number[] }> {
  const r = new ChunkReader(chunksOf(bytes, chunk), 't');
  const parts: Uint8Array[] = [];
  const offsets: number[] = [];
  for (const n of sizes) {
    expect(await r.ensure(n)).toBe(true);
    offsets.push(r.offset);
    parts.push(r.buf.slice(r.pos, r.pos + n));
    r.skip(n);
  }
  await r.close();
  return { parts, offsets };
}

describe('ChunkReader', () => {
  const bytes = fillerBytes(5000, 11);
  const sizes = [1, 16, 100, 3, 700, 0, 1024, 2048, 8, 1100];

  for (const chunk of [1, 2, 7, 64, 1000, 4096, 1 << 20]) {
    it(`hands out exact contiguous views across chunk boundaries (chunks of ${chunk}, buffer reused by the producer)`, async () => {
      const { parts, offsets } = await readRecords(bytes, chunk, sizes);
      let at = 0;
      parts.forEach((p, i) => {
        expect(offsets[i]).toBe(at);
        expect(p).toEqual(bytes.subarray(at, at + sizes[i]));
        at += sizes[i];
      });
    });
  }

  it('reports the end of the stream with what is left available', async () => {
    const r = new ChunkReader(chunksOf(fillerBytes(10), 4), 't');
    expect(await r.ensure(8)).toBe(true);
    r.skip(8);
    expect(await r.ensure(4)).toBe(false);
    expect(r.available()).toBe(2);
    expect(r.failure).toBeNull();
  });

  it('drain() counts every remaining byte, buffered or not', async () => {
    const r = new ChunkReader(chunksOf(fillerBytes(10_000), 300), 't');
    expect(await r.ensure(450)).toBe(true);
    r.skip(100);
    expect(await r.drain()).toBe(9_900);
    expect(r.offset).toBe(10_000);
  });

  it('turns a producer error into `failure` and keeps the bytes before it', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield fillerBytes(10);
      throw new InputError('input_gzip_corrupt', 't.gz', 10, 't.gz: gzip stream corrupt or truncated after 10 decompressed bytes');
    }
    const r = new ChunkReader(failing(), 't.gz');
    expect(await r.ensure(20)).toBe(false);
    expect(r.available()).toBe(10);
    expect(r.buf.subarray(r.pos, r.end)).toEqual(fillerBytes(10));
    expect(r.failure).toMatchObject({ code: 'input_gzip_corrupt', offset: 10 });
  });

  it('wraps a plain I/O error as input_unreadable with the offset reached', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield fillerBytes(7);
      throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
    }
    const r = new ChunkReader(failing(), 'x.pcap');
    expect(await r.ensure(8)).toBe(false);
    expect(r.failure).toMatchObject({ code: 'input_unreadable', offset: 7 });
    expect(r.failure?.message).toBe('x.pcap: read error after 7 bytes (EIO: EIO: i/o error)');
  });

  it('refuses requests above the ceiling (callers check untrusted lengths first)', async () => {
    const r = new ChunkReader(chunksOf(fillerBytes(10), 4), 't');
    await expect(Promise.resolve(r.ensure(MAX_ENSURE_BYTES + 1))).rejects.toThrow(RangeError);
  });

  it('close() ends the producer early', async () => {
    let finished = false;
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        for (;;) yield fillerBytes(100);
      } finally {
        finished = true;
      }
    }
    const r = new ChunkReader(source(), 't');
    expect(await r.ensure(150)).toBe(true);
    await r.close();
    expect(finished).toBe(true);
  });
});
