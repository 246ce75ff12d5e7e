/**
 * Packets → bidirectional flows with Zeek conn.log semantics.
 *
 * Hot path design (one call per packet, ~millions per second):
 * - the key is canonical and bidirectional (zeek ConnKey idea: the lower (address, port) endpoint
 *   first, plus a `flipped` flag), built from the packet's numeric fields into scalar fields of the
 *   table: no string, no object per packet;
 * - an open-addressing hash table (linear probing, backward-shift deletion) of flow ids, with the
 *   keys in typed arrays and a full comparison on a hash hit;
 * - per-flow state in one object per flow; strings (addresses, uid) are made once, when a flow starts;
 * - four queues (open TCP, closed TCP, UDP, ICMP), one per timeout, so that packet-time expiry and
 *   eviction at the `maxFlows` cap only look at queue heads. A packet does not move its flow in the
 *   queue (that costs random memory writes per packet); a head found active gets a second chance at
 *   the tail instead (lazy LRU). Whether a packet starts a new flow is always judged exactly, from the
 *   flow's last packet time, so expiry timing never changes the flows produced.
 *
 * Byte counts: TCP orig_bytes/resp_bytes come from sequence numbers as Zeek computes them (the
 * sequence space covered by data seen or acknowledged, minus SYN and FIN), so retransmissions count
 * once; UDP and ICMP sum the payload lengths. orig_ip_bytes/resp_ip_bytes sum the IP total lengths.
 *
 * Deviations from Zeek (documented for users in the flows command's help):
 * - retransmitted SYNs (same ISN) stay in one flow for as long as the TCP inactivity timeout allows
 *   (Zeek's 5 s tcp_attempt_delay would split a long retry series into several S0 connections);
 * - an ICMP destination unreachable is attached to the flow it quotes (Flow.icmp) instead of being
 *   logged as an ICMP connection of its own;
 * - no reassembly: no content gaps ('g', missed_bytes is 0), no checksum validation ('c');
 * - timestamps going back by more than the longest timeout (files given out of order) flush all live
 *   flows first, so a flow never spans such a jump.
 */

import type { DiagnosticSink } from '../common/diagnostics.js';
import { formatIpv4, formatIpv6 } from '../common/ip.js';
import { icmpCodeName } from '../decode/icmp.js';
import {
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  TCP_ACK,
  TCP_SYN,
  type DnsRecord,
  type DnsSummary,
  type HttpProxyFacts,
  type PacketFields,
} from '../decode/types.js';
import {
  addressWord,
  canonicalKey,
  hashFinish,
  hashStep,
  hashString,
  KEY_FLIPPED,
  KEY_HASH,
  KEY_META,
  KEY_PORTS,
  KEY_WORDS,
  icmpCounterpart,
  isDestUnreachable,
  isIcmpEchoRequest,
  isLikelyServerPort,
  ipv6AddressKey,
} from './key.js';
import { decideOutcome, proxyOutcome, replyNotCaptured } from './outcome.js';
import {
  processTcpPacket,
  TCP_CLOSED,
  TCP_INACTIVE,
  TCP_RESET,
  tcpConnState,
  TcpEndpoint,
  type TcpConnection,
} from './tcp-state.js';
import { DEFAULT_TIMEOUTS, type ConnState, type Flow, type FlowTimeouts, type IcmpRefusal } from './types.js';
import { makeUid } from './uid.js';

/** Zeek's tcp_close_delay / tcp_reset_delay: a closed connection is forgotten this long after its last time. */
export const TCP_CLOSE_LINGER_MICROS = 5_000_000;

/** Default hard cap on live flows. */
export const DEFAULT_MAX_FLOWS = 250_000; // ~0.6 KB each: live-flow state stays near 150 MB; beyond it the oldest idle flow closes early (counted)

/** Caps on application facts carried per flow. */
export const MAX_DNS_QUERIES_PER_FLOW = 4;
export const MAX_DNS_ANSWERS_PER_FLOW = 32;
export const MAX_EPM_PORTS_PER_FLOW = 64;

/** Bound of the IPv4 address-text cache (cleared when full: ~5 MB at most). */
const MAX_INTERNED_ADDRESSES = 65536;

/** An address's key (Flow.origKey): the IPv4 address as an unsigned number, or the IPv6 address's hash key. */
function addressKey(v6: boolean, bytes: Uint8Array, v4: number): number {
  return v6 ? ipv6AddressKey(bytes, 0) : v4 >>> 0;
}

/** Client and server pairs named in `flow_one_way` diagnostics (the sink keeps 20 examples a code anyway). */
const MAX_ONE_WAY_PAIRS = 1024;

/** ICMP port unreachable (type 3 code 3), or ICMPv6's (type 1 code 4). */
function isPortUnreachable(v6: boolean, type: number, code: number): boolean {
  return v6 ? type === 1 && code === 4 : type === 3 && code === 3;
}

/** Packet-time interval between expiry sweeps. */
const SWEEP_INTERVAL_MICROS = 1_000_000;
/**
 * The first packet times that call {@link FlowTable.sweep} though no sweep is due (it returns at
 * once). A sweep is due once a second of capture time, by which V8 has optimised the packet path
 * without ever seeing that call taken: the first real sweep then threw the optimised code away and
 * had it compiled again (the whole batch loop, with the fold inlined into it in `analyze`).
 */
const EARLY_SWEEP_CALLS = 64;
const INITIAL_CAPACITY = 4096;
/**
 * One 64-byte row per flow id holds what every packet of the flow reads: the key (two 128-bit
 * addresses as 4 int32 each, ports, proto|version|one-way, hash: int32 slots 0-10) and the flow's
 * last-seen and last times (float64 slots 6 and 7, i.e. bytes 48-63). Lookup, inactivity check and
 * time update then touch one cache line instead of three (key row, record, boxed time fields).
 */
const ROW_BYTES = 64;
/** Row stride in int32 units (the key view). */
const KEY_STRIDE = ROW_BYTES / 4;
const K_PORTS = KEY_PORTS;
const K_META = KEY_META;
const K_HASH = KEY_HASH;

const LIST_TCP = 0;
const LIST_TCP_CLOSED = 1;
const LIST_UDP = 2;
const LIST_ICMP = 3;
const LIST_COUNT = 4;

/**
 * Row stride in float64 units (the times view) and the time slots in a row. Microsecond times do
 * not fit V8's small integers: as fields of the record each would be a separately boxed number.
 * - T_LAST_SEEN: last packet time of any kind, for inactivity;
 * - T_LAST_TS: Zeek's last time (stops moving once both TCP sides have closed).
 * The time a flow was (re)queued at its list's tail (lazy LRU, see touch) is in `queuedAt`, by id:
 * only sweeps and eviction read it.
 */
const TIME_STRIDE = ROW_BYTES / 8;
const T_LAST_SEEN = 6;
const T_LAST_TS = 7;


/**
 * Mutable state of one live flow. Never escapes the table: emission turns it into a {@link Flow}
 * (which takes the strings and the application facts, never the record or its endpoints).
 *
 * Records are recycled (FlowTable.spare): a flow's state lives for seconds to minutes, long enough
 * to be copied by the young-generation GC and promoted, so allocating one per flow made the
 * collector copy every record (and its two endpoints and boxed numbers) twice. A recycled record
 * stays in the old generation and costs nothing to collect. {@link reset} must restore exactly the
 * initial values below.
 */
class FlowRecord implements TcpConnection {
  id = -1;
  uid = '';
  /** IANA protocol number. */
  proto = 0;
  v6 = false;
  /** Whether the originator is the key's first (canonical lower) endpoint. */
  origIsA = true;
  listId = 0;
  origH = '';
  respH = '';
  /** The addresses as numbers (Flow.origKey). */
  origKey = -1;
  respKey = -1;
  origP = 0;
  respP = 0;
  /** First packet time. The other times live in FlowTable.times (see there). */
  ts = 0;
  history = '';
  closeComplete = false;
  /** TCP endpoint state (unused by UDP and ICMP flows); recycled with the record. */
  readonly orig = new TcpEndpoint();
  readonly resp = new TcpEndpoint();
  origPkts = 0;
  respPkts = 0;
  origIpBytes = 0;
  respIpBytes = 0;
  /** Payload byte sums (UDP, ICMP; TCP uses sequence numbers). */
  origPayload = 0;
  respPayload = 0;
  /** UDP history bits: 1 = 'D' recorded, 2 = 'd' recorded. */
  udpHist = 0;
  synCount = 0;
  synAcked = false;
  /** Created from an ICMP error's quote: the refused packet itself was not captured. */
  fromIcmpQuote = false;
  icmpType = -1;
  icmpEcho = false;
  icmp: IcmpRefusal | null = null;
  file = '';
  /** Packets of this flow came from a later file than its first (a rotating capture): counted once. */
  acrossFiles = false;
  frame = 0;
  fileOffset = 0;
  sni: string | null = null;
  /** Host header of the first plain-HTTP request to the server itself (decode/http-proxy.ts). */
  httpHost: string | null = null;
  dns: { queries: { name: string; type: string }[]; rcode: number | null; answers: DnsRecord[] } | null = null;
  epmPorts: number[] | null = null;
  /** The first request to an HTTP proxy from the originator (method, target), and the last status that answered (0: none seen). */
  proxyMethod = '';
  proxyTarget: string | null = null;
  proxyStatus = 0;
  proxyStatusText = '';
  service = '';

  /** Back to the state of a new record (same values as the field initialisers). */
  reset(): void {
    this.id = -1;
    this.uid = '';
    this.proto = 0;
    this.v6 = false;
    this.origIsA = true;
    this.listId = 0;
    this.origH = '';
    this.respH = '';
    this.origKey = -1;
    this.respKey = -1;
    this.origP = 0;
    this.respP = 0;
    this.ts = 0;
    this.history = '';
    this.closeComplete = false;
    this.orig.reset();
    this.resp.reset();
    this.origPkts = 0;
    this.respPkts = 0;
    this.origIpBytes = 0;
    this.respIpBytes = 0;
    this.origPayload = 0;
    this.respPayload = 0;
    this.udpHist = 0;
    this.synCount = 0;
    this.synAcked = false;
    this.fromIcmpQuote = false;
    this.icmpType = -1;
    this.icmpEcho = false;
    this.icmp = null;
    this.file = '';
    this.frame = 0;
    this.fileOffset = 0;
    this.sni = null;
    this.httpHost = null;
    this.dns = null;
    this.epmPorts = null;
    this.proxyMethod = '';
    this.proxyTarget = null;
    this.proxyStatus = 0;
    this.proxyStatusText = '';
    this.service = '';
  }
}

/** An interned IPv6 address text and the words it was made from. */
interface V6Text {
  w0: number;
  w1: number;
  w2: number;
  w3: number;
  text: string;
  next: V6Text | undefined;
}

/** Options of a {@link FlowTable}. */
export interface FlowTableOptions {
  /** Receives each flow once it ends (timeout, close, port reuse, eviction or {@link FlowTable.flush}). */
  onFlow: (f: Flow) => void;
  diag: DiagnosticSink;
  /** Inactivity timeouts in microseconds; defaults are Zeek's (TCP 5 min, UDP and ICMP 1 min). */
  timeouts?: Partial<FlowTimeouts>;
  /** Hard cap on live flows (default {@link DEFAULT_MAX_FLOWS}); the oldest idle flow is evicted. */
  maxFlows?: number;
  /**
   * Flows still open at the end (or at a jump back in time) are emitted ordered by start time,
   * then uid (the default): what a listing of flows shows. False for a reader whose result does
   * not depend on the order flows come in (a summary): sorting the tens of thousands of flows open
   * at the end of a large capture is then saved.
   */
  orderedFlush?: boolean;
  /**
   * Told, as each flow starts, how many flows are open: each of them will reach `onFlow` (a summary
   * makes room for them, see FlowSummary.reserveFor). Called with every new flow, not only now and
   * then: a callback V8 sees run rarely has no type feedback, and each call of it from optimised
   * code threw that code away (up to 25 times in a run, when it was called once a second).
   */
  onOpenFlows?: (open: number) => void;
}

/**
 * Assembles packets into bidirectional flows and hands each finished flow to `onFlow`.
 * Call {@link setFile} before each input's packets, {@link addPacket} per decoded packet (the packet
 * object may be reused afterwards: nothing keeps a reference to it), and {@link flush} at the end.
 */
export class FlowTable {
  private readonly onFlow: (f: Flow) => void;
  private diag: DiagnosticSink;
  private readonly orderedFlush: boolean;
  private readonly onOpenFlows: ((open: number) => void) | undefined;
  private readonly tcpTimeout: number;
  private readonly udpTimeout: number;
  private readonly icmpTimeout: number;
  private readonly maxTimeout: number;
  private readonly maxFlows: number;

  private capacity = 0;
  private recs: (FlowRecord | null)[] = [];
  /** Records of ended flows, reused by {@link create} (at most the peak number of live flows). */
  private readonly spare: FlowRecord[] = [];
  /** Flow rows (see ROW_BYTES), viewed as int32 (keys) and as float64 (times). */
  private keys = new Int32Array(0);
  /** Open-addressing table: pairs [hash, flow id + 1] (0 = empty), so a probe reads one cache line. */
  private slots = new Int32Array(0);
  private mask = 0;
  private freeIds = new Int32Array(0);
  private freeTop = 0;
  private live = 0;
  private times = new Float64Array(0);
  private queuedAt = new Float64Array(0);
  private prev = new Int32Array(0);
  private next = new Int32Array(0);
  private readonly heads = new Int32Array(LIST_COUNT).fill(-1);
  private readonly tails = new Int32Array(LIST_COUNT).fill(-1);

  /** Client and server pairs already named as seen one way only (see {@link noteOneWay}). */
  private readonly oneWayPairs = new Set<string>();
  /** Interned IPv4 address texts, see {@link addressText}. */
  private readonly v4Texts = new Map<number, string>();
  /** Interned IPv6 address texts, see {@link v6Text}. */
  private readonly v6Texts = new Map<number, V6Text>();
  private file = '';
  private fileSalt = 0;
  private created = 0;
  private now = -Infinity;
  /** Packet time from which addPacket calls sweep (see EARLY_SWEEP_CALLS). */
  private nextSweep = -Infinity;
  /** Packet time from which a sweep is due. */
  private dueSweep = -Infinity;
  private earlySweepCalls = EARLY_SWEEP_CALLS;

  // The current packet's key, as scalars (no allocation per packet).
  private k0 = 0;
  private k1 = 0;
  private k2 = 0;
  private k3 = 0;
  private k4 = 0;
  private k5 = 0;
  private k6 = 0;
  private k7 = 0;
  private kPorts = 0;
  private kMeta = 0;
  private kHash = 0;
  /** The packet's source is the key's second endpoint. */
  private kFlipped = false;
  private readonly keyScratch = new Int32Array(KEY_WORDS);
  /** Set by {@link addPacketWithKey}: the current key is already loaded. */
  private keyPreset = false;

  constructor(opts: FlowTableOptions) {
    this.onFlow = opts.onFlow;
    this.diag = opts.diag;
    this.orderedFlush = opts.orderedFlush !== false;
    this.onOpenFlows = opts.onOpenFlows;
    const t = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    this.tcpTimeout = t.tcpInactivity;
    this.udpTimeout = t.udpInactivity;
    this.icmpTimeout = t.icmpInactivity;
    this.maxTimeout = Math.max(t.tcpInactivity, t.udpInactivity, t.icmpInactivity, TCP_CLOSE_LINGER_MICROS);
    const maxFlows = opts.maxFlows ?? DEFAULT_MAX_FLOWS;
    if (!Number.isInteger(maxFlows) || maxFlows < 1) throw new RangeError(`maxFlows must be a positive integer, got ${maxFlows}`);
    this.maxFlows = maxFlows;
    this.grow(Math.min(INITIAL_CAPACITY, maxFlows));
  }

  /**
   * Names the evidence file for flows that start from now on (the path as the user gave it), and,
   * when given, the sink for what the table reports from now on (the next file of a rotating
   * capture has its own, see cli/capture-series.ts).
   */
  setFile(name: string, diag?: DiagnosticSink): void {
    this.file = name;
    this.fileSalt = hashString(name);
    if (diag) this.diag = diag;
  }

  /** The latest packet time seen, microseconds (-Infinity before the first packet). */
  get latestTime(): number {
    return this.now;
  }

  /** Number of flows currently held. */
  get liveFlows(): number {
    return this.live;
  }

  /**
   * Adds one decoded packet. Synchronous; reads `pkt` only during the call. Packets without an IP
   * layer or later IP fragments (no ports) are ignored here: the decoder has already counted them.
   */
  addPacket(pkt: PacketFields): void {
    if (pkt.ipVersion === 0 || pkt.laterFragment) return;
    const ts = pkt.tsMicros;
    if (ts > this.now) {
      this.now = ts;
      if (ts >= this.nextSweep) this.sweep();
    } else if (ts < this.now - this.maxTimeout) {
      // Time went back further than any timeout (inputs out of order): no flow can span the jump.
      this.diag.count('flow_time_went_back');
      this.emitAll();
      this.now = ts;
      this.dueSweep = ts + SWEEP_INTERVAL_MICROS;
      this.nextSweep = this.earlySweepCalls > 0 ? ts : this.dueSweep;
    }
    const proto = pkt.proto;
    if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) this.addPortPacket(pkt);
    else if (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) this.addIcmpPacket(pkt);
    else this.diag.count('flow_packets_other_protocol');
  }

  /**
   * {@link addPacket} for a packet whose key another thread already computed: `key[at ..]` holds
   * `canonicalKey(key, at, …the packet's addresses and ports…, false)` (see flows/packet-batch.ts).
   * Only TCP and UDP packets with ports use it; any other packet goes through addPacket.
   */
  addPacketWithKey(pkt: PacketFields, key: Int32Array, at: number): void {
    if ((pkt.proto !== IPPROTO_TCP && pkt.proto !== IPPROTO_UDP) || pkt.ipVersion === 0 || pkt.laterFragment) {
      this.addPacket(pkt);
      return;
    }
    this.loadKey(key, at);
    this.keyPreset = true;
    this.addPacket(pkt);
  }

  /** Emits every remaining flow, ordered by start time then uid (see FlowTableOptions.orderedFlush). Call once at the end of input. */
  flush(): void {
    this.emitAll();
  }

  // ---------------------------------------------------------------- packets

  private addPortPacket(pkt: PacketFields): void {
    const v6 = pkt.ipVersion === 6;
    const proto = pkt.proto;
    if (this.keyPreset) this.keyPreset = false;
    else this.setKey(v6, pkt.src, pkt.dst, pkt.srcV4, pkt.dstV4, pkt.srcPort, pkt.dstPort, proto, false);
    let id = this.find();
    let rec: FlowRecord | null = null;
    let isOrig = true;
    if (id >= 0) {
      rec = this.recs[id]!;
      isOrig = !this.kFlipped === rec.origIsA;
      if (this.mustSplit(rec, pkt, isOrig)) {
        this.emit(rec);
        rec = null;
      } else if (rec.file !== this.file && !rec.acrossFiles) {
        // A connection of a rotating capture that goes on in the next file (see setFile).
        rec.acrossFiles = true;
        this.diag.count('flows_across_files');
      }
    }
    if (rec === null) {
      // Who is the originator? A SYN's sender; the receiver of a SYN-ACK seen first; otherwise the
      // sender, unless Zeek's likely-server-port heuristic says the first packet was a reply.
      let flip = false;
      const sport = pkt.srcPort;
      const dport = pkt.dstPort;
      if (proto === IPPROTO_TCP) {
        const syn = (pkt.tcpFlags & TCP_SYN) !== 0;
        const ack = (pkt.tcpFlags & TCP_ACK) !== 0;
        if (syn) flip = ack;
        else if (isLikelyServerPort(sport)) flip = !isLikelyServerPort(dport) || sport < dport;
      } else {
        flip = isLikelyServerPort(sport) && !isLikelyServerPort(dport);
      }
      rec = this.create(pkt.tsMicros, pkt.frame, pkt.fileOffset);
      rec.proto = proto;
      rec.v6 = v6;
      rec.origIsA = !this.kFlipped !== flip;
      if (flip) {
        this.setAddresses(rec, v6, pkt.dst, pkt.dstV4, pkt.src, pkt.srcV4);
        rec.origP = dport;
        rec.respP = sport;
        rec.history = '^';
      } else {
        this.setAddresses(rec, v6, pkt.src, pkt.srcV4, pkt.dst, pkt.dstV4);
        rec.origP = sport;
        rec.respP = dport;
      }
      if (proto === IPPROTO_TCP) {
        this.link(rec.id, LIST_TCP);
      } else {
        this.link(rec.id, LIST_UDP);
      }
      isOrig = !flip;
    } else {
      this.touch(rec, pkt.tsMicros);
    }

    const ts = pkt.tsMicros;
    if (isOrig) {
      rec.origPkts++;
      rec.origIpBytes += pkt.ipLen;
    } else {
      rec.respPkts++;
      rec.respIpBytes += pkt.ipLen;
    }

    if (proto === IPPROTO_TCP) {
      const flags = pkt.tcpFlags;
      const syn = (flags & TCP_SYN) !== 0;
      const ack = (flags & TCP_ACK) !== 0;
      if (syn) {
        if (isOrig && !ack && !rec.synAcked) rec.synCount++;
        else if (!isOrig && ack) rec.synAcked = true;
      }
      const wasClosed = rec.closeComplete;
      if (processTcpPacket(rec, isOrig, pkt) && ts > this.times[rec.id * TIME_STRIDE + T_LAST_TS]) {
        this.times[rec.id * TIME_STRIDE + T_LAST_TS] = ts;
      }
      if (!wasClosed && rec.closeComplete) {
        this.queuedAt[rec.id] = this.times[rec.id * TIME_STRIDE + T_LAST_SEEN];
        this.relink(rec, LIST_TCP_CLOSED);
      }
    } else {
      if (ts > this.times[rec.id * TIME_STRIDE + T_LAST_TS]) this.times[rec.id * TIME_STRIDE + T_LAST_TS] = ts;
      if (isOrig) {
        rec.origPayload += pkt.payloadLen;
        if ((rec.udpHist & 1) === 0) {
          rec.udpHist |= 1;
          rec.history += 'D';
        }
      } else {
        rec.respPayload += pkt.payloadLen;
        if ((rec.udpHist & 2) === 0) {
          rec.udpHist |= 2;
          rec.history += 'd';
        }
      }
    }

    if (pkt.dns !== null) this.addDns(rec, pkt.dns);
    if (pkt.sni !== null && rec.sni === null) {
      rec.sni = pkt.sni;
      this.addService(rec, 'ssl');
    }
    if (pkt.epmPorts !== null) this.addEpm(rec, pkt.epmPorts);
    if (pkt.http !== null) this.addHttp(rec, pkt.http, isOrig);
  }

  /** True when this packet must start a new flow instead of joining `rec`. */
  private mustSplit(rec: FlowRecord, pkt: PacketFields, isOrig: boolean): boolean {
    const ts = pkt.tsMicros;
    if (ts - this.times[rec.id * TIME_STRIDE + T_LAST_SEEN] > this.timeoutOf(rec)) return true;
    if (rec.proto !== IPPROTO_TCP) return false;
    if (rec.closeComplete && ts - this.times[rec.id * TIME_STRIDE + T_LAST_TS] > TCP_CLOSE_LINGER_MICROS) return true;
    const flags = pkt.tcpFlags;
    if ((flags & (TCP_SYN | TCP_ACK)) !== TCP_SYN) return false;
    // Port reuse: a fresh SYN after a close or reset. A retransmitted SYN (same ISN) is the same attempt.
    const os = rec.orig.state;
    const rs = rec.resp.state;
    const closedOrReset = os === TCP_CLOSED || os === TCP_RESET || rs === TCP_CLOSED || rs === TCP_RESET;
    if (!closedOrReset) return false;
    if (isOrig && rec.orig.state !== TCP_INACTIVE && (pkt.tcpSeq | 0) === rec.orig.startSeq /* int32 pattern, see TcpEndpoint */) return false;
    return true;
  }

  private addIcmpPacket(pkt: PacketFields): void {
    const v6 = pkt.ipVersion === 6;
    const type = pkt.icmpType;
    const q = pkt.quoted;
    if (
      q !== null &&
      isDestUnreachable(v6, type) &&
      (q.proto === IPPROTO_TCP || q.proto === IPPROTO_UDP) &&
      q.srcPort >= 0 &&
      q.dstPort >= 0
    ) {
      this.addUnreachable(pkt);
      return;
    }
    const counterpart = icmpCounterpart(v6, type);
    const oneWay = counterpart < 0;
    const respP = oneWay ? pkt.icmpCode : counterpart;
    this.setKey(v6, pkt.src, pkt.dst, pkt.srcV4, pkt.dstV4, type, respP, pkt.proto, oneWay);
    let id = this.find();
    let rec: FlowRecord | null = null;
    let isOrig = true;
    if (id >= 0) {
      rec = this.recs[id]!;
      isOrig = !this.kFlipped === rec.origIsA;
      if (pkt.tsMicros - this.times[rec.id * TIME_STRIDE + T_LAST_SEEN] > this.icmpTimeout) {
        this.emit(rec);
        rec = null;
      }
    }
    if (rec === null) {
      rec = this.create(pkt.tsMicros, pkt.frame, pkt.fileOffset);
      rec.proto = pkt.proto;
      rec.v6 = v6;
      rec.origIsA = !this.kFlipped;
      this.setAddresses(rec, v6, pkt.src, pkt.srcV4, pkt.dst, pkt.dstV4);
      rec.origP = type;
      rec.respP = respP;
      rec.icmpType = type;
      rec.icmpEcho = isIcmpEchoRequest(v6, type);
      this.link(rec.id, LIST_ICMP);
      isOrig = true;
    } else {
      this.touch(rec, pkt.tsMicros);
    }
    if (pkt.tsMicros > this.times[rec.id * TIME_STRIDE + T_LAST_TS]) this.times[rec.id * TIME_STRIDE + T_LAST_TS] = pkt.tsMicros;
    if (isOrig) {
      rec.origPkts++;
      rec.origIpBytes += pkt.ipLen;
      rec.origPayload += pkt.payloadLen;
    } else {
      rec.respPkts++;
      rec.respIpBytes += pkt.ipLen;
      rec.respPayload += pkt.payloadLen;
    }
  }

  /** An ICMP destination unreachable: attach it to the flow its quote names (or make that flow). */
  private addUnreachable(pkt: PacketFields): void {
    const q = pkt.quoted!;
    const v6 = q.ipVersion === 6;
    const srcV4 = v6 ? 0 : ((q.src[0] << 24) | (q.src[1] << 16) | (q.src[2] << 8) | q.src[3]) >>> 0;
    const dstV4 = v6 ? 0 : ((q.dst[0] << 24) | (q.dst[1] << 16) | (q.dst[2] << 8) | q.dst[3]) >>> 0;
    this.setKey(v6, q.src, q.dst, srcV4, dstV4, q.srcPort, q.dstPort, q.proto, false);
    const id = this.find();
    let rec: FlowRecord | null = null;
    if (id >= 0) {
      rec = this.recs[id]!;
      if (pkt.tsMicros - this.times[rec.id * TIME_STRIDE + T_LAST_SEEN] > this.timeoutOf(rec)) {
        this.emit(rec);
        rec = null;
      } else if (this.kFlipped === rec.origIsA && isPortUnreachable(pkt.ipVersion === 6, pkt.icmpType, pkt.icmpCode)) {
        // The quote is a packet the responder sent: its answer, to a port no longer open (a DNS
        // answer arriving after the client stopped waiting). The request was answered; the error
        // says nothing against it. Other errors about an answer (a client firewall's prohibition)
        // are kept with the flow, as before.
        this.diag.count('icmp_errors_about_answers');
        return;
      } else {
        this.touch(rec, pkt.tsMicros);
      }
    }
    const family = pkt.ipVersion === 6 ? 'icmp6' : 'icmp';
    if (rec === null) {
      // The refused packet was not captured (capture filter, asymmetric routing): the quote still
      // names the flow, with the quoted source as its originator.
      rec = this.create(pkt.tsMicros, pkt.frame, pkt.fileOffset);
      rec.proto = q.proto;
      rec.v6 = v6;
      rec.origIsA = !this.kFlipped;
      this.setAddresses(rec, v6, q.src, srcV4, q.dst, dstV4);
      rec.origP = q.srcPort;
      rec.respP = q.dstPort;
      this.times[rec.id * TIME_STRIDE + T_LAST_TS] = pkt.tsMicros;
      rec.fromIcmpQuote = true;
      if (q.proto === IPPROTO_TCP) {
        this.link(rec.id, LIST_TCP);
      } else {
        this.link(rec.id, LIST_UDP);
      }
      this.diag.count('flow_icmp_error_unmatched');
      this.diag.report(
        'flow_icmp_error_unmatched',
        { file: this.file, offset: pkt.fileOffset, index: pkt.frame },
        `${family === 'icmp6' ? 'ICMPv6' : 'ICMP'} ${pkt.icmpType}/${pkt.icmpCode} refuses ${q.proto === IPPROTO_TCP ? 'tcp' : 'udp'} ` +
          `${rec.origH}:${rec.origP} → ${rec.respH}:${rec.respP}, a flow with no captured packet`,
      );
    }
    if (rec.icmp === null) {
      rec.icmp = {
        family,
        type: pkt.icmpType,
        code: pkt.icmpCode,
        codeName: icmpCodeName(family, pkt.icmpType, pkt.icmpCode),
        from: pkt.ipVersion === 6 ? formatIpv6(pkt.src, 0) : formatIpv4(pkt.src, 0),
        frame: pkt.frame,
      };
    }
  }

  /**
   * A new flow's originator and responder addresses (the bytes, and each IPv4 address as a 32-bit
   * number): their keys (Flow.origKey) and their texts, made once per flow.
   */
  private setAddresses(rec: FlowRecord, v6: boolean, orig: Uint8Array, origV4: number, resp: Uint8Array, respV4: number): void {
    rec.origKey = addressKey(v6, orig, origV4);
    rec.respKey = addressKey(v6, resp, respV4);
    rec.origH = this.addressText(v6, orig, rec.origKey);
    rec.respH = this.addressText(v6, resp, rec.respKey);
  }

  /**
   * Canonical text of an address whose key (addressKey) is `key`. The texts are interned (bounded
   * cache): a server's address then is one string shared by all its flows, which saves the
   * formatting and makes the audit's maps keyed by address compare by identity instead of by content.
   */
  private addressText(v6: boolean, bytes: Uint8Array, key: number): string {
    if (v6) return this.v6Text(bytes, key);
    let text = this.v4Texts.get(key);
    if (text === undefined) {
      if (this.v4Texts.size >= MAX_INTERNED_ADDRESSES) this.v4Texts.clear();
      text = formatIpv4(bytes, 0);
      this.v4Texts.set(key, text);
    }
    return text;
  }

  // ---------------------------------------------------------------- application facts

  /**
   * Interned IPv6 address texts, like {@link v4Texts}: formatting an IPv6 address (zero-run
   * compression) costs about ten times a lookup, and a busy host starts thousands of flows. Keyed by
   * the address's key (a hash of its words, ipv6AddressKey), each entry checks its words (a chain
   * handles collisions).
   */
  private v6Text(bytes: Uint8Array, key: number): string {
    const w0 = addressWord(bytes, 0);
    const w1 = addressWord(bytes, 4);
    const w2 = addressWord(bytes, 8);
    const w3 = addressWord(bytes, 12);
    let head = this.v6Texts.get(key);
    for (let e = head; e !== undefined; e = e.next) {
      if (e.w0 === w0 && e.w1 === w1 && e.w2 === w2 && e.w3 === w3) return e.text;
    }
    if (this.v6Texts.size >= MAX_INTERNED_ADDRESSES) {
      this.v6Texts.clear();
      head = undefined;
    }
    const text = formatIpv6(bytes, 0);
    this.v6Texts.set(key, { w0, w1, w2, w3, text, next: head });
    return text;
  }

  private addService(rec: FlowRecord, name: string): void {
    if (rec.service === '') rec.service = name;
    else if (!rec.service.split(',').includes(name)) rec.service += `,${name}`;
  }

  private addDns(rec: FlowRecord, d: DnsSummary): void {
    let fd = rec.dns;
    if (fd === null) {
      fd = rec.dns = { queries: [], rcode: null, answers: [] };
      this.addService(rec, 'dns');
    }
    for (const q of d.questions) {
      if (fd.queries.length >= MAX_DNS_QUERIES_PER_FLOW) break;
      if (!fd.queries.some((x) => x.name === q.name && x.type === q.type)) fd.queries.push({ name: q.name, type: q.type });
    }
    if (!d.isResponse) return;
    if (fd.rcode === null) fd.rcode = d.rcode;
    for (const a of d.answers) {
      if (fd.answers.length >= MAX_DNS_ANSWERS_PER_FLOW) break;
      if (!fd.answers.some((x) => x.name === a.name && x.type === a.type && x.data === a.data)) {
        fd.answers.push({ name: a.name, type: a.type, data: a.data, ttl: a.ttl });
      }
    }
  }

  /**
   * The first request to a proxy from the originator, and the last status line from the responder
   * after it: a Windows client behind a proxy that wants NTLM or Negotiate sends the CONNECT again
   * with its credentials on the same connection, so `407` then `200` is one tunnel that opened.
   */
  private addHttp(rec: FlowRecord, http: HttpProxyFacts, isOrig: boolean): void {
    if (isOrig) {
      if (http.host !== undefined) {
        if (rec.httpHost === null && rec.proxyTarget === null) {
          rec.httpHost = http.host;
          this.addService(rec, 'http');
        }
      } else if (http.target !== null && rec.proxyTarget === null) {
        rec.proxyMethod = http.method;
        rec.proxyTarget = http.target;
        this.addService(rec, 'http');
      }
    } else if (http.target === null && rec.proxyTarget !== null) {
      rec.proxyStatus = http.status;
      rec.proxyStatusText = http.statusText;
    }
  }

  private addEpm(rec: FlowRecord, ports: number[]): void {
    let mine = rec.epmPorts;
    if (mine === null) {
      mine = rec.epmPorts = [];
      this.addService(rec, 'dce_rpc');
    }
    for (const p of ports) {
      if (mine.length >= MAX_EPM_PORTS_PER_FLOW) break;
      if (!mine.includes(p)) mine.push(p);
    }
  }

  // ---------------------------------------------------------------- emission

  private timeoutOf(rec: FlowRecord): number {
    return rec.proto === IPPROTO_TCP ? this.tcpTimeout : rec.proto === IPPROTO_UDP ? this.udpTimeout : this.icmpTimeout;
  }

  /** Emits flows idle past their timeout (closed TCP: past the close linger), at packet time `now`. */
  private sweep(): void {
    const now = this.now;
    if (this.earlySweepCalls > 0) this.earlySweepCalls--;
    if (now < this.dueSweep) {
      // An early call (EARLY_SWEEP_CALLS): nothing is due yet.
      this.nextSweep = this.earlySweepCalls > 0 ? now : this.dueSweep;
      return;
    }
    this.dueSweep = now + SWEEP_INTERVAL_MICROS;
    this.nextSweep = this.earlySweepCalls > 0 ? now : this.dueSweep;
    for (let list = 0; list < LIST_COUNT; list++) {
      const timeout =
        list === LIST_TCP ? this.tcpTimeout : list === LIST_TCP_CLOSED ? TCP_CLOSE_LINGER_MICROS : list === LIST_UDP ? this.udpTimeout : this.icmpTimeout;
      for (let id = this.heads[list]; id >= 0; id = this.heads[list]) {
        const rec = this.recs[id]!;
        if (now - this.queuedAt[rec.id] <= timeout) break;
        if (now - this.times[rec.id * TIME_STRIDE + T_LAST_SEEN] <= timeout) this.requeue(rec);
        else this.emit(rec);
      }
    }
  }

  private emitAll(): void {
    const all: FlowRecord[] = [];
    for (const r of this.recs) if (r !== null) all.push(r);
    if (this.orderedFlush) all.sort((a, b) => a.ts - b.ts || (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
    for (const r of all) this.emit(r);
  }

  private emit(rec: FlowRecord): void {
    this.remove(rec);
    this.onFlow(this.toFlow(rec));
  }

  private toFlow(rec: FlowRecord): Flow {
    const proto = rec.proto === IPPROTO_TCP ? 'tcp' : rec.proto === IPPROTO_UDP ? 'udp' : 'icmp';
    const noPackets = rec.origPkts === 0 && rec.respPkts === 0;
    let connState: ConnState;
    let origBytes: number;
    let respBytes: number;
    if (proto === 'tcp') {
      connState = rec.fromIcmpQuote && noPackets ? 'S0' : tcpConnState(rec);
      origBytes = rec.orig.size();
      respBytes = rec.resp.size();
    } else {
      if (proto === 'udp') {
        const o = rec.origPkts > 0;
        const r = rec.respPkts > 0;
        connState = o ? (r ? 'SF' : 'S0') : r ? 'SHR' : rec.fromIcmpQuote ? 'S0' : 'OTH';
      } else {
        connState = 'OTH';
      }
      origBytes = rec.origPayload;
      respBytes = rec.respPayload;
    }
    const decided = decideOutcome({
      proto,
      connState,
      synCount: rec.synCount,
      origPkts: rec.origPkts,
      respPkts: rec.respPkts,
      origBytes,
      respBytes,
      icmp: rec.icmp ?? undefined,
      icmpV6: rec.v6,
      icmpType: rec.icmpType,
      icmpEcho: rec.icmpEcho,
      history: rec.history,
    });
    let reason = decided.reason;
    if (rec.fromIcmpQuote && noPackets) reason += ' (the refused packet itself was not captured)';
    let outcome = decided.outcome;
    if (rec.proxyTarget !== null) {
      if (decided.outcome === 'completed' || (decided.outcome === 'unknown' && rec.proxyStatus === 0)) {
        // Through an explicit proxy, the flow that matters is the tunnel: the proxy's answer decides it.
        const proxied = proxyOutcome(rec.proxyMethod, rec.proxyTarget, rec.proxyStatus, rec.proxyStatusText);
        outcome = proxied.outcome;
        reason = proxied.reason;
      } else if (rec.proxyStatus === 0) {
        reason += `: ${rec.proxyMethod} ${rec.proxyTarget} to the proxy`;
      }
    }
    const flow: Flow = {
      uid: rec.uid,
      ts: rec.ts,
      duration: this.times[rec.id * TIME_STRIDE + T_LAST_TS] - rec.ts,
      proto,
      origH: rec.origH,
      origP: rec.origP,
      respH: rec.respH,
      respP: rec.respP,
      origKey: rec.origKey,
      respKey: rec.respKey,
      connState,
      history: rec.history,
      origPkts: rec.origPkts,
      origBytes,
      origIpBytes: rec.origIpBytes,
      respPkts: rec.respPkts,
      respBytes,
      respIpBytes: rec.respIpBytes,
      outcome,
      reason,
      observedBy: 'packets',
      evidence: { file: rec.file, frame: rec.frame },
      // Every optional field, present or not: flows of one shape keep the code that reads them
      // (the summary's fold, the writers) to one hidden class, where a shape per combination of
      // optional fields made it megamorphic and deoptimised it again and again (~3 % of a large
      // capture's CPU time). JSON leaves undefined fields out, as before.
      service: undefined,
      synCount: undefined,
      icmp: undefined,
      sni: undefined,
      httpHost: undefined,
      dns: undefined,
      epmPorts: undefined,
      proxy: undefined,
      log: undefined,
    };
    if (rec.service !== '') flow.service = rec.service;
    if (proto === 'tcp' && rec.synCount > 0) flow.synCount = rec.synCount;
    if (rec.icmp !== null) flow.icmp = rec.icmp;
    if (rec.sni !== null) flow.sni = rec.sni;
    if (rec.httpHost !== null) flow.httpHost = rec.httpHost;
    if (rec.dns !== null) flow.dns = rec.dns;
    if (rec.epmPorts !== null) flow.epmPorts = rec.epmPorts;
    if (rec.proxyTarget !== null) flow.proxy = { method: rec.proxyMethod, target: rec.proxyTarget, status: rec.proxyStatus };
    if (proto === 'tcp' && replyNotCaptured(flow)) this.noteOneWay(flow, rec.frame, rec.fileOffset);
    return flow;
  }

  /**
   * Counts a connection whose responder's packets the capture lacks though the originator's prove
   * they came (see replyNotCaptured), and names each client and server pair once: requests between
   * them that look unanswered may have been answered too (audit/build.ts hints so).
   */
  private noteOneWay(flow: Flow, frame: number, offset: number): void {
    this.diag.count('flows_one_way');
    const pair = `${flow.origH} ${flow.respH}`;
    if (this.oneWayPairs.has(pair) || this.oneWayPairs.size >= MAX_ONE_WAY_PAIRS) return;
    this.oneWayPairs.add(pair);
    this.diag.report(
      'flow_one_way',
      { file: flow.evidence.file, offset, index: frame },
      `no packet from ${flow.respH} to ${flow.origH} was captured, though ${flow.origH} acknowledged its answer on ${flow.proto} ${flow.respP}: ` +
        `the capture sees only one direction between them`,
      { client: flow.origH, server: flow.respH, transport: 'tcp', port: flow.respP },
    );
  }

  // ---------------------------------------------------------------- key and hash table

  private setKey(
    v6: boolean,
    src: Uint8Array,
    dst: Uint8Array,
    srcV4: number,
    dstV4: number,
    sport: number,
    dport: number,
    proto: number,
    oneWay: boolean,
  ): void {
    canonicalKey(this.keyScratch, 0, v6, src, dst, srcV4, dstV4, sport, dport, proto, oneWay);
    this.loadKey(this.keyScratch, 0);
  }

  /** Makes `w[at ..]` (as {@link canonicalKey} wrote it) the current packet's key. */
  private loadKey(w: Int32Array, at: number): void {
    this.k0 = w[at];
    this.k1 = w[at + 1];
    this.k2 = w[at + 2];
    this.k3 = w[at + 3];
    this.k4 = w[at + 4];
    this.k5 = w[at + 5];
    this.k6 = w[at + 6];
    this.k7 = w[at + 7];
    this.kPorts = w[at + KEY_PORTS];
    this.kMeta = w[at + KEY_META];
    this.kHash = w[at + KEY_HASH];
    this.kFlipped = w[at + KEY_FLIPPED] !== 0;
  }

  /** Looks up the current key; returns the flow id or -1. */
  private find(): number {
    const slots = this.slots;
    const keys = this.keys;
    const mask = this.mask;
    const h = this.kHash;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const s = slots[2 * i + 1];
      if (s === 0) return -1;
      if (slots[2 * i] !== h) continue;
      const k = (s - 1) * KEY_STRIDE;
      if (
        keys[k] === this.k0 &&
        keys[k + 4] === this.k4 &&
        keys[k + K_PORTS] === this.kPorts &&
        keys[k + K_META] === this.kMeta &&
        keys[k + 1] === this.k1 &&
        keys[k + 2] === this.k2 &&
        keys[k + 3] === this.k3 &&
        keys[k + 5] === this.k5 &&
        keys[k + 6] === this.k6 &&
        keys[k + 7] === this.k7
      ) {
        return s - 1;
      }
    }
  }

  /** Makes a new flow for the current key (evicting the oldest idle flow at the cap). */
  private create(ts: number, frame: number, fileOffset: number): FlowRecord {
    if (this.live >= this.capacity) {
      if (this.capacity < this.maxFlows) this.grow(Math.min(this.capacity * 2, this.maxFlows));
      else this.evictOldest();
    }
    const id = this.freeIds[--this.freeTop];
    const k = id * KEY_STRIDE;
    const keys = this.keys;
    keys[k] = this.k0;
    keys[k + 1] = this.k1;
    keys[k + 2] = this.k2;
    keys[k + 3] = this.k3;
    keys[k + 4] = this.k4;
    keys[k + 5] = this.k5;
    keys[k + 6] = this.k6;
    keys[k + 7] = this.k7;
    keys[k + K_PORTS] = this.kPorts;
    keys[k + K_META] = this.kMeta;
    keys[k + K_HASH] = this.kHash;
    this.insertSlot(id, this.kHash);
    let rec = this.spare.pop();
    if (rec === undefined) rec = new FlowRecord();
    else rec.reset();
    rec.id = id;
    rec.ts = ts;
    this.times[rec.id * TIME_STRIDE + T_LAST_TS] = ts;
    this.times[rec.id * TIME_STRIDE + T_LAST_SEEN] = ts;
    this.queuedAt[rec.id] = ts;
    rec.file = this.file;
    rec.acrossFiles = false;
    rec.frame = frame;
    rec.fileOffset = fileOffset;
    rec.uid = makeUid(++this.created, hashStep(hashStep(hashStep(this.kHash, this.fileSalt), ts | 0), Math.floor(ts / 4294967296)));
    this.recs[id] = rec;
    this.live++;
    if (this.onOpenFlows !== undefined) this.onOpenFlows(this.live);
    return rec;
  }

  /**
   * Evicts the least recently active flow. Lists are in queueing order and a flow is not moved on
   * every packet (see {@link touch}); a head that was active since it was queued gets a second
   * chance at the tail, so the flow evicted is the one idle longest (CLOCK-style approximation).
   */
  private evictOldest(): void {
    for (;;) {
      let best = -1;
      for (let list = 0; list < LIST_COUNT; list++) {
        const id = this.heads[list];
        if (id >= 0 && (best < 0 || this.queuedAt[id] < this.queuedAt[best])) best = id;
      }
      const rec = this.recs[best]!;
      if (this.times[rec.id * TIME_STRIDE + T_LAST_SEEN] > this.queuedAt[rec.id]) {
        this.requeue(rec);
        continue;
      }
      this.diag.count('flow_evicted');
      this.diag.report(
        'flow_evicted',
        { file: rec.file, offset: rec.fileOffset, index: rec.frame },
        `flow table full (${this.maxFlows} flows): emitted the oldest idle flow early`,
      );
      // The key of the flow being created lives in the k* fields; emitting does not touch them.
      this.emit(rec);
      return;
    }
  }

  private insertSlot(id: number, hash: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let i = hash & mask;
    while (slots[2 * i + 1] !== 0) i = (i + 1) & mask;
    slots[2 * i] = hash;
    slots[2 * i + 1] = id + 1;
  }

  private remove(rec: FlowRecord): void {
    const id = rec.id;
    this.unlink(id);
    const slots = this.slots;
    const mask = this.mask;
    let i = this.keys[id * KEY_STRIDE + K_HASH] & mask;
    while (slots[2 * i + 1] !== id + 1) i = (i + 1) & mask;
    // Backward-shift deletion keeps linear probing correct without tombstones.
    for (;;) {
      slots[2 * i] = 0;
      slots[2 * i + 1] = 0;
      let j = i;
      for (;;) {
        j = (j + 1) & mask;
        const s = slots[2 * j + 1];
        if (s === 0) {
          this.spare.push(this.recs[id]!);
          this.recs[id] = null;
          this.freeIds[this.freeTop++] = id;
          this.live--;
          return;
        }
        const home = slots[2 * j] & mask;
        const stays = i <= j ? i < home && home <= j : i < home || home <= j;
        if (!stays) {
          slots[2 * i] = slots[2 * j];
          slots[2 * i + 1] = s;
          i = j;
          break;
        }
      }
    }
  }

  private grow(newCapacity: number): void {
    const old = this.capacity;
    const rows = new ArrayBuffer(newCapacity * ROW_BYTES);
    new Uint8Array(rows).set(new Uint8Array(this.keys.buffer, 0, old * ROW_BYTES));
    const keys = new Int32Array(rows);
    const times = new Float64Array(rows);
    const queuedAt = new Float64Array(newCapacity);
    queuedAt.set(this.queuedAt);
    const prev = new Int32Array(newCapacity);
    prev.set(this.prev);
    const next = new Int32Array(newCapacity);
    next.set(this.next);
    const free = new Int32Array(newCapacity);
    // New ids are handed out lowest first (the stack's top is the lowest id).
    let top = 0;
    for (let id = newCapacity - 1; id >= old; id--) free[top++] = id;
    for (let k = 0; k < this.freeTop; k++) free[top++] = this.freeIds[k];
    this.keys = keys;
    this.times = times;
    this.queuedAt = queuedAt;
    this.prev = prev;
    this.next = next;
    this.freeIds = free;
    this.freeTop = top;
    for (let id = old; id < newCapacity; id++) this.recs.push(null);
    this.capacity = newCapacity;
    let size = 16;
    while (size < newCapacity * 2) size *= 2;
    this.slots = new Int32Array(size * 2);
    this.mask = size - 1;
    for (let id = 0; id < old; id++) if (this.recs[id] !== null) this.insertSlot(id, keys[id * KEY_STRIDE + K_HASH]);
  }

  // ---------------------------------------------------------------- LRU lists

  private link(id: number, list: number): void {
    const rec = this.recs[id]!;
    rec.listId = list;
    const tail = this.tails[list];
    this.prev[id] = tail;
    this.next[id] = -1;
    if (tail >= 0) this.next[tail] = id;
    else this.heads[list] = id;
    this.tails[list] = id;
  }

  private unlink(id: number): void {
    const list = this.recs[id]!.listId;
    const p = this.prev[id];
    const n = this.next[id];
    if (p >= 0) this.next[p] = n;
    else this.heads[list] = n;
    if (n >= 0) this.prev[n] = p;
    else this.tails[list] = p;
  }

  private relink(rec: FlowRecord, list: number): void {
    this.unlink(rec.id);
    this.link(rec.id, list);
  }

  /** Moves a flow that was active since it was queued to its list's tail. */
  private requeue(rec: FlowRecord): void {
    this.queuedAt[rec.id] = this.times[rec.id * TIME_STRIDE + T_LAST_SEEN];
    this.relink(rec, rec.listId);
  }

  /**
   * Marks activity. The flow is NOT moved in its list here (that would cost several random memory
   * writes per packet); sweeps and eviction requeue heads that turn out to be active (lazy LRU).
   * Inactivity itself is always judged exactly, from `lastSeen`, when the next packet arrives.
   */
  private touch(rec: FlowRecord, ts: number): void {
    if (ts > this.times[rec.id * TIME_STRIDE + T_LAST_SEEN]) this.times[rec.id * TIME_STRIDE + T_LAST_SEEN] = ts;
  }
}
