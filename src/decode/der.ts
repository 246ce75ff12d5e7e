/**
 * DER and BER (ITU-T X.690) elements with definite lengths, as far as reading a few fields of a
 * certificate (tls-certificate.ts), a Kerberos message (kerberos.ts) or an LDAP response (ldap.ts)
 * needs: tag, length, contents. Active Directory writes LDAP lengths in four bytes (0x84 ...);
 * longer length fields are refused.
 */
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
    if (n === 0 || n > 4 || start + n > end) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i];
    start += n;
  }
  if (start + len > end) return cut ? { tag, start, end } : null;
  return { tag, start, end: start + len };
}

/**
 * A string element's bytes as printable ASCII, at most `max` characters: names and messages from a
 * capture are data, shown in reports and on the terminal, so control and 8-bit bytes are dropped.
 */
export function derText(b: Uint8Array, e: DerElement, max: number): string {
  let s = '';
  for (let i = e.start; i < e.end && s.length < max; i++) {
    const c = b[i];
    if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
  }
  return s;
}
