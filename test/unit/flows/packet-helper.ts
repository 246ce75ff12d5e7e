/**
 * Builds decoded Packet objects for flow-table tests, the way decodeFrame fills them: ONE reused
 * Packet object (so a table that kept a reference to it would fail the tests), addresses as bytes.
 */
import { DiagnosticSink } from '../../../src/common/diagnostics.js';
import { parseIp } from '../../../src/common/ip.js';
import {
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  Packet,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  type DnsSummary,
  type HttpProxyFacts,
  type QuotedHeader,
} from '../../../src/decode/types.js';
import { FlowTable, type FlowTableOptions } from '../../../src/flows/table.js';
import type { Flow } from '../../../src/flows/types.js';

export interface PacketSpec {
  /** Seconds (float) since the epoch. */
  t: number;
  src: string;
  dst: string;
  proto: 'tcp' | 'udp' | 'icmp';
  sport?: number;
  dport?: number;
  /** TCP flags as letters: S A F R P. */
  flags?: string;
  seq?: number;
  ack?: number;
  win?: number;
  /** Transport payload bytes. */
  len?: number;
  frame?: number;
  icmpType?: number;
  icmpCode?: number;
  quoted?: { src: string; dst: string; proto: 'tcp' | 'udp'; sport: number; dport: number };
  dns?: DnsSummary;
  sni?: string;
  epmPorts?: number[];
  http?: HttpProxyFacts;
}

const shared = new Packet();

function bytes16(addr: string): Uint8Array {
  const b = parseIp(addr);
  if (!b) throw new Error(`bad address ${addr}`);
  const out = new Uint8Array(16);
  out.set(b, 0);
  return out;
}

function v4num(addr: string): number {
  const b = parseIp(addr)!;
  return b.length === 4 ? ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0 : 0;
}

function flagBits(f: string): number {
  let bits = 0;
  for (const c of f) {
    if (c === 'S') bits |= TCP_SYN;
    else if (c === 'A') bits |= TCP_ACK;
    else if (c === 'F') bits |= TCP_FIN;
    else if (c === 'R') bits |= TCP_RST;
    else if (c === 'P') bits |= TCP_PSH;
  }
  return bits;
}

/** Fills the shared Packet from a spec, as decodeFrame would. */
export function fillPacket(s: PacketSpec): Packet {
  const p = shared;
  p.reset();
  const v6 = s.src.includes(':');
  p.tsMicros = Math.round(s.t * 1_000_000);
  p.frame = s.frame ?? 1;
  p.fileOffset = 24 + (p.frame - 1) * 100;
  p.ipVersion = v6 ? 6 : 4;
  p.src.set(bytes16(s.src));
  p.dst.set(bytes16(s.dst));
  p.srcV4 = v6 ? 0 : v4num(s.src);
  p.dstV4 = v6 ? 0 : v4num(s.dst);
  const len = s.len ?? 0;
  const ipHeader = v6 ? 40 : 20;
  if (s.proto === 'tcp') {
    p.proto = IPPROTO_TCP;
    p.srcPort = s.sport ?? 0;
    p.dstPort = s.dport ?? 0;
    p.tcpFlags = flagBits(s.flags ?? 'A');
    p.tcpSeq = (s.seq ?? 0) >>> 0;
    p.tcpAck = (s.ack ?? 0) >>> 0;
    p.tcpWindow = s.win ?? 64240;
    p.ipLen = ipHeader + 20 + len;
  } else if (s.proto === 'udp') {
    p.proto = IPPROTO_UDP;
    p.srcPort = s.sport ?? 0;
    p.dstPort = s.dport ?? 0;
    p.ipLen = ipHeader + 8 + len;
  } else {
    p.proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
    p.icmpType = s.icmpType ?? 8;
    p.icmpCode = s.icmpCode ?? 0;
    p.ipLen = ipHeader + 8 + len;
    if (s.quoted) {
      const q: QuotedHeader = {
        ipVersion: s.quoted.src.includes(':') ? 6 : 4,
        src: bytes16(s.quoted.src),
        dst: bytes16(s.quoted.dst),
        proto: s.quoted.proto === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP,
        srcPort: s.quoted.sport,
        dstPort: s.quoted.dport,
      };
      p.quoted = q;
    }
  }
  p.payloadLen = len;
  p.dns = s.dns ?? null;
  p.sni = s.sni ?? null;
  p.epmPorts = s.epmPorts ?? null;
  p.http = s.http ?? null;
  return p;
}

/** A flow table collecting its flows, plus the diagnostics sink. */
export function makeTable(opts: Partial<FlowTableOptions> = {}): { table: FlowTable; flows: Flow[]; diag: DiagnosticSink } {
  const flows: Flow[] = [];
  const diag = opts.diag ?? new DiagnosticSink();
  const table = new FlowTable({ onFlow: (f) => flows.push(f), diag, ...opts });
  table.setFile('test.pcap');
  return { table, flows, diag };
}

/** Runs specs through a fresh table (frames numbered 1..n unless given) and returns the flows. */
export function runPackets(specs: PacketSpec[], opts: Partial<FlowTableOptions> = {}) {
  const t = makeTable(opts);
  specs.forEach((s, i) => t.table.addPacket(fillPacket({ ...s, frame: s.frame ?? i + 1 })));
  t.table.flush();
  return t;
}

/**
 * A TCP conversation with automatic sequence numbers: `c` is the client side, `s` the server side.
 * Each call returns a spec and advances time by `step` seconds.
 */
export class TcpTalk {
  private t: number;
  private cSeq: number;
  private sSeq: number;
  readonly specs: PacketSpec[] = [];

  constructor(
    readonly client: string,
    readonly cport: number,
    readonly server: string,
    readonly sport: number,
    t0 = 1_700_000_000,
    readonly step = 0.01,
    cIsn = 1000,
    sIsn = 900_000,
  ) {
    this.t = t0;
    this.cSeq = cIsn;
    this.sSeq = sIsn;
  }

  /** Advances the clock by `sec` seconds. */
  wait(sec: number): this {
    this.t += sec;
    return this;
  }

  /** Starts a new connection attempt with a new ISN (port reuse). */
  newIsn(isn: number): this {
    this.cSeq = isn;
    return this;
  }

  private push(fromClient: boolean, flags: string, len = 0, opts: Partial<PacketSpec> = {}): this {
    const seq = fromClient ? this.cSeq : this.sSeq;
    const ack = fromClient ? this.sSeq : this.cSeq;
    this.specs.push({
      t: this.t,
      src: fromClient ? this.client : this.server,
      dst: fromClient ? this.server : this.client,
      sport: fromClient ? this.cport : this.sport,
      dport: fromClient ? this.sport : this.cport,
      proto: 'tcp',
      flags,
      seq,
      ack: flags.includes('A') ? ack : 0,
      len,
      ...opts,
    });
    let adv = len;
    if (flags.includes('S')) adv++;
    if (flags.includes('F')) adv++;
    if (flags.includes('R')) adv = 0;
    if (fromClient) this.cSeq += adv;
    else this.sSeq += adv;
    this.t += this.step;
    return this;
  }

  /** Client SYN; `retransmit` resends it with the same ISN. */
  syn(): this {
    return this.push(true, 'S');
  }
  synRetransmit(): this {
    this.cSeq -= 1;
    return this.push(true, 'S');
  }
  synAck(): this {
    return this.push(false, 'SA');
  }
  ack(side: 'c' | 's' = 'c'): this {
    return this.push(side === 'c', 'A');
  }
  data(side: 'c' | 's', len: number, opts: Partial<PacketSpec> = {}): this {
    return this.push(side === 'c', 'PA', len, opts);
  }
  fin(side: 'c' | 's'): this {
    return this.push(side === 'c', 'FA');
  }
  rst(side: 'c' | 's', withAck = true): this {
    return this.push(side === 'c', withAck ? 'RA' : 'R');
  }
  /** A full handshake. */
  handshake(): this {
    return this.syn().synAck().ack('c');
  }
}
