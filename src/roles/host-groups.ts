/**
 * The addresses of one dual-stack host. A Windows server with an IPv6 address prefers it: the sync
 * server reaches a DC's LDAP and Kerberos over IPv6 and its SMB by literal IPv4 address, say. The
 * rules are judged per address pair, and without this every IPv4 pair whose traffic went over IPv6
 * (and the other way round) read as missing: a healthy dual-stack sync failed its audit.
 *
 * Addresses are one host when the data says so:
 * - a name resolves to one IPv4 and one IPv6 address (dc01.contoso.test: its A and AAAA answers,
 *   or an inventory's hosts). A name with several addresses of one family (a load-balanced
 *   service, login.microsoftonline.com) groups nothing;
 * - a capture was taken on one host: its one IPv4 and one IPv6 capture point (InputInfo.captured_on);
 * - a capture of one conversation per family (either end): once names put one IPv4 end and one
 *   IPv6 end together, the other two ends are the other host.
 */
import { isIpv6 } from '../common/ip.js';

/** Where a capture was taken (InputInfo.captured_on, one_conversation). */
export interface CapturePointInfo {
  captured_on?: readonly string[];
  one_conversation?: boolean;
}

/** A host with its names (HostInfo). */
interface NamedAddress {
  address: string;
  names: readonly string[];
}

/**
 * Groups of two or more addresses of one host, each address mapped to its group (the group's
 * addresses in the order given). Addresses of no group are absent.
 */
export function hostGroups(hosts: Iterable<NamedAddress>, inputs: readonly CapturePointInfo[]): Map<string, string[]> {
  const parent = new Map<string, string>();
  const find = (a: string): string => {
    let r = a;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
    return r;
  };
  const union = (a: string, b: string) => {
    const ra = find(a);
    const rb = find(b);
    if (!parent.has(ra)) parent.set(ra, ra);
    if (!parent.has(rb)) parent.set(rb, rb);
    if (ra !== rb) parent.set(rb, ra);
  };
  const together = (a: string, b: string) => parent.has(a) && parent.has(b) && find(a) === find(b);

  // Names: one IPv4 and one IPv6 address each.
  const byName = new Map<string, string[]>();
  for (const h of hosts) {
    for (const name of h.names) {
      if (name.startsWith('_')) continue;
      const list = byName.get(name);
      if (list === undefined) byName.set(name, [h.address]);
      else if (!list.includes(h.address)) list.push(h.address);
    }
  }
  for (const addresses of byName.values()) {
    const v4 = addresses.filter((a) => !isIpv6(a));
    const v6 = addresses.filter(isIpv6);
    if (v4.length === 1 && v6.length === 1) union(v4[0], v6[0]);
  }

  // Capture points: one per family is the capturing host; two per family are the ends of one
  // conversation, paired once names tie one end of each family together.
  for (const i of inputs) {
    const on = i.captured_on ?? [];
    const v4 = on.filter((a) => !isIpv6(a));
    const v6 = on.filter(isIpv6);
    if (v4.length === 1 && v6.length === 1 && i.one_conversation !== true) union(v4[0], v6[0]);
    else if (v4.length === 2 && v6.length === 2) {
      for (let a = 0; a < 2; a++) {
        for (let b = 0; b < 2; b++) if (together(v4[a], v6[b])) union(v4[1 - a], v6[1 - b]);
      }
    }
  }

  const groups = new Map<string, string[]>();
  for (const a of parent.keys()) {
    const root = find(a);
    const list = groups.get(root);
    if (list === undefined) groups.set(root, [a]);
    else list.push(a);
  }
  const out = new Map<string, string[]>();
  for (const list of groups.values()) {
    if (list.length < 2) continue;
    for (const a of list) out.set(a, list);
  }
  return out;
}
