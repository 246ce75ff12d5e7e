/**
 * `flowaudit flows --host … --port …`: the flows a support engineer wants to look at, as tshark's
 * `ip.addr==` and `tcp.port==` filters would pick them: a host at either end (an address, a CIDR
 * block, or a name: one a log or a proxy gives instead of an address, the TLS server name, the
 * HTTP Host, or a DNS question), a port at either end. Several values of one option are
 * alternatives; the two options must both match.
 */
import { canonicalIp, cidrContains, parseCidr, type Cidr } from '../common/ip.js';
import { UsageError } from '../common/diagnostics.js';
import type { Flow } from '../flows/types.js';

/** Verdicts of CIDR matches kept per address (flows repeat their hosts). */
const MAX_MEMO = 65_536;

/** The filter of `--host` and `--port`, or null when neither is given. */
export function flowFilter(hosts: readonly string[], ports: readonly string[]): ((f: Flow) => boolean) | null {
  if (hosts.length === 0 && ports.length === 0) return null;
  const exact = new Set<string>();
  const names = new Set<string>();
  const blocks: Cidr[] = [];
  for (const h of hosts) {
    const text = h.trim();
    const ip = canonicalIp(text);
    if (ip !== null) {
      exact.add(ip);
      continue;
    }
    if (text.includes('/')) {
      const cidr = parseCidr(text);
      if (cidr === null) throw new UsageError(`--host ${JSON.stringify(h)}: not a valid CIDR block (expected e.g. 10.0.1.0/24 or fd00::/64)`);
      blocks.push(cidr);
      continue;
    }
    if (!/^[a-z0-9*.-]+$/i.test(text)) throw new UsageError(`--host ${JSON.stringify(h)}: expected an IP address, a CIDR block or a host name`);
    names.add(text.toLowerCase().replace(/\.$/, ''));
  }
  const portSet = new Set<number>();
  for (const p of ports) {
    const n = Number(p);
    if (!/^\d+$/.test(p.trim()) || n > 65535) throw new UsageError(`--port ${JSON.stringify(p)}: expected a port number (0-65535)`);
    portSet.add(n);
  }
  const memo = new Map<string, boolean>();
  const named = (name: string | undefined): boolean => name !== undefined && names.has(name.toLowerCase().replace(/\.$/, ''));
  /** A name stands for a host where a log or a proxy gave it instead of an address, and names the far side of TLS, HTTP and DNS. */
  const nameMatches = (f: Flow): boolean =>
    named(f.origH) ||
    named(f.respH) ||
    named(f.sni) ||
    named(f.httpHost) ||
    (f.proxy !== undefined && named(f.proxy.target.replace(/:\d+$/, '').replace(/^https?:\/\/([^/:]+).*$/i, '$1'))) ||
    (f.dns?.queries.some((q) => named(q.name)) ?? false);
  const hostMatches = (address: string): boolean => {
    if (exact.has(address)) return true;
    if (blocks.length === 0) return false;
    let inside = memo.get(address);
    if (inside === undefined) {
      inside = blocks.some((b) => cidrContains(b, address));
      if (memo.size < MAX_MEMO) memo.set(address, inside);
    }
    return inside;
  };
  return (f) => {
    if (exact.size + blocks.length + names.size > 0 && !hostMatches(f.origH) && !hostMatches(f.respH) && !(names.size > 0 && nameMatches(f))) return false;
    // ICMP flows carry type and code in their port fields: no port of theirs is a port.
    if (portSet.size > 0 && (f.proto === 'icmp' || (!portSet.has(f.origP) && !portSet.has(f.respP)))) return false;
    return true;
  };
}
