/**
 * Ethernet II (LINKTYPE_ETHERNET 1) and IEEE 802.3 length frames with an LLC/SNAP header.
 * VLAN tags after the MAC addresses are handled by network.ts (shared with Linux SLL).
 */
import type { DiagnosticSink } from '../common/diagnostics.js';
import type { Frame } from '../sources/types.js';
import { readU16 } from './cursor.js';
import { decodeEtherType } from './network.js';
import { reportCut } from './report.js';
import type { Packet } from './types.js';

export const ETHERNET_HEADER_LEN = 14;
/** Type/length values up to 1500 are an 802.3 length (IEEE 802.3 clause 3.2.6), 1536+ an EtherType. */
const ETHERNET_MAX_LENGTH_FIELD = 1500;
const LLC_SNAP_LEN = 8;

/**
 * Decodes the Ethernet header at `off` and the packet it carries.
 *
 * An 802.3 frame with LLC/SNAP (DSAP 0xAA, SSAP 0xAA, UI, OUI 00-00-00) carries an EtherType and is
 * decoded like Ethernet II; other 802.3/LLC frames (spanning tree, NetBIOS ...) count as
 * `non_ip_frames`.
 *
 * @returns true when an IP header was decoded into `pkt`
 */
export function decodeEthernet(b: Uint8Array, off: number, pkt: Packet, frame: Frame, diag: DiagnosticSink): boolean {
  if (off + ETHERNET_HEADER_LEN > b.length) {
    reportCut('ethernet_truncated', 'Ethernet header', off, ETHERNET_HEADER_LEN, b.length - off, frame, pkt, diag);
    return false;
  }
  const typeOrLength = readU16(b, off + 12);
  const next = off + ETHERNET_HEADER_LEN;
  if (typeOrLength > ETHERNET_MAX_LENGTH_FIELD) return decodeEtherType(typeOrLength, b, next, pkt, frame, diag);
  // IEEE 802.2 LLC + SNAP (RFC 1042): AA AA 03 00 00 00 <EtherType>.
  if (
    next + LLC_SNAP_LEN <= b.length &&
    b[next] === 0xaa &&
    b[next + 1] === 0xaa &&
    b[next + 2] === 0x03 &&
    b[next + 3] === 0 &&
    b[next + 4] === 0 &&
    b[next + 5] === 0
  ) {
    return decodeEtherType(readU16(b, next + 6), b, next + LLC_SNAP_LEN, pkt, frame, diag);
  }
  diag.count('non_ip_frames');
  return false;
}
