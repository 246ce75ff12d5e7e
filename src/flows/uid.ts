/**
 * Zeek-style connection uids: `C` followed by base62 text. Ours are deterministic: the same input
 * gives the same uids on every run, which keeps reports and goldens stable.
 */

import { hashFinish } from './key.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `n` (an unsigned 32-bit integer) as exactly `width` base62 digits. */
export function base62(n: number, width: number): string {
  let v = n >>> 0;
  let out = '';
  for (let i = 0; i < width; i++) {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out;
}

/**
 * A uid from a per-table creation counter and a hash of the flow's first packet (5-tuple, time, file).
 * The counter half goes through murmur3's finaliser, which is a bijection on 32-bit integers, so uids
 * are unique within one table for up to 2^32 flows; the hash half keeps uids of different tables
 * (workers, files) apart in practice. 6 base62 digits hold any 32-bit value (62^6 > 2^32).
 */
export function makeUid(counter: number, firstPacketHash: number): string {
  // One string built from 13 character codes (same text as `C` + base62(..., 6) twice): this runs
  // once per flow, and the digit-by-digit concatenation of base62() made a dozen throwaway strings.
  let a = hashFinish(firstPacketHash) >>> 0;
  let b = hashFinish(counter | 0) >>> 0;
  const c = UID_CODES;
  for (let i = 6; i >= 1; i--) {
    c[i] = BASE62_CODES[a % 62];
    a = Math.floor(a / 62);
    c[i + 6] = BASE62_CODES[b % 62];
    b = Math.floor(b / 62);
  }
  return String.fromCharCode(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12]);
}

const BASE62_CODES = Uint8Array.from(BASE62, (ch) => ch.charCodeAt(0));
/** Scratch for {@link makeUid}; index 0 is the `C`. */
const UID_CODES = new Uint8Array(13).fill(0x43);
