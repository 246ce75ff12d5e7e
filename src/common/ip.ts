/**
 * IP address helpers. Addresses travel through the hot path as bytes (see decode/types.ts) and
 * become strings once per flow, in the canonical forms Wireshark and Zeek print:
 * dotted quad for IPv4, RFC 5952 compressed lowercase for IPv6.
 */

/** Formats 4 bytes of `b` starting at `off` as a dotted quad. */
export function formatIpv4(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** Formats 16 bytes of `b` at `off` as RFC 5952 text (longest zero run compressed, lowercase). */
export function formatIpv6(b: Uint8Array, off = 0): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[off + 2 * i] << 8) | b[off + 2 * i + 1]);
  // IPv4-mapped ::ffff:a.b.c.d is printed with the dotted tail, as Wireshark does.
  if (words[0] === 0 && words[1] === 0 && words[2] === 0 && words[3] === 0 && words[4] === 0 && words[5] === 0xffff) {
    return `::ffff:${formatIpv4(b, off + 12)}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLen).join(':');
  return `${head}::${tail}`;
}

/** Parses an IPv4 or IPv6 literal to 4 or 16 bytes; null when it is not an address. */
export function parseIp(text: string): Uint8Array | null {
  const s = text.trim();
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) {
    const parts = s.split('.').map(Number);
    if (parts.some((p) => p > 255)) return null;
    return Uint8Array.from(parts);
  }
  if (!s.includes(':')) return null;
  let str = s;
  const zone = str.indexOf('%');
  if (zone >= 0) str = str.slice(0, zone);
  let tailV4: Uint8Array | null = null;
  const lastColon = str.lastIndexOf(':');
  if (str.slice(lastColon + 1).includes('.')) {
    tailV4 = parseIp(str.slice(lastColon + 1));
    if (!tailV4 || tailV4.length !== 4) return null;
    str = str.slice(0, lastColon + 1) + '0:0';
  }
  const halves = str.split('::');
  if (halves.length > 2) return null;
  const parse = (h: string) => (h === '' ? [] : h.split(':'));
  const head = parse(halves[0]);
  const tail = halves.length === 2 ? parse(halves[1]) : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 && fill !== 0) return null;
  if (halves.length === 2 && fill < 1) return null;
  const groups = [...head, ...Array(halves.length === 2 ? fill : 0).fill('0'), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(groups[i])) return null;
    const w = parseInt(groups[i], 16);
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  }
  if (tailV4) out.set(tailV4, 12);
  return out;
}

/** Normalises an address literal to the canonical text form; null when it is not an address. */
export function canonicalIp(text: string): string | null {
  const b = parseIp(text);
  if (!b) return null;
  return b.length === 4 ? formatIpv4(b) : formatIpv6(b);
}

/** True for a literal containing ':' (IPv6). Cheap, for already-canonical strings. */
export function isIpv6(addr: string): boolean {
  return addr.includes(':');
}

/** A parsed CIDR block, for inventory matching. */
export interface Cidr {
  bytes: Uint8Array;
  prefix: number;
}

/** Parses `10.0.0.0/24` or `2001:db8::/32`; null when malformed. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const bytes = parseIp(text.slice(0, slash));
  const prefix = Number(text.slice(slash + 1));
  if (!bytes || !Number.isInteger(prefix) || prefix < 0 || prefix > bytes.length * 8) return null;
  return { bytes, prefix };
}

/** True when address text `addr` lies in `cidr`. */
export function cidrContains(cidr: Cidr, addr: string): boolean {
  const b = parseIp(addr);
  if (!b || b.length !== cidr.bytes.length) return false;
  let bits = cidr.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((b[i] & mask) !== (cidr.bytes[i] & mask)) return false;
  }
  return true;
}
