/**
 * Pieces every flow-log reader shares: a streaming line splitter with exact byte offsets, cheap
 * field parsing, stable flow uids, an address canonicaliser with a cache, a bounded merge table
 * that joins the tuples of one flow (NSG v2 / VNet B-C-E, repeated v1 tuples), and the PT1H.json
 * folder-path parser.
 */

import { isAscii } from 'node:buffer';
import { canonicalIp } from '../common/ip.js';
import type { ConnState, Flow, FlowEvidence, FlowLogFacts, Outcome, Transport } from '../flows/types.js';
import type { ByteInput } from './types.js';


/**
 * Calls `onLine` for every line of the input, in order, with its 1-based line number and the byte
 * offset of its first byte in the (decompressed) stream. Lines lose their `\n` and a trailing `\r`;
 * a UTF-8 byte-order mark at the start is removed (and still counted in offsets). Multi-byte UTF-8
 * characters split across chunks are decoded correctly (streaming TextDecoder).
 *
 * `onLine` may return `false` to stop reading early.
 * @returns the number of bytes read and of lines seen.
 */
export async function forEachLine(
  input: ByteInput,
  onLine: (line: string, lineNo: number, offset: number) => boolean | void,
): Promise<{ bytes: number; lines: number; stopped: boolean }> {
  return forEachLineRange(input, (text, start, end, lineNo, offset) => onLine(text.slice(start, end), lineNo, offset));
}

/**
 * Like {@link forEachLine}, but hands out each line as the range `[start, end)` of `text` instead
 * of a substring of its own. `text` is usually the whole decoded chunk (a flat string), valid only
 * during the call. Hot readers use this: reading characters of a flat string in place is much
 * cheaper than reading them through a substring (a sliced string), and no substring is made for a
 * line at all.
 */
export async function forEachLineRange(
  input: ByteInput,
  onLine: (text: string, start: number, end: number, lineNo: number, offset: number) => boolean | void,
): Promise<{ bytes: number; lines: number; stopped: boolean }> {
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  let carry = '';
  let carryAscii = true;
  let lineNo = 0;
  let offset = 0; // byte offset of the next line to hand out
  let bytes = 0;
  let first = true;

  const emit = (text: string, start: number, end: number, ascii: boolean): boolean => {
    const byteLen = ascii ? end - start : Buffer.byteLength(text.slice(start, end), 'utf8');
    let from = start;
    if (first) {
      first = false;
      if (end > from && text.charCodeAt(from) === 0xfeff) from++;
    }
    let to = end;
    if (to > from && text.charCodeAt(to - 1) === 13) to--;
    lineNo++;
    const lineOffset = offset;
    offset += byteLen + 1;
    return onLine(text, from, to, lineNo, lineOffset) !== false;
  };

  let decoderIdle = true; // the streaming decoder holds no bytes of a split character
  for await (const chunk of input.chunks) {
    bytes += chunk.length;
    const chunkAscii = isAscii(chunk);
    // ASCII bytes are their own characters: a latin1 copy is several times faster than UTF-8
    // decoding (measured ~0.25 vs ~0.7 ms per MiB). Only when the decoder is not holding the
    // start of a character split at the previous chunk's end; otherwise it must finish it.
    let text: string;
    if (chunkAscii && decoderIdle) {
      text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length).toString('latin1');
    } else {
      text = decoder.decode(chunk, { stream: true });
      decoderIdle = chunkAscii;
    }
    const lastNl = text.lastIndexOf('\n');
    if (lastNl < 0) {
      carry += text;
      carryAscii = carryAscii && chunkAscii;
      continue;
    }
    let nl = text.indexOf('\n');
    // First line: carry + head of this chunk.
    if (carry.length === 0) {
      if (!emit(text, 0, nl, chunkAscii)) return { bytes, lines: lineNo, stopped: true };
    } else {
      const joined = carry + text.slice(0, nl);
      if (!emit(joined, 0, joined.length, carryAscii && chunkAscii)) return { bytes, lines: lineNo, stopped: true };
    }
    let pos = nl + 1;
    while (pos <= lastNl) {
      nl = text.indexOf('\n', pos);
      if (!emit(text, pos, nl, chunkAscii)) return { bytes, lines: lineNo, stopped: true };
      pos = nl + 1;
    }
    carry = text.slice(lastNl + 1);
    carryAscii = chunkAscii;
  }
  const tail = decoder.decode();
  if (tail.length > 0) carryAscii = false;
  carry += tail;
  if (carry.length > 0) emit(carry, 0, carry.length, carryAscii);
  return { bytes, lines: lineNo, stopped: false };
}

/**
 * Parses a non-negative decimal integer from `s[start, end)`; -1 when empty, not all digits, or
 * longer than 15 digits (beyond what a log count or port can sanely hold).
 */
export function parseUint(s: string, start = 0, end = s.length): number {
  if (end <= start || end - start > 15) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** Parses a port (0..65535) from `s[start, end)`; -1 when it is not one. */
export function parsePort(s: string, start = 0, end = s.length): number {
  const v = parseUint(s, start, end);
  return v > 65535 ? -1 : v;
}

/**
 * Canonicalises address text from a log (`010.0.0.1` stays invalid; `2001:DB8::1` → `2001:db8::1`)
 * with a bounded cache, because logs repeat the same few addresses millions of times.
 */
export class AddressCache {
  private readonly map = new Map<string, string | null>();

  constructor(private readonly max = 65_536) {}

  /** Canonical text, or null when `text` is not an IPv4/IPv6 literal. */
  canonical(text: string): string | null {
    // Most log addresses are already-canonical dotted quads: accept them without a lookup.
    if (isCanonicalIpv4(text)) return text;
    let v = this.map.get(text);
    if (v !== undefined) return v;
    v = canonicalIp(text);
    if (this.map.size >= this.max) this.map.clear();
    this.map.set(text, v);
    return v;
  }
}

/** Slots of an {@link AddressSlots} cache (a power of two). */
const ADDRESS_SLOTS = 1024;

/**
 * A small direct-mapped cache in front of an {@link AddressCache} that reads an address where it
 * stands in a line or tuple (`text[start, end)`), without cutting a substring first. Logs name a
 * few hosts over and over, so most lookups are a hash and a compare in place; the canonical string
 * handed back is then the same instance each time, so later Map lookups keyed by it reuse its
 * cached hash.
 */
export class AddressSlots {
  private readonly raw: string[] = new Array<string>(ADDRESS_SLOTS).fill('');
  private readonly canonicalText: string[] = new Array<string>(ADDRESS_SLOTS).fill('');

  constructor(private readonly addresses: AddressCache = new AddressCache()) {}

  /** Canonical text of the address `text[start, end)`, or null when it is not an IPv4/IPv6 literal. */
  at(text: string, start: number, end: number): string | null {
    const n = end - start;
    if (n < 4) return this.addresses.canonical(text.slice(start, end));
    // The length and the last four characters (where addresses of one network differ) pick the
    // slot: hashing every character cost more than the compare it guards.
    const h =
      (Math.imul(n, 0x9e3779b1) +
        Math.imul(text.charCodeAt(end - 1), 0x01000193) +
        Math.imul(text.charCodeAt(end - 2), 0x85ebca6b) +
        Math.imul(text.charCodeAt(end - 3), 0x2c1b3c6d) +
        Math.imul(text.charCodeAt(end - 4), 0x297a2d39)) |
      0;
    const slot = (h ^ (h >>> 11)) & (ADDRESS_SLOTS - 1);
    const cached = this.raw[slot];
    if (cached.length === n && sameChars(text, start, cached)) return this.canonicalText[slot];
    const raw = text.slice(start, end);
    const canonical = this.addresses.canonical(raw);
    if (canonical !== null) {
      this.raw[slot] = raw;
      this.canonicalText[slot] = canonical;
    }
    return canonical;
  }
}

/**
 * True when `s` holds `word` at `pos` (the caller has checked the length). A plain loop: readers
 * compare many columns per line, and `startsWith` is a builtin call each time (measured as a fifth
 * of the pfirewall reader's time), where this loop is inlined.
 */
export function sameChars(s: string, pos: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) {
    if (s.charCodeAt(pos + i) !== word.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * True when `s` is an IPv4 dotted quad in canonical form (four decimal octets 0..255, no leading
 * zeros, no spaces). Plain character checks: this runs for every address of every log line.
 */
export function isCanonicalIpv4(s: string): boolean {
  const n = s.length;
  if (n < 7 || n > 15) return false;
  let dots = 0;
  let value = 0;
  let digits = 0;
  let firstDigit = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || (digits > 1 && firstDigit === 0) || value > 255) return false;
      dots++;
      value = 0;
      digits = 0;
    } else {
      const d = c - 48;
      if (d < 0 || d > 9) return false;
      if (digits === 0) firstDigit = d;
      value = value * 10 + d;
      digits++;
      if (digits > 3) return false;
    }
  }
  return dots === 3 && digits > 0 && !(digits > 1 && firstDigit === 0) && value <= 255;
}

/** Character codes of the base62 digits `0-9A-Za-z`. */
const BASE62_CODES = Array.from('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', (ch) => ch.charCodeAt(0));
const UID_PREFIX = 67; // 'C'
/**
 * Base62 digit pairs: for n in 0..3843, the character codes of digit n % 62 (low) and of digit
 * floor(n / 62) (high). Halves the divisions per uid.
 */
const PAIR_LOW = Uint16Array.from({ length: 62 * 62 }, (_, n) => BASE62_CODES[n % 62]);
const PAIR_HIGH = Uint16Array.from({ length: 62 * 62 }, (_, n) => BASE62_CODES[Math.floor(n / 62)]);

/** FNV-1a 32-bit hash of a string (UTF-16 code units), for uid seeds. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function mix32(x: number): number {
  // murmur3 fmix32: spreads nearby record numbers over the whole range.
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * Zeek-style uid (`C` + 12 base62 characters) for a flow-log flow, stable for the same input:
 * derived from the file name's hash and the position of the flow's first record (line, or record
 * and tuple index).
 */
export function flowLogUid(fileHash: number, a: number, b = 0): string {
  const h1 = mix32(fileHash ^ mix32(a + 0x9e3779b9));
  const h2 = mix32(h1 ^ mix32(b * 0x27d4eb2d + a));
  // One uid per flow, millions per file: String.fromCharCode builds the 13 characters as one flat
  // string, where appending digit by digit made a chain of 13 intermediate strings (a measured
  // tenth of the pfirewall reader's time). Digits are least significant first, 6 per half, taken
  // two at a time (the last pair of a half is what remains after two divisions by 62^2).
  const a0 = h1 % 3844;
  const a1 = Math.floor(h1 / 3844) % 3844;
  const a2 = Math.floor(h1 / 14776336) % 3844;
  const b0 = h2 % 3844;
  const b1 = Math.floor(h2 / 3844) % 3844;
  const b2 = Math.floor(h2 / 14776336) % 3844;
  const c1 = PAIR_LOW[a0], c2 = PAIR_HIGH[a0], c3 = PAIR_LOW[a1], c4 = PAIR_HIGH[a1], c5 = PAIR_LOW[a2], c6 = PAIR_HIGH[a2];
  const c7 = PAIR_LOW[b0], c8 = PAIR_HIGH[b0], c9 = PAIR_LOW[b1], c10 = PAIR_HIGH[b1], c11 = PAIR_LOW[b2], c12 = PAIR_HIGH[b2];
  return String.fromCharCode(UID_PREFIX, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12);
}

/** Everything a reader decides about one flow-log flow; {@link makeLogFlow} fills in the rest. */
export interface LogFlowInit {
  uid: string;
  ts: number;
  duration: number;
  proto: Transport;
  origH: string;
  origP: number;
  respH: string;
  respP: number;
  connState: ConnState;
  origPkts: number;
  origBytes: number;
  respPkts: number;
  respBytes: number;
  outcome: Outcome;
  reason: string;
  evidence: FlowEvidence;
  log: FlowLogFacts;
}

/**
 * Builds a {@link Flow} from a log record. Logs count IP-level bytes (NSG, VNet, pfirewall `size`);
 * they go to both `origBytes` (the field reports read, as the Flow type documents for logs) and
 * `origIpBytes`. History is empty: logs carry no TCP flags per packet.
 */
export function makeLogFlow(f: LogFlowInit): Flow {
  return {
    uid: f.uid,
    ts: f.ts,
    duration: f.duration,
    proto: f.proto,
    origH: f.origH,
    origP: f.origP,
    respH: f.respH,
    respP: f.respP,
    connState: f.connState,
    history: '',
    origPkts: f.origPkts,
    origBytes: f.origBytes,
    origIpBytes: f.origBytes,
    respPkts: f.respPkts,
    respBytes: f.respBytes,
    respIpBytes: f.respBytes,
    outcome: f.outcome,
    reason: f.reason,
    observedBy: 'flowlog',
    evidence: f.evidence,
    log: f.log,
  };
}

/** One packet a firewall logged on one line, as a flow (let through, or logged without a verdict). */
export interface LoggedPacket {
  file: string;
  fileHash: number;
  line: number;
  ts: number;
  proto: Transport;
  origH: string;
  origP: number;
  respH: string;
  respP: number;
  /** IP bytes of the packet. */
  bytes: number;
  outcome: Outcome;
  reason: string;
  log: FlowLogFacts;
}

/** The flow of one logged packet: no states (OTH), its line as evidence (netfilter, filterlog). */
export function flowOfLoggedPacket(p: LoggedPacket): Flow {
  return makeLogFlow({
    uid: flowLogUid(p.fileHash, p.line),
    ts: p.ts,
    duration: 0,
    proto: p.proto,
    origH: p.origH,
    origP: p.origP,
    respH: p.respH,
    respP: p.respP,
    connState: 'OTH',
    origPkts: 1,
    origBytes: p.bytes,
    respPkts: 0,
    respBytes: 0,
    outcome: p.outcome,
    reason: p.reason,
    evidence: { file: p.file, line: p.line },
    log: p.log,
  });
}

/**
 * Names of IANA protocol numbers that firewall logs show beside TCP, UDP and ICMP (Windows Firewall
 * logs IGMP as "2"): a message can then say what the number is.
 */
const OTHER_PROTOCOL_NAMES: ReadonlyMap<string, string> = new Map([
  ['0', 'IPv6 hop-by-hop'],
  ['2', 'IGMP'],
  ['4', 'IP-in-IP'],
  ['41', 'IPv6-in-IPv4'],
  ['47', 'GRE'],
  ['50', 'ESP'],
  ['51', 'AH'],
  ['89', 'OSPF'],
  ['103', 'PIM'],
  ['112', 'VRRP'],
  ['132', 'SCTP'],
]);

/** A log's protocol field for a message, quoted (at most 20 characters), with its name when it is a known number: `"2" (IGMP)`. */
export function protocolForMessage(text: string): string {
  const name = OTHER_PROTOCOL_NAMES.get(text);
  return JSON.stringify(text.slice(0, 20)) + (name === undefined ? '' : ` (${name})`);
}

/** Maps an IANA protocol number or name from a log to a transport; null for anything else. */
export function transportOf(text: string): Transport | null {
  switch (text) {
    case '6':
    case 'T':
    case 't':
    case 'TCP':
    case 'tcp':
    case 'Tcp':
      return 'tcp';
    case '17':
    case 'U':
    case 'u':
    case 'UDP':
    case 'udp':
    case 'Udp':
      return 'udp';
    case '1':
    case '58':
    case 'ICMP':
    case 'icmp':
    case 'Icmp':
    case 'ICMPv6':
    case 'ICMPV6':
    case 'icmpv6':
      return 'icmp';
    default:
      return null;
  }
}

/** Resource facts an Azure flow-log blob path carries (`.../resourceId=/SUBSCRIPTIONS/.../macAddress=.../PT1H.json`). */
export interface BlobPathFacts {
  /** NSG resource id (NSG flow logs) or flow-log resource id (VNet flow logs), as written in the path. */
  resource?: string;
  /** MAC address of the NIC, as written in the path (12 hex digits). */
  mac?: string;
}

/**
 * Reads the resource id and MAC address from an Azure storage blob path, as the portal and
 * AzCopy lay them out:
 * `insights-logs-networksecuritygroupflowevent/resourceId=/SUBSCRIPTIONS/<sub>/RESOURCEGROUPS/<rg>/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/<nsg>/y=2024/m=05/d=01/h=10/m=00/macAddress=000D3A.../PT1H.json`
 * and, for VNet flow logs, `flowLogResourceID=/<sub>/<rg>/<watcher>/<flowlog>/y=...`.
 * Backslashes (Windows paths) are accepted.
 */
export function parseBlobPath(path: string): BlobPathFacts {
  const p = path.replace(/\\/g, '/');
  const out: BlobPathFacts = {};
  const m = /(?:^|\/)(?:resourceId|flowLogResourceID)=(\/.*?)\/y=\d{4}\//i.exec(p);
  if (m) out.resource = m[1];
  const mac = /(?:^|\/)macAddress=([0-9A-Fa-f]{12}|(?:[0-9A-Fa-f]{2}[-:]){5}[0-9A-Fa-f]{2})(?:\/|$)/.exec(p);
  if (mac) out.mac = mac[1];
  return out;
}

/** Slots of an {@link Ipv4Texts} cache (a power of two). */
const IPV4_SLOTS = 4096;

/**
 * Interns canonical IPv4 dotted quads by their 32-bit value: a reader that has parsed an address's
 * octets while scanning a field (as it must, to check it) gets its text back from one array
 * lookup, without cutting a substring or hashing characters, and the same string instance each
 * time (so later Map lookups keyed by it reuse its cached hash). Direct-mapped and bounded: a
 * slot that holds another address is overwritten.
 */
export class Ipv4Texts {
  private readonly values = new Float64Array(IPV4_SLOTS).fill(-1);
  private readonly texts: string[] = new Array<string>(IPV4_SLOTS).fill('');

  /**
   * The canonical text of address `value` (0..2^32-1). Made from the value, not cut from the
   * reader's text: a cut would keep that whole text (a record of hundreds of tuples) alive.
   */
  text(value: number): string {
    const h = Math.imul(value | 0, 0x9e3779b1);
    const slot = (h ^ (h >>> 15)) & (IPV4_SLOTS - 1);
    if (this.values[slot] === value) return this.texts[slot];
    // Flattened through bytes: a concatenation is a cons string, slower to hash and compare as a key.
    const s = Buffer.from(`${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`, 'latin1').toString('latin1');
    this.values[slot] = value;
    this.texts[slot] = s;
    return s;
  }
}

/** One tuple of an Azure flow log (NSG v1/v2 or VNet v4), parsed. Reused by readers. */
export interface LogTuple {
  /** Microseconds since the epoch. */
  ts: number;
  proto: Transport;
  src: string;
  dst: string;
  /**
   * Hashes of `src` and `dst` for the merge table: equal addresses must give equal hashes (a reader
   * may use the IPv4 value for a dotted quad and {@link hashString} of the text otherwise, as
   * {@link addressHash} does).
   */
  srcHash: number;
  dstHash: number;
  sport: number;
  dport: number;
  /** 'I' or 'O'. */
  direction: string;
  /** True when denied (NSG action D, VNet state D). */
  denied: boolean;
  /** Action as written: 'A' / 'D' (VNet: derived from the state). */
  action: string;
  /** '' (v1), 'B', 'C', 'E' or 'D'. */
  state: string;
  /** Counts: -1 when the tuple carries none (v1, v2 B tuples with empty fields). */
  pktsOut: number;
  bytesOut: number;
  pktsIn: number;
  bytesIn: number;
  encryption: string;
}

/**
 * The value (0..2^32-1) of the canonical IPv4 dotted quad at `s[start, end)` (as
 * {@link isCanonicalIpv4} accepts it), or -1 when it is not one.
 */
export function canonicalIpv4Value(s: string, start: number, end: number): number {
  const n = end - start;
  if (n < 7 || n > 15) return -1;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || octet > 255 || dots === 3) return -1;
      value = value * 256 + octet;
      dots++;
      octet = 0;
      digits = 0;
    } else {
      const d = c - 48;
      if (d < 0 || d > 9 || digits === 3 || (digits === 1 && octet === 0)) return -1;
      octet = octet * 10 + d;
      digits++;
    }
  }
  if (dots !== 3 || digits === 0 || octet > 255) return -1;
  return value * 256 + octet;
}

/**
 * The merge-table hash of a canonical address text, consistent with the readers' fast path: the
 * 32-bit value of a canonical dotted quad, else the text's FNV-1a hash.
 */
export function addressHash(address: string): number {
  const v = canonicalIpv4Value(address, 0, address.length);
  return v >= 0 ? v | 0 : hashString(address) | 0;
}

/**
 * The facts shared by the tuples of one rule group of one record (rule, resource, MAC). Created
 * once per group, kept by the flows that start in it; must not be mutated afterwards (except
 * `ruleText`, a cache the merger fills).
 */
export interface TupleGroup {
  file: string;
  rule: string;
  resource?: string;
  mac?: string;
  /** Log flavour, for reasons: 'NSG' or 'VNet'. */
  kind: 'NSG' | 'VNet';
  /** NSG flow log version 1: no states, no counts. */
  v1: boolean;
  /** 0-based record index within the file. */
  record: number;
  /** 1-based line of the record, for line-delimited JSON; undefined for a records file. */
  line?: number;
  /** `NSG rule X` (or `NSG (no rule name in the log)`), for reasons: filled by {@link TupleMerger} (see ReasonTexts). */
  ruleText?: string;
}

/**
 * A flow being merged. The tuple facts a flow keeps are copied into it field by field (not as a
 * copy of the caller's reused {@link LogTuple}): one object per flow instead of two. Pending
 * flows are made by one object literal (newPendingFlow), so all share one hidden class, and are
 * reused once emitted (see pendingPool).
 */
interface PendingFlow {
  /** Merge-table hash of (addresses, ports, bits). */
  hash: number;
  /** Protocol, direction and verdict in one number (see {@link TupleMerger.add}). */
  bits: number;
  /** Still in the merge table (false once emitted). */
  live: boolean;
  /** Times this object was taken from the {@link pendingPool}: tells a reused object from its earlier flow. */
  generation: number;
  proto: Transport;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  direction: string;
  denied: boolean;
  action: string;
  encryption: string;
  ctx: TupleGroup;
  tuple: number;
  firstTs: number;
  lastTs: number;
  states: string;
  /** The states in `states`, one bit each (B 1, C 2, E 4, D 8): a test per tuple without a string search. */
  stateBits: number;
  /**
   * `states` as base-5 digits (B 1, C 2, E 3, D 4; each letter at most once, so below 5^4), the
   * index of its text in STATE_TEXTS; -1 once another letter is in it.
   */
  stateSeq: number;
  records: number;
  hasCounts: boolean;
  pktsOut: number;
  bytesOut: number;
  pktsIn: number;
  bytesIn: number;
  sawEnd: boolean;
}

/** The reason texts of {@link TupleMerger} flows, by kind (the numbers a text carries differ per kind). */
const enum ReasonKind {
  Denied,
  V1,
  BeginOnly,
  Unanswered,
  Answered,
}

/** Slots of the {@link ReasonTexts} cache (a power of two). */
const REASON_SLOTS = 4096;
/** Rule texts kept by {@link ReasonTexts} before it starts over (a log names few rules; a hostile one, any number). */
const MAX_RULE_TEXTS = 4096;

/**
 * The reason texts of log flows (`allowed by NSG rule X; 9 packets sent, 4 back`), shared by all
 * the files a thread reads. Logs repeat a few rules and mostly small packet counts, so a small
 * direct-mapped cache hands most flows a text made before: the same string instance, not a new
 * one per flow. Beyond the allocation, that is what makes the summary's interning of sampled
 * reasons cheap (internReason: a string seen before is already flat and has its hash).
 */
class ReasonTexts {
  /**
   * `NSG rule X` per kind and rule, one instance each: a slot's rule check (===, by content) then
   * nearly always meets the same instance, which V8 compares without reading the characters.
   */
  private readonly ruleTexts = [new Map<string, string>(), new Map<string, string>()];
  private readonly slotRule: (string | null)[] = new Array<string | null>(REASON_SLOTS).fill(null);
  /** Per slot: reason kind, first and second number. */
  private readonly slotKey = new Float64Array(3 * REASON_SLOTS);
  private readonly slotText: string[] = new Array<string>(REASON_SLOTS).fill('');

  /** The `NSG rule X` (or `NSG (no rule name in the log)`) text of a group. */
  ruleText(ctx: TupleGroup): string {
    const texts = this.ruleTexts[ctx.kind === 'NSG' ? 0 : 1];
    let text = texts.get(ctx.rule);
    if (text === undefined) {
      text = ctx.rule === '' ? `${ctx.kind} (no rule name in the log)` : `${ctx.kind} rule ${ctx.rule}`;
      if (texts.size >= MAX_RULE_TEXTS) texts.clear();
      texts.set(ctx.rule, text);
    }
    return text;
  }

  /** The reason of `kind` for `ruleText` (from {@link ruleText}) with the packet counts `a` and `b`. */
  get(ruleText: string, kind: ReasonKind, a: number, b: number): string {
    const h = Math.imul(kind + 1, 0x9e3779b1) ^ Math.imul(a, 0x85ebca6b) ^ Math.imul(b + 1, 0xc2b2ae35) ^ ruleText.length;
    const slot = (h ^ (h >>> 15)) & (REASON_SLOTS - 1);
    const key = this.slotKey;
    if (this.slotRule[slot] === ruleText && key[3 * slot] === kind && key[3 * slot + 1] === a && key[3 * slot + 2] === b) {
      return this.slotText[slot];
    }
    const text = reasonText(ruleText, kind, a, b);
    this.slotRule[slot] = ruleText;
    key[3 * slot] = kind;
    key[3 * slot + 1] = a;
    key[3 * slot + 2] = b;
    this.slotText[slot] = text;
    return text;
  }
}

function reasonText(ruleText: string, kind: ReasonKind, a: number, b: number): string {
  switch (kind) {
    case ReasonKind.Denied:
      return `denied by ${ruleText}`;
    case ReasonKind.V1:
      return `allowed by ${ruleText} (v1 logs carry no reply counts)`;
    case ReasonKind.BeginOnly:
      return `allowed by ${ruleText}; only the flow's begin tuple is in this file, so no counts`;
    case ReasonKind.Unanswered:
      return `allowed by ${ruleText}, but no packets came back (${a} sent)`;
    default:
      return `allowed by ${ruleText}; ${a} packets sent, ${b} back`;
  }
}

const reasonTexts = new ReasonTexts();

/** Most emitted {@link PendingFlow} objects kept for reuse (a thread's mergers share them). */
const MAX_POOLED = 65_536;

/**
 * Emitted pending flows, for reuse by the next flows of any merger of this thread. Denied and
 * begin-only flows stay open until the end of their file, long enough to be promoted to the old
 * generation: made fresh per flow, they were old-generation garbage (and scavenge copying before).
 */
const pendingPool: PendingFlow[] = [];

/** Initial number of slots of the merge table (a power of two; it doubles at half full). */
const MERGE_TABLE_INITIAL = 1024;

/**
 * Joins the tuples of one flow into one {@link Flow}: same 5-tuple, direction and verdict, within
 * `idleMicros` of log time of each other. NSG v2 / VNet tuples B (begin), C (continuing: counts since
 * the last tuple) and E (end) of a flow are summed; an E tuple closes the flow at once. Repeated
 * v1 tuples (one per SYN retry, one per minute for long flows) and repeated denies of one attempt
 * join the same way, as Zeek counts retransmitted SYNs as one connection.
 *
 * Memory is bounded: at most `maxOpen` flows are held (the oldest are emitted when it is reached),
 * flows idle longer than `idleMicros` behind the newest tuple are emitted on a periodic sweep,
 * and {@link flushAll} emits the rest at the end of a file. Flows never join across files.
 *
 * The open flows live in an open-addressing hash table (linear probing, backward-shift deletion)
 * keyed by the tuple's fields themselves, and in a list in order of creation (for the sweep, the
 * eviction and the final flush, which emit in that order). Looking a tuple up makes no key string
 * and no garbage: a string key per tuple was the largest cost of the NSG reader.
 */
export class TupleMerger {
  private table: (PendingFlow | null)[] = new Array<PendingFlow | null>(MERGE_TABLE_INITIAL).fill(null);
  private mask = MERGE_TABLE_INITIAL - 1;
  private size = 0;
  /** Open flows in order of creation; emitted ones stay (live = false) until compacted. */
  private order: PendingFlow[] = [];
  private readonly closing: PendingFlow[] = [];
  /** The generation of each flow in `closing` when it was added (it may be emitted and reused before endRecord). */
  private closingGeneration: number[] = [];
  private maxTs = 0;
  private sinceSweep = 0;

  /** With `transient` (see ReadContext.transientFlows): the one flow object handed out, refilled per flow. */
  private readonly reused: ReusedFlow | null;

  constructor(
    private readonly onFlow: (flow: Flow) => void,
    private readonly fileHash: number,
    private readonly idleMicros = 300_000_000,
    private readonly maxOpen = 100_000,
    transient = false,
  ) {
    this.reused = transient ? new ReusedFlow() : null;
  }

  /**
   * Adds one tuple. `t` may be reused by the caller after the call; `ctx` is kept by the flow.
   * `tuple` is the 0-based tuple index within the record (the evidence).
   */
  add(t: LogTuple, ctx: TupleGroup, tuple: number): void {
    // One number carries protocol, direction and verdict: fewer pieces per key.
    const bits = (t.proto === 'tcp' ? 0 : t.proto === 'udp' ? 1 : 2) * 4 + (t.direction === 'I' ? 2 : 0) + (t.denied ? 1 : 0);
    let h = Math.imul(t.srcHash ^ 0x2545f491, 0x9e3779b1);
    h = Math.imul(h ^ t.dstHash, 0x85ebca6b);
    h = Math.imul(h ^ ((t.sport << 16) | t.dport), 0xc2b2ae35);
    h ^= bits;
    h ^= h >>> 15;
    const hash = h | 0;
    const table = this.table;
    const mask = this.mask;
    let slot = hash & mask;
    let p: PendingFlow | null = null;
    for (;;) {
      const q = table[slot];
      if (q === null) break;
      if (q.hash === hash && q.sport === t.sport && q.dport === t.dport && q.bits === bits && q.src === t.src && q.dst === t.dst) {
        p = q;
        break;
      }
      slot = (slot + 1) & mask;
    }
    if (p !== null && !this.belongs(p, t)) {
      this.emit(p, true);
      p = null;
    }
    if (p === null) {
      if (this.size >= this.maxOpen) this.evictOldest();
      p = pendingPool.pop() ?? newPendingFlow();
      p.generation++;
      p.hash = hash;
      p.bits = bits;
      p.live = true;
      p.proto = t.proto;
      p.src = t.src;
      p.dst = t.dst;
      p.sport = t.sport;
      p.dport = t.dport;
      p.direction = t.direction;
      p.denied = t.denied;
      p.action = t.action;
      p.encryption = t.encryption;
      p.ctx = ctx;
      p.tuple = tuple;
      p.firstTs = t.ts;
      p.lastTs = t.ts;
      p.states = '';
      p.stateBits = 0;
      p.stateSeq = 0;
      p.records = 0;
      p.hasCounts = false;
      p.pktsOut = 0;
      p.bytesOut = 0;
      p.pktsIn = 0;
      p.bytesIn = 0;
      p.sawEnd = false;
      this.insert(p);
    }
    p.records++;
    if (t.ts < p.firstTs) p.firstTs = t.ts;
    if (t.ts > p.lastTs) p.lastTs = t.ts;
    const state = t.state;
    if (state !== '') {
      const bit = state === 'B' ? 1 : state === 'C' ? 2 : state === 'E' ? 4 : state === 'D' ? 8 : 16;
      if ((p.stateBits & bit) === 0 || (bit === 16 && p.states.indexOf(state) < 0)) {
        p.stateBits |= bit;
        if (bit === 16 || p.stateSeq < 0) {
          p.states += state;
          p.stateSeq = -1;
        } else {
          const seq = p.stateSeq * 5 + (bit === 8 ? 4 : bit === 4 ? 3 : bit);
          p.stateSeq = seq;
          p.states = STATE_TEXTS[seq] ??= p.states + state;
        }
      }
    }
    if (t.pktsOut >= 0 && t.state !== 'B') {
      // B tuples carry zeros (VNet) or nothing (NSG v2): only C/E counts are traffic.
      p.hasCounts = true;
      p.pktsOut += t.pktsOut;
      p.bytesOut += Math.max(0, t.bytesOut);
      p.pktsIn += Math.max(0, t.pktsIn);
      p.bytesIn += Math.max(0, t.bytesIn);
    }
    if (t.encryption !== '') p.encryption = t.encryption;
    // An E tuple ends the flow; it is emitted at the end of the current record, not at once,
    // because Azure may list a short flow's B after its E (same millisecond) in the same record.
    if (t.state === 'E' && !p.sawEnd) {
      p.sawEnd = true;
      this.closing.push(p);
      this.closingGeneration.push(p.generation);
    }
    if (t.ts > this.maxTs) this.maxTs = t.ts;
    if (++this.sinceSweep >= 65_536) this.sweep();
  }

  /** Puts a new flow (not in the table) into the table and at the end of the creation order. */
  private insert(p: PendingFlow): void {
    if ((this.size + 1) * 2 > this.table.length) this.grow();
    const table = this.table;
    const mask = this.mask;
    let slot = p.hash & mask;
    while (table[slot] !== null) slot = (slot + 1) & mask;
    table[slot] = p;
    this.size++;
    // Drop emitted flows from the order list once they are most of it (never while it is being
    // walked: insert is not called from the walks).
    if (this.order.length >= 4096 && this.order.length > 2 * this.size) this.compactOrder();
    this.order.push(p);
  }

  /**
   * Drops emitted flows from the order list and hands them to the pool: nothing else refers to them
   * then (a flow still in `closing` is told apart by its generation).
   */
  private compactOrder(): void {
    const order = this.order;
    let n = 0;
    for (let i = 0; i < order.length; i++) {
      const q = order[i];
      if (q.live) order[n++] = q;
      else release(q);
    }
    order.length = n;
  }

  private grow(): void {
    const old = this.table;
    const table = new Array<PendingFlow | null>(old.length * 2).fill(null);
    const mask = table.length - 1;
    for (const q of old) {
      if (q === null) continue;
      let slot = q.hash & mask;
      while (table[slot] !== null) slot = (slot + 1) & mask;
      table[slot] = q;
    }
    this.table = table;
    this.mask = mask;
  }

  /** Takes `p` out of the table (backward-shift deletion keeps every probe chain unbroken). */
  private remove(p: PendingFlow): void {
    const table = this.table;
    const mask = this.mask;
    let i = p.hash & mask;
    while (table[i] !== p) i = (i + 1) & mask;
    table[i] = null;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const q = table[j];
      if (q === null) break;
      const home = q.hash & mask;
      // q may move into the hole at i when its home is not cyclically within (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        table[i] = q;
        table[j] = null;
        i = j;
      }
    }
    p.live = false;
    this.size--;
  }

  /** Whether tuple `t` continues pending flow `p` (same key) rather than starting a new one. */
  private belongs(p: PendingFlow, t: LogTuple): boolean {
    if (t.ts - p.lastTs > this.idleMicros || t.ts < p.firstTs - this.idleMicros) return false;
    if (p.sawEnd) {
      // After the end, only a late-listed B (or E) of the same moment belongs; anything later is a
      // new connection on the same ports.
      return t.state === 'B' && t.ts <= p.lastTs;
    }
    // A new B after the flow had progressed (C seen) is a new connection on the same ports.
    if (t.state === 'B' && p.states !== '' && p.states !== 'B' && t.ts > p.firstTs) return false;
    return true;
  }

  /** Emits the flows that an E tuple ended in the record just read. Call after each record. */
  endRecord(): void {
    const closing = this.closing;
    if (closing.length === 0) return;
    const generation = this.closingGeneration;
    for (let i = 0; i < closing.length; i++) {
      const p = closing[i];
      // Skip flows already emitted (a later tuple of the same 5-tuple started a new flow), even
      // when their object already carries a newer flow.
      if (p.live && p.generation === generation[i]) this.emit(p, true);
    }
    closing.length = 0;
    generation.length = 0;
  }

  /** Emits every flow still open (end of file). */
  flushAll(): void {
    this.closing.length = 0;
    this.closingGeneration.length = 0;
    const order = this.order;
    for (let i = 0; i < order.length; i++) {
      const p = order[i];
      if (p.live) {
        p.live = false;
        this.emit(p, false);
      }
      release(p);
    }
    this.order = [];
    this.table.fill(null);
    this.size = 0;
  }

  private sweep(): void {
    this.sinceSweep = 0;
    const limit = this.maxTs - this.idleMicros;
    const order = this.order;
    for (let i = 0; i < order.length; i++) {
      const p = order[i];
      if (p.live && p.lastTs < limit) this.emit(p, true);
    }
  }

  private evictOldest(): void {
    // The first quarter of the open flows in creation order are the longest-held.
    let n = Math.max(1, this.maxOpen >> 2);
    const order = this.order;
    for (let i = 0; i < order.length && n > 0; i++) {
      const p = order[i];
      if (!p.live) continue;
      n--;
      this.emit(p, true);
    }
  }

  private emit(p: PendingFlow, remove: boolean): void {
    if (remove) this.remove(p);
    const ctx = p.ctx;
    let outcome: Outcome;
    let connState: ConnState;
    let reason: string;
    const reasons = reasonTexts;
    const ruleText = (ctx.ruleText ??= reasons.ruleText(ctx));
    if (p.denied) {
      outcome = 'refused';
      connState = 'S0';
      reason = reasons.get(ruleText, ReasonKind.Denied, 0, 0);
    } else if (ctx.v1) {
      outcome = 'completed';
      connState = 'OTH';
      reason = reasons.get(ruleText, ReasonKind.V1, 0, 0);
    } else if (!p.hasCounts) {
      // Only a B tuple: the flow began near the end of this log; its counts are in a later file.
      outcome = 'unknown';
      connState = 'OTH';
      reason = reasons.get(ruleText, ReasonKind.BeginOnly, 0, 0);
    } else if (p.pktsIn === 0) {
      outcome = 'unanswered';
      connState = 'S0';
      reason = reasons.get(ruleText, ReasonKind.Unanswered, p.pktsOut, 0);
    } else {
      outcome = 'completed';
      connState = p.sawEnd ? 'SF' : 'S1';
      reason = reasons.get(ruleText, ReasonKind.Answered, p.pktsOut, p.pktsIn);
    }
    const origBytes = p.hasCounts ? p.bytesOut : 0;
    if (this.reused !== null) {
      this.onFlow(this.reused.fill(p, flowLogUid(this.fileHash, ctx.record, p.tuple), connState, origBytes, outcome, reason));
      return;
    }
    const log: FlowLogFacts = { action: p.action, rule: ctx.rule, direction: p.direction, records: p.records };
    if (ctx.resource !== undefined) log.resource = ctx.resource;
    if (ctx.mac !== undefined) log.mac = ctx.mac;
    if (p.states !== '') log.state = p.states;
    if (p.encryption !== '') log.encryption = p.encryption;
    // Built here with makeLogFlow's field order, so these flows share its hidden class.
    this.onFlow({
      uid: flowLogUid(this.fileHash, ctx.record, p.tuple),
      ts: p.firstTs,
      duration: p.lastTs - p.firstTs,
      proto: p.proto,
      origH: p.src,
      origP: p.sport,
      respH: p.dst,
      respP: p.dport,
      connState,
      history: '',
      origPkts: p.hasCounts ? p.pktsOut : 0,
      origBytes,
      origIpBytes: origBytes,
      respPkts: p.pktsIn,
      respBytes: p.bytesIn,
      respIpBytes: p.bytesIn,
      outcome,
      reason,
      observedBy: 'flowlog',
      evidence:
        ctx.line === undefined
          ? { file: ctx.file, record: ctx.record, tuple: p.tuple }
          : { file: ctx.file, line: ctx.line, record: ctx.record, tuple: p.tuple },
      log,
    });
  }
}

/**
 * The `states` texts made of the known letters B, C, E, D, by {@link PendingFlow.stateSeq}: one
 * shared string per sequence rather than a concatenation per flow (a pending flow is often a reused
 * old object, and a new string there is an old-to-young reference every scavenge must visit).
 */
const STATE_TEXTS: (string | undefined)[] = new Array<string | undefined>(625).fill(undefined);

/**
 * The flow a transient {@link TupleMerger} hands out: one Flow object, with its evidence and log
 * objects, refilled for every flow. Each has exactly the keys a fresh flow would have: evidence
 * with or without `line`, and one log object per set of optional facts present.
 */
class ReusedFlow {
  private readonly flow: Flow = makeLogFlow({
    uid: '',
    ts: 0,
    duration: 0,
    proto: 'tcp',
    origH: '',
    origP: 0,
    respH: '',
    respP: 0,
    connState: 'OTH',
    origPkts: 0,
    origBytes: 0,
    respPkts: 0,
    respBytes: 0,
    outcome: 'unknown',
    reason: '',
    evidence: { file: '' },
    log: { action: '' },
  });
  private readonly evidence: FlowEvidence = { file: '', record: 0, tuple: 0 };
  private readonly evidenceWithLine: FlowEvidence = { file: '', line: 0, record: 0, tuple: 0 };
  /** By presence of resource (1), mac (2), state (4), encryption (8). */
  private readonly logs: (FlowLogFacts | undefined)[] = new Array<FlowLogFacts | undefined>(16).fill(undefined);

  fill(p: PendingFlow, uid: string, connState: ConnState, origBytes: number, outcome: Outcome, reason: string): Flow {
    const ctx = p.ctx;
    const mask =
      (ctx.resource !== undefined ? 1 : 0) | (ctx.mac !== undefined ? 2 : 0) | (p.states !== '' ? 4 : 0) | (p.encryption !== '' ? 8 : 0);
    let log = this.logs[mask];
    if (log === undefined) {
      log = { action: '', rule: '', direction: '', records: 0 };
      if (mask & 1) log.resource = '';
      if (mask & 2) log.mac = '';
      if (mask & 4) log.state = '';
      if (mask & 8) log.encryption = '';
      this.logs[mask] = log;
    }
    log.action = p.action;
    log.rule = ctx.rule;
    log.direction = p.direction;
    log.records = p.records;
    if (mask & 1) log.resource = ctx.resource;
    if (mask & 2) log.mac = ctx.mac;
    if (mask & 4) log.state = p.states;
    if (mask & 8) log.encryption = p.encryption;
    let evidence: FlowEvidence;
    if (ctx.line === undefined) {
      evidence = this.evidence;
    } else {
      evidence = this.evidenceWithLine;
      evidence.line = ctx.line;
    }
    evidence.file = ctx.file;
    evidence.record = ctx.record;
    evidence.tuple = p.tuple;
    const f = this.flow;
    f.uid = uid;
    f.ts = p.firstTs;
    f.duration = p.lastTs - p.firstTs;
    f.proto = p.proto;
    f.origH = p.src;
    f.origP = p.sport;
    f.respH = p.dst;
    f.respP = p.dport;
    f.connState = connState;
    f.origPkts = p.hasCounts ? p.pktsOut : 0;
    f.origBytes = origBytes;
    f.origIpBytes = origBytes;
    f.respPkts = p.pktsIn;
    f.respBytes = p.bytesIn;
    f.respIpBytes = p.bytesIn;
    f.outcome = outcome;
    f.reason = reason;
    f.evidence = evidence;
    f.log = log;
    return f;
  }
}

/** A blank pending flow; every field is set when it is taken into use. Its only object literal: one hidden class. */
function newPendingFlow(): PendingFlow {
  return {
    hash: 0,
    bits: 0,
    live: false,
    generation: 0,
    proto: 'tcp',
    src: '',
    dst: '',
    sport: 0,
    dport: 0,
    direction: '',
    denied: false,
    action: '',
    encryption: '',
    ctx: NO_GROUP,
    tuple: 0,
    firstTs: 0,
    lastTs: 0,
    states: '',
    stateBits: 0,
    stateSeq: 0,
    records: 0,
    hasCounts: false,
    pktsOut: 0,
    bytesOut: 0,
    pktsIn: 0,
    bytesIn: 0,
    sawEnd: false,
  };
}

/** The group of a pooled pending flow: it keeps no record's facts alive. */
const NO_GROUP: TupleGroup = { file: '', rule: '', kind: 'NSG', v1: false, record: 0 };

/** Puts an emitted flow (no longer referenced by its merger's table or order list) into the pool. */
function release(p: PendingFlow): void {
  if (pendingPool.length >= MAX_POOLED) return;
  p.ctx = NO_GROUP;
  p.src = '';
  p.dst = '';
  pendingPool.push(p);
}
