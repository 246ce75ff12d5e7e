import {
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  TCP_SYN_OPTIONS,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  concat,
  dnsQuery,
  dnsResponse,
  epmMapResponse,
  ethernet,
  icmp6Unreachable,
  icmpUnreachable,
  ipv4,
  ipv6,
  tcp,
  tlsClientHello,
  udp,
  type DnsAnswerSpec,
} from '../support/packet-builder.js';
import type { DnsLookup, Exchange, RpcExchange, Scenario, TcpExchange, UdpExchange } from './model.js';

/** One packet of a compiled scenario: capture time and the Ethernet frame. */
export interface ScenarioPacket {
  tsMicros: number;
  data: Uint8Array;
}

/**
 * A transport-level record of what a scenario did, independent of packets: the flow-log fixtures
 * (Windows Firewall, NSG) are written from these, so captures and logs tell the same story.
 */
export interface ScenarioFlow {
  tsMicros: number;
  endMicros: number;
  proto: 'tcp' | 'udp';
  src: string;
  dst: string;
  sport: number;
  dport: number;
  /** Packets and bytes (IP) each way, as a flow log would count them. */
  pktsOut: number;
  bytesOut: number;
  pktsBack: number;
  bytesBack: number;
  fault: NonNullable<TcpExchange['fault']>;
}

const LAN_RTT = 400; // µs between a request and its answer on the LAN
const WAN_RTT = 12_000; // µs to the cloud
const MSS = 1448;

/**
 * A browser's ClientHello extensions before server_name (Chrome and Edge shuffle their order):
 * supported_groups with X25519MLKEM768 (0x11ec), and a key share of 1,216 + 32 bytes for it and
 * X25519, which makes the hello larger than one segment.
 */
const BROWSER_HELLO = {
  before: [
    { type: 0x000a, data: Uint8Array.of(0, 6, 0x11, 0xec, 0, 0x1d, 0, 0x17) },
    { type: 0x0033, data: keyShare() },
  ],
};

function keyShare(): Uint8Array {
  const entries = [
    [0x11ec, 1216],
    [0x001d, 32],
  ];
  const len = entries.reduce((n, [, k]) => n + 4 + k, 0);
  const out = new Uint8Array(2 + len);
  out[0] = len >> 8;
  out[1] = len & 0xff;
  let p = 2;
  for (const [group, k] of entries) {
    out.set([group >> 8, group & 0xff, k >> 8, k & 0xff], p);
    out.fill(0x5a, p + 4, p + 4 + k);
    p += 4 + k;
  }
  return out;
}

/** Deterministic MAC for an address: 02:00 + the IPv4 bytes (locally administered). */
function macOf(ip: string): string {
  if (ip.includes(':')) {
    // IPv6: a locally administered MAC from a hash of the text (FNV-1a), one per address.
    let h = 0x811c9dc5;
    for (let i = 0; i < ip.length; i++) h = Math.imul(h ^ ip.charCodeAt(i), 0x01000193) >>> 0;
    return ['02', '06', ...[24, 16, 8, 0].map((b) => ((h >>> b) & 0xff).toString(16).padStart(2, '0'))].join(':');
  }
  return ['02', '00', ...ip.split('.').map((n) => Number(n).toString(16).padStart(2, '0'))].join(':');
}

/** On the LAN (a Windows host's TTL of 128 arrives whole): private IPv4, and IPv6 of the scenario's own 2001:db8::/32. */
function isLan(ip: string): boolean {
  return /^(10\.|172\.(1[6-9]|2\d|3[01])\.|192\.168\.|2001:db8:)/i.test(ip);
}

function asciiBytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** A repeatable byte pattern for payloads (content does not matter, sizes do). */
function filler(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

class Compiler {
  readonly packets: ScenarioPacket[] = [];
  readonly flows: ScenarioFlow[] = [];
  private nextPort = 50_100;
  private nextIpId = 0x1000;
  private isnSeed = 0x1f2e3d4c;
  private dnsId = 0x3a00;

  constructor(
    private readonly s: Scenario,
    private readonly t0: number,
  ) {}

  ip(key: string): string {
    const h = this.s.hosts[key];
    if (!h) throw new Error(`scenario ${this.s.name}: unknown host ${key}`);
    return h.ip;
  }

  private ephemeral(): number {
    return this.nextPort++;
  }

  private isn(): number {
    this.isnSeed = (Math.imul(this.isnSeed, 1664525) + 1013904223) >>> 0;
    return this.isnSeed;
  }

  /** Emits one IP packet (IPv6 between IPv6 hosts) in an Ethernet frame. */
  private emit(ts: number, src: string, dst: string, proto: number, l4: Uint8Array): number {
    const hops = isLan(src) ? 128 : 116;
    const packet = src.includes(':')
      ? ipv6({ src, dst, nextHeader: proto, hopLimit: hops }, l4)
      : ipv4({ src, dst, proto, id: this.nextIpId++ & 0xffff, ttl: hops }, l4);
    this.packets.push({ tsMicros: Math.round(ts), data: ethernet({ src: macOf(src), dst: macOf(dst) }, packet) });
    return packet.length;
  }

  /**
   * The ICMP error `from` sends back to `to` for the packet it refused (`proto`, `l4` from `to` to
   * `dst`): administratively prohibited or port unreachable, ICMPv6 between IPv6 hosts.
   */
  private emitRefusal(ts: number, from: string, to: string, dst: string, proto: number, l4: Uint8Array, fault: 'icmp-admin' | 'icmp-port'): void {
    if (to.includes(':')) {
      const quoted = ipv6({ src: to, dst, nextHeader: proto, hopLimit: 128 }, l4);
      this.emit(ts, from, to, IPPROTO_ICMPV6, icmp6Unreachable(fault === 'icmp-admin' ? 1 : 4, quoted));
    } else {
      const quoted = ipv4({ src: to, dst, proto, id: this.nextIpId - 1 }, l4);
      this.emit(ts, from, to, IPPROTO_ICMP, icmpUnreachable(fault === 'icmp-admin' ? 13 : 3, quoted));
    }
  }

  /** Emits a TCP segment; returns the IP length. */
  private seg(ts: number, src: string, dst: string, sport: number, dport: number, seq: number, ack: number, flags: number, payload?: Uint8Array): number {
    return this.emit(ts, src, dst, IPPROTO_TCP, tcp({ sport, dport, seq: seq >>> 0, ack: ack >>> 0, flags, options: flags & TCP_SYN ? TCP_SYN_OPTIONS : undefined }, payload));
  }

  tcpExchange(e: TcpExchange, payloads?: { first?: Uint8Array; reply?: Uint8Array }): void {
    const src = this.ip(e.from);
    const dst = this.ip(e.to);
    const sport = this.ephemeral();
    const rtt = isLan(dst) ? LAN_RTT : WAN_RTT;
    let t = this.t0 + e.at * 1e6;
    const start = t;
    const fault = e.fault ?? 'none';
    let cseq = this.isn();
    let sseq = this.isn();
    const flow: ScenarioFlow = { tsMicros: start, endMicros: start, proto: 'tcp', src, dst, sport, dport: e.port, pktsOut: 0, bytesOut: 0, pktsBack: 0, bytesBack: 0, fault };
    const out = (len: number) => {
      flow.pktsOut++;
      flow.bytesOut += len;
      flow.endMicros = t;
    };
    const back = (len: number) => {
      flow.pktsBack++;
      flow.bytesBack += len;
      flow.endMicros = t;
    };

    if (fault === 'drop' || fault === 'icmp-admin' || fault === 'icmp-port') {
      const tries = e.synTries ?? (fault === 'drop' ? 3 : 2);
      let backoff = 1_000_000; // Windows: initial RTO 1 s, doubling
      for (let i = 0; i < tries; i++) {
        out(this.seg(t, src, dst, sport, e.port, cseq, 0, TCP_SYN));
        if (fault !== 'drop') {
          const from = fault === 'icmp-admin' ? this.ip(e.via ?? e.to) : dst;
          this.emitRefusal(t + rtt / 2, from, src, dst, IPPROTO_TCP, tcp({ sport, dport: e.port, seq: cseq, flags: TCP_SYN, options: TCP_SYN_OPTIONS }), fault);
        }
        t += backoff;
        backoff *= 2;
      }
      this.flows.push(flow);
      return;
    }
    // three-way handshake
    out(this.seg(t, src, dst, sport, e.port, cseq, 0, TCP_SYN));
    cseq++;
    t += rtt / 2;
    if (fault === 'reset') {
      back(this.seg(t, dst, src, e.port, sport, 0, cseq, TCP_RST | TCP_ACK));
      this.flows.push(flow);
      return;
    }
    back(this.seg(t, dst, src, e.port, sport, sseq, cseq, TCP_SYN | TCP_ACK));
    sseq++;
    t += rtt / 2;
    out(this.seg(t, src, dst, sport, e.port, cseq, sseq, TCP_ACK));

    const [upBytes, downBytes] = e.bytes ?? [300, 600];
    const [status, statusText] = e.proxyStatus ?? [200, 'Connection established'];
    if (e.connect && !payloads) {
      payloads = {
        first: asciiBytes(`CONNECT ${e.connect} HTTP/1.1\r\nHost: ${e.connect}\r\nUser-Agent: Microsoft Azure AD Connect\r\n\r\n`),
        reply: asciiBytes(`HTTP/1.1 ${status} ${statusText}\r\nContent-Length: 0\r\n\r\n`),
      };
    } else if (e.fetch && !payloads) {
      const host = new URL(e.fetch).host;
      payloads = {
        first: asciiBytes(`GET ${e.fetch} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: Microsoft-CryptoAPI/10.0\r\n\r\n`),
        reply: asciiBytes(`HTTP/1.1 ${e.proxyStatus ? `${status} ${statusText}` : '200 OK'}\r\nContent-Type: application/pkix-crl\r\n\r\n`),
      };
    }
    const first = payloads?.first ?? (e.sni ? tlsClientHello(e.sni, e.browser ? BROWSER_HELLO : {}) : filler(Math.min(upBytes, MSS), e.port));
    t += 200;
    // A first payload larger than a segment goes in several, as a TCP stack sends it.
    for (let at = 0; at < first.length; at += MSS) {
      const part = first.subarray(at, Math.min(first.length, at + MSS));
      if (at > 0) t += 1;
      out(this.seg(t, src, dst, sport, e.port, cseq, sseq, TCP_ACK | (at + MSS >= first.length ? TCP_PSH : 0), part));
      cseq += part.length;
    }
    if (fault === 'reset-after-hello') {
      t += rtt / 2;
      back(this.seg(t, dst, src, e.port, sport, sseq, cseq, TCP_RST | TCP_ACK));
      this.flows.push(flow);
      return;
    }
    if (fault === 'drop-after-hello') {
      // Nothing acknowledges the hello: Windows resends it (RTO 300 ms, doubling), then gives up.
      const start = cseq - first.length;
      let rto = 300_000;
      for (let i = 0; i < 2; i++) {
        t += rto;
        rto *= 2;
        for (let at = 0; at < first.length; at += MSS) {
          const part = first.subarray(at, Math.min(first.length, at + MSS));
          out(this.seg(t, src, dst, sport, e.port, start + at, sseq, TCP_ACK | (at + MSS >= first.length ? TCP_PSH : 0), part));
        }
      }
      t += 2 * rto;
      out(this.seg(t, src, dst, sport, e.port, cseq, sseq, TCP_RST | TCP_ACK));
      this.flows.push(flow);
      return;
    }
    // the reply, then the rest of the data each way
    const reply = payloads?.reply ?? filler(Math.min(downBytes, MSS), e.port + 1);
    t += rtt / 2;
    back(this.seg(t, dst, src, e.port, sport, sseq, cseq, TCP_ACK | TCP_PSH, reply));
    sseq += reply.length;
    let up = Math.max(0, upBytes - first.length);
    let down = Math.max(0, downBytes - reply.length);
    while (up > 0 || down > 0) {
      if (up > 0) {
        const n = Math.min(up, MSS);
        t += 150;
        out(this.seg(t, src, dst, sport, e.port, cseq, sseq, TCP_ACK | TCP_PSH, filler(n, cseq)));
        cseq += n;
        up -= n;
      }
      if (down > 0) {
        const n = Math.min(down, MSS);
        t += 150;
        back(this.seg(t, dst, src, e.port, sport, sseq, cseq, TCP_ACK | (down <= MSS ? TCP_PSH : 0), filler(n, sseq)));
        sseq += n;
        down -= n;
      }
    }
    // orderly close, client first
    t += 2000;
    out(this.seg(t, src, dst, sport, e.port, cseq, sseq, TCP_FIN | TCP_ACK));
    cseq++;
    t += rtt / 2;
    back(this.seg(t, dst, src, e.port, sport, sseq, cseq, TCP_FIN | TCP_ACK));
    sseq++;
    t += rtt / 2;
    out(this.seg(t, src, dst, sport, e.port, cseq, sseq, TCP_ACK));
    this.flows.push(flow);
  }

  udpExchange(e: UdpExchange, request?: Uint8Array, reply?: Uint8Array | null, sportGiven?: number): void {
    const src = this.ip(e.from);
    const dst = this.ip(e.to);
    const sport = sportGiven ?? this.ephemeral();
    const rtt = isLan(dst) ? LAN_RTT : WAN_RTT;
    let t = this.t0 + e.at * 1e6;
    const fault = e.fault ?? 'none';
    const [upBytes, downBytes] = e.bytes ?? [120, 240];
    const req = request ?? filler(upBytes, e.port);
    const flow: ScenarioFlow = { tsMicros: t, endMicros: t, proto: 'udp', src, dst, sport, dport: e.port, pktsOut: 0, bytesOut: 0, pktsBack: 0, bytesBack: 0, fault };
    const tries = fault === 'none' ? 1 : 2;
    for (let i = 0; i < tries; i++) {
      flow.pktsOut++;
      flow.bytesOut += this.emit(t, src, dst, IPPROTO_UDP, udp({ sport, dport: e.port }, req));
      flow.endMicros = t;
      if (fault === 'icmp-admin' || fault === 'icmp-port') {
        const from = fault === 'icmp-admin' ? this.ip(e.via ?? e.to) : dst;
        this.emitRefusal(t + rtt / 2, from, src, dst, IPPROTO_UDP, udp({ sport, dport: e.port }, req), fault);
      }
      if (fault === 'none') {
        const answer = reply === undefined ? filler(downBytes, e.port + 7) : reply;
        if (answer) {
          t += rtt;
          flow.pktsBack++;
          flow.bytesBack += this.emit(t, dst, src, IPPROTO_UDP, udp({ sport: e.port, dport: sport }, answer));
          flow.endMicros = t;
        }
      }
      t += 1_000_000; // resolvers and Kerberos retry after about a second
    }
    this.flows.push(flow);
  }

  dns(e: DnsLookup): void {
    const id = this.dnsId++;
    const query = dnsQuery(e.name, 'A', id);
    let reply: Uint8Array | null;
    if (e.answer === 'no-reply') reply = null;
    else if (e.answer === 'NXDOMAIN' || e.answer === 'SERVFAIL') {
      reply = dnsResponse({ id, name: e.name, rcode: e.answer === 'NXDOMAIN' ? 3 : 2 });
    } else {
      const answers: DnsAnswerSpec[] = [];
      let owner = e.name;
      if (e.cname) {
        answers.push({ name: e.name, type: 'CNAME', data: e.cname, ttl: 300 });
        owner = e.cname;
      }
      for (const a of e.answer) answers.push({ name: owner, type: a.includes(':') ? 'AAAA' : 'A', data: a, ttl: 300 });
      reply = dnsResponse({ id, name: e.name, answers });
    }
    const fault = e.answer === 'no-reply' ? 'drop' : 'none';
    this.udpExchange({ kind: 'udp', at: e.at, from: e.client, to: e.server, port: 53, fault }, query, reply);
  }

  rpc(e: RpcExchange): void {
    const bind = filler(116, 135);
    // The tower's IP floor holds four bytes: over IPv6 Windows leaves it 0.0.0.0 and the client
    // calls the address it already uses.
    const server = this.ip(e.server);
    const epm = epmMapResponse([e.dynamicPort], server.includes(':') ? '0.0.0.0' : server);
    this.tcpExchange({ kind: 'tcp', at: e.at, from: e.client, to: e.server, port: 135, bytes: [bind.length, epm.length] }, { first: bind, reply: epm });
    this.tcpExchange({ kind: 'tcp', at: e.at + 0.05, from: e.client, to: e.server, port: e.dynamicPort, fault: e.fault, bytes: [1800, 4200], synTries: 3 });
  }
}

/** The packets (sorted by time) and transport flows of a scenario. */
export function compileScenario(s: Scenario): { packets: ScenarioPacket[]; flows: ScenarioFlow[] } {
  const c = new Compiler(s, Date.parse(s.start) * 1000);
  for (const e of s.exchanges) {
    if (e.kind === 'tcp') c.tcpExchange(e);
    else if (e.kind === 'udp') c.udpExchange(e);
    else if (e.kind === 'dns') c.dns(e);
    else c.rpc(e);
  }
  // Stable sort: packets of one exchange keep their order when timestamps tie.
  const packets = c.packets.map((p, i) => ({ p, i })).sort((a, b) => a.p.tsMicros - b.p.tsMicros || a.i - b.i).map((x) => x.p);
  return { packets, flows: c.flows.sort((a, b) => a.tsMicros - b.tsMicros) };
}

export { concat };
