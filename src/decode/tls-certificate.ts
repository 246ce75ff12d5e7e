/**
 * TLS inspection, seen in the server's certificate.
 *
 * A proxy or firewall that decrypts HTTPS answers the client with a certificate of its own making:
 * the subject is the name the client asked for (login.microsoftonline.com), the issuer is the
 * inspection CA (a Zscaler, Palo Alto or corporate root). Entra Connect, its Health agents and the
 * pass-through authentication agent do not support TLS inspection of the Microsoft endpoints, and
 * where the inspection CA is not trusted every connection fails after the handshake.
 *
 * Up to TLS 1.2 the server's certificate travels in clear in its first flight (ServerHello,
 * Certificate, ...; RFC 5246 section 7.4.2), usually over several TCP segments: they are put
 * together here (in order, same direction, like ClientHellos in tls-sni.ts) until the first
 * certificate is whole. Its subject and issuer are read from the DER (RFC 5280 section 4.1). TLS 1.3
 * encrypts the certificate: a ServerHello that selects it ends the search.
 *
 * A certificate whose subject is a Microsoft name and whose issuer is not a CA Microsoft uses for
 * its endpoints is reported (`tls_inspected`, once per issuer and capture; every one is counted
 * in `tls_inspected_certificates`).
 */
import type { DiagnosticSink } from '../common/diagnostics.js';
import type { Frame } from '../sources/types.js';
import { readU16 } from './cursor.js';
import { firstOfKind } from './first-of-kind.js';
import { derElement as element } from './der.js';
import { answerSubject, directionOf, sameDirection, type Direction } from './direction.js';
import type { Packet } from './types.js';

const TLS_CONTENT_HANDSHAKE = 0x16;
const TLS_HANDSHAKE_SERVER_HELLO = 2;
const TLS_HANDSHAKE_CERTIFICATE = 11;
const TLS_EXT_SUPPORTED_VERSIONS = 0x002b;
const RECORD_HEADER_LEN = 5;

/** What a server flight's first bytes hold at most before the first certificate is given up (its chain comes after it). */
const MAX_FLIGHT_BYTES = 24 * 1024;
/** Server flights waiting for their next segments, per capture; past this many the oldest is given up. */
const MAX_PENDING_FLIGHTS = 64;

/** Names (and the domains below them) Microsoft's cloud endpoints go by. */
const MICROSOFT_DOMAINS = [
  'microsoftonline.com',
  'microsoftonline-p.com',
  'windows.net',
  'microsoft.com',
  'msftauth.net',
  'msauth.net',
  'msidentity.com',
  'microsoftazuread-sso.com',
  'msappproxy.net',
  'azure.com',
  'azure.net',
  'live.com',
];

/** Organisations of the CAs that issue the certificates of Microsoft's endpoints (issuer O=). */
const MICROSOFT_CA_ORGANIZATIONS = ['microsoft corporation', 'digicert inc', 'digicert, inc.'];

/** The parts of a certificate read here. */
export interface CertificateNames {
  subjectCn: string | null;
  issuerCn: string | null;
  issuerO: string | null;
}

/** True when `name` (lowercase) is one of Microsoft's endpoint domains or below one. */
export function isMicrosoftName(name: string): boolean {
  const n = name.startsWith('*.') ? name.slice(2) : name;
  return MICROSOFT_DOMAINS.some((d) => n === d || n.endsWith(`.${d}`));
}

/** True when a certificate with these names was made by something in the path, not by Microsoft's CAs. */
export function looksInspected(c: CertificateNames): boolean {
  if (c.subjectCn === null || !isMicrosoftName(c.subjectCn.toLowerCase())) return false;
  const org = (c.issuerO ?? '').toLowerCase();
  return !MICROSOFT_CA_ORGANIZATIONS.includes(org);
}

interface PendingFlight extends Direction {
  startSeq: number;
  nextSeq: number;
  buf: Uint8Array;
  have: number;
}

/**
 * The server flights of one capture that wait for their next TCP segments (Packet.serverFlights),
 * found by their port pair: every TCP segment with a payload asks, so the lookup must not walk them.
 */
export class ServerFlights {
  /** Waiting flights by port pair (srcPort * 65536 + dstPort), oldest first in insertion order. */
  private readonly byPorts = new Map<number, PendingFlight[]>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  find(pkt: Packet): PendingFlight | null {
    const list = this.byPorts.get(pkt.srcPort * 65536 + pkt.dstPort);
    if (list === undefined) return null;
    for (const f of list) if (sameDirection(f, pkt)) return f;
    return null;
  }

  add(f: PendingFlight): void {
    if (this.count >= MAX_PENDING_FLIGHTS) {
      // The oldest port pair's oldest flight: Map keeps insertion order.
      const [key, list] = this.byPorts.entries().next().value!;
      this.removeFrom(key, list, list[0]);
    }
    const key = f.srcPort * 65536 + f.dstPort;
    const list = this.byPorts.get(key);
    if (list === undefined) this.byPorts.set(key, [f]);
    else list.push(f);
    this.count++;
  }

  remove(f: PendingFlight): void {
    const key = f.srcPort * 65536 + f.dstPort;
    const list = this.byPorts.get(key);
    if (list !== undefined) this.removeFrom(key, list, f);
  }

  private removeFrom(key: number, list: PendingFlight[], f: PendingFlight): void {
    const at = list.indexOf(f);
    if (at < 0) return;
    list.splice(at, 1);
    if (list.length === 0) this.byPorts.delete(key);
    this.count--;
  }
}

/** Result of reading a flight so far. */
const DONE = 1;
const MORE = 0;

/**
 * A TCP payload at b[payload ..] that begins a handshake record holding a ServerHello: reads the
 * certificate from it, or waits for the segments that follow. Returns false when the payload is
 * not such a record (the caller decodes it as usual).
 */
export function startServerFlight(
  b: Uint8Array,
  payload: number,
  payloadLen: number,
  captured: number,
  pkt: Packet,
  frame: Frame,
  diag: DiagnosticSink,
): boolean {
  if (captured < RECORD_HEADER_LEN + 1 || b[payload] !== TLS_CONTENT_HANDSHAKE || b[payload + 1] !== 3) return false;
  if (b[payload + RECORD_HEADER_LEN] !== TLS_HANDSHAKE_SERVER_HELLO) return false;
  const take = Math.min(payloadLen, captured, MAX_FLIGHT_BYTES);
  // Read in place first: a TLS 1.3 flight, or a whole TLS 1.2 one, needs no copy.
  if (readFlight(b.subarray(payload, payload + take), take, pkt, frame, diag) === DONE || captured < payloadLen || take >= MAX_FLIGHT_BYTES) return true;
  const buf = new Uint8Array(Math.min(MAX_FLIGHT_BYTES, 4 * take));
  buf.set(b.subarray(payload, payload + take));
  const flights = (pkt.serverFlights ??= new ServerFlights());
  const known = flights.find(pkt);
  if (known !== null) flights.remove(known);
  flights.add({
    ...directionOf(pkt),
    startSeq: pkt.tcpSeq,
    nextSeq: (pkt.tcpSeq + take) >>> 0,
    buf,
    have: take,
  });
  return true;
}

/**
 * Takes the TCP payload when it continues a server flight this capture waits for (false when it
 * does not). The flight is given up on a gap, a cut by the snap length, or past MAX_FLIGHT_BYTES.
 */
export function continueServerFlight(
  b: Uint8Array,
  payload: number,
  payloadLen: number,
  captured: number,
  pkt: Packet,
  frame: Frame,
  diag: DiagnosticSink,
): boolean {
  const flights = pkt.serverFlights;
  if (flights === null || flights.size === 0) return false;
  const f = flights.find(pkt);
  if (f === null) return false;
  // Signed distance in sequence space (it wraps at 2^32).
  const ahead = (pkt.tcpSeq - f.nextSeq) | 0;
  const skip = -ahead;
  if (ahead <= 0 && skip >= payloadLen) return true; // data already taken (a retransmission)
  const take = ahead > 0 ? 0 : Math.min(Math.min(payloadLen, captured) - skip, MAX_FLIGHT_BYTES - f.have);
  if (take > 0) {
    if (f.have + take > f.buf.length) {
      // Grown as the flight comes (a certificate chain is a few KiB; most flights need no more).
      const grown = new Uint8Array(Math.min(MAX_FLIGHT_BYTES, Math.max(2 * f.buf.length, f.have + take)));
      grown.set(f.buf.subarray(0, f.have));
      f.buf = grown;
    }
    f.buf.set(b.subarray(payload + skip, payload + skip + take), f.have);
    f.have += take;
    f.nextSeq = (f.nextSeq + take) >>> 0;
  }
  if (ahead > 0 || readFlight(f.buf, f.have, pkt, frame, diag) === DONE || captured < payloadLen || f.have >= MAX_FLIGHT_BYTES) {
    flights.remove(f);
  }
  return true;
}

/** The end of a capture: flights still waiting will not be completed. */
export function endServerFlights(pkt: Packet): void {
  pkt.serverFlights = null;
}

/**
 * Reads the handshake messages in the records of buf[0 .. have): DONE once the first certificate
 * was read (and judged), or the flight shows there is none to read (TLS 1.3, another record type,
 * damage); MORE while the certificate may still come.
 */
function readFlight(buf: Uint8Array, have: number, pkt: Packet, frame: Frame, diag: DiagnosticSink): number {
  // The handshake bytes of the records read so far, one after the other.
  const hs = new Uint8Array(have);
  let hsLen = 0;
  let p = 0;
  let complete = true;
  while (p + RECORD_HEADER_LEN <= have) {
    if (buf[p] !== TLS_CONTENT_HANDSHAKE) break; // ChangeCipherSpec, application data: no certificate in clear
    const len = readU16(buf, p + 3);
    const end = Math.min(p + RECORD_HEADER_LEN + len, have);
    hs.set(buf.subarray(p + RECORD_HEADER_LEN, end), hsLen);
    hsLen += end - (p + RECORD_HEADER_LEN);
    if (end < p + RECORD_HEADER_LEN + len) {
      complete = false;
      break;
    }
    p = end;
  }
  const moreToCome = !complete || p + RECORD_HEADER_LEN > have;
  let m = 0;
  while (m + 4 <= hsLen) {
    const type = hs[m];
    const len = (hs[m + 1] << 16) | (hs[m + 2] << 8) | hs[m + 3];
    const body = m + 4;
    if (type === TLS_HANDSHAKE_SERVER_HELLO) {
      if (body + len > hsLen) return moreToCome ? MORE : DONE;
      if (selectsTls13(hs, body, body + len)) return DONE;
    } else if (type === TLS_HANDSHAKE_CERTIFICATE) {
      // certificate_list <0..2^24-1>, each: opaque ASN.1Cert <1..2^24-1>; the first is the server's own.
      if (body + 6 > hsLen) return moreToCome ? MORE : DONE;
      const certLen = (hs[body + 3] << 16) | (hs[body + 4] << 8) | hs[body + 5];
      const certStart = body + 6;
      if (certStart + certLen > hsLen) return moreToCome ? MORE : DONE;
      const names = readCertificateNames(hs.subarray(certStart, certStart + certLen));
      if (names !== null) judgeCertificate(names, pkt, frame, diag);
      return DONE;
    } else if (body + len > hsLen) {
      return moreToCome ? MORE : DONE;
    }
    m = body + len;
  }
  return moreToCome ? MORE : DONE;
}

/** True when the ServerHello body at hs[from .. to) selects TLS 1.3 (supported_versions 0x0304). */
function selectsTls13(hs: Uint8Array, from: number, to: number): boolean {
  // legacy_version (2), random (32), legacy_session_id_echo <0..32>, cipher_suite (2), compression (1)
  let p = from + 34;
  if (p + 1 > to) return false;
  p += 1 + hs[p];
  p += 3;
  if (p + 2 > to) return false;
  const extEnd = Math.min(to, p + 2 + readU16(hs, p));
  p += 2;
  while (p + 4 <= extEnd) {
    const type = readU16(hs, p);
    const len = readU16(hs, p + 2);
    if (type === TLS_EXT_SUPPORTED_VERSIONS && len === 2 && p + 6 <= extEnd) return readU16(hs, p + 4) === 0x0304;
    p += 4 + len;
  }
  return false;
}

function judgeCertificate(names: CertificateNames, pkt: Packet, frame: Frame, diag: DiagnosticSink): void {
  if (!looksInspected(names)) return;
  diag.count('tls_inspected_certificates');
  const issuer = [names.issuerCn && `CN=${names.issuerCn}`, names.issuerO && `O=${names.issuerO}`].filter(Boolean).join(', ') || 'no name';
  // Once per issuer and server: each inspected endpoint is named beside its finding.
  const subject = answerSubject(pkt, true);
  if (!firstOfKind(pkt, `issuer|${issuer}|${subject.server}:${subject.port}`)) return;
  diag.report(
    'tls_inspected',
    frame.origin,
    `the certificate presented for ${names.subjectCn} in frame ${pkt.frame} was issued by "${issuer}", not by a CA Microsoft uses ` +
      `for its endpoints: a proxy or firewall inspects this TLS traffic (Entra Connect and its agents do not support that; ` +
      `exempt the Microsoft endpoints from inspection)`,
    subject,
  );
}

// ---------------------------------------------------------------------------------------------
// DER (X.690), as far as a certificate's names need it

const SEQUENCE = 0x30;
const SET = 0x31;
const OID = 0x06;
/** 2.5.4.3 commonName and 2.5.4.10 organizationName: the OID bytes after 55 04. */
const ATTR_CN = 3;
const ATTR_O = 10;

/**
 * The subject's and issuer's names of the DER certificate `d` (RFC 5280: Certificate ::= SEQUENCE {
 * tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer, validity,
 * subject, ... } ... }); null when it is not one.
 */
export function readCertificateNames(d: Uint8Array): CertificateNames | null {
  const cert = element(d, 0, d.length);
  if (cert === null || cert.tag !== SEQUENCE) return null;
  const tbs = element(d, cert.start, cert.end);
  if (tbs === null || tbs.tag !== SEQUENCE) return null;
  let p = tbs.start;
  const fields: { tag: number; start: number; end: number }[] = [];
  while (p < tbs.end && fields.length < 7) {
    const e = element(d, p, tbs.end);
    if (e === null) return null;
    fields.push(e);
    p = e.end;
  }
  // Without the explicit [0] version (v1 certificates) every field comes one place earlier.
  const k = fields[0]?.tag === 0xa0 ? 1 : 0;
  const issuer = fields[k + 2];
  const subject = fields[k + 4];
  if (issuer === undefined || subject === undefined || issuer.tag !== SEQUENCE || subject.tag !== SEQUENCE) return null;
  const i = nameAttributes(d, issuer);
  const s = nameAttributes(d, subject);
  return { subjectCn: s.cn, issuerCn: i.cn, issuerO: i.o };
}

/** CN and O of a Name (RDNSequence: SEQUENCE OF SET OF SEQUENCE { OID, value }); the last of each wins, as in its text form. */
function nameAttributes(d: Uint8Array, name: { start: number; end: number }): { cn: string | null; o: string | null } {
  let cn: string | null = null;
  let o: string | null = null;
  for (let p = name.start; p < name.end; ) {
    const rdn = element(d, p, name.end);
    if (rdn === null || rdn.tag !== SET) break;
    for (let q = rdn.start; q < rdn.end; ) {
      const atv = element(d, q, rdn.end);
      if (atv === null || atv.tag !== SEQUENCE) break;
      const oid = element(d, atv.start, atv.end);
      const value = oid === null ? null : element(d, oid.end, atv.end);
      if (oid !== null && value !== null && oid.tag === OID && oid.end - oid.start === 3 && d[oid.start] === 0x55 && d[oid.start + 1] === 0x04) {
        const attr = d[oid.start + 2];
        if (attr === ATTR_CN) cn = text(d, value.start, value.end);
        else if (attr === ATTR_O) o = text(d, value.start, value.end);
      }
      q = atv.end;
    }
    p = rdn.end;
  }
  return { cn, o };
}

/** A directory string's bytes as text (UTF-8, PrintableString, IA5String; others read as Latin-1), control characters dropped. */
function text(d: Uint8Array, start: number, end: number): string {
  const raw = Buffer.from(d.buffer, d.byteOffset + start, end - start).toString('utf8');
  return raw.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 200);
}
