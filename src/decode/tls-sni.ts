/**
 * TLS ClientHello server_name (RFC 8446 section 4.1.2, RFC 6066 section 3): the host name a client
 * asked for, which names the far side of an HTTPS flow. For Encrypted Client Hello (ECH) this is the
 * outer (public) name, which is what a network observer sees and reports.
 *
 * Every length is checked against the record, the handshake message and the captured bytes. A
 * ClientHello split across TCP segments (or cut by the snap length) is parsed as far as it goes;
 * if the name is not in the captured part we give up quietly (counter `tls_clienthello_incomplete`).
 */
import type { DiagnosticSink } from '../common/diagnostics.js';
import type { Frame } from '../sources/types.js';
import { readU16 } from './cursor.js';
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
  if (result === INCOMPLETE) diag.count('tls_clienthello_incomplete');
  else if (result === MALFORMED) diag.report('tls_malformed', frame.origin, 'TLS ClientHello with inconsistent lengths');
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
