/**
 * Bounds-aware big-endian readers over a `Uint8Array` view.
 *
 * These are deliberately tiny so that V8 inlines them on the hot path. They do NOT check bounds:
 * every caller checks `offset + width <= end` first (STYLE.md error model, rule 5), because
 * `buf[i]` past the end is silently `undefined` and would turn into 0 or NaN here.
 */

/** Reads an unsigned 16-bit big-endian integer at `off`. Caller guarantees `off + 2 <= b.length`. */
export function readU16(b: Uint8Array, off: number): number {
  return (b[off] << 8) | b[off + 1];
}

/** Reads an unsigned 16-bit little-endian integer at `off`. Caller guarantees `off + 2 <= b.length`. */
export function readU16LE(b: Uint8Array, off: number): number {
  return b[off] | (b[off + 1] << 8);
}

/** Reads an unsigned 32-bit big-endian integer at `off` (0 .. 2^32-1). Caller checks bounds. */
export function readU32(b: Uint8Array, off: number): number {
  return ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
}

/** Reads an unsigned 32-bit little-endian integer at `off`. Caller checks bounds. */
export function readU32LE(b: Uint8Array, off: number): number {
  return (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24)) >>> 0;
}
