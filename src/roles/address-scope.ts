/**
 * Where an address lies: private (on-premises or a VNet), in one IPv6 site with another, link-local,
 * a group, or the internet. Role inference runs on private addresses and on IPv6 ones (enterprises
 * number hosts inside with global IPv6); a public IPv4 address is named by DNS/SNI, an inventory,
 * or nothing.
 */
import type { Role } from '../catalog/types.js';
import { ipv4Number, isLinkLocalAddress, parseIp, startsBelowGroups } from '../common/ip.js';

export { ipv4Number, isLinkLocalAddress };

/**
 * True for addresses that are not globally routed: RFC 1918 (10/8, 172.16/12, 192.168/16),
 * RFC 6598 shared space (100.64/10, carrier-grade NAT, used inside some networks), loopback,
 * link-local (169.254/16, fe80::/10), IPv6 ULA (fc00::/7, RFC 4193), `::1`, unspecified, and
 * IPv4-mapped IPv6 forms of those. Anything unparsable counts as not private.
 */
export function isPrivateAddress(address: string): boolean {
  const v4 = ipv4Number(address);
  if (v4 >= 0) return isPrivateV4(v4 >>> 24, (v4 >>> 16) & 0xff);
  const b = parseIp(address);
  if (!b) return false;
  if (b.length === 4) return isPrivateV4(b[0], b[1]);
  // IPv4-mapped ::ffff:a.b.c.d
  let mapped = b[10] === 0xff && b[11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) if (b[i] !== 0) mapped = false;
  if (mapped) return isPrivateV4(b[12], b[13]);
  if ((b[0] & 0xfe) === 0xfc) return true; // fc00::/7 unique local
  if (b[0] === 0xfe && (b[1] & 0xc0) === 0x80) return true; // fe80::/10 link-local
  let zeroUpTo15 = true;
  for (let i = 0; i < 15; i++) if (b[i] !== 0) zeroUpTo15 = false;
  return zeroUpTo15 && (b[15] === 0 || b[15] === 1); // :: and ::1
}

/**
 * Roles only on-premises hosts hold. A global IPv6 address cannot say whether it is on the internet
 * (enterprises number their hosts with them), but one of these roles can: HTTPS to a DC is not
 * HTTPS to a public address, and a DC's name is worth keeping as an inventory hint.
 */
export const ON_PREMISES_ROLES: readonly Role[] = ['dc', 'connect', 'adfs', 'wap', 'pta-agent', 'health-agent'];

/**
 * True when both addresses are global IPv6 addresses of one site: the same /48, the prefix a
 * registry or provider gives one site (RFC 6177). Enterprises number hosts inside with global
 * addresses, so between two IPv6 hosts this, not {@link isPrivateAddress}, tells an internal
 * neighbour (a WAP's AD FS server in the next subnet) from the internet. IPv4, IPv4-mapped
 * (`::ffff:…`) and other addresses under `::/16` are never a site.
 */
export function sameIpv6Site(a: string, b: string): boolean {
  if (!a.includes(':') || !b.includes(':')) return false;
  const x = parseIp(a);
  const y = parseIp(b);
  if (x === null || y === null || x.length !== 16 || y.length !== 16) return false;
  if (x[0] === 0 && x[1] === 0) return false;
  for (let i = 0; i < 6; i++) if (x[i] !== y[i]) return false;
  return true;
}

/**
 * True for addresses that name a group, not a host: IPv4 multicast (224.0.0.0/4), the limited
 * broadcast 255.255.255.255, IPv6 multicast (ff00::/8). Windows hosts send to them all the time
 * (LLMNR, mDNS, SSDP, WS-Discovery, DHCP), whatever the firewall.
 */
export function isGroupAddress(address: string): boolean {
  if (startsBelowGroups(address)) return false;
  const v4 = ipv4Number(address);
  if (v4 >= 0) return v4 >>> 28 === 0xe || v4 >>> 0 === 0xffffffff;
  // An IPv6 text names a group only in ff00::/8, whose first group is written ffXX: the rest of a
  // capture's IPv6 hosts are ruled out without parsing them.
  if (address.includes(':') && !/^ff[0-9a-f]{2}:/i.test(address)) return false;
  const b = parseIp(address);
  if (!b) return false;
  if (b.length === 4) return b[0] >>> 4 === 0xe || (b[0] & b[1] & b[2] & b[3]) === 0xff;
  return b[0] === 0xff;
}

function isPrivateV4(a: number, b: number): boolean {
  return (
    a === 10 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 100 && b >= 64 && b <= 127) ||
    a === 127 ||
    (a === 169 && b === 254) ||
    a === 0
  );
}

