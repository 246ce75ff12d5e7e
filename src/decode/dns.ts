/**
 * DNS (RFC 1035), mDNS (RFC 6762, port 5353) and LLMNR (RFC 4795, port 5355) messages, parsed with
 * the `dns-packet` library into a small {@link DnsSummary}: the names a flow's far side goes by.
 *
 * dns-packet throws on malformed input; that is a library boundary, so the one try/catch of the
 * decode stage is here. Its name decoder only follows compression pointers that point BACKWARDS
 * (index.js `name.decode`: `jumpOffset >= oldOffset` throws "bad pointer"), so pointer loops end.
 */
import { createRequire } from 'node:module';
import { canonicalIp } from '../common/ip.js';
import type { DiagnosticSink } from '../common/diagnostics.js';
import type { Frame } from '../sources/types.js';
import { readU16 } from './cursor.js';
import type { DnsRecord, DnsSummary, Packet } from './types.js';

export const DNS_PORT = 53;
export const MDNS_PORT = 5353;
export const LLMNR_PORT = 5355;
export const DNS_HEADER_LEN = 12;

/** Bounds on what one message may add to a summary (memory stays bounded on hostile input). */
export const MAX_DNS_QUESTIONS = 8;
export const MAX_DNS_ANSWERS = 64;

/** True for the ports whose payload is parsed as DNS: 53, 5353 (mDNS), 5355 (LLMNR). */
export function isDnsPort(port: number): boolean {
  return port === DNS_PORT || port === MDNS_PORT || port === LLMNR_PORT;
}

/**
 * The per-record codecs that dns-packet exports at runtime (index.js: `exports.question`,
 * `exports.answer`) but its type definitions omit. Decoding record by record keeps the questions
 * and answers read before a damaged authority or additional record, and reads those sections only
 * for the addresses of SRV targets (see addSrvTargetAddresses).
 */
interface RecordCodec<T> {
  decode: ((buf: Buffer, offset: number) => T) & { bytes: number };
}
interface DecodedQuestion {
  name: string;
  type: string;
}
interface DecodedAnswer {
  name: string;
  type: string;
  ttl?: number;
  data?: unknown;
}
interface DnsCodecs {
  question: RecordCodec<DecodedQuestion>;
  answer: RecordCodec<DecodedAnswer>;
}

/**
 * dns-packet, loaded on the first plausible DNS message rather than at start-up: it is a CommonJS
 * package, and importing it from ESM (module lexer + wrapper) cost about 15 ms of every run's
 * start-up, also for inputs that hold no DNS at all (flow logs). `require` of the
 * same package costs about a third of that, once.
 */
let codecs: DnsCodecs | null = null;
function dnsCodecs(): DnsCodecs {
  if (codecs === null) codecs = createRequire(import.meta.url)('dns-packet') as DnsCodecs;
  return codecs;
}

/**
 * Parses the DNS message of `len` bytes at `b[off ..]` into `pkt.dns`. On a malformed message,
 * reports `dns_malformed` and keeps what was read before the damage (`pkt.dns` stays null when not
 * even the header could be read).
 *
 * Only the first `captured` bytes may be there (default: all), when the snap length or IP
 * fragmentation cut the message: then the header, the questions and the answers captured whole are
 * kept (counted `dns_partial`). That is what a pktmon capture gives, which keeps 128 bytes of each
 * packet by default: the response code and the name asked about, which say when a lookup failed,
 * come first in the message.
 */
export function decodeDnsMessage(
  b: Uint8Array,
  off: number,
  len: number,
  pkt: Packet,
  frame: Frame,
  diag: DiagnosticSink,
  captured = len,
): void {
  if (len < DNS_HEADER_LEN) {
    diag.report('dns_malformed', frame.origin, `DNS message of ${len} bytes is shorter than its 12-byte header`);
    return;
  }
  if (captured < DNS_HEADER_LEN) {
    diag.count('dns_cut_before_header');
    return;
  }
  // RFC 1035 section 4.1.1: ID, flags (QR bit 15, RCODE low 4 bits), QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT.
  const flags = readU16(b, off + 2);
  const summary: DnsSummary = {
    id: readU16(b, off),
    isResponse: (flags & 0x8000) !== 0,
    rcode: flags & 0x0f,
    questions: [],
    answers: [],
  };
  const qdCount = readU16(b, off + 4);
  const anCount = readU16(b, off + 6);
  // Cheap plausibility check before the library walks names: every question takes at least 5
  // bytes (root name, type, class) and every resource record 11 (RFC 1035 sections 4.1.2, 4.1.3).
  // Non-DNS payload on port 53 (tunnels, scanners, junk) fails this and costs nothing more.
  const records = anCount + readU16(b, off + 8) + readU16(b, off + 10);
  if (qdCount > 64 || DNS_HEADER_LEN + qdCount * 5 + records * 11 > len) {
    diag.count('dns_implausible_header');
    return;
  }
  // A view, not a copy: the Buffer shares the frame's memory and is dropped before we return.
  const cut = captured < len;
  const buf = Buffer.from(b.buffer, b.byteOffset + off, cut ? captured : len);
  const { question, answer } = dnsCodecs();
  let at = DNS_HEADER_LEN;
  let i = 0;
  try {
    for (; i < qdCount; i++) {
      const q = question.decode(buf, at);
      at += question.decode.bytes;
      if (summary.questions.length < MAX_DNS_QUESTIONS) summary.questions.push({ name: normalizeName(q.name), type: typeMnemonic(q.type) });
    }
    for (i = 0; i < anCount; i++) {
      const a = answer.decode(buf, at);
      at += answer.decode.bytes;
      if (at > len) throw new Error('record runs past the message');
      const record = toDnsRecord(a);
      if (record && summary.answers.length < MAX_DNS_ANSWERS) summary.answers.push(record);
    }
    addSrvTargetAddresses(buf, at, len, readU16(b, off + 8) + readU16(b, off + 10), summary, diag, cut);
  } catch (err) {
    if (!cut) {
      const why = err instanceof Error ? err.message : String(err);
      diag.report('dns_malformed', frame.origin, `DNS message id ${summary.id}: ${why} (at byte ${at} of ${len})`);
    }
    // Else the record ran into the bytes not captured: what was read before it is whole.
  }
  if (cut) diag.count('dns_partial');
  pkt.dns = summary;
}

/**
 * Parses DNS over TCP (RFC 1035 section 4.2.2: a 2-byte length prefix, then the message). Only a
 * segment that starts with the prefix and holds the whole message is parsed; others are counted
 * (`dns_tcp_incomplete`) and skipped, as reassembly is out of scope.
 *
 * @param payloadLen TCP payload bytes as declared; `captured` of them are in `b` from `off`
 */
export function decodeDnsOverTcp(
  b: Uint8Array,
  off: number,
  payloadLen: number,
  captured: number,
  pkt: Packet,
  frame: Frame,
  diag: DiagnosticSink,
): void {
  if (captured < 2) {
    diag.count('dns_tcp_incomplete');
    return;
  }
  const msgLen = readU16(b, off);
  if (msgLen + 2 > payloadLen) {
    diag.count('dns_tcp_incomplete');
    return;
  }
  if (msgLen + 2 > captured) pkt.truncated = true;
  decodeDnsMessage(b, off + 2, msgLen, pkt, frame, diag, Math.min(msgLen, captured - 2));
}

/** dns-packet names types it does not know `UNKNOWN_64`; RFC 3597 section 5 spells them `TYPE64`. */
function typeMnemonic(type: unknown): string {
  const t = String(type);
  return t.startsWith('UNKNOWN_') ? `TYPE${t.slice(8)}` : t;
}

function normalizeName(name: string): string {
  // dns-packet returns names without the trailing dot, and '.' for the root.
  const lower = name.toLowerCase();
  if (lower === '.') return '';
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

function toDnsRecord(a: DecodedAnswer): DnsRecord | null {
  const ttl = typeof a.ttl === 'number' ? a.ttl : 0;
  if (a.type === 'A' || a.type === 'AAAA') {
    if (typeof a.data !== 'string') return null;
    const address = canonicalIp(a.data);
    if (address === null) return null;
    return { name: normalizeName(a.name), type: a.type, data: address, ttl };
  }
  if (a.type === 'CNAME') {
    if (typeof a.data !== 'string') return null;
    return { name: normalizeName(a.name), type: 'CNAME', data: normalizeName(a.data), ttl };
  }
  if (a.type === 'SRV') {
    const target = (a.data as { target?: unknown } | undefined)?.target;
    if (typeof target !== 'string') return null;
    return { name: normalizeName(a.name), type: 'SRV', data: normalizeName(target), ttl };
  }
  return null;
}

/**
 * The addresses of an answer's SRV targets from the message's authority and additional sections,
 * appended to `summary.answers`. A DNS server commonly sends them along, and RFC 2782 has clients
 * "query the DNS for address records for the Target or use any such records found in the
 * Additional Data section of the earlier SRV response"; the DC locator's SRV records name the
 * domain controllers through them. (A target whose address comes only in a lookup of its own is
 * not joined to the SRV name.) Those sections are read for nothing else; a damaged record there
 * ends the reading, counted (`dns_additional_unreadable`), and what the answers gave stays.
 */
function addSrvTargetAddresses(buf: Buffer, at: number, len: number, records: number, summary: DnsSummary, diag: DiagnosticSink, cut: boolean): void {
  const targets = new Set<string>();
  for (const a of summary.answers) if (a.type === 'SRV') targets.add(a.data);
  if (targets.size === 0) return;
  const { answer } = dnsCodecs();
  try {
    for (let i = 0; i < records && summary.answers.length < MAX_DNS_ANSWERS; i++) {
      const a = answer.decode(buf, at);
      at += answer.decode.bytes;
      if (at > len) throw new Error('record runs past the message');
      const record = toDnsRecord(a);
      if (record && (record.type === 'A' || record.type === 'AAAA') && targets.has(record.name)) summary.answers.push(record);
    }
  } catch {
    // A message cut by the snap length ends where it ends: nothing damaged there.
    if (!cut) diag.count('dns_additional_unreadable');
  }
}
