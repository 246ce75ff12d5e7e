/**
 * BSD loopback encapsulation: LINKTYPE_NULL (0), a 4-byte address family in the CAPTURING host's
 * byte order, and LINKTYPE_LOOP (108, OpenBSD), the same field in network byte order.
 * See https://www.tcpdump.org/linktypes/LINKTYPE_NULL.html.
 */
import type { DiagnosticSink } from '../common/diagnostics.js';
import type { Frame } from '../sources/types.js';
import { readU32, readU32LE } from './cursor.js';
import { decodeRawIp } from './network.js';
import { reportCut } from './report.js';
import type { Packet } from './types.js';

export const LOOPBACK_HEADER_LEN = 4;
export const BSD_AF_INET = 2;
/** AF_INET6 differs by OS: 24 (NetBSD, OpenBSD, BSD/OS), 28 (FreeBSD, DragonFly), 30 (macOS); 10 is Linux's. */
export const BSD_AF_INET6_VALUES: readonly number[] = [24, 28, 30, 10];

/**
 * Decodes a loopback frame. The family is read in whichever byte order gives a small number (the
 * capturing host's order is unknown for LINKTYPE_NULL; LINKTYPE_LOOP writers have been seen to
 * get it wrong too); the IP version nibble then decides, so a family that disagrees with the bytes
 * cannot misroute a packet. Unknown families are reported (`loopback_unknown_family`).
 *
 * @returns true when an IP header was decoded into `pkt`
 */
export function decodeLoopback(b: Uint8Array, off: number, pkt: Packet, frame: Frame, diag: DiagnosticSink): boolean {
  if (off + LOOPBACK_HEADER_LEN > b.length) {
    reportCut('link_truncated', 'loopback header', off, LOOPBACK_HEADER_LEN, b.length - off, frame, pkt, diag);
    return false;
  }
  const be = readU32(b, off);
  const family = be <= 0xffff ? be : readU32LE(b, off);
  if (family !== BSD_AF_INET && !BSD_AF_INET6_VALUES.includes(family)) {
    diag.report('loopback_unknown_family', frame.origin, `loopback address family ${family}`);
    return false;
  }
  return decodeRawIp(b, off + LOOPBACK_HEADER_LEN, pkt, frame, diag);
}
