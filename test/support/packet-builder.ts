/**
 * Packet builders for tests and scenario captures: each returns the bytes of one layer wrapped
 * around `payload`, computing lengths and checksums (IP header checksum; TCP, UDP and ICMPv6
 * checksums over the pseudo-header are filled in by {@link ipv4} / {@link ipv6}, which know the
 * addresses; ICMPv4 checksums by the ICMP builders).
 *
 * Compose from the inside out:
 *
 * ```ts
 * const frame = ethernet({}, ipv4({ src: '10.0.0.20', dst: '10.0.0.10', proto: IPPROTO_TCP },
 *   tcp({ sport: 50000, dport: 389, flags: TCP_SYN }, new Uint8Array(0))));
 * ```
 *
 * Addresses are strings ('10.0.0.5', '2001:db8::1'); MACs are 'aa:bb:cc:dd:ee:ff'. Every option has
 * a realistic default, so a test states only what it is about. Everything returns a fresh
 * `Uint8Array`; nothing is shared between calls.
 */
import dnsPacket from 'dns-packet';
import { parseIp } from '../../src/common/ip.js';
import type { Frame } from '../../src/sources/types.js';

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

const EMPTY = new Uint8Array(0);

// ---------------------------------------------------------------------------------------------
// Byte helpers

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Bytes from a hex string; spaces are ignored ('01 00 07'). */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  if (clean.length % 2 !== 0) throw new Error(`odd hex string: ${text}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** ASCII/UTF-8 bytes of a string. */
export function ascii(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function put16(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >> 8) & 0xff;
  b[off + 1] = v & 0xff;
}
function put16le(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >> 8) & 0xff;
}
function put32(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 24) & 0xff;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}
function put32le(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
  b[off + 2] = (v >>> 16) & 0xff;
  b[off + 3] = (v >>> 24) & 0xff;
}

/** RFC 1071 ones' complement sum of `parts`, folded and complemented. */
export function internetChecksum(...parts: Uint8Array[]): number {
  let sum = 0;
  let odd = false;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      sum += odd ? p[i] : p[i] << 8;
      odd = !odd;
    }
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function addr(text: string, family: 4 | 6): Uint8Array {
  const b = parseIp(text);
  if (!b || b.length !== (family === 4 ? 4 : 16)) throw new Error(`not an IPv${family} address: ${text}`);
  return b;
}

function mac(text: string): Uint8Array {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6) throw new Error(`not a MAC address: ${text}`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

// ---------------------------------------------------------------------------------------------
// Link layers

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_ARP = 0x0806;

/** EtherType for an IP packet, from its version nibble (ARP when it is not IP). */
function etherTypeOf(payload: Uint8Array): number {
  const v = payload.length > 0 ? payload[0] >> 4 : 0;
  return v === 6 ? ETHERTYPE_IPV6 : v === 4 ? ETHERTYPE_IPV4 : ETHERTYPE_ARP;
}

export interface EthernetOptions {
  /** Source and destination MAC ('02:00:00:00:00:01'). */
  src?: string;
  dst?: string;
  /** 802.1Q VLAN IDs, outermost first; each becomes a 0x8100 tag (or 0x88a8 for the first when `qinq`). */
  vlan?: number[];
  /** Makes the outermost tag 802.1ad (0x88a8), or the given TPID (0x9100). */
  qinq?: boolean | number;
  /** EtherType of the payload; default from its IP version nibble. */
  etherType?: number;
  /** Pad the frame to the 60-byte Ethernet minimum, as NICs do (default true). */
  pad?: boolean;
}

/** An Ethernet II frame (no FCS) around `payload`, with optional stacked VLAN tags. */
export function ethernet(opts: EthernetOptions, payload: Uint8Array): Uint8Array {
  const tags = opts.vlan ?? [];
  const head = new Uint8Array(12 + 4 * tags.length + 2);
  head.set(mac(opts.dst ?? '02:00:00:00:00:02'), 0);
  head.set(mac(opts.src ?? '02:00:00:00:00:01'), 6);
  tags.forEach((vid, i) => {
    const tpid = i === 0 && opts.qinq ? (typeof opts.qinq === 'number' ? opts.qinq : 0x88a8) : 0x8100;
    put16(head, 12 + 4 * i, tpid); // TPID
    put16(head, 14 + 4 * i, vid & 0x0fff); // TCI: PCP 0, DEI 0, VID
  });
  put16(head, head.length - 2, opts.etherType ?? etherTypeOf(payload));
  const frame = concat(head, payload);
  if ((opts.pad ?? true) && frame.length < 60) return concat(frame, new Uint8Array(60 - frame.length));
  return frame;
}

/** An IEEE 802.3 frame with a length field and an LLC header (not SNAP): not IP. */
export function ethernet8023Llc(payload: Uint8Array): Uint8Array {
  const head = new Uint8Array(17);
  head.set(mac('01:80:c2:00:00:00'), 0); // spanning tree multicast
  head.set(mac('02:00:00:00:00:01'), 6);
  put16(head, 12, 3 + payload.length); // 802.3 length
  head[14] = 0x42; // DSAP: spanning tree
  head[15] = 0x42; // SSAP
  head[16] = 0x03; // UI
  return concat(head, payload);
}

/** An IEEE 802.3 frame with LLC/SNAP (AA AA 03, OUI 00-00-00) carrying `payload` by EtherType. */
export function ethernet8023Snap(payload: Uint8Array): Uint8Array {
  const head = new Uint8Array(22);
  head.set(mac('02:00:00:00:00:02'), 0);
  head.set(mac('02:00:00:00:00:01'), 6);
  put16(head, 12, 8 + payload.length); // 802.3 length
  head.set([0xaa, 0xaa, 0x03, 0, 0, 0], 14); // LLC + SNAP OUI
  put16(head, 20, etherTypeOf(payload));
  return concat(head, payload);
}

export interface SllOptions {
  /** Protocol field (an EtherType); default from the payload's IP version. */
  protocol?: number;
  /** 0 to us, 4 sent by us ... (default 0). */
  packetType?: number;
  /** ARPHRD type (default 1, Ethernet). */
  arphrd?: number;
  /** Interface index, SLL2 only (default 2). */
  ifindex?: number;
}

/** LINKTYPE_LINUX_SLL (113): 16-byte cooked header around `payload`. */
export function sll(opts: SllOptions, payload: Uint8Array): Uint8Array {
  const head = new Uint8Array(16);
  put16(head, 0, opts.packetType ?? 0); // packet type
  put16(head, 2, opts.arphrd ?? 1); // ARPHRD
  put16(head, 4, 6); // link-layer address length
  head.set(mac('02:00:00:00:00:01'), 6); // address (8 bytes, 6 used)
  put16(head, 14, opts.protocol ?? etherTypeOf(payload));
  return concat(head, payload);
}

/** LINKTYPE_LINUX_SLL2 (276): 20-byte cooked header around `payload`. */
export function sll2(opts: SllOptions, payload: Uint8Array): Uint8Array {
  const head = new Uint8Array(20);
  put16(head, 0, opts.protocol ?? etherTypeOf(payload)); // protocol
  // bytes 2-3 reserved
  put32(head, 4, opts.ifindex ?? 2); // interface index
  put16(head, 8, opts.arphrd ?? 1); // ARPHRD
  head[10] = opts.packetType ?? 0; // packet type
  head[11] = 6; // address length
  head.set(mac('02:00:00:00:00:01'), 12);
  return concat(head, payload);
}

export interface NflogOptions {
  /** nfgen_family: 2 AF_INET, 10 AF_INET6 (default from the payload). */
  family?: number;
  /** Byte order of TLV length/type (the capturing host's): default 'le'. */
  byteOrder?: 'le' | 'be';
  /** Leave out NFULA_PAYLOAD (to test `nflog_no_payload`). */
  omitPayload?: boolean;
}

/**
 * LINKTYPE_NFLOG (239): nfgenmsg header, an NFULA_PACKET_HDR TLV, an NFULA_PREFIX TLV, then
 * NFULA_PAYLOAD (type 9) with `payload`; TLVs padded to 4 bytes.
 */
export function nflog(opts: NflogOptions, payload: Uint8Array): Uint8Array {
  const le = (opts.byteOrder ?? 'le') === 'le';
  const tlv = (type: number, value: Uint8Array): Uint8Array => {
    const len = 4 + value.length;
    const out = new Uint8Array((len + 3) & ~3);
    if (le) {
      put16le(out, 0, len);
      put16le(out, 2, type);
    } else {
      put16(out, 0, len);
      put16(out, 2, type);
    }
    out.set(value, 4);
    return out;
  };
  const head = new Uint8Array(4);
  head[0] = opts.family ?? (payload[0] >> 4 === 6 ? 10 : 2); // nfgen_family
  head[1] = 0; // version
  put16(head, 2, 1); // resource id (group), big-endian
  const packetHdr = new Uint8Array(4);
  put16(packetHdr, 0, etherTypeOf(payload)); // hw_protocol (network order)
  packetHdr[2] = 3; // hook
  const parts = [head, tlv(1, packetHdr), tlv(10, ascii('flowaudit\0'))];
  if (!opts.omitPayload) parts.push(tlv(9, payload));
  return concat(...parts);
}

export interface LoopbackOptions {
  /** Address family value (default 2 for IPv4, 24 for IPv6). */
  family?: number;
  /** Byte order of the family field: 'le' (LINKTYPE_NULL on x86, default) or 'be' (LINKTYPE_LOOP). */
  byteOrder?: 'le' | 'be';
}

/** BSD loopback (LINKTYPE_NULL 0 / LINKTYPE_LOOP 108): a 4-byte address family then the packet. */
export function nullLoopback(opts: LoopbackOptions, payload: Uint8Array): Uint8Array {
  const head = new Uint8Array(4);
  const family = opts.family ?? (payload[0] >> 4 === 6 ? 24 : 2);
  if ((opts.byteOrder ?? 'le') === 'le') put32le(head, 0, family);
  else put32(head, 0, family);
  return concat(head, payload);
}

// ---------------------------------------------------------------------------------------------
// IP

export interface Ipv4Options {
  src: string;
  dst: string;
  /** IANA protocol number (6 TCP, 17 UDP, 1 ICMP). */
  proto: number;
  ttl?: number;
  id?: number;
  /** Don't Fragment (default true unless fragmenting). */
  df?: boolean;
  /** More Fragments. */
  mf?: boolean;
  /** Fragment offset in BYTES (multiple of 8). */
  fragOffset?: number;
  /** Option bytes, padded with End-of-Options to a multiple of 4. */
  options?: Uint8Array;
  /** Overrides the Total Length field (to build damaged packets). */
  totalLength?: number;
  /** Overrides the IHL field, in 4-byte words. */
  ihl?: number;
}

/**
 * An IPv4 packet around `payload`. Computes Total Length, IHL and the header checksum; for an
 * unfragmented TCP/UDP payload, also fills its checksum over the pseudo-header (RFC 793/768).
 */
export function ipv4(opts: Ipv4Options, payload: Uint8Array): Uint8Array {
  let options = opts.options ?? EMPTY;
  if (options.length % 4 !== 0) options = concat(options, new Uint8Array(4 - (options.length % 4)));
  const headerLen = 20 + options.length;
  const h = new Uint8Array(headerLen);
  h[0] = 0x40 | ((opts.ihl ?? headerLen / 4) & 0x0f); // version 4, IHL
  h[1] = 0; // DSCP/ECN
  put16(h, 2, opts.totalLength ?? headerLen + payload.length);
  put16(h, 4, opts.id ?? 0x1234);
  const fragmenting = !!opts.mf || (opts.fragOffset ?? 0) > 0;
  const df = opts.df ?? !fragmenting;
  put16(h, 6, (df ? 0x4000 : 0) | (opts.mf ? 0x2000 : 0) | (((opts.fragOffset ?? 0) >> 3) & 0x1fff));
  h[8] = opts.ttl ?? 128; // Windows default TTL
  h[9] = opts.proto;
  h.set(addr(opts.src, 4), 12);
  h.set(addr(opts.dst, 4), 16);
  h.set(options, 20);
  put16(h, 10, internetChecksum(h));
  const body = fragmenting ? payload : withTransportChecksum(opts.proto, payload, addr(opts.src, 4), addr(opts.dst, 4));
  return concat(h, body);
}

/** One IPv6 extension header for {@link ipv6}. */
export type Ipv6Extension =
  /** Hop-by-hop (0), routing (43), destination options (60), mobility (135): `data` padded to 8n-2 bytes. */
  | { type: 0 | 43 | 60 | 135; data?: Uint8Array }
  /** Fragment header (44): offset in BYTES (multiple of 8), More Fragments, identification. */
  | { type: 44; fragOffset?: number; more?: boolean; id?: number }
  /** Authentication header (51): `icv` bytes (multiple of 4; default 12). */
  | { type: 51; icv?: Uint8Array };

export interface Ipv6Options {
  src: string;
  dst: string;
  /** Upper-layer protocol after the extension headers (6, 17, 58 ...). */
  nextHeader: number;
  hopLimit?: number;
  extensions?: Ipv6Extension[];
  /** Overrides the Payload Length field. */
  payloadLength?: number;
}

/**
 * An IPv6 packet around `payload`, with extension headers chained in order. Computes Payload Length
 * and, when the packet is not a fragment, the TCP/UDP/ICMPv6 checksum over the pseudo-header
 * (RFC 8200 section 8.1).
 */
export function ipv6(opts: Ipv6Options, payload: Uint8Array): Uint8Array {
  const exts = opts.extensions ?? [];
  const src = addr(opts.src, 6);
  const dst = addr(opts.dst, 6);
  const fragmenting = exts.some((e) => e.type === 44 && ((e.fragOffset ?? 0) > 0 || e.more));
  const body = fragmenting ? payload : withTransportChecksum(opts.nextHeader, payload, src, dst);
  const encoded: Uint8Array[] = [];
  exts.forEach((e, i) => {
    const next = i + 1 < exts.length ? exts[i + 1].type : opts.nextHeader;
    if (e.type === 44) {
      const f = new Uint8Array(8);
      f[0] = next;
      put16(f, 2, ((e.fragOffset ?? 0) & 0xfff8) | (e.more ? 1 : 0));
      put32(f, 4, e.id ?? 0xabcd);
      encoded.push(f);
    } else if (e.type === 51) {
      const icv = e.icv ?? new Uint8Array(12);
      const a = new Uint8Array(12 + icv.length);
      a[0] = next;
      a[1] = (a.length >> 2) - 2; // RFC 4302: length in 4-octet units minus 2
      put32(a, 4, 0x100); // SPI
      put32(a, 8, 1); // sequence number
      a.set(icv, 12);
      encoded.push(a);
    } else {
      const data = e.data ?? new Uint8Array(6);
      const len = Math.ceil((2 + data.length) / 8) * 8;
      const x = new Uint8Array(len); // padded with Pad1/PadN zeros
      x[0] = next;
      x[1] = len / 8 - 1; // RFC 8200: 8-octet units, not counting the first 8
      x.set(data, 2);
      encoded.push(x);
    }
  });
  const rest = concat(...encoded, body);
  const h = new Uint8Array(40);
  put32(h, 0, 0x60000000); // version 6, traffic class 0, flow label 0
  put16(h, 4, opts.payloadLength ?? rest.length);
  h[6] = exts.length > 0 ? exts[0].type : opts.nextHeader;
  h[7] = opts.hopLimit ?? 128;
  h.set(src, 8);
  h.set(dst, 24);
  return concat(h, rest);
}

/** Fills the TCP (offset 16), UDP (6) or ICMPv6 (2) checksum of `segment` over the pseudo-header. */
function withTransportChecksum(proto: number, segment: Uint8Array, src: Uint8Array, dst: Uint8Array): Uint8Array {
  const at = proto === IPPROTO_TCP ? 16 : proto === IPPROTO_UDP ? 6 : proto === IPPROTO_ICMPV6 && src.length === 16 ? 2 : -1;
  if (at < 0 || segment.length < at + 2) return segment;
  const out = segment.slice();
  out[at] = 0;
  out[at + 1] = 0;
  let pseudo: Uint8Array;
  if (src.length === 4) {
    pseudo = new Uint8Array(12);
    pseudo.set(src, 0);
    pseudo.set(dst, 4);
    pseudo[9] = proto;
    put16(pseudo, 10, out.length);
  } else {
    pseudo = new Uint8Array(40);
    pseudo.set(src, 0);
    pseudo.set(dst, 16);
    put32(pseudo, 32, out.length);
    pseudo[39] = proto;
  }
  let sum = internetChecksum(pseudo, out);
  if (proto === IPPROTO_UDP && sum === 0) sum = 0xffff; // RFC 768: 0 means "no checksum"
  put16(out, at, sum);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Transport

export interface TcpOptions {
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  /** Flag bits (TCP_SYN | TCP_ACK ...); default ACK. */
  flags?: number;
  window?: number;
  /** Option bytes, padded with NOPs... (End-of-Options zeros) to a multiple of 4. */
  options?: Uint8Array;
  /** Overrides the data offset, in 4-byte words. */
  dataOffset?: number;
}

/** A TCP segment (checksum filled by {@link ipv4}/{@link ipv6}). */
export function tcp(opts: TcpOptions, payload: Uint8Array = EMPTY): Uint8Array {
  let options = opts.options ?? EMPTY;
  if (options.length % 4 !== 0) options = concat(options, new Uint8Array(4 - (options.length % 4)));
  const h = new Uint8Array(20 + options.length);
  put16(h, 0, opts.sport);
  put16(h, 2, opts.dport);
  put32(h, 4, opts.seq ?? 1000);
  put32(h, 8, opts.ack ?? 0);
  h[12] = (opts.dataOffset ?? h.length / 4) << 4;
  h[13] = opts.flags ?? TCP_ACK;
  put16(h, 14, opts.window ?? 64240);
  h.set(options, 20);
  return concat(h, payload);
}

/** TCP options of a typical SYN: MSS 1460, NOP, window scale 8, NOP NOP, SACK permitted. */
export const TCP_SYN_OPTIONS = hex('020405b4 01030308 01010402');

export interface UdpOptions {
  sport: number;
  dport: number;
  /** Overrides the Length field. */
  length?: number;
}

/** A UDP datagram (checksum filled by {@link ipv4}/{@link ipv6}). */
export function udp(opts: UdpOptions, payload: Uint8Array = EMPTY): Uint8Array {
  const h = new Uint8Array(8);
  put16(h, 0, opts.sport);
  put16(h, 2, opts.dport);
  put16(h, 4, opts.length ?? 8 + payload.length);
  return concat(h, payload);
}

/** An ICMPv4 message with its checksum: type, code, 4-byte rest of header, body. */
export function icmp(type: number, code: number, rest: Uint8Array, body: Uint8Array = EMPTY): Uint8Array {
  const m = concat(Uint8Array.of(type, code, 0, 0), rest, body);
  put16(m, 2, internetChecksum(m));
  return m;
}

/** ICMPv4 echo request (type 8) with identifier, sequence and `data`. */
export function icmpEcho(id: number, seq: number, data: Uint8Array = ascii('abcdefghijklmnopqrstuvwabcdefghi')): Uint8Array {
  const rest = new Uint8Array(4);
  put16(rest, 0, id);
  put16(rest, 2, seq);
  return icmp(8, 0, rest, data);
}

/**
 * ICMPv4 destination unreachable (type 3) quoting `quotedIpPacket`: its IP header plus the first
 * `quoteDataBytes` bytes after it (RFC 792: 8; default 8). Code 3 port unreachable, 13 administratively
 * prohibited, 1 host unreachable ... Wrap the result with {@link ipv4} (proto 1).
 */
export function icmpUnreachable(code: number, quotedIpPacket: Uint8Array, quoteDataBytes = 8, type = 3): Uint8Array {
  const ihl = (quotedIpPacket[0] & 0x0f) * 4;
  return icmp(type, code, new Uint8Array(4), quotedIpPacket.slice(0, ihl + quoteDataBytes));
}

/** ICMPv4 time exceeded (type 11; code 0 TTL) quoting `quotedIpPacket` like {@link icmpUnreachable}. */
export function icmpTimeExceeded(code: number, quotedIpPacket: Uint8Array, quoteDataBytes = 8): Uint8Array {
  return icmpUnreachable(code, quotedIpPacket, quoteDataBytes, 11);
}

/**
 * ICMPv6 destination unreachable (type 1) quoting as much of `quotedIpv6Packet` as fits in the
 * minimum MTU (RFC 4443 section 3.1), or `quoteBytes` bytes. Checksum filled by {@link ipv6}
 * (nextHeader 58). Codes: 0 no route, 1 administratively prohibited, 3 address, 4 port unreachable.
 */
export function icmp6Unreachable(code: number, quotedIpv6Packet: Uint8Array, quoteBytes = 1280 - 48, type = 1): Uint8Array {
  return concat(Uint8Array.of(type, code, 0, 0, 0, 0, 0, 0), quotedIpv6Packet.slice(0, quoteBytes));
}

/** ICMPv6 echo request (type 128); checksum filled by {@link ipv6}. */
export function icmp6Echo(id: number, seq: number): Uint8Array {
  const m = Uint8Array.of(128, 0, 0, 0, 0, 0, 0, 0);
  put16(m, 4, id);
  put16(m, 6, seq);
  return m;
}

// ---------------------------------------------------------------------------------------------
// Applications

/** A DNS query for `name` (type default 'A'), encoded by dns-packet. */
export function dnsQuery(name: string, type: 'A' | 'AAAA' | 'SRV' | 'CNAME' | 'PTR' | 'TXT' = 'A', id = 0x4242): Uint8Array {
  return new Uint8Array(
    dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] }),
  );
}

/** An answer record for {@link dnsResponse}: A/AAAA data is an address, CNAME data a name. */
export interface DnsAnswerSpec {
  name?: string;
  type: 'A' | 'AAAA' | 'CNAME' | 'SRV' | 'NS';
  /** Address or name; for SRV the target (priority 0, weight 100, `port`). */
  data: string;
  port?: number;
  ttl?: number;
}

export interface DnsResponseOptions {
  id?: number;
  /** Question name. */
  name: string;
  qtype?: 'A' | 'AAAA' | 'SRV' | 'CNAME' | 'PTR' | 'TXT';
  /** RFC 1035 RCODE: 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN. */
  rcode?: number;
  answers?: DnsAnswerSpec[];
  /** Records of the authority and additional sections (DNS servers commonly put the addresses of SRV targets in the latter). */
  authorities?: DnsAnswerSpec[];
  additionals?: DnsAnswerSpec[];
}

/** A DNS response, encoded by dns-packet (answers default to the question name). */
export function dnsResponse(opts: DnsResponseOptions): Uint8Array {
  const record = (a: DnsAnswerSpec) => ({
    type: a.type,
    name: a.name ?? opts.name,
    ttl: a.ttl ?? 300,
    class: 'IN' as const,
    data: a.type === 'SRV' ? { priority: 0, weight: 100, port: a.port ?? 389, target: a.data } : a.data,
  });
  const answers = (opts.answers ?? []).map(record);
  return new Uint8Array(
    dnsPacket.encode({
      type: 'response',
      id: opts.id ?? 0x4242,
      // RD | RA | RCODE: dns-packet writes `flags` as given (the QR bit comes from `type`).
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | ((opts.rcode ?? 0) & 0x0f),
      questions: [{ type: opts.qtype ?? 'A', name: opts.name, class: 'IN' }],
      answers: answers as dnsPacket.Answer[],
      authorities: (opts.authorities ?? []).map(record) as dnsPacket.Answer[],
      additionals: (opts.additionals ?? []).map(record) as dnsPacket.Answer[],
    }),
  );
}

/** DNS over TCP: the 2-byte length prefix (RFC 1035 section 4.2.2) and the message. */
export function dnsOverTcp(message: Uint8Array): Uint8Array {
  const h = new Uint8Array(2);
  put16(h, 0, message.length);
  return concat(h, message);
}

export interface ClientHelloOptions {
  /** TLS record legacy version minor byte (default 1: 0x0301, as browsers send). */
  recordVersionMinor?: number;
  /** Extensions to put BEFORE server_name (type, data); default: a few realistic ones. */
  before?: { type: number; data: Uint8Array }[];
  /** Session id length (default 32). */
  sessionIdLength?: number;
}

/**
 * A TLS record holding a ClientHello (TLS 1.3 style, RFC 8446 section 4.1.2) with `sni` in the
 * server_name extension (RFC 6066 section 3); `sni === null` leaves the extension out.
 */
export function tlsClientHello(sni: string | null, opts: ClientHelloOptions = {}): Uint8Array {
  const u16 = (v: number) => Uint8Array.of((v >> 8) & 0xff, v & 0xff);
  const ext = (type: number, data: Uint8Array) => concat(u16(type), u16(data.length), data);
  const before = opts.before ?? [
    { type: 0x000a, data: hex('0006 001d 0017 0018') }, // supported_groups
    { type: 0x000d, data: hex('0008 0403 0804 0401 0201') }, // signature_algorithms
    { type: 0x002b, data: hex('04 0304 0303') }, // supported_versions
  ];
  const extensions: Uint8Array[] = before.map((e) => ext(e.type, e.data));
  if (sni !== null) {
    const name = ascii(sni);
    const entry = concat(Uint8Array.of(0), u16(name.length), name); // name_type host_name
    extensions.push(ext(0x0000, concat(u16(entry.length), entry)));
  }
  extensions.push(ext(0x0010, hex('000c 02683208 687474702f312e31'))); // ALPN h2, http/1.1
  const extBlock = concat(...extensions);
  const sidLen = opts.sessionIdLength ?? 32;
  const body = concat(
    hex('0303'), // legacy_version TLS 1.2
    new Uint8Array(32).fill(0x11), // random
    Uint8Array.of(sidLen),
    new Uint8Array(sidLen).fill(0x22), // legacy_session_id
    u16(6),
    hex('1301 1302 c02f'), // cipher_suites
    Uint8Array.of(1, 0), // compression: null
    u16(extBlock.length),
    extBlock,
  );
  const handshake = concat(Uint8Array.of(1, (body.length >> 16) & 0xff, (body.length >> 8) & 0xff, body.length & 0xff), body);
  return concat(Uint8Array.of(0x16, 3, opts.recordVersionMinor ?? 1), u16(handshake.length), handshake);
}

/** A DER element (X.690): tag, definite length, contents. */
export function der(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const body = concat(...contents);
  const n = body.length;
  const len = n < 0x80 ? Uint8Array.of(n) : n < 0x100 ? Uint8Array.of(0x81, n) : Uint8Array.of(0x82, n >> 8, n & 0xff);
  return concat(Uint8Array.of(tag), len, body);
}

/** An X.501 Name of the given attributes (CN, O, C), one RDN each, in order. */
export function derName(attrs: { cn?: string; o?: string; c?: string }): Uint8Array {
  const rdn = (attr: number, value: string, tag = 0x0c) => der(0x31, der(0x30, der(0x06, Uint8Array.of(0x55, 0x04, attr)), der(tag, ascii(value))));
  const rdns: Uint8Array[] = [];
  if (attrs.c !== undefined) rdns.push(rdn(6, attrs.c, 0x13));
  if (attrs.o !== undefined) rdns.push(rdn(10, attrs.o));
  if (attrs.cn !== undefined) rdns.push(rdn(3, attrs.cn));
  return der(0x30, ...rdns);
}

/**
 * A certificate's DER with the given issuer and subject (RFC 5280 section 4.1 layout: version,
 * serial, signature algorithm, issuer, validity, subject, key), padded with a key and signature of
 * `padding` bytes: its structure is real, its signature is not.
 */
export function derCertificate(issuer: { cn?: string; o?: string; c?: string }, subject: { cn?: string; o?: string }, padding = 300): Uint8Array {
  const sha256Rsa = der(0x30, der(0x06, hex('2a864886f70d01010b')), Uint8Array.of(0x05, 0x00));
  const validity = der(0x30, der(0x17, ascii('250101000000Z')), der(0x17, ascii('270101000000Z')));
  const key = der(0x30, der(0x30, der(0x06, hex('2a864886f70d010101')), Uint8Array.of(0x05, 0x00)), der(0x03, new Uint8Array(padding).fill(0x5a)));
  const tbs = der(0x30, der(0xa0, der(0x02, Uint8Array.of(2))), der(0x02, Uint8Array.of(0x01, 0x23)), sha256Rsa, derName(issuer), validity, derName(subject), key);
  return der(0x30, tbs, sha256Rsa, der(0x03, new Uint8Array(padding).fill(0x33)));
}

/**
 * A TLS 1.2 server's first flight (RFC 5246 section 7.4): ServerHello, Certificate (`certs`, the
 * server's own first), ServerHelloDone, in one handshake record per message. With `tls13`, the
 * ServerHello selects TLS 1.3 (supported_versions) and no certificate follows in clear.
 */
export function tlsServerFlight(certs: Uint8Array[], opts: { tls13?: boolean } = {}): Uint8Array {
  const u16 = (v: number) => Uint8Array.of((v >> 8) & 0xff, v & 0xff);
  const u24 = (v: number) => Uint8Array.of((v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
  const record = (handshakeType: number, body: Uint8Array) => {
    const msg = concat(Uint8Array.of(handshakeType), u24(body.length), body);
    return concat(Uint8Array.of(0x16, 3, 3), u16(msg.length), msg);
  };
  const exts = opts.tls13 ? concat(hex('002b 0002 0304'), hex('0033 0024 001d 0020'), new Uint8Array(32).fill(7)) : hex('ff01 0001 00');
  const hello = concat(hex('0303'), new Uint8Array(32).fill(0x44), Uint8Array.of(32), new Uint8Array(32).fill(0x55), hex(opts.tls13 ? '1301' : 'c02f'), Uint8Array.of(0), u16(exts.length), exts);
  if (opts.tls13) return concat(record(2, hello), hex('140303 0001 01'), hex('170303 0020'), new Uint8Array(32).fill(9));
  const list = concat(...certs.map((c) => concat(u24(c.length), c)));
  return concat(record(2, hello), record(11, concat(u24(list.length), list)), record(14, new Uint8Array(0)));
}

/**
 * One protocol tower for ncacn_ip_tcp (C706 appendix L): 5 floors (interface UUID, transfer syntax
 * NDR, RPC CO, TCP port, IP address), floor count and lengths little-endian, port and address
 * big-endian.
 */
export function epmTcpTower(port: number, ip = '10.0.0.10'): Uint8Array {
  const floor = (lhs: Uint8Array, rhs: Uint8Array) => {
    const f = new Uint8Array(4 + lhs.length + rhs.length);
    put16le(f, 0, lhs.length);
    f.set(lhs, 2);
    put16le(f, 2 + lhs.length, rhs.length);
    f.set(rhs, 4 + lhs.length);
    return f;
  };
  const portBytes = new Uint8Array(2);
  put16(portBytes, 0, port);
  const floors = [
    floor(concat(Uint8Array.of(0x0d), hex('12345678 1234 abcd ef00 0123456789ab'), hex('0100')), hex('0000')), // interface (netlogon-like) v1.0
    floor(concat(Uint8Array.of(0x0d), hex('045d888a eb1c c911 9fe8 08002b104860'), hex('0200')), hex('0000')), // NDR v2
    floor(Uint8Array.of(0x0b), hex('0000')), // RPC connection-oriented
    floor(Uint8Array.of(0x07), portBytes), // TCP port
    floor(Uint8Array.of(0x09), addr(ip, 4)), // IP address
  ];
  const count = new Uint8Array(2);
  put16le(count, 0, floors.length);
  return concat(count, ...floors);
}

export interface DcerpcResponseOptions {
  callId?: number;
  /** Integer byte order from packed_drep (default little-endian, as Windows sends). */
  bigEndian?: boolean;
}

/** A connection-oriented DCE/RPC response PDU (C706 12.6.4.10) carrying `stub`. */
export function dcerpcResponse(stub: Uint8Array, opts: DcerpcResponseOptions = {}): Uint8Array {
  const h = new Uint8Array(24);
  const le = !opts.bigEndian;
  h[0] = 5; // rpc_vers
  h[1] = 0; // rpc_vers_minor
  h[2] = 2; // PTYPE response
  h[3] = 0x03; // PFC_FIRST_FRAG | PFC_LAST_FRAG
  h[4] = le ? 0x10 : 0x00; // packed_drep: integer representation
  const w16 = le ? put16le : put16;
  const w32 = le ? put32le : put32;
  w16(h, 8, 24 + stub.length); // frag_length
  w16(h, 10, 0); // auth_length
  w32(h, 12, opts.callId ?? 2); // call_id
  w32(h, 16, stub.length); // alloc_hint
  // p_cont_id 0, cancel_count 0, reserved 0
  return concat(h, stub);
}

/**
 * An ept_map (opnum 3) response PDU handing out `ports` (one ncacn_ip_tcp tower each): NDR stub
 * with entry handle, num_towers, the conformant varying array of tower pointers, each tower
 * (length, conformant byte array, padding to 4) and status 0 (C706 appendix O / MS-RPCE 3.1.1.5).
 */
export function epmMapResponse(ports: number[], ip = '10.0.0.10', opts: DcerpcResponseOptions = {}): Uint8Array {
  const le32 = (v: number) => {
    const b = new Uint8Array(4);
    put32le(b, 0, v);
    return b;
  };
  const parts: Uint8Array[] = [new Uint8Array(20)]; // entry_handle (context handle, 20 bytes)
  parts.push(le32(ports.length)); // num_towers
  parts.push(le32(4), le32(0), le32(ports.length)); // max count, offset, actual count
  ports.forEach((_, i) => parts.push(le32(0x00020000 + 4 * i))); // referent ids
  for (const port of ports) {
    const tower = epmTcpTower(port, ip);
    parts.push(le32(tower.length), le32(tower.length), tower); // twr_t: tower_length, [size_is] octets
    const pad = (4 - (tower.length % 4)) % 4;
    parts.push(new Uint8Array(pad));
  }
  parts.push(le32(0)); // status
  return dcerpcResponse(concat(...parts), opts);
}

/**
 * The part of a DCOM activation response (MS-DCOM 2.2.19 DUALSTRINGARRAY) that names the object
 * exporter's port: string bindings `host[port]` with tower id 0x0007, UTF-16LE, NUL-terminated,
 * wrapped as a DCE/RPC response PDU with some leading stub bytes.
 */
export function dcomStringBindingResponse(hosts: string[], port: number): Uint8Array {
  const utf16 = (s: string) => {
    const b = new Uint8Array(2 * s.length + 2);
    for (let i = 0; i < s.length; i++) put16le(b, 2 * i, s.charCodeAt(i));
    return b;
  };
  const bindings = hosts.map((h) => concat(Uint8Array.of(0x07, 0x00), utf16(`${h}[${port}]`)));
  const security = concat(Uint8Array.of(0x0a, 0x00, 0xff, 0xff), utf16('NT AUTHORITY\\SYSTEM'));
  return dcerpcResponse(concat(new Uint8Array(40).fill(0xcc), ...bindings, new Uint8Array(2), security, new Uint8Array(4)));
}

// ---------------------------------------------------------------------------------------------
// Frames

export interface FrameOptions {
  index?: number;
  offset?: number;
  tsMicros?: number;
  file?: string;
  /** Original length on the wire (default: the data length). */
  originalLen?: number;
}

/**
 * Wraps `data` as a {@link Frame} of `linkType`. To test snap-length cuts, pass
 * `data.subarray(0, n)` with `originalLen: data.length`.
 */
export function frameOf(linkType: number, data: Uint8Array, opts: FrameOptions = {}): Frame {
  return {
    origin: { file: opts.file ?? 'test.pcap', offset: opts.offset ?? 24, index: opts.index ?? 1 },
    tsMicros: opts.tsMicros ?? 1_700_000_000_000_000,
    linkType,
    interfaceId: 0,
    capturedLen: data.length,
    originalLen: opts.originalLen ?? data.length,
    data,
  };
}

export const IPPROTO_GRE = 47;

export interface GreOptions {
  /** GRE protocol type (0x0800 IPv4, 0x86dd IPv6, 0x6558 Ethernet, 0x88be ERSPAN I/II, 0x22eb ERSPAN III). */
  protocol: number;
  key?: number;
  sequence?: number;
  checksum?: boolean;
  /** Version bits (1: PPTP's enhanced GRE). */
  version?: number;
}

/** A GRE header (RFC 2784, key and sequence of RFC 2890) around `payload`. */
export function gre(opts: GreOptions, payload: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  const h = new Uint8Array(4);
  let flags = opts.version ?? 0;
  if (opts.checksum) flags |= 0x8000;
  if (opts.key !== undefined) flags |= 0x2000;
  if (opts.sequence !== undefined) flags |= 0x1000;
  put16(h, 0, flags);
  put16(h, 2, opts.protocol);
  parts.push(h);
  if (opts.checksum) parts.push(new Uint8Array(4)); // checksum + reserved (not verified by the decoder)
  for (const v of [opts.key, opts.sequence]) {
    if (v === undefined) continue;
    const w = new Uint8Array(4);
    put32(w, 0, v);
    parts.push(w);
  }
  return concat(...parts, payload);
}

/** An ERSPAN type II header (version 1, VLAN 0, session `session`) around a mirrored Ethernet frame. */
export function erspan2(session: number, frame: Uint8Array): Uint8Array {
  const h = new Uint8Array(8);
  put16(h, 0, 0x1000); // version 1 (type II), VLAN 0
  put16(h, 2, session & 0x3ff);
  return concat(h, frame);
}

/** An ERSPAN type III header (12 bytes, plus the 8-byte platform sub-header when `platform`) around a mirrored frame. */
export function erspan3(session: number, frame: Uint8Array, platform = false): Uint8Array {
  const h = new Uint8Array(12);
  put16(h, 0, 0x2000); // version 2 (type III)
  put16(h, 2, session & 0x3ff);
  if (platform) h[11] |= 0x01;
  return concat(h, platform ? new Uint8Array(8) : EMPTY, frame);
}

/** A VXLAN header (I flag, VNI `vni`) around an Ethernet frame: the payload of a UDP datagram to 4789. */
export function vxlan(vni: number, frame: Uint8Array): Uint8Array {
  const h = new Uint8Array(8);
  h[0] = 0x08;
  h[4] = (vni >>> 16) & 0xff;
  h[5] = (vni >>> 8) & 0xff;
  h[6] = vni & 0xff;
  return concat(h, frame);
}
