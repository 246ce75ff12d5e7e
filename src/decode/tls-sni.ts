/**
 * TLS ClientHello server_name (RFC 8446 section 4.1.2, RFC 6066 section 3): the host name a client
 * asked for, which names the far side of an HTTPS flow. For Encrypted Client Hello (ECH) this is the
 * outer (public) name, which is what a network observer sees and reports.
 *
 * Every length is checked against the record, the handshake message and the captured bytes. A
 * ClientHello whose record goes on past its TCP segment is put together from the segments that
 * follow (see {@link HelloAssembly}): a browser's ClientHello with post-quantum key shares (Chrome
 * and Edge since 2024) is larger than one segment, and with its extensions in random order the name
 * is often in the second. One cut by the snap length, or whose next segment is missing, is parsed
 * as far as it goes; when the name is not in that part we give up quietly (counter
 * `tls_clienthello_incomplete`).
 */
import type { DiagnosticSink } from '../common/diagnostics.js';
import type { Frame } from '../sources/types.js';
import { readU16 } from './cursor.js';
import { directionOf, sameDirection, type Direction } from './direction.js';
import type { Packet } from './types.js';

/** TLSPlaintext.type handshake (RFC 8446 section 5.1). */
export const TLS_CONTENT_HANDSHAKE = 0x16;
export const TLS_HANDSHAKE_CLIENT_HELLO = 1;
export const TLS_EXT_SERVER_NAME = 0;
export const TLS_SNI_HOST_NAME = 0;
const TLS_RECORD_HEADER_LEN = 5;
/** RFC 6066: HostName is 1..2^16-1 bytes, but a DNS name is at most 253; longer is not a host name. */
const MAX_HOST_NAME_LEN = 253;

/** Outcome of the parse, for the counters. */
const FOUND = 1;
const ABSENT = 0;
const INCOMPLETE = -1;
const MALFORMED = -2;

/**
 * Looks for a ClientHello with server_name in the TLS record starting at `off`, and sets `pkt.sni`
 * (lowercase) when found. Records that are not a handshake ClientHello return quietly.
 *
 * @param segmentEnd end of this TCP segment's payload as declared by the headers
 * @param capEnd end of the captured bytes (`<= segmentEnd` when the snap length cut the segment)
 */
export function decodeTlsClientHelloSni(
  b: Uint8Array,
  off: number,
  segmentEnd: number,
  capEnd: number,
  pkt: Packet,
  frame: Frame,
  diag: DiagnosticSink,
): void {
  const end = Math.min(segmentEnd, capEnd);
  // Record header: type, legacy_record_version (0x0300 .. 0x0304), length.
  if (off + TLS_RECORD_HEADER_LEN + 1 > end) return;
  if (b[off] !== TLS_CONTENT_HANDSHAKE || b[off + 1] !== 3 || b[off + 2] > 4) return;
  if (b[off + 5] !== TLS_HANDSHAKE_CLIENT_HELLO) return;
  const recordEnd = off + TLS_RECORD_HEADER_LEN + readU16(b, off + 3);
  const result = findServerName(b, off + TLS_RECORD_HEADER_LEN, recordEnd, end, pkt);
  if (result === INCOMPLETE) {
    // The whole segment was captured and the record goes on past it: wait for the next segments.
    if (capEnd >= segmentEnd && recordEnd > segmentEnd && recordEnd - off <= MAX_RECORD_LEN) startHello(b, off, segmentEnd, recordEnd - off, pkt, diag);
    else diag.count('tls_clienthello_incomplete');
  } else if (result === MALFORMED) {
    reportMalformed(frame, diag);
  }
}

function reportMalformed(frame: Frame, diag: DiagnosticSink): void {
  diag.report('tls_malformed', frame.origin, 'TLS ClientHello with inconsistent lengths');
}

/** A TLS record with its header: at most 2^14 bytes of plaintext (RFC 8446 section 5.1); a longer one is not followed. */
const MAX_RECORD_LEN = TLS_RECORD_HEADER_LEN + (1 << 14);

/** ClientHellos waiting for their next segments, per capture; past this many the oldest is given up. */
const MAX_PENDING_HELLOS = 256;

/** A ClientHello record begun in one TCP segment, waiting for the rest (client to server direction). */
interface PendingHello extends Direction {
  /** Sequence number of the segment that began the record, and of the next byte expected. */
  startSeq: number;
  nextSeq: number;
  /** The record, header included: `have` of its `buf.length` bytes so far. */
  buf: Uint8Array;
  have: number;
  /** Another waiting hello with the same port pair. */
  next: PendingHello | null;
}

/**
 * The ClientHellos of one capture that wait for their next TCP segments (Packet.helloAssembly):
 * in-order segments of the same direction are appended until the record is whole, then the name is
 * read from it and set on the packet that completed it (the flow table takes a flow's name from any
 * of its packets). A gap in the sequence (a segment not captured, or captured out of order) gives
 * the hello up. At most {@link MAX_PENDING_HELLOS} wait at once (16 KiB each at most, a TLS
 * record's limit): a capture cut in the middle of many handshakes does not hold memory without end.
 */
export class HelloAssembly {
  /** Waiting hellos by port pair (srcPort * 65536 + dstPort). */
  readonly byPorts = new Map<number, PendingHello>();
  /** The same, oldest first. */
  readonly waiting = new Set<PendingHello>();
}

function portKey(pkt: Packet): number {
  return pkt.srcPort * 65536 + pkt.dstPort;
}

function findPending(a: HelloAssembly, pkt: Packet): PendingHello | null {
  for (let h = a.byPorts.get(portKey(pkt)) ?? null; h !== null; h = h.next) if (sameDirection(h, pkt)) return h;
  return null;
}

function dropPending(a: HelloAssembly, h: PendingHello): void {
  a.waiting.delete(h);
  const key = h.srcPort * 65536 + h.dstPort;
  const head = a.byPorts.get(key);
  if (head === h) {
    if (h.next) a.byPorts.set(key, h.next);
    else a.byPorts.delete(key);
    return;
  }
  for (let p: PendingHello | null = head ?? null; p !== null; p = p.next) {
    if (p.next === h) {
      p.next = h.next;
      return;
    }
  }
}

/** Begins waiting for the rest of the ClientHello record at b[off ..] (`recordLen` bytes with its header). */
function startHello(b: Uint8Array, off: number, segmentEnd: number, recordLen: number, pkt: Packet, diag: DiagnosticSink): void {
  const a = (pkt.helloAssembly ??= new HelloAssembly());
  const known = findPending(a, pkt);
  if (known !== null) {
    // The first segment again (a retransmission): already waiting for what follows it.
    if (known.startSeq === pkt.tcpSeq) return;
    dropPending(a, known);
    diag.count('tls_clienthello_incomplete');
  }
  if (a.waiting.size >= MAX_PENDING_HELLOS) {
    dropPending(a, a.waiting.values().next().value!);
    diag.count('tls_clienthello_incomplete');
  }
  const have = segmentEnd - off;
  const buf = new Uint8Array(recordLen);
  buf.set(b.subarray(off, segmentEnd));
  const key = portKey(pkt);
  const h: PendingHello = {
    ...directionOf(pkt),
    startSeq: pkt.tcpSeq,
    nextSeq: (pkt.tcpSeq + have) >>> 0,
    buf,
    have,
    next: a.byPorts.get(key) ?? null,
  };
  a.byPorts.set(key, h);
  a.waiting.add(h);
}

/**
 * Takes the TCP payload at b[payload ..] (`payloadLen` bytes as declared, `captured` of them in
 * the frame) when it continues a ClientHello this capture waits for; returns false when it does
 * not (the caller decodes it as usual). A packet that completes the record gets `pkt.sni`.
 */
export function continueClientHello(
  b: Uint8Array,
  payload: number,
  payloadLen: number,
  captured: number,
  pkt: Packet,
  frame: Frame,
  diag: DiagnosticSink,
): boolean {
  const a = pkt.helloAssembly;
  if (a === null || a.waiting.size === 0) return false;
  const h = findPending(a, pkt);
  if (h === null) return false;
  // Signed distance in sequence space (it wraps at 2^32).
  const ahead = (pkt.tcpSeq - h.nextSeq) | 0;
  if (ahead > 0) {
    dropPending(a, h);
    diag.count('tls_clienthello_incomplete');
    return true;
  }
  const skip = -ahead;
  if (skip >= payloadLen) return true; // data already taken (a retransmission)
  const take = Math.min(Math.min(payloadLen, captured) - skip, h.buf.length - h.have);
  if (take > 0) {
    h.buf.set(b.subarray(payload + skip, payload + skip + take), h.have);
    h.have += take;
    h.nextSeq = (h.nextSeq + take) >>> 0;
  }
  if (h.have >= h.buf.length) {
    dropPending(a, h);
    const result = findServerName(h.buf, TLS_RECORD_HEADER_LEN, h.buf.length, h.buf.length, pkt);
    // INCOMPLETE here: the ClientHello goes on in a second record, which we do not follow.
    if (result === INCOMPLETE) diag.count('tls_clienthello_incomplete');
    else if (result === MALFORMED) reportMalformed(frame, diag);
  } else if (captured < payloadLen) {
    // The snap length cut this segment: the rest of the record cannot be had.
    dropPending(a, h);
    diag.count('tls_clienthello_incomplete');
  }
  return true;
}

/**
 * Walks the ClientHello. `recordEnd` is where the record says it ends, `end` where our bytes end.
 * A length that runs past `recordEnd` (or the handshake message) is MALFORMED; one that runs past
 * `end` only is INCOMPLETE.
 */
function findServerName(b: Uint8Array, off: number, recordEnd: number, end: number, pkt: Packet): number {
  // Handshake header: msg_type (1) + 24-bit length.
  if (off + 4 > end) return INCOMPLETE;
  const helloLen = (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3];
  const helloEnd = off + 4 + helloLen;
  // A ClientHello may span several records (post-quantum key shares make it large); then the first
  // record's end bounds what we can read, and what lies beyond is INCOMPLETE, not MALFORMED.
  const limit = Math.min(helloEnd, recordEnd, end);
  let p = off + 4;
  // legacy_version (2) + random (32)
  p += 34;
  // legacy_session_id <0..32>
  if (p + 1 > limit) return cutOrBad(p + 1, helloEnd);
  p += 1 + b[p];
  // cipher_suites <2..2^16-2>
  if (p + 2 > limit) return cutOrBad(p + 2, helloEnd);
  p += 2 + readU16(b, p);
  // legacy_compression_methods <1..2^8-1>
  if (p + 1 > limit) return cutOrBad(p + 1, helloEnd);
  p += 1 + b[p];
  // extensions <8..2^16-1>; absent in very old ClientHellos.
  if (p === helloEnd) return ABSENT;
  if (p + 2 > limit) return cutOrBad(p + 2, helloEnd);
  const extEnd = p + 2 + readU16(b, p);
  if (extEnd > helloEnd) return MALFORMED;
  p += 2;
  while (p + 4 <= Math.min(extEnd, limit)) {
    const extType = readU16(b, p);
    const extLen = readU16(b, p + 2);
    const dataStart = p + 4;
    const dataEnd = dataStart + extLen;
    if (dataEnd > extEnd) return MALFORMED;
    if (extType === TLS_EXT_SERVER_NAME) {
      if (dataEnd > limit) return cutOrBad(dataEnd, helloEnd);
      return readServerNameList(b, dataStart, dataEnd, pkt);
    }
    p = dataEnd;
  }
  if (p >= extEnd) return ABSENT;
  return cutOrBad(p + 4, helloEnd);
}

function cutOrBad(needEnd: number, helloEnd: number): number {
  return needEnd > helloEnd ? MALFORMED : INCOMPLETE;
}

/** RFC 6066 section 3: ServerNameList <1..2^16-1> of { NameType name_type; opaque HostName<1..2^16-1> }. */
function readServerNameList(b: Uint8Array, off: number, end: number, pkt: Packet): number {
  if (off + 2 > end) return MALFORMED;
  const listEnd = off + 2 + readU16(b, off);
  if (listEnd > end) return MALFORMED;
  let p = off + 2;
  while (p + 3 <= listEnd) {
    const nameType = b[p];
    const nameLen = readU16(b, p + 1);
    const nameStart = p + 3;
    if (nameStart + nameLen > listEnd) return MALFORMED;
    if (nameType === TLS_SNI_HOST_NAME) {
      const name = readHostName(b, nameStart, nameLen);
      if (name === null) return MALFORMED;
      pkt.sni = name;
      return FOUND;
    }
    p = nameStart + nameLen;
  }
  return ABSENT;
}

/** HostName bytes as lowercase text; null unless 1..253 printable ASCII bytes (RFC 6066: no trailing dot, ASCII). */
function readHostName(b: Uint8Array, off: number, len: number): string | null {
  if (len === 0 || len > MAX_HOST_NAME_LEN) return null;
  let s = '';
  for (let i = 0; i < len; i++) {
    let c = b[off + i];
    if (c <= 0x20 || c >= 0x7f) return null;
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    s += String.fromCharCode(c);
  }
  return s.endsWith('.') ? s.slice(0, -1) : s;
}

/**
 * The end of a capture: ClientHellos still waiting for their next segment will not get them (the
 * capture stopped in the middle of the handshake); each is counted as `tls_clienthello_incomplete`.
 */
export function endClientHellos(pkt: Packet, diag: DiagnosticSink): void {
  const a = pkt.helloAssembly;
  if (a === null) return;
  if (a.waiting.size > 0) diag.count('tls_clienthello_incomplete', a.waiting.size);
  pkt.helloAssembly = null;
}
