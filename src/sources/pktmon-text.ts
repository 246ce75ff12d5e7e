/**
 * Windows Packet Monitor (pktmon) traces as text: what `pktmon etl2txt trace.etl` (`pktmon format`
 * on newer builds) writes, and what `pktmon start --etw -m real-time` prints. It is the one record
 * of the packets Windows itself dropped, with the reason: a pcapng made from the same trace
 * (`pktmon etl2pcap`) loses which packets were drops and why (Microsoft's pktmon-pcapng-support
 * page), and a capture never sees what the host's own firewall drops after the capture point.
 *
 * Each packet is a header line and the packet in tcpdump-like text on the next, indented:
 *
 *     [30]0000.0000::2025-03-27 16:10:34.934020500 [Microsoft-Windows-PktMon] Drop: PktGroupId 8444249301423149, PktNumber 1, Appearance 0, Direction Rx , Type IP , Component 49, Filter 1, DropReason INET: transport endpoint was not found , DropLocation 0xE000460A, OriginalSize 402, LoggedSize 148
 *            Drop: ip: 192.168.5.88.50005 > 192.168.5.68.50005: UDP, length 374
 *     23:02:26.539704700 PktGroupId 562949953421500, PktNumber 1, Appearance 1, Direction Tx , Type Ethernet , Component 78, Edge 1, Filter 1, OriginalSize 66, LoggedSize 66
 *            40-EC-99-B9-17-25 > F0-B4-D2-5A-D3-E2, ethertype IPv4 (0x0800), length 66: 192.168.0.62.65066 > 172.217.2.115.443: Flags [S], seq 1995496356, win 64240, options [...], length 0
 *
 * pktmon logs a packet at every component it passes (Appearance 1, 2 ...), under one PktGroupId
 * and PktNumber: the first appearance is the packet, the others are copies, and a `Drop:` record
 * says where it ended. Packets go to the flow table as a capture's do (the same Zeek states);
 * a flow that did not complete and had a packet dropped is refused, with pktmon's reason.
 *
 * Times are the trace host's local time (as `--tz` says, UTC when not given). The real-time form
 * has no date: its times are read on 1970-01-01 (and the next days, past midnight), and the
 * file is reported so.
 */

import type { DiagnosticSink } from '../common/diagnostics.js';
import { formatIpv4, formatIpv6, parseIp, plainlyOneHost } from '../common/ip.js';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, Packet, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG } from '../decode/types.js';
import type { Flow } from '../flows/types.js';
import { forEachLineRange } from './flowlog-common.js';
import { PKTMON_HEADER as HEADER } from './input.js';
import { ASSUMED_UTC, civilToMillis, parseTimezone, type LocalTimeZone } from './flowlog-time.js';
import type { ByteInput, FileSummary, ReadContext } from './types.js';

/** What pktmon said about the packets of one flow direction it dropped. */
interface DropNote {
  /** The host whose Windows dropped it: the receiver of a packet dropped on its way in, the sender of one on its way out. */
  host: string;
  reason: string;
  location: string;
  component: string;
  direction: string;
  packets: number;
}

/** Dropped 5-tuples kept: beyond it, further tuples are counted (`pktmon_drops_untracked`) but not matched to flows. */
const MAX_DROP_TUPLES = 100_000;
/** Addresses one traced host may have (IPv4 and IPv6 on a few adapters); beyond it the trace holds other hosts' packets. */
const MAX_TRACED_ADDRESSES = 16;
/** Indented lines after a header looked at for its packet (`--verbose` puts the IP header's fields first). */
const MAX_PACKET_LINES = 4;
/** Packets (group and number) remembered to tell a packet's later appearances from a new packet. */
const MAX_RECENT_PACKETS = 65_536;

export interface PktmonOptions {
  /** Zone of the trace's local times (as for pfirewall): a name, an offset, or a parsed zone. */
  tz?: string | LocalTimeZone;
}

/** Where the reader hands each packet (the flow table's addPacket). */
export type PacketSink = (pkt: Packet) => void;

/**
 * Reads a pktmon text trace: every packet, once, to `onPacket` (frame = the header's line number);
 * drops go to `drops`, whose {@link PktmonDrops.mark} the flow table's sink calls: a packet's drop
 * record follows its first appearance within microseconds, long before its flow can end. Lines
 * that are neither a record nor its packet (pktmon's own banners, component lists, `--hex` dumps)
 * are skipped; a record whose packet is not read (ARP, a protocol pktmon prints in a way not read
 * here) is counted, not an error.
 */
export async function readPktmonText(
  input: ByteInput,
  ctx: ReadContext & PktmonOptions,
  onPacket: PacketSink,
  drops: PktmonDrops,
): Promise<FileSummary> {
  const diag = ctx.diag;
  const zone: LocalTimeZone = ctx.tz === undefined ? ASSUMED_UTC : typeof ctx.tz === 'string' ? parseTimezone(ctx.tz) : ctx.tz;
  const recent = new Set<string>();
  const recentOrder: string[] = [];
  let recentHead = 0;
  const pkt = new Packet();
  let records = 0;
  let firstTs: number | null = null;
  let lastTs: number | null = null;
  let undated = false;
  let dayOffset = 0;
  let lastUndatedMs = -1;
  /** The traced host's own addresses, by the direction pktmon gives each packet. */
  const tracedOn = new Set<string>();
  /** The header waiting for its packet line. */
  let pending: { ts: number; drop: boolean; key: string; rest: string; line: number; offset: number; tries: number } | null = null;

  /** Takes `text` as the pending record's packet; false when it is no packet line (an IP header line of `--verbose`). */
  const takePacket = (text: string): boolean => {
    const p = pending!;
    let body = text.trim();
    if (body.startsWith('Drop:')) body = body.slice(5).trim();
    pkt.reset();
    const parsed = parsePacketText(body, pkt);
    if (parsed === null) return false;
    pending = null;
    const seenBefore = recent.has(p.key);
    if (!seenBefore) {
      recent.add(p.key);
      if (recentOrder.length < MAX_RECENT_PACKETS) recentOrder.push(p.key);
      else {
        recent.delete(recentOrder[recentHead]);
        recentOrder[recentHead] = p.key;
        recentHead = (recentHead + 1) % MAX_RECENT_PACKETS;
      }
    }
    if (!parsed) {
      if (!seenBefore) diag.count('pktmon_packets_not_ip');
      return true;
    }
    pkt.tsMicros = p.ts;
    pkt.frame = p.line;
    pkt.fileOffset = p.offset;
    if (p.drop) drops.add(pkt, p.rest);
    // Later appearances are the same packet at another component: one packet, as a capture has it.
    if (seenBefore) {
      diag.count('frames_duplicate');
      return true;
    }
    if (firstTs === null || p.ts < firstTs) firstTs = p.ts;
    if (lastTs === null || p.ts > lastTs) lastTs = p.ts;
    // pktmon says which way each packet went through its host: received ones name it as their
    // destination, sent ones as their source (groups aside).
    const direction = /Direction\s+(Rx|Tx)\b/.exec(p.rest)?.[1];
    if (direction !== undefined && tracedOn.size <= MAX_TRACED_ADDRESSES) {
      const own = addressText(pkt, direction === 'Rx' ? 'dst' : 'src');
      if (plainlyOneHost(own)) tracedOn.add(own);
    }
    onPacket(pkt);
    return true;
  };

  const result = await forEachLineRange(input, (text, start, end, lineNo, offset) => {
    const line = text.slice(start, end);
    if (pending !== null) {
      // The packet follows, indented: on the next line, or after a line of IP header fields
      // (`--verbose 2`); a line that is not indented ends a record that had none.
      const indented = line.length > 0 && (line.charCodeAt(0) === 32 || line.charCodeAt(0) === 9);
      if (indented && takePacket(line)) return;
      if (indented && ++pending.tries < MAX_PACKET_LINES) return;
      pending = null;
      diag.count('pktmon_records_without_packet');
      if (indented) return;
    }
    const m = HEADER.exec(line);
    if (m === null) return;
    records++;
    const fraction = (digits: string | undefined) => (digits === undefined ? 0 : Number(`0.${digits.slice(0, 9)}`) * 1000);
    let ms: number;
    if (m[1] !== undefined) {
      ms = civilToMillis(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) + fraction(m[7]);
    } else {
      undated = true;
      let t = ((Number(m[4]) * 60 + Number(m[5])) * 60 + Number(m[6])) * 1000 + fraction(m[7]);
      // Past midnight the clock starts again: a time more than 12 hours before the last is the next day.
      if (lastUndatedMs >= 0 && t + dayOffset < lastUndatedMs - 12 * 3600_000) dayOffset += 24 * 3600_000;
      t += dayOffset;
      lastUndatedMs = t;
      ms = t;
    }
    const whole = Math.floor(ms);
    const ts = zone.toUtcMillis(whole) * 1000 + Math.round((ms - whole) * 1000);
    pending = { ts, drop: m[8] !== undefined, key: `${m[9]}/${m[10]}`, rest: m[11], line: lineNo, offset, tries: 0 };
  });
  if (pending !== null) diag.count('pktmon_records_without_packet');
  if (undated) {
    diag.report(
      'pktmon_no_date',
      { file: input.name, offset: 0, index: 0 },
      `${input.name}: pktmon's real-time output gives times of day without a date; they are read on 1970-01-01 (convert the .etl with \`pktmon etl2txt\` for dated times)`,
    );
  }
  const summary: FileSummary = {
    file: input.name,
    format: 'pktmon',
    records,
    bytes: result.bytes,
    firstTs,
    lastTs,
    complete: true,
    timeZone: { name: zone.name, assumed: zone.assumed },
  };
  // More than a host has: a switch's or Hyper-V's components carry other hosts' packets too.
  if (tracedOn.size > 0 && tracedOn.size <= MAX_TRACED_ADDRESSES) summary.tracedOn = [...tracedOn].sort();
  return summary;
}

/** The drops of a trace by flow direction, to mark the flows they belong to. */
export class PktmonDrops {
  private readonly byTuple = new Map<string, DropNote>();

  constructor(private readonly diag: DiagnosticSink) {}

  add(pkt: Packet, rest: string): void {
    const key = tupleKey(pkt.proto, addressText(pkt, 'src'), pkt.srcPort, addressText(pkt, 'dst'), pkt.dstPort);
    const known = this.byTuple.get(key);
    if (known !== undefined) {
      known.packets++;
      return;
    }
    if (this.byTuple.size >= MAX_DROP_TUPLES) {
      this.diag.count('pktmon_drops_untracked');
      return;
    }
    const direction = field(rest, /Direction\s+(Rx|Tx)\b/) ?? '';
    this.byTuple.set(key, {
      host: addressText(pkt, direction === 'Tx' ? 'src' : 'dst'),
      reason: field(rest, /DropReason\s+(.*?)\s*,\s*(?:DropLocation|OriginalSize|LoggedSize)\b/) ?? field(rest, /DropReason\s+(.*?)\s*$/) ?? 'no reason given',
      location: field(rest, /DropLocation\s+(\S+?)\s*(?:,|$)/) ?? '',
      component: field(rest, /Component\s+(\d+)/) ?? '',
      direction,
      packets: 1,
    });
  }

  /**
   * Marks `flow` refused when it did not complete and pktmon dropped a packet of it (either way):
   * the reason names pktmon's, and `log` says it was this host's drop (read as a firewall's refusal).
   */
  mark(flow: Flow): void {
    if (this.byTuple.size === 0 || flow.outcome === 'completed') return;
    const proto = flow.proto === 'tcp' ? IPPROTO_TCP : flow.proto === 'udp' ? IPPROTO_UDP : -1;
    if (proto < 0) return;
    const note =
      this.byTuple.get(tupleKey(proto, flow.origH, flow.origP, flow.respH, flow.respP)) ??
      this.byTuple.get(tupleKey(proto, flow.respH, flow.respP, flow.origH, flow.origP));
    if (note === undefined) return;
    const where = [note.component !== '' ? `component ${note.component}` : '', note.location !== '' ? `location ${note.location}` : ''].filter((x) => x !== '').join(', ');
    const inbound = note.direction === 'Rx';
    flow.outcome = 'refused';
    flow.reason =
      `dropped by Windows on ${note.host} (pktmon: ${note.reason}${where !== '' ? `; ${where}` : ''}; ` +
      `${note.packets === 1 ? '1 packet' : `${note.packets} packets`} ${inbound ? 'received' : 'sent'}); ${flow.reason}`;
    flow.log = { action: 'DROP', direction: inbound ? 'RECEIVE' : 'SEND', records: note.packets };
  }
}

function field(text: string, re: RegExp): string | undefined {
  const m = re.exec(text);
  return m === null ? undefined : m[1].trim();
}

function tupleKey(proto: number, src: string, sport: number, dst: string, dport: number): string {
  return `${proto}|${src}|${sport}|${dst}|${dport}`;
}

function addressText(pkt: Packet, side: 'src' | 'dst'): string {
  const bytes = side === 'src' ? pkt.src : pkt.dst;
  return pkt.ipVersion === 4 ? formatIpv4(bytes) : formatIpv6(bytes);
}

/** The IP part of a packet line: after the link layer (`ethertype IPv4 (0x0800), length 66: `), `ip: ` or `IP `. */
const IP_START = /(?:ethertype\s+IPv[46]\s+\(0x[0-9a-fA-F]+\),\s*(?:length\s+\d+:\s*)?|^(?:ip6?:|IP6?:?(?=\s)|IPv[46],\s*length\s+\d+:)\s*)(?![^]*ethertype\s+IPv[46])/;

/**
 * Fills `pkt` from pktmon's text of one packet (tcpdump's notation): true for an IPv4/IPv6 TCP,
 * UDP or ICMP packet, false for another frame (ARP, LLDP, a protocol not read here), null when
 * the text is no packet at all (a line of IP header fields that `--verbose` prints first).
 */
export function parsePacketText(text: string, pkt: Packet): boolean | null {
  let body = text;
  const start = IP_START.exec(body);
  if (start !== null) body = body.slice(start.index + start[0].length);
  else if (/^[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5}\s/.test(body)) return false; // a frame that is not IP (ARP, LLDP ...)
  // The destination ends at the colon before a space: an IPv6 address holds colons of its own.
  const m = /^(\S+)\s+>\s+(\S+):(?:\s+(.*))?$/.exec(body);
  if (m === null) return /^(?:IP6?\s*)?\(/.test(body) ? null : false;
  const rest = m[3] ?? '';
  const src = splitEndpoint(m[1]);
  const dst = splitEndpoint(m[2]);
  if (src === null || dst === null || src.bytes.length !== dst.bytes.length) return false;
  const v6 = src.bytes.length === 16;
  pkt.ipVersion = v6 ? 6 : 4;
  pkt.src.set(src.bytes);
  pkt.dst.set(dst.bytes);
  if (!v6) {
    pkt.srcV4 = ((src.bytes[0] << 24) | (src.bytes[1] << 16) | (src.bytes[2] << 8) | src.bytes[3]) >>> 0;
    pkt.dstV4 = ((dst.bytes[0] << 24) | (dst.bytes[1] << 16) | (dst.bytes[2] << 8) | dst.bytes[3]) >>> 0;
  }
  const length = lastNumber(rest, /\blength\s+(\d+)/g);
  // TCP: with its flags, or (the abbreviated form, `--brief`) only named, flags unknown.
  const flags = /^Flags\s+\[([^\]]*)\]/.exec(rest);
  if (flags !== null || /^tcp\b/i.test(rest)) {
    if (src.port < 0 || dst.port < 0) return false;
    pkt.proto = IPPROTO_TCP;
    pkt.srcPort = src.port;
    pkt.dstPort = dst.port;
    if (flags !== null) {
      pkt.tcpFlags = tcpFlags(flags[1]);
      pkt.tcpSeq = Number(/\bseq\s+(\d+)/.exec(rest)?.[1] ?? 0) >>> 0;
      pkt.tcpAck = Number(/\back\s+(\d+)/.exec(rest)?.[1] ?? 0) >>> 0;
      pkt.tcpWindow = Number(/\bwin\s+(\d+)/.exec(rest)?.[1] ?? 0);
    }
    pkt.payloadLen = length;
    pkt.ipLen = (v6 ? 40 : 20) + 20 + length;
    return true;
  }
  if (/^ICMP6?\b/.test(rest)) {
    if (src.port >= 0 || dst.port >= 0) return false;
    pkt.proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
    const echo = /\becho (request|reply)\b/.exec(rest);
    if (echo !== null) {
      pkt.icmpType = v6 ? (echo[1] === 'request' ? 128 : 129) : echo[1] === 'request' ? 8 : 0;
      pkt.icmpCode = 0;
    } else {
      // Without the quoted header an unreachable cannot be tied to its flow: a one-way ICMP flow.
      pkt.icmpType = v6 ? 1 : 3;
      pkt.icmpCode = 0;
    }
    pkt.payloadLen = length;
    pkt.ipLen = (v6 ? 40 : 20) + 8 + length;
    return true;
  }
  if (src.port < 0 || dst.port < 0) return false;
  pkt.proto = IPPROTO_UDP;
  pkt.srcPort = src.port;
  pkt.dstPort = dst.port;
  pkt.payloadLen = length;
  pkt.ipLen = (v6 ? 40 : 20) + 8 + length;
  return true;
}

/** `192.168.0.62.65066` or `fe80::1.546` (port after the last dot) or a bare address (port -1). */
function splitEndpoint(text: string): { bytes: Uint8Array; port: number } | null {
  const dot = text.lastIndexOf('.');
  if (dot > 0) {
    const port = text.slice(dot + 1);
    if (/^\d{1,5}$/.test(port) && Number(port) <= 65535) {
      const bytes = parseIp(text.slice(0, dot));
      if (bytes !== null) return { bytes, port: Number(port) };
    }
  }
  const bytes = parseIp(text);
  return bytes === null ? null : { bytes, port: -1 };
}

function lastNumber(text: string, re: RegExp): number {
  let n = 0;
  for (const m of text.matchAll(re)) n = Number(m[1]);
  return n;
}

/** tcpdump's flag letters: S SYN, F FIN, R RST, P PSH, U URG, `.` ACK (E and W, ECN, are not kept). */
function tcpFlags(letters: string): number {
  let f = 0;
  for (const c of letters) {
    if (c === 'S') f |= TCP_SYN;
    else if (c === 'F') f |= TCP_FIN;
    else if (c === 'R') f |= TCP_RST;
    else if (c === 'P') f |= TCP_PSH;
    else if (c === 'U') f |= TCP_URG;
    else if (c === '.') f |= TCP_ACK;
  }
  return f;
}
