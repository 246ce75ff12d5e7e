/**
 * Numeric view of a summary's pair aggregates, shared by role assignment and the audit.
 *
 * A large capture holds tens of thousands of pairs and as many client addresses, nearly all of
 * which end up with no role. Walking string-keyed maps of objects per address and per rule cost
 * most of `analyze` after the capture was read; this index reads every pair object once, turns
 * every address into a small integer, copies the fields the rules read into typed columns, groups
 * pair positions by originator and by responder (counting sorts, no object per address), and sorts
 * the addresses only when asked. Callers keep per-address tallies in typed arrays by these ids.
 */
import { addressOrder } from '../common/ip.js';
import type { PairAggregate } from '../flows/summary-types.js';

/** Pair positions grouped by a key: the positions of key k are `items[start[k] .. start[k + 1])`, in pair order. */
export interface PairGroups {
  start: Int32Array;
  items: Int32Array;
}

/** Transport codes in {@link PairIndex.proto}. */
export const PROTO_TCP = 0;
export const PROTO_UDP = 1;
export const PROTO_ICMP = 2;

export class PairIndex {
  /** Address text per id; ids are given in pair order (originator, then responder, of each pair). */
  readonly addresses: string[] = [];
  /** Id per address text. */
  readonly ids = new Map<string, number>();
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
  /** The first and last pair objects indexed (to notice a changed array). */
  private readonly first: PairAggregate | undefined;
  private readonly last: PairAggregate | undefined;
  private orderCache: Int32Array | null = null;

  /** The pair objects must not change while the index is in use (their fields are copied here). */
  constructor(readonly pairs: readonly PairAggregate[]) {
    const n = pairs.length;
    const orig = (this.orig = new Int32Array(n));
    const resp = (this.resp = new Int32Array(n));
    const port = (this.port = new Int32Array(n));
    const proto = (this.proto = new Uint8Array(n));
    const flows = (this.flows = new Float64Array(n));
    const completed = (this.completed = new Float64Array(n));
    this.first = pairs[0];
    this.last = pairs[n - 1];
    // Pairs per originator and per responder, counted at [id + 1] (at most two addresses a pair).
    const origStart = new Int32Array(2 * n + 2);
    const respStart = new Int32Array(2 * n + 2);
    // The one pass that reads every pair object: later passes read these columns.
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
        lastOrigId = this.intern(lastOrig);
      }
      if (lastRespId < 0 || p.respH !== lastResp) {
        lastResp = p.respH;
        lastRespId = this.intern(lastResp);
      }
      orig[i] = lastOrigId;
      resp[i] = lastRespId;
      origStart[lastOrigId + 1]++;
      respStart[lastRespId + 1]++;
      port[i] = p.respP;
      proto[i] = p.proto === 'tcp' ? PROTO_TCP : p.proto === 'udp' ? PROTO_UDP : PROTO_ICMP;
      flows[i] = p.flows;
      completed[i] = p.completed;
    }
    // Counting sort of the positions by originator and by responder (stable: pair order within each).
    const size = this.addresses.length;
    for (let k = 1; k <= size; k++) {
      origStart[k] += origStart[k - 1];
      respStart[k] += respStart[k - 1];
    }
    const origFill = origStart.slice(0, size);
    const respFill = respStart.slice(0, size);
    const origItems = new Int32Array(n);
    const respItems = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      origItems[origFill[orig[i]]++] = i;
      respItems[respFill[resp[i]]++] = i;
    }
    this.byOrig = { start: origStart.subarray(0, size + 1), items: origItems };
    this.byResp = { start: respStart.subarray(0, size + 1), items: respItems };
  }

  private intern(address: string): number {
    let id = this.ids.get(address);
    if (id === undefined) {
      id = this.addresses.length;
      this.ids.set(address, id);
      this.addresses.push(address);
    }
    return id;
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
