/**
 * Could a capture filter have let a flow through? A pcapng file names the libpcap filter it was
 * captured with (if_filter: `dumpcap -f`, Wireshark's capture filter). A required flow missing
 * from a capture filtered to `host 10.0.0.10` proves nothing when it runs between two other hosts:
 * the filter left it out before anything was written.
 *
 * This reads the part of the pcap-filter(7) language such filters are written in: `host`, `net`
 * (CIDR, a partial dotted quad, or `mask`), `port`, `portrange`, with `src`/`dst` and the
 * protocols `ip`, `ip6`, `tcp`, `udp`, `icmp`, `icmp6`, `arp`, joined by `and`/`&&`, `or`/`||`,
 * `not`/`!` and parentheses, and an id after `and`/`or` taking the qualifiers before it
 * (`host 10.0.0.1 or 10.0.0.2`); ports by number or by the service names of this audit's ports.
 * Anything else (host names, which need a DNS lookup; `ether`, `vlan`, byte offsets, `greater`)
 * makes the whole filter unread: then nothing is concluded.
 *
 * A flow is judged with three values (yes, no, unknown): the client's port is unknown (an
 * ephemeral port, 1024 or above), and so is an address the finding names by role only.
 */
import { canonicalIp, parseCidr, parseIp, type Cidr, cidrContains } from '../common/ip.js';

type Dir = 'src' | 'dst' | 'either' | 'both';
type Proto = 'ip' | 'ip6' | 'tcp' | 'udp' | 'icmp' | 'icmp6' | 'arp';

export type FilterExpr =
  | { op: 'and' | 'or'; left: FilterExpr; right: FilterExpr }
  | { op: 'not'; expr: FilterExpr }
  | { op: 'host'; dir: Dir; proto: Proto | null; address: string }
  | { op: 'net'; dir: Dir; proto: Proto | null; cidr: Cidr }
  | { op: 'port'; dir: Dir; proto: Proto | null; from: number; to: number }
  | { op: 'proto'; proto: Proto };

const PROTOS: ReadonlySet<string> = new Set(['ip', 'ip6', 'tcp', 'udp', 'icmp', 'icmp6', 'arp']);

/** The parsed filter, or null when any part of it is outside the language read here. */
export function parseCaptureFilter(text: string): FilterExpr | null {
  const tokens = tokenize(text);
  if (tokens === null || tokens.length === 0) return null;
  const p = new Parser(tokens);
  try {
    const e = p.or();
    return p.done() ? e : null;
  } catch {
    return null;
  }
}

/**
 * True when every input's filters are all read here (`sets`: AuditOptions.captureFilterSets): then
 * a required flow still missing is one the filters may have let through, not one they left out.
 */
export function everyFilterRead(sets: readonly (readonly string[])[] | undefined): boolean {
  return sets !== undefined && sets.length > 0 && sets.every((filters) => filters.length > 0 && filters.every((f) => parseCaptureFilter(f) !== null));
}

function tokenize(filter: string): string[] | null {
  const text = filter.trim();
  const out: string[] = [];
  const re = /\s*(\(|\)|!|&&|\|\||[A-Za-z0-9_.:/-]+)/y;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) return null;
    out.push(m[1]);
    at = re.lastIndex;
  }
  return out;
}

/** Thrown inside the parser for anything it does not read; parseCaptureFilter turns it into null. */
class Unread extends Error {}

interface Qualifiers {
  dir: Dir;
  proto: Proto | null;
  type: 'host' | 'net' | 'port' | 'portrange';
}

class Parser {
  private at = 0;
  /** The qualifiers of the last primitive, for a bare id after `and`/`or`. */
  private last: Qualifiers | null = null;

  constructor(private readonly tokens: string[]) {}

  done(): boolean {
    return this.at === this.tokens.length;
  }

  private peek(): string | undefined {
    return this.tokens[this.at]?.toLowerCase();
  }

  private next(): string {
    const t = this.tokens[this.at++];
    if (t === undefined) throw new Unread();
    return t;
  }

  or(): FilterExpr {
    return this.joined('or', '||', () => this.and());
  }

  private and(): FilterExpr {
    return this.joined('and', '&&', () => this.not());
  }

  /** Operands joined by `word` or `symbol`, left to right (`a or b or c` is `(a or b) or c`). */
  private joined(word: string, symbol: string, operand: () => FilterExpr): FilterExpr {
    let left = operand();
    while (this.peek() === word || this.peek() === symbol) {
      this.at++;
      left = { op: word as 'and' | 'or', left, right: operand() };
    }
    return left;
  }

  private not(): FilterExpr {
    if (this.peek() === 'not' || this.peek() === '!') {
      this.at++;
      return { op: 'not', expr: this.not() };
    }
    return this.primary();
  }

  private primary(): FilterExpr {
    if (this.peek() === '(') {
      this.at++;
      const e = this.or();
      if (this.next() !== ')') throw new Unread();
      return e;
    }
    let proto: Proto | null = null;
    let dir: Dir | null = null;
    let type: Qualifiers['type'] | null = null;
    if (PROTOS.has(this.peek() ?? '')) proto = this.next().toLowerCase() as Proto;
    if (this.peek() === 'src' || this.peek() === 'dst') {
      const first = this.next().toLowerCase();
      // `src or dst host X`, `src and dst port N`: both words are qualifiers only when a type follows.
      const joined = this.peek();
      const other = this.tokens[this.at + 1]?.toLowerCase();
      if ((joined === 'or' || joined === 'and') && (other === 'src' || other === 'dst') && other !== first) {
        this.at += 2;
        dir = joined === 'or' ? 'either' : 'both';
      } else dir = first as Dir;
    }
    const t = this.peek();
    if (t === 'host' || t === 'net' || t === 'port' || t === 'portrange') {
      this.at++;
      type = t;
    }
    if (type === null && dir === null) {
      if (proto !== null) return { op: 'proto', proto };
      // A bare id after and/or: the qualifiers of the primitive before it.
      if (this.last === null) throw new Unread();
      ({ proto, dir, type } = this.last);
    }
    type ??= 'host';
    dir ??= 'either';
    this.last = { proto, dir, type };
    const id = this.next();
    switch (type) {
      case 'host': {
        const address = canonicalIp(id);
        if (address === null) throw new Unread(); // a host name: its address is not known here
        return { op: 'host', dir, proto, address };
      }
      case 'net':
        return { op: 'net', dir, proto, cidr: this.net(id) };
      case 'port': {
        const n = portNumber(id);
        return { op: 'port', dir, proto, from: n, to: n };
      }
      case 'portrange': {
        const m = /^(\d+)-(\d+)$/.exec(id);
        if (!m) throw new Unread();
        const [from, to] = [portNumber(m[1]), portNumber(m[2])];
        return { op: 'port', dir, proto, from: Math.min(from, to), to: Math.max(from, to) };
      }
    }
  }

  /** `10.0.0.0/8`, `10.0` (the network of its given bytes), `10.0.0.0 mask 255.0.0.0`. */
  private net(id: string): Cidr {
    if (id.includes('/')) {
      const c = parseCidr(id);
      if (c === null) throw new Unread();
      return c;
    }
    if (this.peek() === 'mask') {
      this.at++;
      const mask = parseIp(this.next());
      const bytes = parseIp(id);
      if (!mask || !bytes || mask.length !== 4 || bytes.length !== 4) throw new Unread();
      let prefix = 0;
      for (const b of mask) for (let bit = 7; bit >= 0; bit--) if ((b >> bit) & 1) prefix++;
      return { bytes, prefix };
    }
    const parts = id.split('.');
    if (parts.length < 4 && !id.includes(':') && parts.every((x) => /^\d{1,3}$/.test(x) && Number(x) <= 255)) {
      const bytes = new Uint8Array(4);
      parts.forEach((x, i) => (bytes[i] = Number(x)));
      return { bytes, prefix: parts.length * 8 };
    }
    const bytes = parseIp(id);
    if (!bytes) throw new Unread();
    return { bytes, prefix: bytes.length * 8 };
  }
}

/**
 * Service names a filter may give for a port, as libpcap finds them in /etc/services (and
 * Windows's services file): those of the ports this audit is about. Any other name is not read.
 */
const SERVICE_PORTS: Readonly<Record<string, number>> = {
  ssh: 22,
  domain: 53,
  http: 80,
  www: 80,
  kerberos: 88,
  'kerberos-sec': 88,
  ntp: 123,
  epmap: 135,
  loc: 135,
  'netbios-ns': 137,
  'netbios-dgm': 138,
  'netbios-ssn': 139,
  ldap: 389,
  https: 443,
  'microsoft-ds': 445,
  kpasswd: 464,
  ldaps: 636,
  'msft-gc': 3268,
  'msft-gc-ssl': 3269,
  'ms-wbt-server': 3389,
  wsman: 5985,
  wsmans: 5986,
};

function portNumber(text: string): number {
  const name = text.toLowerCase();
  if (Object.hasOwn(SERVICE_PORTS, name)) return SERVICE_PORTS[name];
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new Unread();
  return Number(text);
}

/** Yes, no, or unknown: 1, 0, 0.5 (and is the least, or the greatest, not the complement). */
type Truth = 0 | 0.5 | 1;

/** One side of a flow: its address, or null when the finding names only a role (`cloud`: a public address). */
export interface FlowSide {
  address: string | null;
  /** The side is a public (cloud) address whatever it is: a private host or net names none. */
  cloud?: boolean;
  /** Its ports: the server's (the rule's range), or the client's (ephemeral). */
  ports: { from: number; to: number };
}

/** A packet of the flow, one way. */
interface PacketView {
  src: FlowSide;
  dst: FlowSide;
  transport: 'tcp' | 'udp';
}

/** The client's port of a flow: ephemeral, so any from 1024 up (Windows uses 49152-65535, Linux 32768-60999). */
export const CLIENT_PORTS = { from: 1024, to: 65535 };

/**
 * True when `filter` lets through no packet of a flow between `client` and `server` on any of
 * `transports`, either way: the capture could not hold it. False when it may have let one through.
 */
export function filterExcludes(filter: FilterExpr, client: FlowSide, server: FlowSide, transports: readonly ('tcp' | 'udp')[]): boolean {
  for (const transport of transports) {
    if (judge(filter, { src: client, dst: server, transport }) !== 0) return false;
    if (judge(filter, { src: server, dst: client, transport }) !== 0) return false;
  }
  return true;
}

function judge(e: FilterExpr, p: PacketView): Truth {
  switch (e.op) {
    case 'and':
      return Math.min(judge(e.left, p), judge(e.right, p)) as Truth;
    case 'or':
      return Math.max(judge(e.left, p), judge(e.right, p)) as Truth;
    case 'not':
      return (1 - judge(e.expr, p)) as Truth;
    case 'proto':
      return protoTruth(e.proto, p);
    case 'host':
      return qualified(e.proto, p, sides(e.dir, p, (s) => addressTruth(s, (a) => a === e.address, isPrivateText(e.address))));
    case 'net':
      return qualified(e.proto, p, sides(e.dir, p, (s) => addressTruth(s, (a) => cidrContains(e.cidr, a), cidrIsPrivate(e.cidr))));
    case 'port': {
      // A port qualifier without a protocol means TCP or UDP (pcap-filter(7)); both flows are.
      return qualified(e.proto, p, sides(e.dir, p, (s) => rangeTruth(s.ports, e.from, e.to)));
    }
  }
}

function sides(dir: Dir, p: PacketView, f: (s: FlowSide) => Truth): Truth {
  switch (dir) {
    case 'src':
      return f(p.src);
    case 'dst':
      return f(p.dst);
    case 'both':
      return Math.min(f(p.src), f(p.dst)) as Truth;
    case 'either':
      return Math.max(f(p.src), f(p.dst)) as Truth;
  }
}

/** A primitive with a protocol qualifier (`tcp port 88`, `ip host X`) holds only for that protocol. */
function qualified(proto: Proto | null, p: PacketView, t: Truth): Truth {
  return proto === null ? t : (Math.min(protoTruth(proto, p), t) as Truth);
}

function protoTruth(proto: Proto, p: PacketView): Truth {
  switch (proto) {
    case 'tcp':
    case 'udp':
      return proto === p.transport ? 1 : 0;
    case 'icmp':
    case 'icmp6':
    case 'arp':
      return 0;
    case 'ip':
    case 'ip6': {
      const v6 = ipVersion6(p);
      return v6 === null ? 0.5 : v6 === (proto === 'ip6') ? 1 : 0;
    }
  }
}

/** Whether the flow runs over IPv6: known from either address; null when neither is known. */
function ipVersion6(p: PacketView): boolean | null {
  const a = p.src.address ?? p.dst.address;
  return a === null ? null : a.includes(':');
}

function addressTruth(s: FlowSide, matches: (address: string) => boolean, filterPrivate: boolean): Truth {
  if (s.address !== null) return matches(s.address) ? 1 : 0;
  // A cloud endpoint the data names no address of is public: a private host or net is not it.
  return s.cloud && filterPrivate ? 0 : 0.5;
}

function rangeTruth(ports: { from: number; to: number }, from: number, to: number): Truth {
  if (ports.to < from || ports.from > to) return 0;
  return ports.from >= from && ports.to <= to ? 1 : 0.5;
}

function isPrivateText(address: string): boolean {
  const b = parseIp(address);
  return b !== null && privateBytes(b, b.length * 8);
}

function cidrIsPrivate(c: Cidr): boolean {
  return privateBytes(c.bytes, c.prefix);
}

/** True when every address of the block (`prefix` bits of `b`) is private: RFC 1918, loopback, link-local, ULA. */
function privateBytes(b: Uint8Array, prefix: number): boolean {
  if (b.length === 4) {
    if (b[0] === 10 && prefix >= 8) return true;
    if (b[0] === 172 && (b[1] & 0xf0) === 16 && prefix >= 12) return true;
    if (b[0] === 192 && b[1] === 168 && prefix >= 16) return true;
    if (b[0] === 127 && prefix >= 8) return true;
    return b[0] === 169 && b[1] === 254 && prefix >= 16;
  }
  if ((b[0] & 0xfe) === 0xfc && prefix >= 7) return true;
  return b[0] === 0xfe && (b[1] & 0xc0) === 0x80 && prefix >= 10;
}
