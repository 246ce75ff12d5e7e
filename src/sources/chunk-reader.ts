import { InputError, type DiagnosticSink } from '../common/diagnostics.js';

/**
 * Largest byte count a reader may ask {@link ChunkReader.ensure} for in one go. Length fields in a
 * capture are untrusted: readers compare them against this (or a smaller, format-specific limit)
 * and report a diagnostic instead of asking. 64 MiB is far above any real record (pcap's usual
 * ceiling is 256 KiB, Wireshark's pcapng block ceiling 16 MiB).
 */
export const MAX_ENSURE_BYTES = 64 * 1024 * 1024;

const EMPTY = new Uint8Array(0);

/**
 * A cursor over a stream of chunks that hands out contiguous views without copying in the common
 * case (the idea of gopacket's ZeroCopyReadPacketData and node-csv's ResizeableBuffer).
 *
 * The window is `buf[pos .. end)`. While a record lies inside the producer's current chunk,
 * `buf` IS that chunk: no copy. Only when a record straddles two chunks are its bytes stitched
 * into a growable buffer of our own (the unread tail of the old chunk plus exactly the bytes
 * still needed from the next), and reading returns to the producer's chunk as soon as the
 * position passes the stitched part. So each byte is copied at most about once per chunk
 * boundary, not once per byte of the file.
 *
 * Buffer lifetime: a view of `buf` is valid until the next call of {@link ensure} (which may
 * switch buffers, compact, or let the producer reuse its chunk). Readers hand such views to a
 * synchronous callback and never keep them.
 *
 * I/O errors from the chunk iterator (a corrupt gzip stream, EIO) end the stream like EOF: the
 * bytes read before stay readable and the error is kept in {@link failure} for the reader to
 * report as a diagnostic. Nothing thrown by the producer escapes {@link ensure}.
 */
export class ChunkReader {
  /** Current window buffer; the readable bytes are `buf[pos .. end)`. */
  buf: Uint8Array = EMPTY;
  /** Read position in {@link buf}. Readers may advance it directly (up to {@link end}). */
  pos = 0;
  /** End of the valid bytes in {@link buf}. */
  end = 0;
  /** Set when the chunk iterator failed; the stream counts as ended at that point. */
  failure: InputError | null = null;

  /** Stream offset of `buf[0]`. */
  private base = 0;
  private stitch: Uint8Array = EMPTY;
  /** Producer chunk whose first {@link pendingUsed} bytes sit at the end of {@link stitch}. */
  private pending: Uint8Array | null = null;
  private pendingUsed = 0;
  private readonly iter: AsyncIterator<Uint8Array>;
  private ended = false;

  /**
   * @param chunks the input's chunks, consumed once; the reader ends the iteration on {@link close}.
   * @param name file name for error messages.
   */
  constructor(
    chunks: AsyncIterable<Uint8Array>,
    private readonly name: string,
  ) {
    this.iter = chunks[Symbol.asyncIterator]();
  }

  /** Stream offset (bytes from the start of the decompressed stream) of the read position. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Stream offset of index `i` of {@link buf}. */
  offsetOf(i: number): number {
    return this.base + i;
  }

  /** Bytes readable right now without I/O. */
  available(): number {
    return this.end - this.pos;
  }

  /** True once the producer has no more chunks (EOF or failure) and nothing is pending. */
  get exhausted(): boolean {
    return this.ended && this.pending === null;
  }

  /** Advances the position by `n` bytes, which must be buffered (caller bug otherwise). */
  skip(n: number): void {
    if (n < 0 || n > this.end - this.pos) throw new RangeError(`skip(${n}) past the buffered ${this.end - this.pos} bytes`);
    this.pos += n;
  }

  /**
   * Makes at least `n` bytes readable at the position. Resolves false when the stream ends (or
   * fails) first; then {@link available} tells how many bytes there are. `n` must not exceed
   * {@link MAX_ENSURE_BYTES}: callers check untrusted lengths before asking.
   */
  ensure(n: number): Promise<boolean> | boolean {
    if (this.end - this.pos >= n) return true;
    return this.fill(n);
  }

  /**
   * Skips everything that is left and returns the number of bytes skipped (for "N bytes unread"
   * messages when a reader has to stop). Reads the rest of the stream without keeping it.
   */
  async drain(): Promise<number> {
    const from = this.offset;
    let n = this.end - this.pos;
    this.pos = this.end;
    if (this.pending) {
      n += this.pending.length - this.pendingUsed;
      this.pending = null;
    }
    while (!this.ended) {
      const chunk = await this.pull();
      if (chunk) n += chunk.length;
    }
    this.base = from + n;
    this.buf = EMPTY;
    this.pos = this.end = 0;
    return n;
  }

  /** Ends the underlying iteration early (closes the file). Safe to call more than once. */
  async close(): Promise<void> {
    this.pending = null;
    if (this.ended) return;
    this.ended = true;
    try {
      await this.iter.return?.();
    } catch {
      // Closing after a failure: the failure is already recorded.
    }
  }

  private async fill(n: number): Promise<boolean> {
    if (n > MAX_ENSURE_BYTES) throw new RangeError(`ensure(${n}) exceeds MAX_ENSURE_BYTES`);
    // Back to the producer's chunk once the position has left the stitched tail of the old one.
    if (this.pending !== null && this.buf === this.stitch && this.pos >= this.end - this.pendingUsed) {
      const into = this.pos - (this.end - this.pendingUsed);
      this.base += this.pos - into;
      this.buf = this.pending;
      this.pos = into;
      this.end = this.pending.length;
      this.pending = null;
      if (this.end - this.pos >= n) return true;
    }
    // Nothing left in the window: adopt the next chunk as is when it is big enough (no copy).
    if (this.pos === this.end && this.pending === null) {
      this.base += this.pos;
      this.buf = EMPTY;
      this.pos = this.end = 0;
      while (!this.ended) {
        const chunk = await this.pull();
        if (chunk === null || chunk.length === 0) continue;
        this.buf = chunk;
        this.end = chunk.length;
        if (chunk.length >= n) return true;
        break;
      }
      if (this.end === 0) return false;
    }
    this.moveWindowToStitch(n);
    // Pull until n bytes are buffered, copying only what is needed from the last chunk.
    while (this.end < n) {
      if (this.pending === null) {
        if (this.ended) break;
        const chunk = await this.pull();
        if (chunk === null) break;
        this.pending = chunk;
        this.pendingUsed = 0;
      }
      const src = this.pending;
      const take = Math.min(n - this.end, src.length - this.pendingUsed);
      this.stitch.set(src.subarray(this.pendingUsed, this.pendingUsed + take), this.end);
      this.end += take;
      this.pendingUsed += take;
      if (this.pendingUsed === src.length) this.pending = null;
    }
    return this.end >= n;
  }

  /** Puts the unread window at the start of the stitch buffer, grown to hold `n` bytes. */
  private moveWindowToStitch(n: number): void {
    const left = this.end - this.pos;
    if (this.buf === this.stitch) {
      if (this.stitch.length < n) {
        const grown = new Uint8Array(growTo(n));
        grown.set(this.stitch.subarray(this.pos, this.end));
        this.stitch = grown;
      } else if (this.pos > 0) {
        this.stitch.copyWithin(0, this.pos, this.end);
      }
    } else {
      // The window is a producer chunk (which may be reused after the next pull): copy its tail.
      if (this.stitch.length < n) this.stitch = new Uint8Array(growTo(n));
      this.stitch.set(this.buf.subarray(this.pos, this.end));
    }
    this.base += this.pos;
    this.buf = this.stitch;
    this.pos = 0;
    this.end = left;
  }

  /** Next chunk from the producer, or null at the end; turns a producer error into {@link failure}. */
  private async pull(): Promise<Uint8Array | null> {
    if (this.ended) return null;
    try {
      const r = await this.iter.next();
      if (r.done) {
        this.ended = true;
        return null;
      }
      // A plain Uint8Array view of the chunk: readers cut one subarray per record from it, and
      // TypedArray#subarray is markedly cheaper than Buffer#subarray (no FastBuffer wrapper).
      const v = r.value;
      return Buffer.isBuffer(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : v;
    } catch (e) {
      this.ended = true;
      const at = this.base + this.end;
      this.failure =
        e instanceof InputError
          ? e
          : new InputError('input_unreadable', this.name, at, `${this.name}: read error after ${at} bytes (${describeError(e)})`);
      return null;
    }
  }
}

function growTo(n: number): number {
  // Powers of two from 64 KiB keep regrowth rare without overshooting a large request much.
  let size = 64 * 1024;
  while (size < n) size *= 2;
  return Math.min(size, Math.max(n, MAX_ENSURE_BYTES));
}

/** A short description of an I/O error: its errno code when there is one, else its message. */
export function describeError(e: unknown): string {
  if (e && typeof e === 'object') {
    const code = (e as { code?: unknown }).code;
    const message = (e as { message?: unknown }).message;
    if (typeof code === 'string' && typeof message === 'string') return `${code}: ${message}`;
    if (typeof message === 'string') return message;
  }
  return String(e);
}

/**
 * Reports the stream's own failure (corrupt gzip, read error) once a reader has used every byte
 * before it: a diagnostic at the decompressed offset reached, and the file marked failed.
 * @param frames frames delivered so far (the index of the last good record).
 */
export function reportStreamFailure(diag: DiagnosticSink, failure: InputError, frames: number): void {
  diag.report(failure.code, { file: failure.file, offset: failure.offset, index: frames }, failure.message);
  diag.fail({ file: failure.file, code: failure.code, offset: failure.offset, message: failure.message });
}
