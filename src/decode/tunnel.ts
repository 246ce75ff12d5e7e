/**
 * Tunnels that carry whole packets of the traffic being audited, so that the audit sees the inner
 * packets rather than the tunnel's two endpoints:
 * - GRE (RFC 2784, with the key and sequence number of RFC 2890) carrying IPv4, IPv6, Ethernet
 *   (transparent Ethernet bridging, 0x6558) or a switch's mirrored traffic: ERSPAN type I and II
 *   (0x88BE) and type III (0x22EB). A remote SPAN session is how a network team often hands over
 *   the capture of a firewall's far side, and its file holds the GRE packets as they arrived.
 * - VXLAN on UDP 4789 (RFC 7348), as a capture taken on a virtualisation host's uplink shows it.
 *
 * The inner packet replaces the outer one in `pkt`, keeping the frame's time, number and offset.
 * Tunnels inside tunnels are followed {@link MAX_TUNNEL_DEPTH} deep. Each decapsulated packet is
 * counted (`tunnel_gre`, `tunnel_vxlan`); what a tunnel carries that is not a packet (PPTP's
 * enhanced GRE, MPLS, keepalives) is counted as `tunnel_other_payload` and left as the outer packet.
 */
import type { DiagnosticSink } from '../common/diagnostics.js';
import type { Frame } from '../sources/types.js';
import { readU16 } from './cursor.js';
import { decodeEthernet } from './ethernet.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { reportCut } from './report.js';
import type { Packet } from './types.js';

export const IPPROTO_GRE = 47;
/** IANA's VXLAN port (RFC 7348 section 5). */
export const VXLAN_PORT = 4789;
/** Tunnels inside tunnels followed at most this deep; deeper ones stay as they are. */
export const MAX_TUNNEL_DEPTH = 2;

const GRE_CHECKSUM = 0x8000;
const GRE_ROUTING = 0x4000;
const GRE_KEY = 0x2000;
const GRE_SEQUENCE = 0x1000;
const GRE_VERSION_MASK = 0x0007;
const GRE_BASE_LEN = 4;

const PROTO_IPV4 = 0x0800;
const PROTO_IPV6 = 0x86dd;
const PROTO_ETHERNET = 0x6558;
const PROTO_ERSPAN_1_2 = 0x88be;
const PROTO_ERSPAN_3 = 0x22eb;

const ERSPAN_2_LEN = 8;
const ERSPAN_3_LEN = 12;
/** ERSPAN type III: the O flag (last bit of the header) announces an 8-byte platform sub-header. */
const ERSPAN_3_PLATFORM_LEN = 8;

const VXLAN_HEADER_LEN = 8;
/** RFC 7348: the I flag says the VNI is valid; it must be set. */
const VXLAN_FLAG_I = 0x08;

/**
 * True while `pkt` holds a decoded IP packet. False after a tunnel's packet could not be decoded:
 * the outer packet was already given up for it (a checked call, which TypeScript does not narrow).
 */
export function holdsPacket(pkt: Packet): boolean {
  return pkt.ipVersion !== 0;
}

/** How deep the decoding is in tunnels right now (decoding is synchronous: one counter per thread). */
let depth = 0;

/**
 * Decodes the GRE packet at `off` (up to `dataEnd`) and, when it carries a packet, that packet
 * into `pkt`. Returns true when `pkt` now holds the inner packet.
 */
export function decodeGre(b: Uint8Array, off: number, dataEnd: number, pkt: Packet, frame: Frame, diag: DiagnosticSink): boolean {
  if (depth >= MAX_TUNNEL_DEPTH) return false;
  if (off + GRE_BASE_LEN > dataEnd) {
    reportCut('tunnel_truncated', 'GRE header', off, GRE_BASE_LEN, dataEnd - off, frame, pkt, diag);
    return false;
  }
  const flags = readU16(b, off);
  const type = readU16(b, off + 2);
  if ((flags & GRE_VERSION_MASK) !== 0) {
    // Version 1 is PPTP's enhanced GRE: PPP frames, not packets to audit.
    diag.count('tunnel_other_payload');
    return false;
  }
  let p = off + GRE_BASE_LEN;
  if (flags & (GRE_CHECKSUM | GRE_ROUTING)) p += 4; // checksum and (RFC 1701) offset
  if (flags & GRE_KEY) p += 4;
  if (flags & GRE_SEQUENCE) p += 4;
  if (flags & GRE_ROUTING) {
    diag.count('tunnel_other_payload'); // RFC 1701 source routing: long obsolete
    return false;
  }
  switch (type) {
    case PROTO_IPV4:
    case PROTO_IPV6:
    case PROTO_ETHERNET:
      return inner(type, b, p, dataEnd, 'tunnel_gre', pkt, frame, diag);
    case PROTO_ERSPAN_1_2:
      // Type II has a sequence number in GRE and an 8-byte header; type I has neither.
      return inner(PROTO_ETHERNET, b, flags & GRE_SEQUENCE ? p + ERSPAN_2_LEN : p, dataEnd, 'tunnel_gre', pkt, frame, diag);
    case PROTO_ERSPAN_3: {
      if (p + ERSPAN_3_LEN > dataEnd) {
        reportCut('tunnel_truncated', 'ERSPAN III header', p, ERSPAN_3_LEN, dataEnd - p, frame, pkt, diag);
        return false;
      }
      const platform = (b[p + ERSPAN_3_LEN - 1] & 0x01) !== 0;
      return inner(PROTO_ETHERNET, b, p + ERSPAN_3_LEN + (platform ? ERSPAN_3_PLATFORM_LEN : 0), dataEnd, 'tunnel_gre', pkt, frame, diag);
    }
    default:
      diag.count('tunnel_other_payload');
      return false;
  }
}

/**
 * Decodes the VXLAN payload at `off` (a UDP datagram's payload to port 4789): its 8-byte header,
 * then the Ethernet frame it carries, into `pkt`. Returns true when `pkt` now holds the inner packet;
 * false (and `pkt` untouched) when the header is not VXLAN's, so the datagram stays plain UDP.
 */
export function decodeVxlan(b: Uint8Array, off: number, dataEnd: number, pkt: Packet, frame: Frame, diag: DiagnosticSink): boolean {
  if (depth >= MAX_TUNNEL_DEPTH) return false;
  // Flags with the I bit and otherwise zero, reserved bytes zero: anything else is not VXLAN.
  if (off + VXLAN_HEADER_LEN > dataEnd || b[off] !== VXLAN_FLAG_I || b[off + 1] !== 0 || b[off + 2] !== 0 || b[off + 3] !== 0 || b[off + 7] !== 0) {
    return false;
  }
  return inner(PROTO_ETHERNET, b, off + VXLAN_HEADER_LEN, dataEnd, 'tunnel_vxlan', pkt, frame, diag);
}

/** Decodes the packet of `type` at `off` as the frame's packet, in place of the tunnel's. */
function inner(type: number, b: Uint8Array, off: number, dataEnd: number, counter: string, pkt: Packet, frame: Frame, diag: DiagnosticSink): boolean {
  if (off >= dataEnd) {
    reportCut('tunnel_truncated', 'tunnelled packet', off, 1, dataEnd - off, frame, pkt, diag);
    return false;
  }
  // The inner decoders read to the end of `b`: bytes past the outer packet (Ethernet padding, a
  // snap length) must not be taken for the inner packet's.
  const bytes = dataEnd < b.length ? b.subarray(0, dataEnd) : b;
  const { tsMicros, frame: number, fileOffset } = pkt;
  const truncated = pkt.truncated;
  pkt.reset();
  pkt.tsMicros = tsMicros;
  pkt.frame = number;
  pkt.fileOffset = fileOffset;
  pkt.truncated = truncated;
  depth++;
  let decoded: boolean;
  try {
    decoded =
      type === PROTO_IPV4
        ? decodeIpv4(bytes, off, pkt, frame, diag)
        : type === PROTO_IPV6
          ? decodeIpv6(bytes, off, pkt, frame, diag)
          : decodeEthernet(bytes, off, pkt, frame, diag);
  } finally {
    depth--;
  }
  if (decoded) diag.count(counter);
  return decoded;
}
