/**
 * Where a capture was taken. A capture made on a host (Wireshark, pktmon or netsh trace on the
 * sync server, on a DC) holds that host's own traffic and, beside it, only what is sent to a group
 * (broadcasts, LLMNR, mDNS). So when one address (per address family) is on a side of every
 * host-to-host flow in a capture, the capture was taken on that host, or where only its traffic
 * passes: traffic between two other hosts cannot be in it, and its absence proves nothing
 * (AuditOptions.observedHosts). A capture at a switch's mirror port holds flows between many
 * hosts: then no address is on a side of all of them, and nothing is concluded.
 */
import { sortAddresses } from '../common/ip.js';
import type { Flow } from '../flows/types.js';
import { isGroupAddress } from '../roles/address-scope.js';

/**
 * The addresses on one side of every host-to-host flow given to {@link add}, per address family
 * (a dual-stack host has an IPv4 and an IPv6 address, and each flow uses one family): one per
 * family (the capturing host's), two (a capture of one conversation, taken on either side), or
 * none. Left out, as a host capture holds them whoever sent them: flows to groups, from or to the
 * unspecified address (DHCP), on loopback or link-local addresses, and UDP or ICMP that nothing
 * answered (a broadcast to a subnet, such as NetBIOS name queries to 10.0.0.255, names no group
 * by its address, and the mask that would tell is not in the capture). A TCP SYN is never
 * broadcast: unanswered, it still counts.
 */
export class CapturePoint {
  private readonly v4 = new CommonAddresses();
  private readonly v6 = new CommonAddresses();

  add(flow: Pick<Flow, 'origH' | 'respH' | 'proto' | 'respPkts'>): void {
    // Called with every flow: a mirror port's capture has no capture point after its first few.
    if (this.v4.disjoint() || this.v6.disjoint()) return;
    const { origH: orig, respH: resp } = flow;
    if (flow.proto !== 'tcp' && flow.respPkts === 0) return;
    if (orig === resp || !hostToHost(orig) || !hostToHost(resp)) return;
    (orig.includes(':') ? this.v6 : this.v4).add(orig, resp);
  }

  /**
   * The addresses on a side of every host-to-host flow of their family, in address order; null
   * when a family's flows have none in common, or there is no such flow.
   */
  hosts(): string[] | null {
    if (this.v4.disjoint() || this.v6.disjoint()) return null;
    const out = [...this.v4.common(), ...this.v6.common()];
    return out.length > 0 ? sortAddresses(out) : null;
  }

  /** The two ends of the capture's only conversation (in address order), when it holds one; else null. */
  conversation(): [string, string] | null {
    const hosts = this.hosts();
    const [one, other] = this.v4.started ? [this.v4, this.v6] : [this.v6, this.v4];
    if (hosts === null || hosts.length !== 2 || other.started || one.common().length !== 2) return null;
    return [hosts[0], hosts[1]];
  }
}

/** The addresses on a side of every flow of one family: at most the two of its first flow. */
class CommonAddresses {
  private first: string | null = null;
  private second: string | null = null;
  started = false;

  add(orig: string, resp: string): void {
    if (!this.started) {
      this.started = true;
      this.first = orig;
      this.second = resp;
      return;
    }
    // Interned address texts (flows/table.ts): a repeat is the same string, compared at once.
    if (this.first !== null && this.first !== orig && this.first !== resp) this.first = null;
    if (this.second !== null && this.second !== orig && this.second !== resp) this.second = null;
  }

  common(): string[] {
    return [this.first, this.second].filter((a): a is string => a !== null);
  }

  /** Flows seen, and no address on a side of all of them. */
  disjoint(): boolean {
    return this.started && this.first === null && this.second === null;
  }
}

/**
 * False for groups, the unspecified address, loopback and link-local addresses (IPv6 neighbour
 * discovery between fe80:: addresses, APIPA): traffic to or from them tells nothing of where a
 * capture was taken, and the capturing host's link-local address is not the one it audits from.
 */
function hostToHost(address: string): boolean {
  if (address === '0.0.0.0' || address === '::' || address === '::1' || address.startsWith('127.') || address.startsWith('169.254.')) return false;
  const c = address.charCodeAt(0);
  if ((c === 102 || c === 70) && /^fe[89ab]/i.test(address)) return false; // f or F: ask the pattern only then
  return !isGroupAddress(address);
}
