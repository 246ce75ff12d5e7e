/**
 * Linux "cooked" captures (tcpdump -i any): LINKTYPE_LINUX_SLL (113), 16-byte header, and
 * LINKTYPE_LINUX_SLL2 (276), 20-byte header. The protocol field is an EtherType for the frames we
 * care about. See https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html and LINKTYPE_LINUX_SLL2.html.
 */
import type { DiagnosticSink } from '../common/diagnostics.js';
import type { Frame } from '../sources/types.js';
import { readU16 } from './cursor.js';
import { decodeEtherType } from './network.js';
import { reportCut } from './report.js';
import type { Packet } from './types.js';

export const SLL_HEADER_LEN = 16;
export const SLL2_HEADER_LEN = 20;
/** ARPHRD_NETLINK: the payload is a netlink message, not a network packet. */
const ARPHRD_NETLINK = 824;

/**
 * SLL: packet type (2), ARPHRD type (2), link-layer address length (2), address (8), protocol (2).
 * @returns true when an IP header was decoded into `pkt`
 */
export function decodeSll(b: Uint8Array, off: number, pkt: Packet, frame: Frame, diag: DiagnosticSink): boolean {
  if (off + SLL_HEADER_LEN > b.length) {
    reportCut('sll_truncated', 'Linux SLL header', off, SLL_HEADER_LEN, b.length - off, frame, pkt, diag);
    return false;
  }
  if (readU16(b, off + 2) === ARPHRD_NETLINK) {
    diag.count('non_ip_frames');
    return false;
  }
  return decodeEtherType(readU16(b, off + 14), b, off + SLL_HEADER_LEN, pkt, frame, diag);
}

/**
 * SLL2: protocol (2), reserved (2), interface index (4), ARPHRD type (2), packet type (1),
 * address length (1), address (8).
 * @returns true when an IP header was decoded into `pkt`
 */
export function decodeSll2(b: Uint8Array, off: number, pkt: Packet, frame: Frame, diag: DiagnosticSink): boolean {
  if (off + SLL2_HEADER_LEN > b.length) {
    reportCut('sll_truncated', 'Linux SLL2 header', off, SLL2_HEADER_LEN, b.length - off, frame, pkt, diag);
    return false;
  }
  if (readU16(b, off + 8) === ARPHRD_NETLINK) {
    diag.count('non_ip_frames');
    return false;
  }
  return decodeEtherType(readU16(b, off), b, off + SLL2_HEADER_LEN, pkt, frame, diag);
}
