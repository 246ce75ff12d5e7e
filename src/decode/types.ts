/**
 * The decoded view of one frame. One `Packet` object is reused for every frame (the decoder fills
 * it in place); everything in it is plain data with no views into the frame buffer, so a consumer
 * may copy fields freely, but the object itself is overwritten by the next `decodeFrame` call.
 *
 * Addresses are kept as bytes (and as a 32-bit number for IPv4) so that the flow table can hash
 * them without formatting a string per packet. Use common/ip.ts to format them once per flow.
 */
import type { RecentPackets } from './duplicates.js';
import type { ServerFlights } from './tls-certificate.js';
import type { HelloAssembly } from './tls-sni.js';

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;

/** TCP flag bits as in the header (RFC 9293 section 3.1). */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;

/** The header quoted inside an ICMP destination-unreachable: it names the refused flow. */
export interface QuotedHeader {
  ipVersion: 4 | 6;
  src: Uint8Array; // 16 bytes, IPv4 in the first 4
  dst: Uint8Array;
  proto: number;
  /** Ports of the quoted transport header; -1 when the quote is too short to hold them. */
  srcPort: number;
  dstPort: number;
}

/** One DNS resource record of interest: an address answer or an alias. */
export interface DnsRecord {
  name: string; // lowercase, no trailing dot
  type: 'A' | 'AAAA' | 'CNAME' | 'SRV';
  /** Address text (canonical) for A/AAAA, target name for CNAME and SRV. */
  data: string;
  ttl: number;
}

/** The parts of a DNS message that naming and root-cause analysis need. */
export interface DnsSummary {
  id: number;
  isResponse: boolean;
  /** RFC 1035 RCODE: 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN ... */
  rcode: number;
  /** Question names (lowercase, no trailing dot) with their type mnemonic ('A', 'AAAA', 'SRV' ...). */
  questions: { name: string; type: string }[];
  answers: DnsRecord[];
}

export class Packet {
  /** Capture time, microseconds. */
  tsMicros = 0;
  /** 1-based frame number and byte offset of the frame in its file. */
  frame = 0;
  fileOffset = 0;
  /** 0 when the frame carried no IP packet we could decode (ARP, unknown link type ...). */
  ipVersion: 0 | 4 | 6 = 0;
  /** 16 bytes each; IPv4 occupies bytes 0-3 and the rest are zero. */
  readonly src = new Uint8Array(16);
  readonly dst = new Uint8Array(16);
  /**
   * 32-bit views of `src` and `dst` (platform byte order): four word stores clear or copy an
   * address where TypedArray#fill or a byte loop is a call or sixteen stores (per packet, on the
   * hot path). Used by {@link reset} and by flows/packet-batch.ts.
   */
  readonly src32 = new Int32Array(this.src.buffer, this.src.byteOffset, 4);
  readonly dst32 = new Int32Array(this.dst.buffer, this.dst.byteOffset, 4);
  /** IPv4 addresses as unsigned 32-bit numbers (0 for IPv6), for fast hashing. */
  srcV4 = 0;
  dstV4 = 0;
  /** IANA protocol number of the transport (after IPv6 extension headers). */
  proto = 0;
  /** Ports for TCP/UDP; 0 otherwise. */
  srcPort = 0;
  dstPort = 0;
  /** TCP header fields; 0 when not TCP. */
  tcpFlags = 0;
  tcpSeq = 0;
  tcpAck = 0;
  tcpWindow = 0;
  /** Bytes of the IP packet as its header declares (IPv4 total length; IPv6 40 + payload length). */
  ipLen = 0;
  /** Transport payload bytes as the headers declare (not limited by the snap length). */
  payloadLen = 0;
  /** IPv4 Identification (0 for IPv6): with the checksum below, what tells two copies of one packet from two packets (duplicates.ts). */
  ipId = 0;
  /** The TCP, UDP or ICMP checksum field as captured (-1: not captured). */
  l4Check = -1;
  /** IPv4/IPv6 fragment: true for a fragment other than the first (it carries no ports). */
  laterFragment = false;
  /** ICMP/ICMPv6 type and code; -1 when not ICMP. */
  icmpType = -1;
  icmpCode = -1;
  /** For ICMP errors (dest unreachable, time exceeded ...), the quoted header; else null. */
  quoted: QuotedHeader | null = null;
  /** Set when a DNS message (UDP/TCP port 53, 5353, 5355) was parsed from the payload. */
  dns: DnsSummary | null = null;
  /** TLS ClientHello server_name, lowercase; null when absent. */
  sni: string | null = null;
  /** Ports that a DCE/RPC endpoint-mapper (135) response hands out (ept_map towers); null when none. */
  epmPorts: number[] | null = null;
  /** A request to an HTTP proxy or an HTTP/1.x status line at the start of the TCP payload (http-proxy.ts); null when none. */
  http: HttpProxyFacts | null = null;
  /** True when the captured bytes ended before the headers said they should (snap length). */
  truncated = false;
  /**
   * State that outlives one packet: TLS ClientHellos split across TCP segments, waiting for the
   * rest of their record (tls-sni.ts). One Packet object decodes one capture, so this lives exactly
   * as long as that capture's decoding; {@link reset} leaves it alone.
   */
  helloAssembly: HelloAssembly | null = null;
  /** The packets decoded just before, to recognise a second copy of one of them (duplicates.ts); same lifetime as helloAssembly. */
  recentPackets: RecentPackets | null = null;
  /** Servers' first TLS flights split across segments, until their certificate (tls-certificate.ts); same lifetime. */
  serverFlights: ServerFlights | null = null;
  /** The kinds of server answer this capture already reported (answers.ts); same lifetime. */
  answersReported: Set<string> | null = null;

  /** Clears every field before the next frame is decoded into this object. */
  reset(): void {
    this.tsMicros = 0;
    this.frame = 0;
    this.fileOffset = 0;
    this.ipVersion = 0;
    const s = this.src32;
    s[0] = 0;
    s[1] = 0;
    s[2] = 0;
    s[3] = 0;
    const d = this.dst32;
    d[0] = 0;
    d[1] = 0;
    d[2] = 0;
    d[3] = 0;
    this.srcV4 = 0;
    this.dstV4 = 0;
    this.proto = 0;
    this.srcPort = 0;
    this.dstPort = 0;
    this.tcpFlags = 0;
    this.tcpSeq = 0;
    this.tcpAck = 0;
    this.tcpWindow = 0;
    this.ipLen = 0;
    this.ipId = 0;
    this.l4Check = -1;
    this.payloadLen = 0;
    this.laterFragment = false;
    this.icmpType = -1;
    this.icmpCode = -1;
    this.quoted = null;
    this.dns = null;
    this.sni = null;
    this.epmPorts = null;
    this.http = null;
    this.truncated = false;
  }
}

/**
 * What consumers read of a decoded packet: {@link Packet}'s fields, without its method, word views and decoding state. The flow
 * table takes this, so that a packet received from the decoding thread can be read in place
 * (flows/packet-batch.ts) instead of being copied into a Packet first.
 */
/** What a TCP segment says of an HTTP proxy exchange (decode/http-proxy.ts). */
export interface HttpProxyFacts {
  /** A request's method (`CONNECT`, `GET` ...); '' in a response. */
  method: string;
  /** A request's target, `host:port` (host lowercased); null in a response. */
  target: string | null;
  /** A response's status code and reason phrase; 0 and '' in a request. */
  status: number;
  statusText: string;
  /**
   * A request to the server itself (origin form, `GET /pki/crl/... HTTP/1.1`): its Host header, the
   * name of the server (lowercased, without a port). `target` is null then: no proxy is involved.
   */
  host?: string;
}

export type PacketFields = Omit<Packet, 'reset' | DecoderOnlyField>;

/**
 * Fields of {@link Packet} that only the decoder reads: the word views, the state of a capture's
 * decoding, and what tells a packet from a copy of it (duplicates.ts). A packet handed to the flow
 * table, or sent from the decoding thread, does without them.
 */
export const DECODER_ONLY_FIELDS = ['src32', 'dst32', 'helloAssembly', 'recentPackets', 'serverFlights', 'answersReported', 'ipId', 'l4Check'] as const;
type DecoderOnlyField = (typeof DECODER_ONLY_FIELDS)[number];
