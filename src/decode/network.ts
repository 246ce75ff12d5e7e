/**
 * Network-layer dispatch shared by every link type: EtherType (with stacked VLAN tags) or the IP
 * version nibble of a raw IP packet.
 */
import type { DiagnosticSink } from '../common/diagnostics.js';
import type { Frame } from '../sources/types.js';
import { readU16 } from './cursor.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { reportCut } from './report.js';
import type { Packet } from './types.js';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
/** IEEE 802.1Q customer VLAN tag. */
export const ETHERTYPE_VLAN = 0x8100;
/** IEEE 802.1ad service VLAN tag (QinQ outer tag). */
export const ETHERTYPE_QINQ = 0x88a8;
/** Pre-standard QinQ outer tags that vendors still emit. */
export const ETHERTYPE_QINQ_9100 = 0x9100;
export const ETHERTYPE_QINQ_9200 = 0x9200;

/** MPLS label stacks (RFC 3032): unicast and multicast. */
export const ETHERTYPE_MPLS = 0x8847;
export const ETHERTYPE_MPLS_MULTICAST = 0x8848;
/** PPPoE session stage (RFC 2516): a DSL or fibre uplink captured before the router. */
export const ETHERTYPE_PPPOE_SESSION = 0x8864;
/** PPP protocol numbers of IPv4 and IPv6 (RFC 1332, RFC 5072). */
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;
/** PPPoE header (version/type, code, session id, length) and the PPP protocol field. */
const PPPOE_HEADER_LEN = 8;
/** Size of one MPLS label stack entry: label, traffic class, bottom-of-stack bit, TTL. */
const MPLS_ENTRY_LEN = 4;

/** More stacked tags (or MPLS labels) than this is not a real frame; stop instead of walking garbage. */
export const MAX_VLAN_TAGS = 8;

/** Size of one 802.1Q/802.1ad tag: TCI (2) + inner EtherType (2). */
const VLAN_TAG_LEN = 4;

/**
 * Decodes the packet that follows an EtherType: skips any stack of VLAN tags (802.1Q, 802.1ad,
 * 0x9100/0x9200 QinQ), then decodes IPv4 or IPv6, also under an MPLS label stack or in a PPPoE
 * session. Any other EtherType (ARP, LLDP ...) increments the
 * `non_ip_frames` counter (a counter, not a diagnostic: such frames are normal on a LAN).
 *
 * @param etherType the EtherType read by the link decoder
 * @param b the frame bytes (`frame.data`); valid only during the call
 * @param off offset in `b` of the first byte after the EtherType field
 * @returns true when an IP header was decoded into `pkt` (`pkt.ipVersion` set)
 */
export function decodeEtherType(
  etherType: number,
  b: Uint8Array,
  off: number,
  pkt: Packet,
  frame: Frame,
  diag: DiagnosticSink,
): boolean {
  if (etherType === ETHERTYPE_IPV4) return decodeIpv4(b, off, pkt, frame, diag);
  if (etherType === ETHERTYPE_IPV6) return decodeIpv6(b, off, pkt, frame, diag);
  let type = etherType;
  let tags = 0;
  while (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_9100 || type === ETHERTYPE_QINQ_9200) {
    if (off + VLAN_TAG_LEN > b.length) {
      reportCut('vlan_truncated', 'VLAN tag', off, VLAN_TAG_LEN, b.length - off, frame, pkt, diag);
      return false;
    }
    if (++tags > MAX_VLAN_TAGS) {
      diag.report('vlan_truncated', frame.origin, `more than ${MAX_VLAN_TAGS} stacked VLAN tags; frame skipped`);
      return false;
    }
    // IEEE 802.1Q section 9.6: TCI (PCP, DEI, VID) then the EtherType of what follows.
    type = readU16(b, off + 2);
    off += VLAN_TAG_LEN;
  }
  if (type === ETHERTYPE_IPV4) return decodeIpv4(b, off, pkt, frame, diag);
  if (type === ETHERTYPE_IPV6) return decodeIpv6(b, off, pkt, frame, diag);
  if (type === ETHERTYPE_MPLS || type === ETHERTYPE_MPLS_MULTICAST) return decodeMpls(b, off, pkt, frame, diag);
  if (type === ETHERTYPE_PPPOE_SESSION) return decodePppoeSession(b, off, pkt, frame, diag);
  diag.count('non_ip_frames');
  return false;
}

/**
 * An MPLS label stack (a SPAN of a provider or data-centre core link): the labels up to the one
 * with the bottom-of-stack bit, then IP, told by its version nibble (RFC 3032 section 2.2). A
 * pseudowire carrying Ethernet (its control word starts with 0) is not followed: non-IP.
 */
function decodeMpls(b: Uint8Array, off: number, pkt: Packet, frame: Frame, diag: DiagnosticSink): boolean {
  for (let labels = 1; ; labels++) {
    if (off + MPLS_ENTRY_LEN > b.length) {
      reportCut('link_truncated', 'MPLS label', off, MPLS_ENTRY_LEN, b.length - off, frame, pkt, diag);
      return false;
    }
    if (labels > MAX_VLAN_TAGS) {
      diag.report('link_truncated', frame.origin, `more than ${MAX_VLAN_TAGS} stacked MPLS labels; frame skipped`);
      return false;
    }
    const bottom = (b[off + 2] & 1) === 1;
    off += MPLS_ENTRY_LEN;
    if (bottom) break;
  }
  const version = off < b.length ? b[off] >> 4 : 0;
  if (version === 4 || version === 6) return decodeRawIp(b, off, pkt, frame, diag);
  diag.count('non_ip_frames');
  return false;
}

/** A PPPoE session frame: its 6-byte header, the PPP protocol, then IPv4 or IPv6 (others: non-IP). */
function decodePppoeSession(b: Uint8Array, off: number, pkt: Packet, frame: Frame, diag: DiagnosticSink): boolean {
  if (off + PPPOE_HEADER_LEN > b.length) {
    reportCut('link_truncated', 'PPPoE header', off, PPPOE_HEADER_LEN, b.length - off, frame, pkt, diag);
    return false;
  }
  const protocol = readU16(b, off + 6);
  if (protocol === PPP_IPV4) return decodeIpv4(b, off + PPPOE_HEADER_LEN, pkt, frame, diag);
  if (protocol === PPP_IPV6) return decodeIpv6(b, off + PPPOE_HEADER_LEN, pkt, frame, diag);
  diag.count('non_ip_frames');
  return false;
}

/**
 * Decodes a raw IP packet (no link header) by its version nibble: LINKTYPE_RAW (101) and the
 * BSD loopback / NFLOG payloads, whose family field may disagree with the bytes.
 *
 * @returns true when an IP header was decoded into `pkt`
 */
export function decodeRawIp(b: Uint8Array, off: number, pkt: Packet, frame: Frame, diag: DiagnosticSink): boolean {
  if (off >= b.length) {
    reportCut('ipv4_truncated', 'IP header', off, 20, b.length - off, frame, pkt, diag);
    return false;
  }
  const version = b[off] >> 4;
  if (version === 4) return decodeIpv4(b, off, pkt, frame, diag);
  if (version === 6) return decodeIpv6(b, off, pkt, frame, diag);
  diag.report('ip_bad_version', frame.origin, `raw IP packet with version ${version}`);
  return false;
}
