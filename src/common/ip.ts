/**
 * IP address helpers. Addresses travel through the hot path as bytes (see decode/types.ts) and
 * become strings once per flow, in the canonical forms Wireshark and Zeek print:
 * dotted quad for IPv4, RFC 5952 compressed lowercase for IPv6.
 */

/** Formats 4 bytes of `b` starting at `off` as a dotted quad. */
export function formatIpv4(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** Scratch for {@link formatIpv6}: the eight 16-bit groups, then the output's character codes. */
const V6_WORDS = new Uint16Array(8);
const V6_CHARS = new Uint16Array(40);
const HEX_CODES = Uint8Array.from('0123456789abcdef', (ch) => ch.charCodeAt(0));

/**
 * Formats 16 bytes of `b` at `off` as RFC 5952 text (longest zero run compressed, lowercase).
 * Runs once per IPv6 flow, so it writes character codes into a scratch buffer and makes one flat
 * string, instead of building arrays of group strings and joining them.
 */
export function formatIpv6(b: Uint8Array, off = 0): string {
  const words = V6_WORDS;
  for (let i = 0; i < 8; i++) words[i] = (b[off + 2 * i] << 8) | b[off + 2 * i + 1];
  // IPv4-mapped ::ffff:a.b.c.d is printed with the dotted tail, as Wireshark does.
  if (words[0] === 0 && words[1] === 0 && words[2] === 0 && words[3] === 0 && words[4] === 0 && words[5] === 0xffff) {
    return `::ffff:${formatIpv4(b, off + 12)}`;
  }
  // The first longest run of two or more zero groups is written as `::`.
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
  const out = V6_CHARS;
  let n = 0;
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out[n++] = 0x3a; // ':' twice: one closes the head (or starts the text), one opens the tail
      out[n++] = 0x3a;
      i += bestLen - 1;
      continue;
    }
    if (i > 0 && i !== bestStart + bestLen) out[n++] = 0x3a;
    const w = words[i];
    if (w >= 0x1000) out[n++] = HEX_CODES[w >> 12];
    if (w >= 0x100) out[n++] = HEX_CODES[(w >> 8) & 0xf];
    if (w >= 0x10) out[n++] = HEX_CODES[(w >> 4) & 0xf];
    out[n++] = HEX_CODES[w & 0xf];
  }
  return String.fromCharCode.apply(null, out.subarray(0, n) as unknown as number[]);
}

/**
 * Parses a dotted quad (exactly four groups of 1-3 ASCII digits, each at most 255) without regex
 * or split: role assignment and report ordering parse every address of every pair, tens of
 * thousands of times per run. Returns null when `s` is not a dotted quad.
 */
function parseIpv4(s: string): Uint8Array | null {
  const n = s.length;
  if (n < 7 || n > 15) return null;
  const out = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits > 3) return null;
      value = value * 10 + (c - 48);
    } else if (c === 46 && digits > 0 && part < 3) {
      if (value > 255) return null;
      out[part++] = value;
      value = 0;
      digits = 0;
    } else {
      return null;
    }
  }
  if (part !== 3 || digits === 0 || value > 255) return null;
  out[3] = value;
  return out;
}

/** True when `g` is 1-4 hexadecimal digits (an IPv6 group). */
function isHexGroup(g: string): boolean {
  const n = g.length;
  if (n < 1 || n > 4) return false;
  for (let i = 0; i < n; i++) {
    const c = g.charCodeAt(i);
    if (c >= 48 && c <= 57) continue;
    const lower = c | 0x20; // ASCII letters to lowercase
    if (lower < 97 || lower > 102) return false;
  }
  return true;
}

/** Value of an ASCII hex digit, or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/**
 * Parses IPv6 text made only of hex digits and colons (canonical text, as flows carry it) in one
 * pass. Returns undefined for anything else (zone, embedded IPv4), which {@link parseIp} hands
 * to its general path; for the strings it takes, the result is exactly that of the general path.
 */
function parseIpv6Plain(s: string): Uint8Array | null | undefined {
  const words = V6_PLAIN;
  const ok = parseIpv6PlainWords(s, words, 0);
  if (ok !== 1) return ok === 0 ? null : undefined;
  const out = new Uint8Array(16);
  for (let k = 0; k < 8; k++) {
    out[2 * k] = words[k] >> 8;
    out[2 * k + 1] = words[k] & 0xff;
  }
  return out;
}

/** Scratch for {@link parseIpv6Plain}. */
const V6_PLAIN = new Uint16Array(8);

/**
 * {@link parseIpv6Plain} into eight 16-bit groups at `out[off..off+8)`, allocating nothing:
 * 1 parsed, 0 not an address, -1 not plain text (a zone, an embedded IPv4: use parseIp).
 */
function parseIpv6PlainWords(s: string, out: Uint16Array, off: number): 1 | 0 | -1 {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c !== 58 && hexValue(c) < 0) return -1;
  }
  const words = V6_WORDS;
  let count = 0;
  /** Number of groups before the `::`, or -1 when there is none. */
  let gap = -1;
  let i = 0;
  if (n >= 2 && s.charCodeAt(0) === 58 && s.charCodeAt(1) === 58) {
    gap = 0;
    i = 2;
  }
  while (i < n) {
    let value = 0;
    let digits = 0;
    for (; i < n && s.charCodeAt(i) !== 58; i++) {
      if (++digits > 4) return 0;
      value = (value << 4) | hexValue(s.charCodeAt(i));
    }
    if (digits === 0 || count === 8) return 0;
    words[count++] = value;
    if (i === n) break;
    i++; // the ':' after the group
    if (i < n && s.charCodeAt(i) === 58) {
      if (gap >= 0) return 0; // a second '::'
      gap = count;
      i++;
    } else if (i === n) {
      return 0; // a single trailing ':'
    }
  }
  if (gap < 0 ? count !== 8 : count > 7) return 0;
  const zeros = 8 - count;
  for (let k = 0; k < 8; k++) out[off + k] = 0;
  for (let k = 0; k < count; k++) out[off + (gap >= 0 && k >= gap ? k + zeros : k)] = words[k];
  return 1;
}

/** Parses an IPv4 or IPv6 literal to 4 or 16 bytes; null when it is not an address. */
export function parseIp(text: string): Uint8Array | null {
  const s = text.trim();
  const v4 = parseIpv4(s);
  if (v4) return v4;
  if (!s.includes(':')) return null;
  const plain = parseIpv6Plain(s);
  if (plain !== undefined) return plain;
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
    if (!isHexGroup(groups[i])) return null;
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

/**
 * True for a text starting 1 or 3-9: as a dotted quad its first group is below 224, as IPv6 it is
 * not ffXX, so it names no group (multicast or broadcast). Decided without parsing.
 */
export function startsBelowGroups(address: string): boolean {
  const c = address.charCodeAt(0);
  return c === 49 || (c >= 51 && c <= 57);
}

/**
 * True when `address` is plainly one host's: no group (roles/address-scope.ts isGroupAddress) and
 * not a subnet's broadcast address either (x.x.x.255, which the audit judges by its traffic).
 * Decided from the text without parsing it: an IPv6 text names a group only in ff00::/8 (written
 * ffXX:), a dotted quad starting 1 or 3-9 is below 224.0.0.0. False means "look closer", not "a
 * group": the audit asks this of every address, and a capture's global IPv6 clients (2001:…)
 * and its hosts ending in 5 were all looked at closer, cold, after the last packet.
 */
export function plainlyOneHost(address: string): boolean {
  if (address.includes(':')) {
    const c = address.charCodeAt(0);
    return c !== 102 && c !== 70; // not f or F
  }
  return startsBelowGroups(address) && !address.endsWith('.255');
}

/**
 * True for link-local unicast addresses (fe80::/10, 169.254.0.0/16): a host's own address on its
 * link, for neighbour discovery, DHCPv6, mDNS and WS-Discovery. No router or firewall between
 * subnets passes them, so an audit of those has nothing to say about them (the audit's unknown
 * endpoints leave them out). A text test: canonical forms only (as the flow table writes them).
 */
export function isLinkLocalAddress(address: string): boolean {
  if (address.includes(':')) return /^fe[89ab][0-9a-f]:/i.test(address);
  return address.startsWith('169.254.');
}

/**
 * {@link plainlyOneHost} and not link-local: an address the audit's list of unknown endpoints
 * takes as it is. Decided once per address as it is first seen (the pair table): the text test
 * after the last packet, cold, over 50k addresses cost ~6 ms.
 */
export function plainlyRoutableHost(address: string): boolean {
  return plainlyOneHost(address) && !isLinkLocalAddress(address);
}

/**
 * A canonical dotted-quad IPv4 address (`10.0.0.1`: four decimal parts 0-255, no leading zeros,
 * nothing else) as an unsigned 32-bit number; -1 for anything else. A fast path for the common
 * case: callers fall back to parseIp for the rest (which agrees on every address accepted here).
 */
export function ipv4Number(text: string): number {
  const n = text.length;
  if (n < 7 || n > 15) return -1;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // leading zero
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

/**
 * The one address order of reports and listings: IPv4 before IPv6, each numerically (byte by
 * byte); text that is not an address after both, by code unit.
 */
export function compareAddresses(a: string, b: string): number {
  return compareParsed(a, parseIp(a), b, parseIp(b));
}

/** Sorts addresses in {@link compareAddresses} order, parsing each address once. */
export function sortAddresses(addresses: Iterable<string>): string[] {
  const list = [...addresses];
  const order = addressOrder(list);
  const out = new Array<string>(list.length);
  for (let i = 0; i < order.length; i++) out[i] = list[order[i]];
  return out;
}

/** Indices below this fit beside a 32-bit IPv4 value in one exactly represented double (2^32 · 2^21 = 2^53). */
const V4_INDEX_LIMIT = 2 ** 21;
/** Fewer IPv6 addresses than this sort by comparison; more, by radix passes over their bytes. */
const V6_RADIX_MIN = 64;

/**
 * The positions of `addresses` in {@link compareAddresses} order: `addresses[order[0]]` comes first.
 * Addresses that compare equal (`10.0.0.1`, `010.0.0.1`) come in text order, then input order: the
 * order never depends on the input's order but for identical texts. Each address is parsed once and no comparison parses: IPv4
 * values sort as native doubles, IPv6 by stable radix passes over their bytes (tens of thousands
 * of client addresses sort in a few milliseconds).
 *
 * With `limit`, only the first `limit` positions are returned; when IPv4 addresses alone fill
 * them, the others (which all sort after IPv4) are not even parsed.
 */
export function addressOrder(addresses: readonly string[], limit = addresses.length): Int32Array {
  const n = addresses.length;
  const want = Math.max(0, Math.min(limit, n));
  const v4Index: number[] = [];
  const v4Value: number[] = [];
  const rest: number[] = []; // IPv6 text (has ':') and text that is not an address
  for (let i = 0; i < n; i++) {
    const a = addresses[i];
    const v = ipv4Number(a);
    if (v >= 0) {
      v4Index.push(i);
      v4Value.push(v);
    } else if (a.includes(':')) {
      rest.push(i); // never IPv4: a dotted quad holds no ':'
    } else {
      const b = parseIp(a); // IPv4 in a form ipv4Number refuses (leading zeros, spaces)
      if (b !== null && b.length === 4) {
        v4Index.push(i);
        v4Value.push(((b[0] << 24) >>> 0) + (b[1] << 16) + (b[2] << 8) + b[3]);
      } else rest.push(i);
    }
  }
  const order = new Int32Array(want);
  let at = 0;
  // IPv4: value and input position packed in one double; a native numeric sort keeps ties in input order.
  if (n < V4_INDEX_LIMIT) {
    const keys = new Float64Array(v4Index.length);
    for (let k = 0; k < keys.length; k++) keys[k] = v4Value[k] * V4_INDEX_LIMIT + v4Index[k];
    keys.sort();
    for (let k = 0; k < keys.length && at < want; ) {
      // A run of one value (nearly always one address) is put in text order.
      const value = keys[k] - (keys[k] % V4_INDEX_LIMIT);
      let end = k + 1;
      while (end < keys.length && keys[end] - (keys[end] % V4_INDEX_LIMIT) === value) end++;
      if (end === k + 1) order[at++] = keys[k] % V4_INDEX_LIMIT;
      else {
        const run: number[] = [];
        for (let j = k; j < end; j++) run.push(keys[j] % V4_INDEX_LIMIT);
        run.sort((x, y) => cmpText(addresses[x], addresses[y]) || x - y);
        for (let j = 0; j < run.length && at < want; j++) order[at++] = run[j];
      }
      k = end;
    }
  } else {
    const pos = v4Index.map((_, k) => k);
    pos.sort((x, y) => v4Value[x] - v4Value[y] || cmpText(addresses[v4Index[x]], addresses[v4Index[y]]) || v4Index[x] - v4Index[y]);
    for (let k = 0; k < pos.length && at < want; k++) order[at++] = v4Index[pos[k]];
  }
  if (at === want) return order;
  const v6Index: number[] = [];
  const v6Words = new Uint16Array(8 * rest.length); // eight 16-bit groups per IPv6 address, in v6Index order
  const other: number[] = [];
  for (const i of rest) {
    const off = 8 * v6Index.length;
    const plain = parseIpv6PlainWords(addresses[i].trim(), v6Words, off);
    if (plain === 1) {
      v6Index.push(i);
      continue;
    }
    const b = plain === 0 ? null : parseIp(addresses[i]);
    if (b === null || b.length !== 16) {
      other.push(i);
      continue;
    }
    for (let k = 0; k < 8; k++) v6Words[off + k] = (b[2 * k] << 8) | b[2 * k + 1];
    v6Index.push(i);
  }
  const v6Order = sortV6(v6Words, v6Index.length);
  for (let k = 0; k < v6Order.length && at < want; ) {
    // A run of one value (the same address written two ways) is put in text order.
    let end = k + 1;
    while (end < v6Order.length && sameV6(v6Words, v6Order[k], v6Order[end])) end++;
    if (end === k + 1) order[at++] = v6Index[v6Order[k]];
    else {
      const run: number[] = [];
      for (let j = k; j < end; j++) run.push(v6Index[v6Order[j]]);
      run.sort((x, y) => cmpText(addresses[x], addresses[y]) || x - y);
      for (let j = 0; j < run.length && at < want; j++) order[at++] = run[j];
    }
    k = end;
  }
  // Not addresses: by code unit (distinct strings in practice; ties keep input order).
  other.sort((x, y) => (addresses[x] < addresses[y] ? -1 : addresses[x] > addresses[y] ? 1 : x - y));
  for (let k = 0; k < other.length && at < want; k++) order[at++] = other[k];
  return order;
}

function cmpText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when IPv6 addresses x and y (eight groups each in `words`) are equal. */
function sameV6(words: Uint16Array, x: number, y: number): boolean {
  for (let g = 0; g < 8; g++) if (words[8 * x + g] !== words[8 * y + g]) return false;
  return true;
}

/** Positions 0..count-1 of IPv6 addresses (eight groups each in `words`) in numeric order, stable. */
function sortV6(words: Uint16Array, count: number): Int32Array {
  let pos = new Int32Array(count);
  for (let k = 0; k < count; k++) pos[k] = k;
  if (count < V6_RADIX_MIN) {
    const cmp = (x: number, y: number) => {
      for (let g = 0; g < 8; g++) {
        const d = words[8 * x + g] - words[8 * y + g];
        if (d !== 0) return d;
      }
      return x - y;
    };
    return pos.sort(cmp);
  }
  // LSD radix, one pass per byte from the last; a byte equal in every address (a shared prefix) is skipped.
  let next = new Int32Array(count);
  const counts = new Int32Array(257);
  for (let b = 15; b >= 0; b--) {
    const g = b >> 1;
    const shift = b & 1 ? 0 : 8;
    const first = (words[g] >> shift) & 0xff;
    let same = true;
    for (let k = 1; k < count && same; k++) if (((words[8 * k + g] >> shift) & 0xff) !== first) same = false;
    if (same) continue;
    counts.fill(0);
    for (let k = 0; k < count; k++) counts[((words[8 * k + g] >> shift) & 0xff) + 1]++;
    for (let d = 1; d <= 256; d++) counts[d] += counts[d - 1];
    for (let k = 0; k < count; k++) {
      const p = pos[k];
      next[counts[(words[8 * p + g] >> shift) & 0xff]++] = p;
    }
    const t = pos;
    pos = next;
    next = t;
  }
  return pos;
}

function compareParsed(a: string, x: Uint8Array | null, b: string, y: Uint8Array | null): number {
  if (!x || !y) return x ? -1 : y ? 1 : a < b ? -1 : a > b ? 1 : 0;
  if (x.length !== y.length) return x.length - y.length;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return cmpText(a, b); // one address written two ways
}
