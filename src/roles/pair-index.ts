/**
 * Numeric view of a summary's pair aggregates, shared by role assignment and the audit.
 *
 * A large capture holds tens of thousands of pairs and as many client addresses, nearly all of
 * which end up with no role. Walking string-keyed maps of objects per address and per rule cost
 * most of `analyze` after the capture was read; this index turns every address into a small
 * integer, holds the fields the rules read in typed columns, groups pair positions by originator
 * and by responder (linked lists in typed arrays, no object per address), and sorts the addresses only when
 * asked. Callers keep per-address tallies in typed arrays by these ids. A summary's own shared
 * pairs come with their columns (flows/pair-table.ts pairColumns): then no pair object is read.
 */
import { addressOrder, plainlyRoutableHost } from '../common/ip.js';
import { textId } from '../common/text-ids.js';
import { countPerAddress, linkPairs, pairColumns, tallyPlainFlows, type AddressIds, type PairColumns } from '../flows/pair-table.js';
import type { PairAggregate } from '../flows/summary-types.js';

/**
 * Pair positions grouped by address, as lists, the latest first: address a's are first[a],
 * next[first[a]], next[next[first[a]]] ... up to -1 (walk them with
 * `for (let i = g.first[a]; i >= 0; i = g.next[i])`); count[a] of them. Nothing read from the
 * index depends on pair order (a test audits every fixture with its pairs shuffled).
 */
export interface PairGroups {
  first: Int32Array;
  next: Int32Array;
  count: Int32Array;
}

/** The positions of address `id`'s pairs in `g`, the latest first, as an array (for the few callers that keep them). */
export function groupItems(g: PairGroups, id: number): Int32Array {
  const items = new Int32Array(g.count[id]);
  let k = 0;
  for (let i = g.first[id]; i >= 0; i = g.next[i]) items[k++] = i;
  return items;
}

/** Transport codes in {@link PairIndex.proto}: those of PairColumns.proto (flows/pair-table.ts). */
export const PROTO_TCP = 0;
export const PROTO_UDP = 1;
export const PROTO_ICMP = 2;

/** The columns of any pairs array, read from its objects (addresses numbered in pair order). */
function columnsOf(pairs: readonly PairAggregate[]): PairColumns {
  const n = pairs.length;
  const addresses: string[] = [];
  const addressIds = new Map<string, number>();
  const c: PairColumns = {
    addresses,
    addressIds,
    orig: new Int32Array(n),
    resp: new Int32Array(n),
    port: new Int32Array(n),
    proto: new Uint8Array(n),
    flows: new Float64Array(n),
    completed: new Float64Array(n),
  };
  // Summaries list pairs by originator, then responder: a repeat of the previous address is
  // told apart from a new one without a hash lookup.
  let lastOrig = '';
  let lastOrigId = -1;
  let lastResp = '';
  let lastRespId = -1;
  for (let i = 0; i < n; i++) {
    const p = pairs[i];
    if (lastOrigId < 0 || p.origH !== lastOrig) {
      lastOrig = p.origH;
      lastOrigId = textId(addresses, addressIds, lastOrig);
    }
    if (lastRespId < 0 || p.respH !== lastResp) {
      lastResp = p.respH;
      lastRespId = textId(addresses, addressIds, lastResp);
    }
    c.orig[i] = lastOrigId;
    c.resp[i] = lastRespId;
    c.port[i] = p.respP;
    c.proto[i] = p.proto === 'tcp' ? PROTO_TCP : p.proto === 'udp' ? PROTO_UDP : PROTO_ICMP;
    c.flows[i] = p.flows;
    c.completed[i] = p.completed;
  }
  return c;
}

export class PairIndex {
  /**
   * Address text per id: the columns' own numbering (a table's: the order addresses were first
   * seen; {@link columnsOf}: pair order). Nothing read from the index depends on that order: every
   * listing is in address order, and addresses are distinct texts.
   */
  readonly addresses: readonly string[];
  /** Originator id per pair position. */
  readonly orig: Int32Array;
  /** Responder id per pair position. */
  readonly resp: Int32Array;
  /** Responder port per pair position. */
  readonly port: Int32Array;
  /** Transport per pair position: {@link PROTO_TCP}, {@link PROTO_UDP} or {@link PROTO_ICMP}. */
  readonly proto: Uint8Array;
  /** Flows per pair position. */
  readonly flows: Float64Array;
  /** Completed flows per pair position. */
  readonly completed: Float64Array;
  /** Flows per address id, over both sides of its pairs (a pair from a host to itself once). */
  readonly flowsPerAddress: Float64Array;
  /** Per address id: 1 when it is plainly one routable host's (common/ip.ts plainlyRoutableHost: no group, no link-local address). */
  readonly plainHost: Uint8Array;
  /** How many plain hosts have each number of flows (PairColumns.plainFlowTally). */
  readonly plainFlowTally: Int32Array;
  /** Ids of the addresses that are not plain hosts, ascending. */
  readonly notPlainHosts: Int32Array;
  /** The columns' {@link PairColumns.hasCaptureSample}, when they have it. */
  private readonly captured: ((i: number) => boolean) | undefined;
  private readonly ids: AddressIds;
  /** The first and last pair objects indexed (to notice a changed array). */
  private readonly first: PairAggregate | undefined;
  private readonly last: PairAggregate | undefined;
  private orderCache: Int32Array | null = null;
  private readonly remembered = new Map<string, number>();

  /** The pair objects must not change while the index is in use (their fields are copied here). */
  constructor(readonly pairs: readonly PairAggregate[]) {
    const n = pairs.length;
    // A table's columns are taken as they are: renumbering 50k addresses into pair order was a
    // pass of its own after reading, for an order nothing reads.
    const c = pairColumns(pairs) ?? columnsOf(pairs);
    this.port = c.port;
    this.proto = c.proto;
    this.flows = c.flows;
    this.completed = c.completed;
    this.captured = c.hasCaptureSample;
    this.first = pairs[0];
    this.last = pairs[n - 1];
    this.ids = c.addressIds;
    // A table's address list grows if the table is changed later: the index keeps its own copy.
    const size = c.addresses.length;
    this.addresses = c.addresses.slice(0, size);
    this.plainHost = c.plainHost ?? Uint8Array.from(this.addresses, (a) => (plainlyRoutableHost(a) ? 1 : 0));
    const orig = (this.orig = c.orig);
    const resp = (this.resp = c.resp);
    // A table counted its pairs and flows per address, and linked each address's pairs, as they
    // came (flows/pair-table.ts); other columns are counted and linked here.
    let { pairsAsOrig: asOrig, pairsAsResp: asResp, flowsPerAddress } = c;
    if (!asOrig || !asResp || !flowsPerAddress) {
      asOrig = new Int32Array(size);
      asResp = new Int32Array(size);
      flowsPerAddress = new Float64Array(size);
      countPerAddress(orig, resp, c.flows, n, asOrig, asResp, flowsPerAddress);
    }
    this.flowsPerAddress = flowsPerAddress;
    this.plainFlowTally = c.plainFlowTally ?? tallyPlainFlows(flowsPerAddress, this.plainHost, size);
    this.notPlainHosts = c.notPlainHosts ?? notPlainIds(this.plainHost, size);
    const lists =
      c.origFirst && c.origNext && c.respFirst && c.respNext
        ? { origFirst: c.origFirst, origNext: c.origNext, respFirst: c.respFirst, respNext: c.respNext }
        : linkPairs(orig, resp, n, size);
    this.byOrig = { first: lists.origFirst, next: lists.origNext, count: asOrig };
    this.byResp = { first: lists.respFirst, next: lists.respNext, count: asResp };
  }

  /**
   * True when a sample of the pair at position `i` came from a packet capture (it has a frame
   * number). Asked of the table when the columns come from one: a table's pairs build their
   * sample objects on first read and keep them, and asking every pair of a flow log (none has a
   * frame) kept the samples of all of them, ~45 MB for 44k pairs.
   */
  hasCaptureSample(i: number): boolean {
    if (this.captured) return this.captured(i);
    for (const s of this.pairs[i].samples) if (s.frame !== undefined) return true;
    return false;
  }

  /** The id of an address, undefined when it is in no pair. */
  idOf(address: string): number | undefined {
    const known = this.remembered.get(address);
    if (known !== undefined) return known;
    const id = this.ids.get(address);
    return id !== undefined && id < this.addresses.length ? id : undefined;
  }

  /**
   * Notes that `address` has id `id` (its text is addresses[id]): the hosts role assignment names
   * are looked up by text again by the audit, and a capture's table finds an IPv6 text only by
   * parsing it (its addresses came as numbers), ~8 µs each run cold, for hundreds of DCs.
   */
  remember(address: string, id: number): void {
    if (id < this.addresses.length && this.addresses[id] === address) this.remembered.set(address, id);
  }

  /**
   * True when `pairs` still looks like the array this index was built from: same length, same
   * first and last pair objects. Summaries hand out their pairs once and never change them in
   * place; this catches an array that was grown, cut or refilled, at no cost per pair.
   */
  matches(pairs: readonly PairAggregate[]): boolean {
    const n = this.orig.length;
    return pairs.length === n && (n === 0 || (pairs[0] === this.first && pairs[n - 1] === this.last));
  }

  /** Number of distinct addresses. */
  get size(): number {
    return this.addresses.length;
  }

  /** Pair positions per originator id. */
  readonly byOrig: PairGroups;
  /** Pair positions per responder id. */
  readonly byResp: PairGroups;

  /** Ids in address order (common/ip.ts compareAddresses; equal addresses in id order). */
  get order(): Int32Array {
    return (this.orderCache ??= addressOrder(this.addresses));
  }
}

/** The ids whose plainHost mark is 0, ascending. */
function notPlainIds(plainHost: Uint8Array, size: number): Int32Array {
  const ids: number[] = [];
  for (let id = 0; id < size; id++) if (plainHost[id] === 0) ids.push(id);
  return Int32Array.from(ids);
}

const cache = new WeakMap<readonly PairAggregate[], PairIndex>();

/**
 * The index of `pairs`, built on first use and kept while the array lives, so role assignment and
 * the audit of one summary build it once. An array that was grown, cut or refilled since gets a
 * new index (see {@link PairIndex.matches}); pairs must not be changed in place.
 */
export function pairIndexFor(pairs: readonly PairAggregate[]): PairIndex {
  let index = cache.get(pairs);
  if (!index || !index.matches(pairs)) {
    index = new PairIndex(pairs);
    cache.set(pairs, index);
  }
  return index;
}
