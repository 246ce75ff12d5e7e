/**
 * Wireshark display filters (wireshark-filter(4)) that show the packets behind a finding.
 *
 * Why the range form is directional: `tcp.port` occurs twice in a packet (source and destination),
 * and a comparison is true when ANY occurrence satisfies it. `tcp.port >= 49152 && tcp.port <= 65535`
 * therefore matches nearly every packet (the client's ephemeral port is in the range). The set
 * membership operator with a range (`in {49152..65535}`, Wireshark >= 2.6) tests each occurrence, but
 * still matches the client's ephemeral source port, so ranges are tied to a direction:
 * requests carry the range in `dstport`, replies in `srcport`. ICMP errors that quote the refused
 * packet match too, because Wireshark dissects the quoted IP and TCP/UDP headers.
 */
import type { RuleTransport } from '../catalog/types.js';
import { isIpv6, parseIp } from '../common/ip.js';
import type { Transport } from '../flows/types.js';

/** `ip.addr` or `ipv6.addr` for this address. */
function addrField(addr: string): string {
  return isIpv6(addr) ? 'ipv6.addr' : 'ip.addr';
}

function srcField(addr: string): string {
  return isIpv6(addr) ? 'ipv6.src' : 'ip.src';
}

function dstField(addr: string): string {
  return isIpv6(addr) ? 'ipv6.dst' : 'ip.dst';
}

/** Ports as a sorted, deduplicated list of single ports and ranges. */
export type PortSpec = { from: number; to: number }[];

function isSinglePort(ports: PortSpec): boolean {
  return ports.length === 1 && ports[0].from === ports[0].to;
}

/**
 * `{49152..65535}` or `{49667, 49670}`. Wireshark 4 requires commas between set elements (older
 * releases took spaces; tshark 4.0 rejects `{49667 49670}`).
 */
function portSet(ports: PortSpec): string {
  return `{${ports.map((p) => (p.from === p.to ? String(p.from) : `${p.from}..${p.to}`)).join(', ')}}`;
}

/**
 * Port clause for one transport.
 * - single port, no originator known: `tcp.port==389`;
 * - otherwise directional: requests from `orig` to the port set, and replies back.
 */
function transportClause(t: RuleTransport, ports: PortSpec, orig: string | null): string {
  // One well-known port: the issue's short form; a client's ephemeral port colliding with it is rare.
  if (isSinglePort(ports)) return `${t}.port==${ports[0].from}`;
  const set = portSet(ports);
  if (orig === null) return `${t}.dstport in ${set}`;
  return `((${srcField(orig)}==${orig} && ${t}.dstport in ${set}) || (${dstField(orig)}==${orig} && ${t}.srcport in ${set}))`;
}

/**
 * Filter for the traffic of one rule (or one port) between `src` and `dst`; either may be null when
 * only one side is known.
 *
 * Examples: `ip.addr==10.0.0.20 && ip.addr==10.0.0.10 && tcp.port==389`,
 * `ip.addr==10.0.0.20 && ip.addr==10.0.0.10 && (tcp.port==88 || udp.port==88)`.
 */
export function filterForPorts(
  src: string | null,
  dst: string | null,
  transports: readonly RuleTransport[],
  ports: PortSpec,
): string {
  const parts: string[] = [];
  if (src !== null) parts.push(`${addrField(src)}==${src}`);
  // A host known by name only (reached through a proxy, or named by a firewall log): its packets
  // are those that name it, on whatever port and address carried them.
  if (dst !== null && parseIp(dst) === null) return [...parts, hostNameClause(dst)].join(' && ');
  if (dst !== null) parts.push(`${addrField(dst)}==${dst}`);
  const clauses = transports.map((t) => transportClause(t, ports, src));
  if (clauses.length === 1) parts.push(clauses[0]);
  else if (clauses.length > 1) parts.push(`(${clauses.join(' || ')})`);
  return parts.join(' && ');
}

/**
 * The packets that name `host`: a TLS ClientHello's server name, an HTTP Host header, a request to
 * a proxy (`CONNECT host:443`, `GET http://host/...`) and the proxy's answer to it.
 */
function hostNameClause(host: string): string {
  const text = wiresharkString(host);
  return `(tls.handshake.extensions_server_name == ${text} || http.host == ${text} || http.request.uri contains ${text} || http.response_for.uri contains ${text})`;
}

/** Filter for one aggregate: two hosts, one transport, one responder port (ICMP: the protocol). */
export function filterForFlow(src: string, dst: string, transport: Transport, port: number): string {
  if (transport === 'icmp') {
    const proto = isIpv6(src) ? 'icmpv6' : 'icmp';
    return `${addrField(src)}==${src} && ${addrField(dst)}==${dst} && ${proto}`;
  }
  return filterForPorts(src, dst, [transport], [{ from: port, to: port }]);
}

/**
 * A Wireshark string literal: double quotes, with `\` and `"` escaped and control characters as `\xhh`,
 * so a hostile DNS name cannot break out of the filter.
 */
export function wiresharkString(text: string): string {
  let out = '"';
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '\\' || ch === '"') out += `\\${ch}`;
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** `dns.qry.name == "login.microsoftonline.com" || dns.qry.name == "..."`. */
export function filterForDnsNames(names: readonly string[]): string {
  return names.map((n) => `dns.qry.name == ${wiresharkString(n)}`).join(' || ');
}
