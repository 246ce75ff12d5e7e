/**
 * Pieces of the bidirectional flow key: which side is the likely server, ICMP "ports", hashing.
 *
 * The key itself is canonical as in zeek:src/packet_analysis/protocol/ip/conn_key/IPBasedConnKey.cc:
 * the endpoint with the lower (address, port) comes first and a `flipped` flag says whether the packet
 * went the other way, so both directions of a conversation find the same entry.
 */

/**
 * Ports on which a server is likely to listen. Zeek's `likely_server_ports` is filled by the
 * analyzers' registered ports; this is the subset that matters for hybrid-identity traffic plus the
 * common internet services. Used only to guess the originator when the first packet is not a SYN
 * (Zeek's TCPAnalyzer::WantConnection / UDPAnalyzer::WantConnection heuristic).
 */
export const LIKELY_SERVER_PORTS: readonly number[] = [
  20, 21, 22, 23, 25, 53, 67, 69, 80, 88, 110, 111, 123, 135, 137, 138, 139, 143, 161, 162, 389, 443, 445,
  464, 465, 500, 514, 587, 636, 853, 993, 995, 1080, 1433, 1812, 1813, 3128, 3268, 3269, 3389, 4500, 5353,
  5355, 5722, 5985, 5986, 8080, 8443, 9389, 49443,
];

const likelyServer = new Uint8Array(65536);
for (const p of LIKELY_SERVER_PORTS) likelyServer[p] = 1;

/** True when `port` is in {@link LIKELY_SERVER_PORTS}. */
export function isLikelyServerPort(port: number): boolean {
  return likelyServer[port & 0xffff] === 1;
}

/**
 * Zeek's ICMP "ports": the source port is the type; the destination port is the counterpart type for
 * request/reply pairs (so an echo request 8→0 and its reply 0→8 share a key), otherwise the code and
 * the message is one-way (its key is not made bidirectional).
 * See zeek:src/packet_analysis/protocol/icmp/ICMP.cc (ICMP4_counterpart, ICMP6_counterpart).
 * @returns the counterpart type, or -1 when the type is one-way.
 */
export function icmpCounterpart(v6: boolean, type: number): number {
  if (!v6) {
    switch (type) {
      case 8: return 0; // echo request ↔ echo reply
      case 0: return 8;
      case 13: return 14; // timestamp
      case 14: return 13;
      case 15: return 16; // information request
      case 16: return 15;
      case 10: return 9; // router solicitation ↔ advertisement
      case 9: return 10;
      case 17: return 18; // address mask
      case 18: return 17;
      default: return -1;
    }
  }
  switch (type) {
    case 128: return 129; // echo request ↔ reply
    case 129: return 128;
    case 130: return 131; // MLD query ↔ report
    case 131: return 130;
    case 133: return 134; // router solicitation ↔ advertisement
    case 134: return 133;
    case 135: return 136; // neighbour solicitation ↔ advertisement
    case 136: return 135;
    case 139: return 140; // node information query ↔ response
    case 140: return 139;
    case 141: return 142; // inverse neighbour discovery
    case 142: return 141;
    default: return -1;
  }
}

/** True for an ICMP echo request type (the originator's side of a ping). */
export function isIcmpEchoRequest(v6: boolean, type: number): boolean {
  return v6 ? type === 128 : type === 8;
}

/** True for a destination unreachable (ICMPv4 type 3, ICMPv6 type 1). */
export function isDestUnreachable(v6: boolean, type: number): boolean {
  return v6 ? type === 1 : type === 3;
}

/** One step of a 32-bit multiplicative hash (murmur3-style mixing). */
export function hashStep(h: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Final avalanche of a 32-bit hash (murmur3 fmix32). */
export function hashFinish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** Hash of a string (for the uid salt); not on the hot path. */
export function hashString(s: string, seed = 0): number {
  let h = seed | 0;
  for (let i = 0; i < s.length; i++) h = hashStep(h, s.charCodeAt(i));
  return hashFinish(h ^ s.length);
}

/** Fixed seed of the key hash (not per file: a flow may span files). */
const KEY_HASH_SEED = 0x2f6b1c3d;
const META_V6 = 0x100;
const META_ONE_WAY = 0x200;

/**
 * Words of a canonical flow key as {@link canonicalKey} writes them: the two addresses (4 words
 * each; IPv4 in the first), then ports, meta (protocol, IPv6, one-way), hash and the flipped flag.
 */
export const KEY_WORDS = 12;
export const KEY_PORTS = 8;
export const KEY_META = 9;
export const KEY_HASH = 10;
export const KEY_FLIPPED = 11;

/**
 * The canonical bidirectional key of a packet (the zeek ConnKey idea: the lower (address, port)
 * endpoint first, `flipped` when the packet's source is the second) and its hash, written to
 * `out[at .. at + KEY_WORDS)`. A pure function of its arguments, so a decoding thread can compute
 * it for the flow table (FlowTable.addPacketWithKey). One-way ICMP keeps its order.
 */
export function canonicalKey(
  out: Int32Array,
  at: number,
  v6: boolean,
  src: Uint8Array,
  dst: Uint8Array,
  srcV4: number,
  dstV4: number,
  sport: number,
  dport: number,
  proto: number,
  oneWay: boolean,
): void {
  let h = KEY_HASH_SEED;
  let flipped: boolean;
  let ports: number;
  let meta: number;
  if (!v6) {
    const a = srcV4 >>> 0;
    const b = dstV4 >>> 0;
    // Zeek's addr_port_canon_lt: the lower (address, port) first.
    flipped = !oneWay && !(a < b || (a === b && sport < dport));
    const k0 = (flipped ? b : a) | 0;
    const k4 = (flipped ? a : b) | 0;
    out[at] = k0;
    out[at + 1] = 0;
    out[at + 2] = 0;
    out[at + 3] = 0;
    out[at + 4] = k4;
    out[at + 5] = 0;
    out[at + 6] = 0;
    out[at + 7] = 0;
    ports = flipped ? (dport << 16) | sport : (sport << 16) | dport;
    meta = proto | (oneWay ? META_ONE_WAY : 0);
    h = hashStep(h, k0);
    h = hashStep(h, k4);
  } else {
    const s0 = addressWord(src, 0), s1 = addressWord(src, 4), s2 = addressWord(src, 8), s3 = addressWord(src, 12);
    const d0 = addressWord(dst, 0), d1 = addressWord(dst, 4), d2 = addressWord(dst, 8), d3 = addressWord(dst, 12);
    let cmp = compareU32(s0, d0);
    if (cmp === 0) cmp = compareU32(s1, d1);
    if (cmp === 0) cmp = compareU32(s2, d2);
    if (cmp === 0) cmp = compareU32(s3, d3);
    flipped = !oneWay && !(cmp < 0 || (cmp === 0 && sport < dport));
    const lo = flipped ? 4 : 0;
    const hi = flipped ? 0 : 4;
    out[at + lo] = s0;
    out[at + lo + 1] = s1;
    out[at + lo + 2] = s2;
    out[at + lo + 3] = s3;
    out[at + hi] = d0;
    out[at + hi + 1] = d1;
    out[at + hi + 2] = d2;
    out[at + hi + 3] = d3;
    ports = flipped ? (dport << 16) | sport : (sport << 16) | dport;
    meta = proto | META_V6 | (oneWay ? META_ONE_WAY : 0);
    for (let k = 0; k < 8; k++) h = hashStep(h, out[at + k]);
  }
  h = hashStep(h, ports);
  h = hashStep(h, meta);
  out[at + KEY_PORTS] = ports;
  out[at + KEY_META] = meta;
  out[at + KEY_HASH] = hashFinish(h);
  out[at + KEY_FLIPPED] = flipped ? 1 : 0;
}

/**
 * The key of an IPv6 address (16 bytes at `off`) in Flow.origKey: -1 minus a 31-bit hash of its
 * words, so never an IPv4 address's key. Equal addresses have equal keys; unequal ones rarely do.
 */
export function ipv6AddressKey(b: Uint8Array, off: number): number {
  const h = hashFinish(hashStep(hashStep(hashStep(hashStep(0, addressWord(b, off)), addressWord(b, off + 4)), addressWord(b, off + 8)), addressWord(b, off + 12)));
  return -1 - (h >>> 1);
}

/** The 32-bit big-endian word of address bytes at `off` (as a signed int32). */
export function addressWord(b: Uint8Array, off: number): number {
  return (b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3];
}

function compareU32(a: number, b: number): number {
  const x = a >>> 0;
  const y = b >>> 0;
  return x < y ? -1 : x > y ? 1 : 0;
}
