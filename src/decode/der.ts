/**
 * DER (ITU-T X.690) elements, as far as reading a few fields of a certificate (tls-certificate.ts) or
 * a Kerberos message (kerberos.ts) needs: tag, definite length, contents. Lengths of more than three
 * bytes (16 MiB) are not real in either and are refused.
 */
import { readU16 } from './cursor.js';

export interface DerElement {
  tag: number;
  /** Contents: b[start .. end). */
  start: number;
  end: number;
}

/**
 * The element at b[p ..], or null when its header does not fit before `end` or its contents run
 * past it. With `cut`, contents running past `end` end there instead (a message cut by the snap
 * length: what was captured of it can still be read).
 */
export function derElement(b: Uint8Array, p: number, end: number, cut = false): DerElement | null {
  if (p + 2 > end) return null;
  const tag = b[p];
  let len = b[p + 1];
  let start = p + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || start + n > end) return null;
    len = n === 1 ? b[start] : n === 2 ? readU16(b, start) : b[start] * 65536 + readU16(b, start + 1);
    start += n;
  }
  if (start + len > end) return cut ? { tag, start, end } : null;
  return { tag, start, end: start + len };
}
