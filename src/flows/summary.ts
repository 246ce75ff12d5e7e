/**
 * FlowSummary folds flows into bounded aggregates (summary-types.ts): per (transport, originator,
 * responder, responder port) pair, names learned from DNS answers and TLS SNI, DNS lookup outcomes
 * per name, RPC endpoint-mapper handouts, outcome counts and the time window.
 *
 * Every choice that keeps only part of the data (samples, capped lists, "first seen" evidence) is a
 * pure function of the set of flows, decided by a total order (time, then uid / evidence), never by
 * arrival order. So summarising parts (workers, files) and merging their `toData()` gives exactly the
 * summary of the whole, as long as no cap on the number of entries (pairs, names ...) is hit.
 */

import { parseIp } from '../common/ip.js';
import { addCapped, PairTable, transferables, type PairTableData } from './pair-table.js';
import { cmpStr, compareEvidence } from './samples.js';
import type { DnsLookupStats, FlowSummaryData, NameObservation } from './summary-types.js';
import type { Flow, FlowEvidence, Outcome } from './types.js';

export { selectSamples } from './samples.js';
export { MAX_DENY_RULES, MAX_ICMP_REASONS } from './pair-table.js';

/** Default cap on pair aggregates; flows beyond it are only counted (`overflowFlows`). */
export const DEFAULT_MAX_PAIRS = 200_000; // ~1 KB each: the audit state stays near 200 MB whatever the input
/** Caps on names, DNS names, servers per DNS name and EPM handouts. */
export const MAX_NAMES = 200_000;
export const MAX_DNS_NAMES = 100_000;
export const MAX_DNS_SERVERS = 8;
export const MAX_DNS_CLIENTS = 8;
export const MAX_EPM_HANDOUTS = 10_000;
/** Depth limit when following CNAME chains (guards against loops in hostile answers). */
const MAX_CNAME_DEPTH = 10;

const OUTCOMES: readonly Outcome[] = ['completed', 'refused', 'unanswered', 'unknown'];

export interface FlowSummaryOptions {
  /** Cap on pair aggregates (default {@link DEFAULT_MAX_PAIRS}). */
  maxPairs?: number;
}

/** The buffers to pass as postMessage's transfer list with a {@link FlowSummaryTransfer}. */
export function transferList(t: FlowSummaryTransfer): ArrayBuffer[] {
  return transferables(t.pairs);
}

/**
 * A summary as it travels from a worker thread to the main thread: everything but the pairs as
 * plain data (small), the pairs as typed arrays and string tables (see PairTableData). Post it
 * with {@link FlowSummaryTransfer.transfer} as the transfer list; fold it in with
 * {@link FlowSummary.mergeTransfer}.
 */
export interface FlowSummaryTransfer {
  /** The summary without its pairs (`pairs` is empty). */
  data: FlowSummaryData;
  pairs: PairTableData;
}

function copyEvidence(e: FlowEvidence): FlowEvidence {
  const c: FlowEvidence = { file: e.file };
  if (e.frame !== undefined) c.frame = e.frame;
  if (e.line !== undefined) c.line = e.line;
  if (e.record !== undefined) c.record = e.record;
  if (e.tuple !== undefined) c.tuple = e.tuple;
  return c;
}

/**
 * Addresses named by each answer owner name, following CNAME chains backwards to every alias. An
 * SRV record names its target the same way: the DC locator's `_ldap._tcp.dc._msdcs.contoso.local`
 * names the addresses of the DCs it lists (roles/dc-locator.ts).
 */
function namesFromAnswers(answers: { name: string; type: string; data: string }[]): { name: string; address: string }[] {
  const aliasesOf = new Map<string, string[]>(); // CNAME or SRV target → owner names
  for (const a of answers) {
    if (a.type !== 'CNAME' && a.type !== 'SRV') continue;
    const list = aliasesOf.get(a.data);
    if (list) list.push(a.name);
    else aliasesOf.set(a.data, [a.name]);
  }
  const out: { name: string; address: string }[] = [];
  for (const a of answers) {
    if (a.type !== 'A' && a.type !== 'AAAA') continue;
    const seen = new Set<string>([a.name]);
    let frontier = [a.name];
    for (let depth = 0; depth < MAX_CNAME_DEPTH && frontier.length > 0; depth++) {
      const nextFrontier: string[] = [];
      for (const n of frontier) for (const alias of aliasesOf.get(n) ?? []) {
        if (!seen.has(alias)) {
          seen.add(alias);
          nextFrontier.push(alias);
        }
      }
      frontier = nextFrontier;
    }
    for (const name of seen) out.push({ name, address: a.data });
  }
  return out;
}

/**
 * Aggregates flows for the audit. `add` per flow, `merge` another summary's data (a worker's),
 * `toData` for a serialisable, deterministic snapshot (sorted, deep-copied).
 */
export class FlowSummary {
  private flows = 0;
  private firstTs: number | null = null;
  private lastTs: number | null = null;
  /** The pair aggregates (capped; see pair-table.ts). */
  private readonly pairs: PairTable;
  private overflowFlows = 0;
  private readonly names = new Map<string, NameObservation>();
  private readonly dns = new Map<string, DnsLookupStats>();
  private readonly epm = new Map<string, { client: string; server: string; ports: number[]; ts: number }>();
  /** Shared reason texts of samples (see internReason in samples.ts). */
  private readonly reasons = new Map<string, string>();
  private readonly outcomes: Record<Outcome, number> = { completed: 0, refused: 0, unanswered: 0, unknown: 0 };

  constructor(opts: FlowSummaryOptions = {}) {
    this.pairs = new PairTable(opts.maxPairs ?? DEFAULT_MAX_PAIRS);
  }

  /**
   * `openFlows` flows are on their way (a flow table's open flows, FlowTableOptions.onOpenFlows):
   * the pair index makes room for them now, while a capture is read, rather than being rebuilt
   * during the flush of the flows still open at its end, when nothing else runs.
   */
  reserveFor(openFlows: number): void {
    this.pairs.reserve(this.pairs.size + openFlows);
  }

  /** Folds one flow in. The flow is not kept (only copies of the parts that are sampled). */
  add(flow: Flow): void {
    this.flows++;
    this.widenWindow(flow.ts, flow.ts + flow.duration);
    // Named increments, not a keyed one: a store keyed by a varying string is a slow path per flow.
    const outcomes = this.outcomes;
    switch (flow.outcome) {
      case 'completed':
        outcomes.completed++;
        break;
      case 'refused':
        outcomes.refused++;
        break;
      case 'unanswered':
        outcomes.unanswered++;
        break;
      default:
        outcomes[flow.outcome]++;
    }
    // A request through a proxy counts as the flow it asks for (addTunnel), not as one to the proxy.
    if (!flow.proxy && !this.pairs.addFlow(flow, this.reasons)) this.overflowFlows++;

    if (flow.dns) {
      for (const { name, address } of namesFromAnswers(flow.dns.answers)) {
        this.observeName({ name, address, source: 'dns', evidence: copyEvidence(flow.evidence), ts: flow.ts });
      }
      this.addDnsLookups(flow);
    }
    // Through a proxy the name is the tunnel's, not the proxy's: the tunnel is summarised as its own pair.
    if (flow.sni && !flow.proxy) {
      this.observeName({ name: flow.sni, address: flow.respH, source: 'sni', evidence: copyEvidence(flow.evidence), ts: flow.ts });
    }
    if (flow.httpHost) {
      this.observeName({ name: flow.httpHost, address: flow.respH, source: 'http', evidence: copyEvidence(flow.evidence), ts: flow.ts });
    }
    if (flow.proxy) this.addTunnel(flow, flow.proxy.target);
    if (flow.log?.dstName) {
      this.observeName({ name: flow.respH, address: flow.respH, source: 'log', evidence: copyEvidence(flow.evidence), ts: flow.ts });
    }
    if (flow.epmPorts && flow.epmPorts.length > 0) {
      this.observeEpm({ client: flow.origH, server: flow.respH, ports: flow.epmPorts.slice().sort((a, b) => a - b), ts: flow.ts });
    }
  }

  /**
   * Folds another summary's data in (exact, see the module comment). `data` is only read (`adopt`
   * is accepted for compatibility and changes nothing: samples are copied into columns anyway).
   */
  merge(data: FlowSummaryData, _opts: { adopt?: boolean } = {}): void {
    this.mergeTotals(data);
    for (const p of data.pairs) this.overflowFlows += this.pairs.mergeAggregate(p);
    this.mergeOthers(data);
  }

  /**
   * The summary for another thread, without cloning an object per pair: post `data` with
   * {@link transferList} as the transfer list. With `transfer`, the pair table's own arrays are
   * handed over and this summary must not be used again (a worker's, once it is done).
   */
  toTransfer(opts: { transfer?: boolean } = {}): FlowSummaryTransfer {
    const data = this.sharedData(false);
    return { data, pairs: this.pairs.exportData(opts.transfer === true) };
  }

  /**
   * Folds in a summary that {@link toTransfer} made (exact, like {@link merge}). `t` is only read,
   * unless `adopt`: then its typed arrays may be taken over (when this summary has no pairs yet),
   * and `t` must not be used again.
   */
  mergeTransfer(t: FlowSummaryTransfer, opts: { adopt?: boolean } = {}): void {
    this.mergeTotals(t.data);
    this.overflowFlows += this.pairs.mergeData(t.pairs, this.reasons, opts);
    this.mergeOthers(t.data);
  }

  private mergeTotals(data: FlowSummaryData): void {
    this.flows += data.flows;
    if (data.firstTs !== null) this.widenWindow(data.firstTs, data.firstTs);
    if (data.lastTs !== null) this.widenWindow(data.lastTs, data.lastTs);
    for (const o of OUTCOMES) this.outcomes[o] += data.outcomes[o] ?? 0;
    this.overflowFlows += data.overflowFlows;
  }

  private mergeOthers(data: FlowSummaryData): void {
    for (const n of data.names) this.observeName({ ...n, evidence: copyEvidence(n.evidence) });
    for (const d of data.dns) this.mergeDnsStats(d);
    for (const e of data.epm) this.observeEpm({ ...e, ports: e.ports.slice() });
  }

  /**
   * The summary as plain data, sorted (pairs by transport, originator, responder, port). A deep
   * copy, unless `share`: then the result holds this summary's own objects (samples, lists, and
   * timelines that read the pair table), for a summary that is not changed again (the final one),
   * and its pairs come in the table's order, not sorted (see PairTable.aggregates): their readers
   * must not depend on the order of `pairs`.
   */
  toData(opts: { share?: boolean } = {}): FlowSummaryData {
    if (opts.share) return this.sharedData(true);
    const names = [...this.names.values()].map((n) => ({ ...n, evidence: copyEvidence(n.evidence) }));
    names.sort((a, b) => cmpStr(a.name, b.name) || cmpStr(a.address, b.address) || cmpStr(a.source, b.source));
    const dns = [...this.dns.values()].map((d) => ({ ...d, servers: d.servers.slice(), clients: d.clients.slice(), firstEvidence: { ...d.firstEvidence } }));
    dns.sort((a, b) => cmpStr(a.name, b.name));
    const epm = [...this.epm.values()].map((e) => ({ ...e, ports: e.ports.slice() }));
    epm.sort((a, b) => a.ts - b.ts || cmpStr(a.client, b.client) || cmpStr(a.server, b.server) || cmpStr(a.ports.join(','), b.ports.join(',')));
    return {
      flows: this.flows,
      firstTs: this.firstTs,
      lastTs: this.lastTs,
      pairs: this.pairs.aggregates(false),
      names,
      dns,
      epm,
      overflowFlows: this.overflowFlows,
      outcomes: { ...this.outcomes },
    };
  }

  private sharedData(withPairs: boolean): FlowSummaryData {
    const names = [...this.names.values()];
    names.sort((a, b) => cmpStr(a.name, b.name) || cmpStr(a.address, b.address) || cmpStr(a.source, b.source));
    const dns = [...this.dns.values()];
    dns.sort((a, b) => cmpStr(a.name, b.name));
    const epm = [...this.epm.values()];
    epm.sort((a, b) => a.ts - b.ts || cmpStr(a.client, b.client) || cmpStr(a.server, b.server) || cmpStr(a.ports.join(','), b.ports.join(',')));
    return {
      flows: this.flows,
      firstTs: this.firstTs,
      lastTs: this.lastTs,
      pairs: withPairs ? this.pairs.aggregates(true) : [],
      names,
      dns,
      epm,
      overflowFlows: this.overflowFlows,
      outcomes: { ...this.outcomes },
    };
  }

  private widenWindow(first: number, last: number): void {
    if (this.firstTs === null || first < this.firstTs) this.firstTs = first;
    if (this.lastTs === null || last > this.lastTs) this.lastTs = last;
  }

  private observeName(n: NameObservation): void {
    const key = `${n.source}|${n.name}|${n.address}`;
    const mine = this.names.get(key);
    if (!mine) {
      if (this.names.size < MAX_NAMES) this.names.set(key, n);
      return;
    }
    if (compareEvidence(n.ts ?? 0, n.evidence, mine.ts ?? 0, mine.evidence) < 0) {
      mine.evidence = n.evidence;
      mine.ts = n.ts;
    }
  }

  /**
   * A request through an explicit proxy (a CONNECT tunnel, or a plain-HTTP fetch), as the pair the
   * client meant: client → target host and port, with the flow's outcome (the proxy's answer) and
   * evidence. The target is named by its host name (its address stays unknown to the client), which
   * carries the roles the name gives (login.microsoftonline.com: azure-ad), so the catalog's rules
   * judge it as if there were no proxy: the connection to the proxy is not a pair of its own (it
   * would be "unexpected" traffic to an unknown host on every audit of a site with a proxy).
   */
  private addTunnel(flow: Flow, target: string): void {
    const colon = target.lastIndexOf(':');
    const port = Number(target.slice(colon + 1));
    let host = target.slice(0, colon);
    if (host.startsWith('[')) host = host.slice(1, -1);
    // respKey was the proxy's address: the tunnel's far end is a name.
    const tunnel: Flow = { ...flow, respH: host, respP: port, respKey: undefined };
    if (!this.pairs.addFlow(tunnel, this.reasons)) this.overflowFlows++;
    if (parseIp(host) === null) {
      this.observeName({ name: host, address: host, source: 'proxy', via: flow.respH, evidence: copyEvidence(flow.evidence), ts: flow.ts });
    }
  }

  private addDnsLookups(flow: Flow): void {
    const dns = flow.dns!;
    const seen = new Set<string>();
    for (const q of dns.queries) {
      if (seen.has(q.name)) continue;
      seen.add(q.name);
      const rcode = dns.rcode;
      this.mergeDnsStats({
        name: q.name,
        queries: 1,
        answered: rcode === 0 ? 1 : 0,
        nxdomain: rcode === 3 ? 1 : 0,
        servfail: rcode === 2 ? 1 : 0,
        otherError: rcode !== null && rcode !== 0 && rcode !== 2 && rcode !== 3 ? 1 : 0,
        unanswered: rcode === null ? 1 : 0,
        servers: [flow.respH],
        clients: [flow.origH],
        firstEvidence: { ...copyEvidence(flow.evidence), ts: flow.ts },
      });
    }
  }

  private mergeDnsStats(d: DnsLookupStats): void {
    const mine = this.dns.get(d.name);
    if (!mine) {
      if (this.dns.size >= MAX_DNS_NAMES) return;
      const copy: DnsLookupStats = { ...d, servers: [], clients: [], firstEvidence: { ...d.firstEvidence } };
      for (const s of d.servers) addCapped(copy.servers, s, MAX_DNS_SERVERS);
      for (const c of d.clients) addCapped(copy.clients, c, MAX_DNS_CLIENTS);
      this.dns.set(d.name, copy);
      return;
    }
    mine.queries += d.queries;
    mine.answered += d.answered;
    mine.nxdomain += d.nxdomain;
    mine.servfail += d.servfail;
    mine.otherError += d.otherError;
    mine.unanswered += d.unanswered;
    for (const s of d.servers) addCapped(mine.servers, s, MAX_DNS_SERVERS);
    for (const c of d.clients) addCapped(mine.clients, c, MAX_DNS_CLIENTS);
    if (compareEvidence(d.firstEvidence.ts, d.firstEvidence, mine.firstEvidence.ts, mine.firstEvidence) < 0) {
      mine.firstEvidence = { ...d.firstEvidence };
    }
  }

  private observeEpm(e: { client: string; server: string; ports: number[]; ts: number }): void {
    const key = `${e.client}|${e.server}|${e.ports.join(',')}`;
    const mine = this.epm.get(key);
    if (!mine) {
      if (this.epm.size < MAX_EPM_HANDOUTS) this.epm.set(key, e);
      return;
    }
    if (e.ts < mine.ts) mine.ts = e.ts;
  }
}
