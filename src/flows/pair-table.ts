/**
 * The pair aggregates of a FlowSummary (see PairAggregate in summary-types.ts), kept in columns.
 *
 * FlowSummary.add runs once per flow, millions of times, on a table of tens of thousands of pairs:
 * its cost is memory latency. So each pair is one hot row of numbers (window, bytes and the time
 * of its sample digest in a Float64Array; counters, conn_state counts and masks in a 32-bit array),
 * found through one open-addressing hash of three integers (originator id, responder id, port and
 * transport), the addresses interned to ids once. The common flow, later than every sample of its
 * pair and of an outcome already sampled, touches only that row, the index and the pair's timeline
 * (timeline-store.ts). Samples live in columns too (SampleColumns in samples.ts:
 * SAMPLES_PER_AGGREGATE slots per pair), touched only when they change; ICMP reasons and deny rules
 * are arrays, most pairs share an empty one or one of a single text.
 *
 * The whole table travels between threads as a few typed arrays and string tables
 * ({@link PairTable.exportData}, {@link PairTable.mergeData}): no object per pair is cloned.
 */

import { ipv4Number, isIpv6, parseIp, plainlyRoutableHost } from '../common/ip.js';
import { textId } from '../common/text-ids.js';
import { resized } from '../common/typed-arrays.js';
import { describeIcmpRefusal } from './outcome.js';
import { hashFinish, ipv6AddressKey } from './key.js';
import {
  addSampleToSlots,
  CONN_STATE_INDEX,
  CONN_STATES,
  connStateCode,
  internReason,
  SampleColumns,
  selectSlots,
  SN,
} from './samples.js';
import { SAMPLES_PER_AGGREGATE, type FlowSample, type PairAggregate, type Timeline } from './summary-types.js';
import { copyTimeline } from './timeline.js';
import { StoredTimeline, TimelineStore, type TimelineStoreData } from './timeline-store.js';
import type { ConnState, Flow, Transport } from './types.js';

/** Distinct ICMP refusal texts and deny-rule names kept per pair (the smallest, in string order). */
export const MAX_ICMP_REASONS = 8;
export const MAX_DENY_RULES = 8;

/** Transport codes in the port slot: tcp 0, udp 1, icmp 2. */
const TRANSPORTS: readonly Transport[] = ['tcp', 'udp', 'icmp'];
/** Sort rank of each transport code (by name: icmp, tcp, udp). */
const TRANSPORT_RANK = [1, 2, 0];

// Row layout: per pair, ROW doubles in `rows` (times and bytes) and TALLY integers in `tallies`
// (counts and masks, 32 bits each until one does not fit, see PairTable.widenTallies).
const R_FIRST_TS = 0;
const R_LAST_TS = 1;
const R_BYTES = 2;
/**
 * The sample digest: the time of the last sample when the pair has all SAMPLES_PER_AGGREGATE
 * (+Infinity before), and the outcomes sampled (T_SAMPLE_OUTCOMES: mask of 1 << outcome code). A
 * flow later than that time whose outcome is in the mask cannot change the samples (see addSampleToSlots).
 */
const R_SAMPLE_TS = 3;
const ROW = R_SAMPLE_TS + 1;
const T_FLOWS = 0;
/** Outcome counters: T_OUTCOMES + index in OUTCOMES. */
const T_OUTCOMES = 1;
/** conn_state counters: T_STATES + index in CONN_STATES. */
const T_STATES = 5;
const T_SAMPLE_OUTCOMES = T_STATES + CONN_STATES.length;
/**
 * Deny rules already offered to the pair's list, as a mask of rule bits (see PairTable.ruleBit):
 * offering one again cannot change the list (it keeps the smallest MAX_DENY_RULES ever offered), so
 * the common refused flow skips the list. Only meaningful to the table that set it (bits are per table).
 */
const T_DENY_SEEN = T_SAMPLE_OUTCOMES + 1;
const TALLY = T_DENY_SEEN + 1;
/** Deny-rule names that get a bit in T_DENY_SEEN (the rest always go through the list). */
const MAX_RULE_BITS = 30;
const MAX_U32 = 0xffffffff;

/** Sample slots per pair. */
const SLOTS = SAMPLES_PER_AGGREGATE;
/** Strings per sample in {@link PairTableData.sampleStrs}: file, reason, rule (-1: absent), as ids into `strings`. */
const SS = 3;

/** Shared empty list for icmpReasons / denyRules until a pair gets its first entry (most never do); see also PairTable.withText. */
const NO_STRINGS = Object.freeze([]) as unknown as string[];

/** A table as it travels between threads: typed arrays (transferable) and string tables. */
export interface PairTableData {
  count: number;
  /** Address table; `keys` refer to it. */
  addrs: string[];
  /** Per pair: originator id, responder id, port slot (port * 4 + transport code). */
  keys: Int32Array;
  /** Per pair: one row of times and bytes, one of counts (see the row layout in pair-table.ts). */
  rows: Float64Array;
  tallies: Uint32Array | Float64Array;
  /** Strings the samples and lists refer to (files, reasons, rules, ICMP texts). */
  strings: string[];
  /** Samples of pair i: slots i * SAMPLES_PER_AGGREGATE .. + sampleCount[i] - 1. */
  sampleCount: Uint8Array;
  /** Per slot: ts, origP, frame, line, record, tuple (NaN: absent); see SampleColumns. */
  sampleNums: Float64Array;
  /** Per slot: conn_state code, outcome code. */
  sampleCodes: Uint8Array;
  /** Per slot: file, reason, rule (-1: absent), as ids into `strings`. */
  sampleStrs: Int32Array;
  /** Per slot (empty slots: ''). */
  uids: string[];
  /** ICMP reasons of pair i: listIds[icmpStart[i] .. icmpStart[i + 1]]; deny rules likewise with denyStart. */
  icmpStart: Int32Array;
  denyStart: Int32Array;
  listIds: Int32Array;
  timelines: TimelineStoreData;
}

/** The typed arrays' buffers of `data`, to pass as the transfer list of postMessage. */
export function transferables(data: PairTableData): ArrayBuffer[] {
  const arrays = [
    data.keys,
    data.rows,
    data.tallies,
    data.sampleCount,
    data.sampleNums,
    data.sampleCodes,
    data.sampleStrs,
    data.icmpStart,
    data.denyStart,
    data.listIds,
    data.timelines.meta,
    data.timelines.starts,
    data.timelines.counts,
  ];
  return [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))];
}

/**
 * The key of an address text as a capture's flow carries it (Flow.origKey): an IPv4 address's
 * number, an IPv6 address's hash key; NaN for anything else (a name). Text that is not the
 * canonical form gets the key of the address it parses to, but is never found under it: the
 * texts are compared (see PairTable.keyId), and an IPv4 key is given to canonical text only.
 */
function addressKeyOfText(address: string): number {
  const v4 = ipv4Number(address);
  if (v4 >= 0) return v4;
  if (!isIpv6(address)) return NaN;
  const bytes = parseIp(address);
  return bytes !== null && bytes.length === 16 ? ipv6AddressKey(bytes, 0) : NaN;
}

function hash3(a: number, b: number, c: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77) ^ Math.imul(c, 0xc2b2ae3d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 12);
}

function addCapped(list: string[], value: string, cap: number): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  if (list[lo] === value) return;
  if (lo >= cap) return;
  list.splice(lo, 0, value);
  if (list.length > cap) list.length = cap;
}

export { addCapped };

/**
 * Transport codes by name. A lookup, not a chain of comparisons: the fold is optimised on the
 * capture's first flows, and a comparison that had never run (the first UDP or ICMP flow, minutes
 * in) threw that code away and had it compiled again.
 */
const TRANSPORT_CODES: ReadonlyMap<Transport, number> = new Map([
  ['tcp', 0],
  ['udp', 1],
  ['icmp', 2],
]);

function transportCode(proto: Transport): number {
  return TRANSPORT_CODES.get(proto) ?? 2;
}

export class PairTable {
  private count = 0;
  private readonly addrs: string[] = [];
  /**
   * Address ids by text: the addresses that came as text (flow logs, merges, names), and those
   * found by text since. Addresses that came with a key (Flow.origKey) are in {@link keyIndex}
   * only until then: see {@link idOfText}.
   */
  private readonly addrIds = new Map<string, number>();
  /**
   * Every IP address of {@link addrs} by its key (an IPv4 address's number, an IPv6 address's hash
   * key: see addressKeyOfText): open addressing, at most half full, per slot the key and the id + 1
   * (0: empty). A capture's flows carry their addresses' keys and find them here with one probe:
   * the string-keyed map, for a capture with a new client per flow, was the dearest step of the fold.
   */
  private keyIndex = new Float64Array(2 * 1024);
  private keyCount = 0;
  /**
   * 1 for each address plainly one routable host's (common/ip.ts plainlyRoutableHost), by address
   * id. Decided when the address is added, while its text is at hand: the audit asks it of every
   * client address, and reading 50k address texts again after the capture was 5 ms of cache misses.
   */
  private plainHost = new Uint8Array(1024);
  /**
   * Per address id, kept up as pairs are added and flows folded: the pairs it originates, the pairs
   * it answers, and its flows over both sides (a pair from a host to itself once). The pair index
   * (roles/pair-index.ts) groups pairs by address with these; counting them after the last packet
   * was a pass over every pair of its own, run once and cold (~10 ms on the 1 GB bench capture),
   * where here it is two increments in code already optimised. Rebuilt with the columns after a merge.
   */
  private pairsAsOrig = new Int32Array(1024);
  private pairsAsResp = new Int32Array(1024);
  private addrFlows = new Float64Array(1024);
  /**
   * PairColumns.plainFlowTally, kept up with `addrFlows` (two increments a flow in code already
   * optimised), and the ids of the addresses not plainly one host's (PairColumns.notPlainHosts).
   * The audit ranks the busiest unknown addresses with them: the three passes over 65k addresses
   * that found the rank after the last packet (filter, tally, pick) took ~10 ms, cold, on the 1 GB
   * bench capture; one pass remains.
   */
  private plainFlowTally: Int32Array = new Int32Array(FLOW_TALLY_SIZE + 1);
  private readonly notPlain: number[] = [];
  /**
   * Each address's pairs on each side, as lists linked as pairs are inserted, the latest first
   * (PairColumns.origFirst ...): per address the last pair it originates and answers (-1: none),
   * per pair the one its originator and its responder had before it (-1: none). Grouping 50k
   * pairs by address after the last packet (a counting sort, the pair index's) was two passes
   * over every pair and address, run once and cold (~8 ms on the 1 GB bench capture).
   */
  private origHead = new Int32Array(1024);
  private respHead = new Int32Array(1024);
  private origNext = new Int32Array(256);
  private respNext = new Int32Array(256);
  /** Pairs the per-pair arrays (keys, rows, sampleCount, samples) have room for. */
  private capacity = 256;
  private keys: Int32Array = new Int32Array(3 * 256);
  private rows: Float64Array = new Float64Array(ROW * 256);
  /**
   * Counts and masks: 32 bits each (a pair's counts were 144 of its 192 bytes as doubles), widened
   * to doubles for the whole table the first time a count would pass 2^32 - 1 (never wraps).
   */
  private tallies: Uint32Array | Float64Array = new Uint32Array(TALLY * 256);
  /** The largest value `tallies` holds. */
  private tallyMax = MAX_U32;
  /** Samples per pair (its slots: id * SLOTS ..). */
  private sampleCount: Uint8Array = new Uint8Array(256);
  private samples = new SampleColumns(SLOTS * 256);
  /** Candidates while merging two pairs' samples. */
  private readonly scratch = new SampleColumns(4 * SLOTS);
  /**
   * The array {@link aggregates} with `share` returns until the table changes (see {@link unshare}).
   */
  private shared: PairAggregate[] | null = null;
  /**
   * One StoredPair per pair, made as the pair is inserted, and the columns of the shared arrays
   * (PairColumns), kept up as flows are folded: while a capture is read the main thread waits for
   * the decoding thread now and then, and this work costs nothing there. After the last packet a
   * loop over 50k pairs making them cost ~7 ms, cold, with nothing else running. A shared array
   * and its columns are then copies (slices) of these.
   */
  private readonly pairObjects: StoredPair[] = [];
  private colOrig = new Int32Array(256);
  private colResp = new Int32Array(256);
  private colPort = new Int32Array(256);
  private colProto = new Uint8Array(256);
  private colFlows = new Float64Array(256);
  private colCompleted = new Float64Array(256);
  /** False once a merge or an adopted table changed counts the columns do not follow (they are then rebuilt). */
  private columnsKept = true;
  /**
   * Changes of the table since it was first shared: a StoredPair's parts built at an earlier
   * generation describe the table as it was, and are built again (see StoredPair.parts).
   */
  generation = 0;
  /** A shared array or a pair's parts were handed out since the last change (see {@link unshare}). */
  private handedOut = false;
  /**
   * Open addressing, at most half full: per slot the key (originator id, responder id, port slot)
   * and the pair id + 1 (0: empty), so a probe reads one cache line.
   */
  private index = new Int32Array(4 * 1024);
  private readonly icmpReasons: string[][] = [];
  private readonly denyRules: string[][] = [];
  /** Shared lists of one text (see {@link withText}). */
  private readonly singles = new Map<string, string[]>();
  /** Bits of deny-rule names in T_DENY_SEEN. */
  private readonly ruleBits = new Map<string, number>();
  private readonly timelines = new TimelineStore();

  constructor(private readonly maxPairs: number) {}

  get size(): number {
    return this.count;
  }

  /**
   * Folds one flow into its pair, creating the pair if there is room. Returns false when the pair
   * is new and the table is full (the caller counts the flow as overflow). `reasons` shares reason texts.
   */
  addFlow(flow: Flow, reasons: Map<string, string>): boolean {
    if (this.handedOut) this.unshare();
    const respP = flow.proto === 'icmp' ? 0 : flow.respP;
    const slot = respP * 4 + transportCode(flow.proto);
    const o = this.addressId(flow.origH, flow.origKey);
    const r = this.addressId(flow.respH, flow.respKey);
    let id = o < 0 || r < 0 ? -1 : this.find(o, r, slot);
    const end = flow.ts + flow.duration;
    if (id < 0) {
      if (this.count >= this.maxPairs) return false;
      // An address not found above is new: add it without looking it up again.
      const oid = o >= 0 ? o : this.addAddress(flow.origH, flow.origKey);
      const rid = r >= 0 ? r : flow.respH === flow.origH ? oid : this.addAddress(flow.respH, flow.respKey);
      id = this.insert(oid, rid, slot);
      const row = id * ROW;
      this.rows[row + R_FIRST_TS] = flow.ts;
      this.rows[row + R_LAST_TS] = end;
    }
    // The pair's own address ids, whichever way it was found.
    const oid = this.keys[3 * id];
    const rid = this.keys[3 * id + 1];
    this.countFlow(oid);
    if (rid !== oid) this.countFlow(rid);
    const rows = this.rows;
    const row = id * ROW;
    const t = id * TALLY;
    this.addTally(t + T_FLOWS, 1);
    // A switch, not a lookup: the outcome strings are few and constant.
    let completed = 0;
    let failed = 0;
    let outcome: number;
    switch (flow.outcome) {
      case 'completed':
        completed = 1;
        outcome = 0;
        break;
      case 'refused':
        failed = 1;
        outcome = 1;
        break;
      case 'unanswered':
        failed = 1;
        outcome = 2;
        break;
      default:
        outcome = 3;
    }
    this.addTally(t + T_OUTCOMES + outcome, 1);
    this.colFlows[id] += 1;
    this.colCompleted[id] += completed;
    // Stored on every flow, not in branches that only a pair's later flows take (see TRANSPORT_CODES).
    // A comparison, not Math.min/max: a time that is not a number leaves the window as it was.
    const first = rows[row + R_FIRST_TS];
    const last = rows[row + R_LAST_TS];
    rows[row + R_FIRST_TS] = flow.ts < first ? flow.ts : first;
    rows[row + R_LAST_TS] = end > last ? end : last;
    const state = connStateCode(flow.connState);
    if (state >= 0) this.addTally(t + T_STATES + state, 1);
    rows[row + R_BYTES] += flow.origBytes + flow.respBytes;
    if (!(flow.ts > rows[row + R_SAMPLE_TS] && (this.tallies[t + T_SAMPLE_OUTCOMES] & (1 << outcome)) !== 0)) {
      this.sampleCount[id] = addSampleToSlots(this.samples, id * SLOTS, this.sampleCount[id], flow, outcome, reasons);
      this.digestSamples(id);
    }
    if (flow.icmp) this.addIcmpReason(id, describeIcmpRefusal(flow.icmp));
    // A reset from the destination that a firewall logged is no firewall's refusal: its REJ says it all.
    const firewallRefused = flow.outcome === 'refused' && flow.log?.refusedByServer !== true;
    if (firewallRefused && flow.log?.rule) {
      const bit = this.ruleBit(flow.log.rule);
      if ((this.tallies[t + T_DENY_SEEN] & bit) === 0) {
        this.addDenyRule(id, flow.log.rule);
        this.tallies[t + T_DENY_SEEN] |= bit;
      }
    } else if (firewallRefused && (flow.observedBy === 'flowlog' || flow.log !== undefined || (flow.proxy !== undefined && flow.proxy.status > 0))) {
      // A firewall DROP with no rule name (Windows Firewall, CSV exports), or a proxy's answer
      // refusing a request: its reason says who refused it; without it the audit would read the S0
      // of a deny as "SYN unanswered", and the refused tunnel's SF as nothing at all.
      this.addIcmpReason(id, flow.reason);
    }
    if (completed + failed > 0) this.timelines.add(id, flow.ts, completed, failed);
    return true;
  }

  /**
   * Folds another summary's pair aggregate in. Returns the number of flows that did not fit (the
   * pair is new and the table is full), else 0. `p` is only read.
   */
  mergeAggregate(p: PairAggregate): number {
    if (this.handedOut) this.unshare();
    const slot = (p.proto === 'icmp' ? 0 : p.respP) * 4 + transportCode(p.proto);
    const o = this.idOfText(p.origH);
    const r = this.idOfText(p.respH);
    let id = o < 0 || r < 0 ? -1 : this.find(o, r, slot);
    if (id < 0) {
      if (this.count >= this.maxPairs) return p.flows;
      id = this.insert(this.intern(p.origH), this.intern(p.respH), slot);
      const row = id * ROW;
      this.rows[row + R_FIRST_TS] = p.firstTs;
      this.rows[row + R_LAST_TS] = p.lastTs;
    }
    this.columnsKept = false;
    const n = this.fillScratch(id, p.samples.length);
    for (let k = 0; k < p.samples.length; k++) this.scratch.setSample(n + k, p.samples[k]);
    this.sampleCount[id] = selectSlots(this.scratch, n + p.samples.length, this.samples, id * SLOTS);
    const rows = this.rows;
    const row = id * ROW;
    const t = id * TALLY;
    this.addTally(t + T_FLOWS, p.flows);
    this.addTally(t + T_OUTCOMES, p.completed);
    this.addTally(t + T_OUTCOMES + 1, p.refused);
    this.addTally(t + T_OUTCOMES + 2, p.unanswered);
    this.addTally(t + T_OUTCOMES + 3, p.unknown);
    if (p.firstTs < rows[row + R_FIRST_TS]) rows[row + R_FIRST_TS] = p.firstTs;
    if (p.lastTs > rows[row + R_LAST_TS]) rows[row + R_LAST_TS] = p.lastTs;
    for (const [state, n] of Object.entries(p.connStates)) {
      const k = CONN_STATE_INDEX[state as ConnState];
      if (k !== undefined) this.addTally(t + T_STATES + k, n ?? 0);
    }
    rows[row + R_BYTES] += p.bytes;
    this.digestSamples(id);
    for (const x of p.icmpReasons) this.addIcmpReason(id, x);
    for (const x of p.denyRules) this.addDenyRule(id, x);
    this.timelines.mergeTimeline(id, p.timeline);
    return 0;
  }

  /**
   * The table as typed arrays and string tables, for another thread. With `transfer`, the live
   * arrays are handed over (no copy): the table must not be used again.
   */
  exportData(transfer: boolean): PairTableData {
    const n = this.count;
    const strings: string[] = [];
    const stringIds = new Map<string, number>();
    const sid = (v: string): number => textId(strings, stringIds, v);
    const c = this.samples;
    const slots = n * SLOTS;
    const sampleStrs = new Int32Array(slots * SS);
    // Empty slots read undefined in the columns (see SlotStrings): '' in the data.
    const uids = new Array<string>(slots).fill('');
    for (let id = 0; id < n; id++) {
      for (let k = 0; k < this.sampleCount[id]; k++) {
        const j = id * SLOTS + k;
        uids[j] = c.uids.get(j);
        sampleStrs[j * SS] = sid(c.files.get(j));
        sampleStrs[j * SS + 1] = sid(c.reasons.get(j));
        const rule = c.rules.get(j);
        sampleStrs[j * SS + 2] = rule === undefined ? -1 : sid(rule);
      }
    }
    const icmpStart = new Int32Array(n + 1);
    const denyStart = new Int32Array(n + 1);
    const ids: number[] = [];
    for (let i = 0; i < n; i++) {
      icmpStart[i] = ids.length;
      for (const x of this.icmpReasons[i]) ids.push(sid(x));
    }
    icmpStart[n] = ids.length;
    for (let i = 0; i < n; i++) {
      denyStart[i] = ids.length;
      for (const x of this.denyRules[i]) ids.push(sid(x));
    }
    denyStart[n] = ids.length;
    return {
      count: n,
      addrs: this.addrs.slice(),
      keys: transfer ? this.keys : this.keys.slice(0, 3 * n),
      rows: transfer ? this.rows : this.rows.slice(0, ROW * n),
      tallies: transfer ? this.tallies : this.tallies.slice(0, TALLY * n),
      strings,
      sampleCount: transfer ? this.sampleCount : this.sampleCount.slice(0, n),
      sampleNums: transfer ? c.nums : c.nums.slice(0, slots * SN),
      sampleCodes: transfer ? c.codes : c.codes.slice(0, slots * 2),
      sampleStrs,
      uids,
      icmpStart,
      denyStart,
      listIds: Int32Array.from(ids),
      timelines: this.timelines.exportData(transfer),
    };
  }

  /**
   * Folds another table's data in (exact). Returns the number of flows that did not fit (pairs
   * new to this table once it is full). `d` is only read.
   */
  mergeData(d: PairTableData, reasons: Map<string, string>, opts: { adopt?: boolean } = {}): number {
    if (this.handedOut) this.unshare();
    if (opts.adopt && this.count === 0 && d.count <= this.maxPairs) {
      this.adoptData(d, reasons);
      return 0;
    }
    this.columnsKept = false;
    let overflow = 0;
    // Their address ids → ours (-1: not interned yet).
    const addrMap = new Int32Array(d.addrs.length);
    for (let a = 0; a < d.addrs.length; a++) addrMap[a] = this.idOfText(d.addrs[a]);
    const strings = d.strings.map((s) => internReason(reasons, s));
    for (let i = 0; i < d.count; i++) {
      let o = addrMap[d.keys[3 * i]];
      let r = addrMap[d.keys[3 * i + 1]];
      const slot = d.keys[3 * i + 2];
      const their = i * ROW;
      const theirT = i * TALLY;
      let id = o < 0 || r < 0 ? -1 : this.find(o, r, slot);
      const theirs = d.sampleCount[i];
      if (id < 0) {
        if (this.count >= this.maxPairs) {
          overflow += d.tallies[theirT + T_FLOWS];
          continue;
        }
        if (o < 0) o = addrMap[d.keys[3 * i]] = this.intern(d.addrs[d.keys[3 * i]]);
        if (r < 0) r = addrMap[d.keys[3 * i + 1]] = this.intern(d.addrs[d.keys[3 * i + 1]]);
        id = this.insert(o, r, slot);
        const row = id * ROW;
        this.rows[row + R_FIRST_TS] = d.rows[their + R_FIRST_TS];
        this.rows[row + R_LAST_TS] = d.rows[their + R_LAST_TS];
        // Already the policy's choice.
        for (let k = 0; k < theirs; k++) sampleFromData(this.samples, id * SLOTS + k, d, i * SLOTS + k, strings);
        this.sampleCount[id] = theirs;
      } else {
        const n = this.fillScratch(id, theirs);
        for (let k = 0; k < theirs; k++) sampleFromData(this.scratch, n + k, d, i * SLOTS + k, strings);
        this.sampleCount[id] = selectSlots(this.scratch, n + theirs, this.samples, id * SLOTS);
      }
      const rows = this.rows;
      const row = id * ROW;
      const t = id * TALLY;
      // Flows, outcomes and conn_states: the counts before the masks.
      for (let k = 0; k < T_SAMPLE_OUTCOMES; k++) this.addTally(t + k, d.tallies[theirT + k]);
      if (d.rows[their + R_FIRST_TS] < rows[row + R_FIRST_TS]) rows[row + R_FIRST_TS] = d.rows[their + R_FIRST_TS];
      if (d.rows[their + R_LAST_TS] > rows[row + R_LAST_TS]) rows[row + R_LAST_TS] = d.rows[their + R_LAST_TS];
      rows[row + R_BYTES] += d.rows[their + R_BYTES];
      this.digestSamples(id);
      for (let k = d.icmpStart[i]; k < d.icmpStart[i + 1]; k++) this.addIcmpReason(id, strings[d.listIds[k]]);
      for (let k = d.denyStart[i]; k < d.denyStart[i + 1]; k++) {
        // A rule this pair was offered before cannot change its list (as in addFlow).
        const rule = strings[d.listIds[k]];
        const bit = this.ruleBit(rule);
        if ((this.tallies[t + T_DENY_SEEN] & bit) !== 0) continue;
        this.addDenyRule(id, rule);
        this.tallies[t + T_DENY_SEEN] |= bit;
      }
      this.timelines.mergeFrom(id, d.timelines, i);
    }
    return overflow;
  }

  /**
   * Becomes the table `d` describes (this table is empty, and `d` fits under the cap): its typed
   * arrays are taken over, not copied (the main thread adopts the first worker's table this way).
   */
  private adoptData(d: PairTableData, reasons: Map<string, string>): void {
    const strings = d.strings.map((s) => internReason(reasons, s));
    for (const a of d.addrs) this.intern(a);
    this.keys = d.keys;
    this.rows = d.rows;
    this.tallies = d.tallies;
    this.tallyMax = d.tallies instanceof Uint32Array ? MAX_U32 : Infinity;
    this.count = d.count;
    // Their rule bits mean nothing here.
    for (let i = 0; i < d.count; i++) this.tallies[i * TALLY + T_DENY_SEEN] = 0;
    this.sampleCount = d.sampleCount;
    const c = this.samples;
    c.nums = d.sampleNums;
    c.codes = d.sampleCodes;
    this.capacity =
      Math.min(d.keys.length / 3, d.rows.length / ROW, d.tallies.length / TALLY, d.sampleCount.length, d.sampleNums.length / (SLOTS * SN)) | 0;
    c.ensure(this.capacity * SLOTS);
    for (let i = 0; i < d.count; i++) {
      for (let k = 0; k < d.sampleCount[i]; k++) {
        const j = i * SLOTS + k;
        c.files.set(j, strings[d.sampleStrs[j * SS]]);
        c.reasons.set(j, strings[d.sampleStrs[j * SS + 1]]);
        const rule = d.sampleStrs[j * SS + 2];
        c.rules.setIfAny(j, rule >= 0 ? strings[rule] : undefined);
        c.uids.set(j, d.uids[j]);
      }
      this.icmpReasons.push(this.listOf(d.listIds, d.icmpStart[i], d.icmpStart[i + 1], strings));
      this.denyRules.push(this.listOf(d.listIds, d.denyStart[i], d.denyStart[i + 1], strings));
    }
    this.timelines.adopt(d.timelines);
    this.columnsKept = false;
    this.resizeColumns();
    let size = this.index.length >>> 2;
    while (2 * this.count > size) size *= 2;
    this.index = new Int32Array(4 * size);
    for (let id = 0; id < this.count; id++) this.place(id);
  }

  /**
   * The pairs as PairAggregate objects. Copies (every part), sorted by (transport, originator,
   * responder, responder port): the form tests and merges compare. With `share`, for a table that is
   * not changed again: one array of objects that read the table (built on the first call, the same
   * array after until the table changes; an array handed out before a change is stale), whose columns
   * readers can take without touching the objects (see {@link pairColumns}), in the table's own
   * order: what the pairs are read for (roles, the audit) depends on no order, so the 50k-pair sort
   * (a third of the time after reading a large capture) is not paid for them. A test audits every
   * fixture with its pairs shuffled and gets the same reports.
   */
  aggregates(share: boolean): PairAggregate[] {
    if (share) {
      this.handedOut = true;
      return (this.shared ??= this.sharedPairs());
    }
    const order = this.sortedIds();
    const out: PairAggregate[] = new Array<PairAggregate>(order.length);
    for (let k = 0; k < order.length; k++) out[k] = this.aggregate(order[k]);
    return out;
  }

  /** {@link aggregates} with `share`: a StoredPair per pair, and the columns of the array. */
  private sharedPairs(): PairAggregate[] {
    const n = this.count;
    // Pairs of an adopted table have no object yet.
    for (let id = this.pairObjects.length; id < n; id++) this.pairObjects.push(new StoredPair(this, id));
    if (!this.columnsKept) this.rebuildColumns();
    const pairs: PairAggregate[] = this.pairObjects.slice(0, n);
    sharedColumns.set(pairs, {
      first: pairs[0],
      last: pairs[n - 1],
      addresses: this.addrs,
      addressIds: { get: (address: string) => this.lookUp(address) },
      orig: this.colOrig.slice(0, n),
      resp: this.colResp.slice(0, n),
      port: this.colPort.slice(0, n),
      proto: this.colProto.slice(0, n),
      flows: this.colFlows.slice(0, n),
      completed: this.colCompleted.slice(0, n),
      hasCaptureSample: (id) => this.hasFrameSample(id),
      plainHost: this.plainHost.slice(0, this.addrs.length),
      pairsAsOrig: this.pairsAsOrig.slice(0, this.addrs.length),
      pairsAsResp: this.pairsAsResp.slice(0, this.addrs.length),
      flowsPerAddress: this.addrFlows.slice(0, this.addrs.length),
      plainFlowTally: this.plainFlowTally.slice(),
      origFirst: this.origHead.slice(0, this.addrs.length),
      origNext: this.origNext.slice(0, n),
      respFirst: this.respHead.slice(0, this.addrs.length),
      respNext: this.respNext.slice(0, n),
      notPlainHosts: Int32Array.from(this.notPlain),
    });
    return pairs;
  }

  /** True when one of pair `id`'s samples has a frame number (it came from a packet capture). */
  private hasFrameSample(id: number): boolean {
    for (let j = id * SLOTS; j < id * SLOTS + this.sampleCount[id]; j++) if (this.samples.hasFrame(j)) return true;
    return false;
  }

  /** One more flow of address `id` (addrFlows and plainFlowTally). */
  private countFlow(id: number): void {
    const before = this.addrFlows[id];
    this.addrFlows[id] = before + 1;
    // Stored whatever the address: a branch on plainHost would be met for the first time late.
    const plain = this.plainHost[id];
    const tally = this.plainFlowTally;
    tally[Math.min(before, FLOW_TALLY_SIZE)] -= plain;
    tally[Math.min(before + 1, FLOW_TALLY_SIZE)] += plain;
  }

  /** Puts pair `id` at the head of the lists of its originator `o` and responder `r` (see {@link origHead}). */
  private link(id: number, o: number, r: number): void {
    this.origNext[id] = this.origHead[o];
    this.origHead[o] = id;
    this.respNext[id] = this.respHead[r];
    this.respHead[r] = id;
  }

  /** The kept columns, at the current capacity (their values kept). */
  private resizeColumns(): void {
    const n = this.capacity;
    if (this.colOrig.length >= n) return;
    this.colOrig = resized(this.colOrig, n);
    this.colResp = resized(this.colResp, n);
    this.colPort = resized(this.colPort, n);
    this.colProto = resized(this.colProto, n);
    this.colFlows = resized(this.colFlows, n);
    this.colCompleted = resized(this.colCompleted, n);
    this.origNext = resized(this.origNext, n);
    this.respNext = resized(this.respNext, n);
  }

  /** The kept columns read again from the keys and tallies, after a merge or an adoption. */
  private rebuildColumns(): void {
    const { keys, tallies } = this;
    for (let id = 0; id < this.count; id++) {
      this.colOrig[id] = keys[3 * id];
      this.colResp[id] = keys[3 * id + 1];
      this.colPort[id] = keys[3 * id + 2] >>> 2;
      this.colProto[id] = keys[3 * id + 2] & 3;
      this.colFlows[id] = tallies[id * TALLY + T_FLOWS];
      this.colCompleted[id] = tallies[id * TALLY + T_OUTCOMES];
    }
    const addresses = this.addrs.length;
    this.pairsAsOrig.fill(0, 0, addresses);
    this.pairsAsResp.fill(0, 0, addresses);
    this.addrFlows.fill(0, 0, addresses);
    countPerAddress(this.colOrig, this.colResp, this.colFlows, this.count, this.pairsAsOrig, this.pairsAsResp, this.addrFlows);
    this.plainFlowTally = tallyPlainFlows(this.addrFlows, this.plainHost, addresses);
    this.origHead.fill(-1, 0, addresses);
    this.respHead.fill(-1, 0, addresses);
    for (let id = 0; id < this.count; id++) this.link(id, this.colOrig[id], this.colResp[id]);
    this.columnsKept = true;
  }

  /** Pair `id` as a new PairAggregate (every part a copy). */
  private aggregate(id: number): PairAggregate {
    return {
      proto: this.protoOf(id),
      origH: this.origOf(id),
      respH: this.respOf(id),
      respP: this.portOf(id),
      flows: this.tallyValue(id, T_FLOWS),
      completed: this.tallyValue(id, T_OUTCOMES),
      refused: this.tallyValue(id, T_OUTCOMES + 1),
      unanswered: this.tallyValue(id, T_OUTCOMES + 2),
      unknown: this.tallyValue(id, T_OUTCOMES + 3),
      firstTs: this.rowValue(id, R_FIRST_TS),
      lastTs: this.rowValue(id, R_LAST_TS),
      connStates: this.connStatesOf(id),
      samples: this.samplesOf(id),
      icmpReasons: this.icmpReasonsOf(id).slice(),
      denyRules: this.denyRulesOf(id).slice(),
      bytes: this.rowValue(id, R_BYTES),
      timeline: copyTimeline(this.timelineOf(id)),
    };
  }

  // Readers of one pair, for StoredPair and aggregate (the lists returned are the table's own, some shared by many pairs: read only).
  protoOf(id: number): Transport {
    return TRANSPORTS[this.keys[3 * id + 2] & 3];
  }

  origOf(id: number): string {
    return this.addrs[this.keys[3 * id]];
  }

  respOf(id: number): string {
    return this.addrs[this.keys[3 * id + 1]];
  }

  portOf(id: number): number {
    return this.keys[3 * id + 2] >>> 2;
  }

  /** Number `k` of pair `id`'s row (see the row layout). */
  rowValue(id: number, k: number): number {
    return this.rows[id * ROW + k];
  }

  /** Count `k` of pair `id`'s tallies (see the row layout). */
  tallyValue(id: number, k: number): number {
    return this.tallies[id * TALLY + k];
  }

  connStatesOf(id: number): Partial<Record<ConnState, number>> {
    const connStates: Partial<Record<ConnState, number>> = {};
    for (let k = 0; k < CONN_STATES.length; k++) {
      const n = this.tallies[id * TALLY + T_STATES + k];
      if (n > 0) connStates[CONN_STATES[k]] = n;
    }
    return connStates;
  }

  icmpReasonsOf(id: number): string[] {
    return this.icmpReasons[id];
  }

  denyRulesOf(id: number): string[] {
    return this.denyRules[id];
  }

  timelineOf(id: number): Timeline {
    return new StoredTimeline(this.timelines, id);
  }

  /** Pair `id`'s samples as new objects. */
  samplesOf(id: number): FlowSample[] {
    const out: FlowSample[] = [];
    for (let k = 0; k < this.sampleCount[id]; k++) out.push(this.samples.toSample(id * SLOTS + k));
    return out;
  }

  /**
   * Pair ids sorted by (transport name, originator, responder, port): the addresses ranked once by
   * text, then four stable counting-sort passes on small integers, least significant first. No
   * comparator runs per pair.
   */
  private sortedIds(): Int32Array {
    const n = this.count;
    const byText = textOrder(this.addrs);
    const rank = new Int32Array(byText.length);
    for (let k = 0; k < byText.length; k++) rank[byText[k]] = k;
    const keys = this.keys;
    const port = new Int32Array(n);
    const orig = new Int32Array(n);
    const resp = new Int32Array(n);
    const proto = new Int32Array(n);
    let maxPort = 0;
    for (let i = 0; i < n; i++) {
      const slot = keys[3 * i + 2];
      port[i] = slot >>> 2;
      if (port[i] > maxPort) maxPort = port[i];
      orig[i] = rank[keys[3 * i]];
      resp[i] = rank[keys[3 * i + 1]];
      proto[i] = TRANSPORT_RANK[slot & 3];
    }
    let ids = new Int32Array(n);
    for (let i = 0; i < n; i++) ids[i] = i;
    let spare = new Int32Array(n);
    for (const [key, range] of [
      [port, maxPort + 1],
      [resp, rank.length],
      [orig, rank.length],
      [proto, TRANSPORTS.length],
    ] as const) {
      countingPass(ids, spare, key, range);
      [ids, spare] = [spare, ids];
    }
    return ids;
  }

  /** A StoredPair built parts at the current generation: the next change must start a new one. */
  partsHandedOut(): void {
    this.handedOut = true;
  }

  /**
   * The table is about to change: the shared array would no longer describe it (its columns are
   * copies), nor would the parts its pairs built. The next {@link aggregates} with `share` gives a
   * new array (of the same pair objects, which read the table as it is then and build their parts
   * again), and the old array loses its columns, so that no reader takes those for current.
   */
  private unshare(): void {
    if (this.shared !== null) sharedColumns.delete(this.shared);
    this.shared = null;
    this.generation++;
    this.handedOut = false;
  }

  private addIcmpReason(id: number, text: string): void {
    this.icmpReasons[id] = this.withText(this.icmpReasons[id], text, MAX_ICMP_REASONS);
  }

  /** The T_DENY_SEEN bit of a deny-rule name (0 once MAX_RULE_BITS names have one: never skipped). */
  private ruleBit(rule: string): number {
    const bit = this.ruleBits.get(rule);
    if (bit !== undefined) return bit;
    if (this.ruleBits.size >= MAX_RULE_BITS) return 0;
    const next = 1 << this.ruleBits.size;
    this.ruleBits.set(rule, next);
    return next;
  }

  private addDenyRule(id: number, rule: string): void {
    this.denyRules[id] = this.withText(this.denyRules[id], rule, MAX_DENY_RULES);
  }

  /**
   * `list` (a pair's ICMP reasons or deny rules) with `text` added, capped: a shared list (empty or
   * one text) is replaced, never changed. The first text gives the pair the table's shared list of
   * that text alone: in a flow log nearly every pair has the same one deny rule, and an array of its
   * own per pair (grown by splice) took ~180 bytes, ~8 MB of a table of 44k pairs.
   */
  private withText(list: string[], text: string, cap: number): string[] {
    if (list === NO_STRINGS) return this.single(text);
    if (Object.isFrozen(list)) {
      if (list[0] === text) return list;
      list = list.slice();
    }
    addCapped(list, text, cap);
    return list;
  }

  /** The texts of ids[from .. to) as a pair's list (shared when empty or of one text, see {@link withText}). */
  private listOf(ids: Int32Array, from: number, to: number, strings: string[]): string[] {
    if (from === to) return NO_STRINGS;
    if (to - from === 1) return this.single(strings[ids[from]]);
    const list: string[] = [];
    for (let k = from; k < to; k++) list.push(strings[ids[k]]);
    return list;
  }

  /** The list of `text` alone that pairs share (frozen, like NO_STRINGS). */
  private single(text: string): string[] {
    let list = this.singles.get(text);
    if (list === undefined) {
      list = Object.freeze([text]) as unknown as string[];
      this.singles.set(text, list);
    }
    return list;
  }

  /** Copies pair `id`'s samples to the first slots of the scratch columns, with room for `more`; returns their number. */
  private fillScratch(id: number, more: number): number {
    const n = this.sampleCount[id];
    this.scratch.ensure(n + more);
    for (let k = 0; k < n; k++) this.scratch.copy(k, this.samples, id * SLOTS + k);
    return n;
  }

  /** Adds `n` to tally `i` (an index into `tallies`), widening the tallies first if it would not fit. */
  private addTally(i: number, n: number): void {
    const v = this.tallies[i] + n;
    if (v > this.tallyMax) this.widenTallies();
    this.tallies[i] = v;
  }

  /** Replaces the 32-bit tallies by doubles (a count past 2^32 - 1; exact up to 2^53). */
  private widenTallies(): void {
    this.tallies = Float64Array.from(this.tallies);
    this.tallyMax = Infinity;
  }

  /** Recomputes pair `id`'s sample digest (see R_SAMPLE_TS). */
  private digestSamples(id: number): void {
    const n = this.sampleCount[id];
    const codes = this.samples.codes;
    let mask = 0;
    for (let k = 0; k < n; k++) mask |= 1 << codes[2 * (id * SLOTS + k) + 1];
    this.rows[id * ROW + R_SAMPLE_TS] = n >= SAMPLES_PER_AGGREGATE ? this.samples.nums[(id * SLOTS + n - 1) * SN] : Infinity;
    this.tallies[id * TALLY + T_SAMPLE_OUTCOMES] = mask;
  }

  private intern(address: string): number {
    const id = this.idOfText(address);
    return id < 0 ? this.addAddress(address) : id;
  }

  /** The id of an address, undefined when it is not in the table (PairColumns.addressIds). */
  private lookUp(address: string): number | undefined {
    const id = this.idOfText(address);
    return id < 0 ? undefined : id;
  }

  /**
   * The id of an address, -1 when it is not in the table: by its key when the flow carries one
   * (Flow.origKey), else by its text.
   */
  private addressId(address: string, key: number | undefined): number {
    return key === undefined ? this.idOfText(address) : this.keyId(key, address);
  }

  /**
   * The id of an address by its text, -1 when it is not in the table. An address that came with
   * a key is found in {@link keyIndex}, and entered in the map for the next time.
   */
  private idOfText(address: string): number {
    const id = this.addrIds.get(address);
    if (id !== undefined) return id;
    const key = addressKeyOfText(address);
    if (key !== key) return -1;
    const found = this.keyId(key, address);
    if (found >= 0) this.addrIds.set(address, found);
    return found;
  }

  /**
   * The id of the address with key `key` and text `address`, -1 when it is not in the table. An
   * IPv4 key is the address; an IPv6 key is a hash, so the text is compared too (the same string
   * object as a rule: a capture's flow table shares its address texts).
   */
  private keyId(key: number, address: string): number {
    const slots = this.keyIndex;
    const mask = (slots.length >>> 1) - 1;
    for (let i = hashFinish(key | 0) & mask; ; i = (i + 1) & mask) {
      const e = slots[2 * i + 1];
      if (e === 0) return -1;
      if (slots[2 * i] === key && (key >= 0 || this.addrs[e - 1] === address)) return e - 1;
    }
  }

  /** Enters address `id` under `key` in {@link keyIndex}, growing it to stay at most half full. */
  private placeKey(key: number, id: number): void {
    if (2 * (this.keyCount + 1) > this.keyIndex.length >>> 1) {
      const old = this.keyIndex;
      this.keyIndex = new Float64Array(2 * old.length);
      for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== 0) this.putKey(old[i], old[i + 1]);
    }
    this.keyCount++;
    this.putKey(key, id + 1);
  }

  private putKey(key: number, entry: number): void {
    const slots = this.keyIndex;
    const mask = (slots.length >>> 1) - 1;
    let i = hashFinish(key | 0) & mask;
    while (slots[2 * i + 1] !== 0) i = (i + 1) & mask;
    slots[2 * i] = key;
    slots[2 * i + 1] = entry;
  }

  /**
   * Adds an address not in the table yet; returns its id. `key`: its key as the flow carried it;
   * without one the text is read, so that every IP address is in {@link keyIndex} whichever
   * reader brought it first. Only addresses that came with a key stay out of the map.
   */
  private addAddress(address: string, key?: number): number {
    const id = this.addrs.length;
    this.addrs.push(address);
    const k = key ?? addressKeyOfText(address);
    if (k === k) this.placeKey(k, id);
    if (key === undefined) this.addrIds.set(address, id);
    if (id >= this.plainHost.length) {
      const size = 4 * this.plainHost.length;
      this.plainHost = resized(this.plainHost, size);
      this.pairsAsOrig = resized(this.pairsAsOrig, size);
      this.pairsAsResp = resized(this.pairsAsResp, size);
      this.addrFlows = resized(this.addrFlows, size);
      this.origHead = resized(this.origHead, size);
      this.respHead = resized(this.respHead, size);
    }
    this.origHead[id] = -1;
    this.respHead[id] = -1;
    const plain = plainlyRoutableHost(address) ? 1 : 0;
    this.plainHost[id] = plain;
    // A new address has no flow yet (countFlow moves it on).
    if (plain === 1) this.plainFlowTally[0]++;
    else this.notPlain.push(id);
    return id;
  }

  private find(o: number, r: number, slot: number): number {
    const index = this.index;
    const mask = (index.length >>> 2) - 1;
    for (let i = hash3(o, r, slot) & mask; ; i = (i + 1) & mask) {
      const e = index[4 * i + 3];
      if (e === 0) return -1;
      if (index[4 * i] === o && index[4 * i + 1] === r && index[4 * i + 2] === slot) return e - 1;
    }
  }

  /** A new pair (not in the table) with zeroed counters; returns its id. */
  private insert(o: number, r: number, slot: number): number {
    const id = this.count++;
    if (this.count > this.capacity) {
      this.capacity = nextCapacity(this.capacity, this.maxPairs);
      this.keys = resized(this.keys, 3 * this.capacity);
      this.rows = resized(this.rows, ROW * this.capacity);
      this.tallies = resized(this.tallies, TALLY * this.capacity);
      this.sampleCount = resized(this.sampleCount, this.capacity);
      this.resizeColumns();
      this.samples.ensure(this.capacity * SLOTS);
      this.timelines.reserve(this.capacity);
    }
    this.keys[3 * id] = o;
    this.keys[3 * id + 1] = r;
    this.keys[3 * id + 2] = slot;
    const row = id * ROW;
    const rows = this.rows;
    for (let k = 0; k < ROW; k++) rows[row + k] = 0;
    rows[row + R_SAMPLE_TS] = Infinity;
    const tallies = this.tallies;
    for (let k = id * TALLY; k < (id + 1) * TALLY; k++) tallies[k] = 0;
    this.sampleCount[id] = 0;
    this.icmpReasons.push(NO_STRINGS);
    this.denyRules.push(NO_STRINGS);
    this.timelines.create();
    this.colOrig[id] = o;
    this.colResp[id] = r;
    this.pairsAsOrig[o]++;
    this.pairsAsResp[r]++;
    this.link(id, o, r);
    this.colPort[id] = slot >>> 2;
    this.colProto[id] = slot & 3;
    if (this.pairObjects.length === id) this.pairObjects.push(new StoredPair(this, id));
    if (2 * this.count > this.index.length >>> 2) this.rehash();
    else this.place(id);
    return id;
  }

  private place(id: number): void {
    const index = this.index;
    const mask = (index.length >>> 2) - 1;
    const o = this.keys[3 * id];
    const r = this.keys[3 * id + 1];
    const slot = this.keys[3 * id + 2];
    let i = hash3(o, r, slot) & mask;
    while (index[4 * i + 3] !== 0) i = (i + 1) & mask;
    index[4 * i] = o;
    index[4 * i + 1] = r;
    index[4 * i + 2] = slot;
    index[4 * i + 3] = id + 1;
  }

  private rehash(): void {
    this.resizeIndex((this.index.length >>> 2) * 2);
  }

  /**
   * Room in the hash index for `pairs` pairs (at most the table's cap), so that adding that many
   * rebuilds nothing. The index only: its slots cost 16 bytes, the rest of a pair ~450.
   */
  reserve(pairs: number): void {
    const want = Math.min(pairs, this.maxPairs);
    let slots = this.index.length >>> 2;
    if (2 * want <= slots) return;
    while (2 * want > slots) slots *= 2;
    this.resizeIndex(slots);
  }

  private resizeIndex(slots: number): void {
    this.index = new Int32Array(4 * slots);
    for (let id = 0; id < this.count; id++) this.place(id);
  }
}

/**
 * One pair of a final table, read through the table (the shape the audit reads): a summary holds
 * tens of thousands of pairs, of which the audit opens the few between role hosts. Parts that are
 * objects are built on first read and kept, so every read gives the same ones.
 */
class StoredPair implements PairAggregate {
  /**
   * The parts built on first read, in one object made when the first is: a table has tens of
   * thousands of these pairs, of which the audit reads a few (three fields each cost 1 MB more).
   */
  private memo: { generation: number; samples?: FlowSample[]; connStates?: Partial<Record<ConnState, number>>; timeline?: Timeline } | undefined;

  constructor(
    private readonly table: PairTable,
    private readonly id: number,
  ) {}

  get proto(): Transport {
    return this.table.protoOf(this.id);
  }
  get origH(): string {
    return this.table.origOf(this.id);
  }
  get respH(): string {
    return this.table.respOf(this.id);
  }
  get respP(): number {
    return this.table.portOf(this.id);
  }
  get flows(): number {
    return this.table.tallyValue(this.id, T_FLOWS);
  }
  get completed(): number {
    return this.table.tallyValue(this.id, T_OUTCOMES);
  }
  get refused(): number {
    return this.table.tallyValue(this.id, T_OUTCOMES + 1);
  }
  get unanswered(): number {
    return this.table.tallyValue(this.id, T_OUTCOMES + 2);
  }
  get unknown(): number {
    return this.table.tallyValue(this.id, T_OUTCOMES + 3);
  }
  get firstTs(): number {
    return this.table.rowValue(this.id, R_FIRST_TS);
  }
  get lastTs(): number {
    return this.table.rowValue(this.id, R_LAST_TS);
  }
  get bytes(): number {
    return this.table.rowValue(this.id, R_BYTES);
  }
  /** The memoised parts, as of the table's current generation. */
  private parts(): NonNullable<StoredPair['memo']> {
    const generation = this.table.generation;
    if (this.memo === undefined || this.memo.generation !== generation) {
      this.memo = { generation };
      this.table.partsHandedOut();
    }
    return this.memo;
  }
  get connStates(): Partial<Record<ConnState, number>> {
    return (this.parts().connStates ??= this.table.connStatesOf(this.id));
  }
  get samples(): FlowSample[] {
    return (this.parts().samples ??= this.table.samplesOf(this.id));
  }
  get icmpReasons(): string[] {
    return this.table.icmpReasonsOf(this.id);
  }
  get denyRules(): string[] {
    return this.table.denyRulesOf(this.id);
  }
  get timeline(): Timeline {
    return (this.parts().timeline ??= this.table.timelineOf(this.id));
  }

  /**
   * Plain data for JSON.stringify, which reads own properties only (the fields here are getters).
   * A structured clone (postMessage) does not call it: it would copy the table behind the pair and
   * none of the fields; a table goes to another thread as {@link PairTable.exportData}.
   */
  toJSON(): PairAggregate {
    return {
      proto: this.proto,
      origH: this.origH,
      respH: this.respH,
      respP: this.respP,
      flows: this.flows,
      completed: this.completed,
      refused: this.refused,
      unanswered: this.unanswered,
      unknown: this.unknown,
      firstTs: this.firstTs,
      lastTs: this.lastTs,
      connStates: this.connStates,
      samples: this.samples,
      icmpReasons: this.icmpReasons,
      denyRules: this.denyRules,
      bytes: this.bytes,
      timeline: this.timeline,
    };
  }
}

/** Address ids by text (a Map is one). */
export interface AddressIds {
  get(address: string): number | undefined;
}

/**
 * The numbers role inference and the audit read of every pair, by position in a shared pairs
 * array ({@link PairTable.aggregates} with `share`), so they need not touch the pair objects.
 */
export interface PairColumns {
  /** Address texts; `orig` and `resp` are indexes into it. */
  addresses: readonly string[];
  /** Index of each address in `addresses`. */
  addressIds: AddressIds;
  orig: Int32Array;
  resp: Int32Array;
  /** Responder port (ICMP: 0). */
  port: Int32Array;
  /** Transport code: 0 tcp, 1 udp, 2 icmp. */
  proto: Uint8Array;
  flows: Float64Array;
  completed: Float64Array;
  /**
   * True when one of the pair's samples at position `i` has a frame number (it came from a packet
   * capture). Only in a table's columns: read from the objects, it would build every pair's
   * samples (see PairIndex).
   */
  hasCaptureSample?: (i: number) => boolean;
  /** Per address: 1 when it is plainly one routable host's (common/ip.ts plainlyRoutableHost: no group, no link-local address). */
  plainHost?: Uint8Array;
  /** Per address: the pairs it originates, and those it answers (a table's, counted as pairs were added). */
  pairsAsOrig?: Int32Array;
  pairsAsResp?: Int32Array;
  /** Per address: its flows over both sides of its pairs (a pair from a host to itself once). */
  flowsPerAddress?: Float64Array;
  /**
   * How many of the addresses plainly one routable host's (plainHost 1) have each number of flows
   * (flowsPerAddress): entry v for v flows, the last (FLOW_TALLY_SIZE) for that many or more.
   * See {@link tallyPlainFlows}.
   */
  plainFlowTally?: Int32Array;
  /** Ids of the addresses not plainly one routable host's (plainHost 0), ascending. */
  notPlainHosts?: Int32Array;
  /**
   * Each address's pairs as lists, the latest first: the positions of the pairs address a
   * originates are origFirst[a], origNext[origFirst[a]], ... up to -1, descending; respFirst and
   * respNext the same for those it answers. See {@link linkPairs}.
   */
  origFirst?: Int32Array;
  origNext?: Int32Array;
  respFirst?: Int32Array;
  respNext?: Int32Array;
}

/** PairColumns.origFirst ... of `pairs` pairs between `size` addresses, linked in one pass as a table links them. */
export function linkPairs(orig: Int32Array, resp: Int32Array, pairs: number, size: number): { origFirst: Int32Array; origNext: Int32Array; respFirst: Int32Array; respNext: Int32Array } {
  const origFirst = new Int32Array(size).fill(-1);
  const respFirst = new Int32Array(size).fill(-1);
  const origNext = new Int32Array(pairs);
  const respNext = new Int32Array(pairs);
  for (let i = 0; i < pairs; i++) {
    origNext[i] = origFirst[orig[i]];
    origFirst[orig[i]] = i;
    respNext[i] = respFirst[resp[i]];
    respFirst[resp[i]] = i;
  }
  return { origFirst, origNext, respFirst, respNext };
}

/** Flow counts below this have an entry of their own in PairColumns.plainFlowTally. */
export const FLOW_TALLY_SIZE = 4096;

/** PairColumns.plainFlowTally of `size` addresses, counted from their flows and plainHost marks. */
export function tallyPlainFlows(flowsPerAddress: Float64Array, plainHost: Uint8Array, size: number): Int32Array {
  const tally = new Int32Array(FLOW_TALLY_SIZE + 1);
  for (let id = 0; id < size; id++) if (plainHost[id] === 1) tally[Math.min(flowsPerAddress[id], FLOW_TALLY_SIZE)]++;
  return tally;
}

/**
 * Adds each pair's counts to its addresses: `asOrig` and `asResp` its pairs on each side,
 * `addrFlows` its flows over both sides (a pair from a host to itself once). `pairs` positions of
 * the columns are read; the per-address arrays are added to, not cleared.
 */
export function countPerAddress(
  orig: Int32Array,
  resp: Int32Array,
  flows: Float64Array,
  pairs: number,
  asOrig: Int32Array,
  asResp: Int32Array,
  addrFlows: Float64Array,
): void {
  for (let i = 0; i < pairs; i++) {
    const o = orig[i];
    const r = resp[i];
    asOrig[o]++;
    asResp[r]++;
    addrFlows[o] += flows[i];
    if (r !== o) addrFlows[r] += flows[i];
  }
}

const sharedColumns = new WeakMap<readonly PairAggregate[], PairColumns & { first: PairAggregate | undefined; last: PairAggregate | undefined }>();

/**
 * The columns of `pairs` when it is a table's shared array, unchanged (same length, same first and
 * last objects); undefined for any other array.
 */
export function pairColumns(pairs: readonly PairAggregate[]): PairColumns | undefined {
  const c = sharedColumns.get(pairs);
  const n = pairs.length;
  if (!c || c.orig.length !== n || (n > 0 && (pairs[0] !== c.first || pairs[n - 1] !== c.last))) return undefined;
  return c;
}

/** Slot `j` of `c` := slot `k` of `d` (its string ids read through `strings`). */
function sampleFromData(c: SampleColumns, j: number, d: PairTableData, k: number, strings: string[]): void {
  c.nums.set(d.sampleNums.subarray(k * SN, k * SN + SN), j * SN);
  c.codes[2 * j] = d.sampleCodes[2 * k];
  c.codes[2 * j + 1] = d.sampleCodes[2 * k + 1];
  c.files.set(j, strings[d.sampleStrs[k * SS]]);
  c.reasons.set(j, strings[d.sampleStrs[k * SS + 1]]);
  const rule = d.sampleStrs[k * SS + 2];
  c.rules.setIfAny(j, rule >= 0 ? strings[rule] : undefined);
  c.uids.set(j, d.uids[k]);
}

/** Radix buckets per character: 0 for the end of the text, 1 + code unit below 127, the last for any other code unit. */
const TEXT_BUCKETS = 129;
/** Ranges shorter than this are finished by insertion sort. */
const SMALL_RANGE = 24;

/**
 * Indexes of `texts` in code-unit order of the texts (the order of cmpStr and of the default sort),
 * ties in index order: the result is the indexes, so ranking the texts needs no lookup by text.
 * Dotted-quad IPv4 texts (most addresses) are ordered by a number each (see {@link v4TextKey});
 * the other texts by an MSD radix sort on character codes ({@link radixTextOrder}); the two
 * sorted runs are then merged by text.
 */
export function textOrder(texts: readonly string[]): Int32Array {
  const n = texts.length;
  if (n >= V4_ID_LIMIT) return radixTextOrder(texts, identity(n));
  const v4 = new Float64Array(n);
  const others: number[] = [];
  let nv4 = 0;
  for (let i = 0; i < n; i++) {
    const key = v4TextKey(texts[i]);
    if (key < 0) others.push(i);
    // Key and index in one double (below 2^52): a plain numeric sort orders by key, then index.
    else v4[nv4++] = key * V4_ID_LIMIT + i;
  }
  const v4Sorted = v4.subarray(0, nv4).sort();
  const otherSorted = radixTextOrder(texts, Int32Array.from(others));
  const out = new Int32Array(n);
  let a = 0;
  let b = 0;
  let k = 0;
  while (a < nv4 && b < otherSorted.length) {
    const x = v4Sorted[a] % V4_ID_LIMIT;
    const y = otherSorted[b];
    // Never equal: a dotted quad is no other text.
    if (texts[x] < texts[y]) {
      out[k++] = x;
      a++;
    } else {
      out[k++] = y;
      b++;
    }
  }
  while (a < nv4) out[k++] = v4Sorted[a++] % V4_ID_LIMIT;
  while (b < otherSorted.length) out[k++] = otherSorted[b++];
  return out;
}

/** Indexes travel below the IPv4 key in one double: 2^20 of them (a table holds at most 2 addresses per pair). */
const V4_ID_LIMIT = 1 << 20;

function identity(n: number): Int32Array {
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = i;
  return ids;
}

/** Rank of each number's decimal text among those of 0 .. 255 in code-unit order ("0" < "1" < "10" < "100" ...). */
const OCTET_TEXT_RANK = (() => {
  const rank = new Uint8Array(256);
  const texts = Array.from({ length: 256 }, (_, i) => String(i)).sort();
  texts.forEach((t, k) => (rank[Number(t)] = k));
  return rank;
})();

/**
 * A number whose order among dotted-quad IPv4 texts is their code-unit order, or -1 for any other
 * text (leading zeros included). Comparing two such texts, the first octets whose texts differ
 * decide, as their texts compare: a text that is a prefix of the other is followed by '.' or by the
 * end of the text, both below any digit. So the octets' ranks in text order, as base-256 digits.
 */
export function v4TextKey(t: string): number {
  let key = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return -1;
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return -1;
    } else if (c === 46 && digits > 0 && dots < 3) {
      key = key * 256 + OCTET_TEXT_RANK[octet];
      dots++;
      octet = 0;
      digits = 0;
    } else {
      return -1;
    }
  }
  if (digits === 0 || dots !== 3) return -1;
  return key * 256 + OCTET_TEXT_RANK[octet];
}

/**
 * `ids` (indexes of `texts`, in index order) sorted by text, ties in index order, by an MSD radix
 * sort on character codes. Each loop is a function of its own: it runs once, cold, and V8 compiles a
 * small loop with all its type feedback rather than one large function part of which never ran.
 */
function radixTextOrder(texts: readonly string[], ids: Int32Array): Int32Array {
  const n = ids.length;
  const s: RadixState = { texts, ids, spare: new Int32Array(n), bucketOf: new Uint8Array(n), count: new Int32Array(TEXT_BUCKETS + 1) };
  // Ranges still to sort: start, end, depth (texts in a range share their first `depth` code units).
  const todo: number[] = [0, n, 0];
  while (todo.length > 0) {
    const depth = todo.pop()!;
    const end = todo.pop()!;
    const start = todo.pop()!;
    if (end - start < SMALL_RANGE) insertionSortByText(ids, start, end, texts);
    else {
      countBuckets(s, start, end, depth);
      scatter(s, start, end);
      pushBuckets(s, start, todo, depth);
    }
  }
  return ids;
}

interface RadixState {
  texts: readonly string[];
  ids: Int32Array;
  spare: Int32Array;
  /** Bucket of each position of the range being sorted. */
  bucketOf: Uint8Array;
  /** Per bucket b, count[b + 1]: texts in it; after scatter, count[b]: the end of bucket b. */
  count: Int32Array;
}

function countBuckets(s: RadixState, start: number, end: number, depth: number): void {
  const { texts, ids, bucketOf, count } = s;
  count.fill(0);
  for (let k = start; k < end; k++) {
    const t = texts[ids[k]];
    const c = depth < t.length ? t.charCodeAt(depth) : -1;
    const b = c < 0 ? 0 : c < 127 ? c + 1 : TEXT_BUCKETS - 1;
    bucketOf[k] = b;
    count[b + 1]++;
  }
}

function scatter(s: RadixState, start: number, end: number): void {
  const { ids, spare, bucketOf, count } = s;
  for (let b = 1; b <= TEXT_BUCKETS; b++) count[b] += count[b - 1];
  for (let k = start; k < end; k++) spare[start + count[bucketOf[k]]++] = ids[k];
  ids.set(spare.subarray(start, end), start);
}

/** Queues the buckets of the range at `start` that need sorting further. */
function pushBuckets(s: RadixState, start: number, todo: number[], depth: number): void {
  const { texts, ids, count } = s;
  let from = start;
  for (let b = 0; b < TEXT_BUCKETS; b++) {
    const to = start + count[b];
    // Bucket 0 holds equal texts (all ended); the last one mixes code units: it is compared whole.
    if (to - from > 1 && b > 0) {
      if (b < TEXT_BUCKETS - 1) todo.push(from, to, depth + 1);
      else ids.set(Array.from(ids.subarray(from, to)).sort((x, y) => cmpText(texts[x], texts[y])), from);
    }
    from = to;
  }
}

function cmpText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorts ids[start .. end) by text (stable). */
function insertionSortByText(ids: Int32Array, start: number, end: number, texts: readonly string[]): void {
  for (let i = start + 1; i < end; i++) {
    const id = ids[i];
    const t = texts[id];
    let k = i;
    while (k > start && texts[ids[k - 1]] > t) {
      ids[k] = ids[k - 1];
      k--;
    }
    ids[k] = id;
  }
}

/**
 * One stable counting-sort pass: `out` := `ids` ordered by `key[id]` (integers in 0 .. range - 1),
 * ties kept in their order in `ids`.
 */
function countingPass(ids: Int32Array, out: Int32Array, key: Int32Array, range: number): void {
  const start = new Int32Array(range + 1);
  for (let i = 0; i < ids.length; i++) start[key[ids[i]] + 1]++;
  for (let k = 1; k <= range; k++) start[k] += start[k - 1];
  for (let i = 0; i < ids.length; i++) out[start[key[ids[i]]]++] = ids[i];
}

/**
 * The pair capacity after `capacity`: four times larger (capped by the pair cap, but never below
 * capacity + 1). Growing is on the path of new pairs, and each step copies every column; a large
 * step is cheap in memory because the typed arrays' fresh pages are untouched until pairs use them.
 */
function nextCapacity(capacity: number, maxPairs: number): number {
  return Math.max(capacity + 1, Math.min(capacity * 4, maxPairs));
}

