/**
 * Entry point of the decode stage: one captured frame → the reused {@link Packet}.
 *
 * Layers compose by offset: each link decoder finds where the network header starts and hands over
 * to network.ts, which hands over to ipv4.ts / ipv6.ts, then transport.ts. Nothing here throws on
 * packet bytes (STYLE.md error model): damage is reported to the {@link DiagnosticSink}, outer layers
 * stay decoded and `pkt.truncated` says that the capture stopped short.
 */
import type { DiagnosticSink } from '../common/diagnostics.js';
import type { Frame } from '../sources/types.js';
import { RecentPackets } from './duplicates.js';
import { decodeEthernet } from './ethernet.js';
import { decodeLoopback } from './loopback.js';
import { decodeRawIp } from './network.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { decodeNflog } from './nflog.js';
import { decodeSll, decodeSll2 } from './sll.js';
import { endServerFlights } from './tls-certificate.js';
import { endClientHellos } from './tls-sni.js';
import type { Packet } from './types.js';

/** LINKTYPE_* values (https://www.tcpdump.org/linktypes.html) that {@link decodeFrame} understands. */
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
/** DLT_RAW as written by some BSDs' libpcap (12; OpenBSD's DLT_RAW is 14): raw IP, like 101. */
export const LINKTYPE_RAW_BSD_12 = 12;
export const LINKTYPE_RAW_OPENBSD_14 = 14;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_NFLOG = 239;
export const LINKTYPE_LINUX_SLL2 = 276;

/** The link types {@link decodeFrame} decodes, for documentation and `--help` text. */
export const SUPPORTED_LINK_TYPES: readonly number[] = [
  LINKTYPE_NULL,
  LINKTYPE_ETHERNET,
  LINKTYPE_RAW_BSD_12,
  LINKTYPE_RAW_OPENBSD_14,
  LINKTYPE_RAW,
  LINKTYPE_LOOP,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_NFLOG,
  LINKTYPE_LINUX_SLL2,
];

/**
 * Unknown link types already reported, per sink: a capture of 10 million frames of an unsupported
 * link type gives one diagnostic per link type and a counter, not 10 million diagnostics. Keyed
 * weakly by the sink, so the state lives exactly as long as the run that owns the sink.
 */
const reportedUnknownLinkTypes = new WeakMap<DiagnosticSink, Set<number>>();

/**
 * Decodes `frame` into `pkt` (which is reset first).
 *
 * Sets `tsMicros`, `frame` (the 1-based frame number, `frame.origin.index`) and `fileOffset`, then
 * decodes by `frame.linkType`. Unknown link types are counted (`link_unknown_type` counter) and
 * reported once per link type; non-IP frames (ARP, LLDP ...) are counted as `non_ip_frames`.
 *
 * `frame.data` is only read during this call; nothing in `pkt` refers to it afterwards.
 *
 * A second copy of a packet decoded just before (duplicates.ts) is skipped: counted as
 * `frames_duplicate`, and the capture's first one reported (`frame_duplicate`).
 *
 * @returns true when an IP packet was decoded (`pkt.ipVersion` is 4 or 6) and is not such a copy;
 *   its transport fields may still be partial, see `pkt.truncated`
 */
export function decodeFrame(frame: Frame, pkt: Packet, diag: DiagnosticSink): boolean {
  pkt.reset();
  pkt.tsMicros = frame.tsMicros;
  pkt.frame = frame.origin.index;
  pkt.fileOffset = frame.origin.offset;
  const decoded = decodeLink(frame, pkt, diag);
  // Said in the report: names past the cut are not read (a pktmon capture keeps 128 bytes by default).
  // Also when the frame's own length was written as the cut one: the IP header still tells.
  if (frame.capturedLen < frame.originalLen || pkt.truncated) diag.count('frames_snapped');
  return decoded && !isSecondCopy(frame, pkt, diag);
}

function decodeLink(frame: Frame, pkt: Packet, diag: DiagnosticSink): boolean {
  const b = frame.data;
  switch (frame.linkType) {
    case LINKTYPE_ETHERNET:
      return decodeEthernet(b, 0, pkt, frame, diag);
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_BSD_12:
    case LINKTYPE_RAW_OPENBSD_14:
      return decodeRawIp(b, 0, pkt, frame, diag);
    case LINKTYPE_IPV4:
      return decodeIpv4(b, 0, pkt, frame, diag);
    case LINKTYPE_IPV6:
      return decodeIpv6(b, 0, pkt, frame, diag);
    case LINKTYPE_LINUX_SLL:
      return decodeSll(b, 0, pkt, frame, diag);
    case LINKTYPE_LINUX_SLL2:
      return decodeSll2(b, 0, pkt, frame, diag);
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP:
      return decodeLoopback(b, 0, pkt, frame, diag);
    case LINKTYPE_NFLOG:
      return decodeNflog(b, 0, pkt, frame, diag);
    default:
      countUnknownLinkType(frame, diag);
      return false;
  }
}

/** True (counted, and reported the first time) when `pkt` is a copy of a packet decoded just before it. */
function isSecondCopy(frame: Frame, pkt: Packet, diag: DiagnosticSink): boolean {
  // A later fragment has no ports, and its offset is not kept: fragments of one datagram would look alike.
  if (pkt.laterFragment) return false;
  const recent = (pkt.recentPackets ??= new RecentPackets());
  const earlier = recent.earlierCopy(pkt);
  if (earlier < 0) return false;
  diag.count('frames_duplicate');
  if (!recent.reported) {
    recent.reported = true;
    diag.report(
      'frame_duplicate',
      frame.origin,
      `frame ${pkt.frame} is a copy of frame ${earlier}: one packet logged twice (pktmon logs a packet at every component it passes, ` +
        `Npcap logs sent packets twice on some hosts, a SPAN session can mirror a packet from two ports); such copies ` +
        `are counted once in flows (frames_duplicate counts them)`,
    );
  }
  return true;
}

/**
 * Ends the decoding of one capture with `pkt` (the Packet every frame of it was decoded into):
 * counts what was still waiting for frames that never came (see tls-sni.ts). Call it once the
 * capture's frames are all decoded, whether it was read to the end or not.
 */
export function endCapture(pkt: Packet, diag: DiagnosticSink): void {
  endClientHellos(pkt, diag);
  endServerFlights(pkt);
}

function countUnknownLinkType(frame: Frame, diag: DiagnosticSink): void {
  diag.count('link_unknown_type');
  let seen = reportedUnknownLinkTypes.get(diag);
  if (!seen) {
    seen = new Set();
    reportedUnknownLinkTypes.set(diag, seen);
  }
  if (seen.has(frame.linkType)) return;
  seen.add(frame.linkType);
  diag.report('link_unknown_type', frame.origin, `link type ${frame.linkType} not supported`);
}
