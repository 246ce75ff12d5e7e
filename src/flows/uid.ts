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
  return `C${base62(hashFinish(firstPacketHash), 6)}${base62(hashFinish(counter | 0), 6)}`;
}
