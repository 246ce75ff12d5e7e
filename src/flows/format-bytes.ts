/**
 * A growable byte buffer that output rows are written into directly, as UTF-8, without building a
 * string per row. Formatters for millions of rows (a 1 GB firewall log is ~12M flows) spent more
 * time concatenating, joining and re-encoding strings than reading the input; writing characters
 * and digits straight into bytes removes those copies and most of the garbage.
 *
 * Buffer lifetime: the owner (TextOutput) drains `buf[0, pos)` and resets `pos`; a row writer must
 * not keep references into `buf`.

 */

/**
 * Writes `s` as UTF-8 at `b[p]` and returns the position after it. Plain ASCII (nearly every
 * value) is copied character by character. The caller has made room for 3 bytes per UTF-16 unit.
 */
export function putText(b: Buffer, p: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      // Not ASCII: the encoder handles the rest (surrogate pairs; lone surrogates become U+FFFD).
      return p + b.write(s.slice(i), p, 'utf8');
    }
    b[p++] = c;
  }
  return p;
}

/**
 * Writes the decimal digits (at most 16) of a non-negative safe integer `v` at `b[p]`, as
 * `String(v)` would, and returns the position after them.
 */
export function putDigits(b: Buffer, p: number, v: number): number {
  if (v < 0x80000000) {
    let x = v | 0;
    const len = x < 10 ? 1 : x < 100 ? 2 : x < 1000 ? 3 : x < 10000 ? 4 : x < 100000 ? 5 : x < 1000000 ? 6 : x < 10000000 ? 7 : x < 100000000 ? 8 : x < 1000000000 ? 9 : 10;
    const end = p + len;
    let q = end;
    do {
      const d = (x / 10) | 0;
      b[--q] = 48 + (x - d * 10);
      x = d;
    } while (x !== 0);
    return end;
  }
  let len = 1;
  for (let t = v; t >= 10; len++) t = Math.floor(t / 10);
  const end = p + len;
  let q = end;
  let x = v;
  do {
    const d = Math.floor(x / 10);
    b[--q] = 48 + (x - d * 10);
    x = d;
  } while (x !== 0);
  return end;
}

/**
 * Writes microseconds `v` (a non-negative safe integer) as seconds with six decimals
 * (`1714557600.123456`), as `formatZeekTs` does, and returns the position after them (at most 17
 * bytes).
 */
export function putMicros(b: Buffer, p: number, v: number): number {
  const sec = Math.floor(v / 1_000_000);
  let frac = v - sec * 1_000_000;
  p = putDigits(b, p, sec);
  b[p] = 46; // '.'
  const end = p + 7;
  let q = end;
  for (let i = 0; i < 6; i++) {
    const d = (frac / 10) | 0;
    b[--q] = 48 + (frac - d * 10);
    frac = d;
  }
  return end;
}

/** Output bytes being gathered: writers append at `pos` after {@link RowBuffer.ensure}. */
export class RowBuffer {
  /** The bytes; valid in `[0, pos)`. Replaced (not resized in place) when it grows. */
  buf: Buffer;
  /** Where the next byte goes. */
  pos = 0;

  /** @param size initial capacity in bytes */
  constructor(size = 1 << 17) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Makes room for at least `n` more bytes (growing keeps the bytes written so far). */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Appends a string as UTF-8. */
  text(s: string): void {
    this.ensure(s.length * 3);
    this.pos = putText(this.buf, this.pos, s);
  }
}
