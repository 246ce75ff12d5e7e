/**
 * Connections two captures both hold. Network troubleshooting asks for captures on both ends at
 * the same time (the sync server and the DC): then every connection between the two is in both
 * files, and a report that adds the files' flows counts each of them twice. Worse, read apart the
 * two files hide what they say together: the sync server's capture shows a SYN unanswered, the
 * DC's shows whether that SYN ever arrived (a firewall between them dropped it) or arrived and went
 * unanswered there (its own firewall, or no listener).
 *
 * So each capture keeps a print of its connections (transport, addresses and ports hashed, the
 * start time, which sides sent packets), capped at {@link MAX_PRINTS} per file, and at a share of
 * a million over a run of many files (13 bytes each: memory stays bounded however big the input). After reading, the prints of captures taken at
 * different points over the same time are compared: a connection is the same one when its
 * addresses and ports match and it starts within {@link CLOCK_SKEW_MICROS} (two hosts' clocks
 * differ; an ephemeral port comes round again only after many thousands of connections).
 */
import type { CrossCheck } from '../audit/types.js';
import { resized } from '../common/typed-arrays.js';
import type { Flow } from '../flows/types.js';

/** Connections printed per capture file; past it the prints are incomplete (absence proves nothing). */
export const MAX_PRINTS = 65_536;
/** How far apart the start times of one connection in two captures may be (the hosts' clocks differ). */
export const CLOCK_SKEW_MICROS = 90_000_000;

/** Flags of a print: which sides sent packets, as this capture saw them. */
export const SENT_BY_ORIG = 1;
export const SENT_BY_RESP = 2;

/** One capture's prints, as read (transferable between threads: typed arrays). */
export interface ConnectionPrintsData {
  /** Hash of transport, originator, its port, responder and its port, per connection. */
  keys: Uint32Array;
  /** Start time, microseconds since the epoch. */
  ts: Float64Array;
  /** SENT_BY_ORIG | SENT_BY_RESP. */
  flags: Uint8Array;
  /** Every connection of the file is printed (the cap was not reached). */
  complete: boolean;
}

/** The print's key of a connection: FNV-1a over its addresses' text, with the transport and ports mixed in. */
export function connectionKey(proto: string, origH: string, origP: number, respH: string, respP: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < origH.length; i++) h = Math.imul(h ^ origH.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 0x20, 0x01000193);
  for (let i = 0; i < respH.length; i++) h = Math.imul(h ^ respH.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (proto === 'tcp' ? 6 : 17), 0x01000193);
  h = Math.imul(h ^ origP, 0x01000193);
  h = Math.imul(h ^ respP, 0x01000193);
  return h >>> 0;
}

/** Prints kept over a whole run: each file gets its share ({@link printsPerFile}), ~13 MB in all. */
const PRINTS_PER_RUN = 1_048_576;

/**
 * The prints each capture of a run of `files` inputs keeps: {@link MAX_PRINTS}, or less when there
 * are more than 16 files (a share of {@link PRINTS_PER_RUN}, at least 1,024). It depends on the
 * inputs alone, never on which thread reads a file: the report is the same however many read.
 */
export function printsPerFile(files: number): number {
  return Math.max(1024, Math.min(MAX_PRINTS, Math.floor(PRINTS_PER_RUN / Math.max(1, files))));
}

/** Collects one capture's prints (TCP and UDP connections between two hosts). */
export class ConnectionPrints {
  private keys = new Uint32Array(256);
  private ts = new Float64Array(256);
  private flags = new Uint8Array(256);
  private count = 0;
  private complete = true;

  /** @param cap prints kept at most (see printsPerFile) */
  constructor(private readonly cap = MAX_PRINTS) {}

  add(flow: Pick<Flow, 'proto' | 'origH' | 'origP' | 'respH' | 'respP' | 'ts' | 'origPkts' | 'respPkts'>): void {
    if (flow.proto === 'icmp') return;
    if (this.count >= this.cap) {
      this.complete = false;
      return;
    }
    if (this.count === this.keys.length) this.grow();
    const i = this.count++;
    this.keys[i] = connectionKey(flow.proto, flow.origH, flow.origP, flow.respH, flow.respP);
    this.ts[i] = flow.ts;
    this.flags[i] = (flow.origPkts > 0 ? SENT_BY_ORIG : 0) | (flow.respPkts > 0 ? SENT_BY_RESP : 0);
  }

  data(): ConnectionPrintsData {
    return { keys: this.keys.slice(0, this.count), ts: this.ts.slice(0, this.count), flags: this.flags.slice(0, this.count), complete: this.complete };
  }

  private grow(): void {
    const size = Math.min(this.keys.length * 4, this.cap);
    this.keys = resized(this.keys, size);
    this.ts = resized(this.ts, size);
    this.flags = resized(this.flags, size);
  }
}

/** An index of one capture's prints by key, for lookups. */
export class PrintIndex {
  private readonly byKey = new Map<number, number[]>();

  constructor(readonly prints: ConnectionPrintsData) {
    for (let i = 0; i < prints.keys.length; i++) {
      const list = this.byKey.get(prints.keys[i]);
      if (list === undefined) this.byKey.set(prints.keys[i], [i]);
      else list.push(i);
    }
  }

  /** The print of the connection with this key that starts nearest `ts` within the clock skew, or -1. */
  find(key: number, ts: number): number {
    const list = this.byKey.get(key);
    if (list === undefined) return -1;
    let best = -1;
    let bestGap = CLOCK_SKEW_MICROS;
    for (const i of list) {
      const gap = Math.abs(this.prints.ts[i] - ts);
      if (gap <= bestGap) {
        best = i;
        bestGap = gap;
      }
    }
    return best;
  }

  /** How many of `other`'s connections this capture holds too. */
  shared(other: ConnectionPrintsData): number {
    let n = 0;
    for (let i = 0; i < other.keys.length; i++) if (this.find(other.keys[i], other.ts[i]) >= 0) n++;
    return n;
  }
}

/** A capture as read, for {@link sameConnections}. */
export interface PrintedCapture {
  file: string;
  prints?: ConnectionPrintsData;
  firstTs: number | null;
  lastTs: number | null;
  /** The host it was taken on (capture-point.ts), when one: two captures on one host say nothing of the path. */
  takenOn?: readonly string[];
}

/** Two captures that hold the same connections: indexes into the list given, and how many. */
export interface SharedConnections {
  a: number;
  b: number;
  connections: number;
}

/**
 * The captures' print indexes by position in the list, built once: sameConnections and the
 * crossCheckFor of the same list may share them.
 */
export type PrintIndexes = Map<number, PrintIndex>;

/** Capture `i`'s print index in `indexes`, built on first use. */
function printIndexOf(indexes: PrintIndexes, captures: readonly PrintedCapture[], i: number): PrintIndex {
  let index = indexes.get(i);
  if (index === undefined) indexes.set(i, (index = new PrintIndex(captures[i].prints!)));
  return index;
}

/** Prints compared at most over a run (thousands of overlapping captures are not compared pair by pair). */
const MAX_COMPARED = 8_000_000;

/**
 * The pairs of captures that hold two or more of the same connections (one could be chance: a
 * 32-bit key and a port come round again), in input order. Only captures whose time windows
 * overlap are compared; the files of a rotating capture never overlap.
 */
export function sameConnections(captures: readonly PrintedCapture[], indexes: PrintIndexes = new Map()): SharedConnections[] {
  const out: SharedConnections[] = [];
  let compared = 0;
  for (let a = 0; a < captures.length; a++) {
    const pa = captures[a].prints;
    if (pa === undefined || pa.keys.length === 0) continue;
    for (let b = a + 1; b < captures.length; b++) {
      const pb = captures[b].prints;
      if (pb === undefined || pb.keys.length === 0 || !overlap(captures[a], captures[b])) continue;
      compared += pb.keys.length;
      if (compared > MAX_COMPARED) return out;
      const connections = printIndexOf(indexes, captures, a).shared(pb);
      if (connections >= 2) out.push({ a, b, connections });
    }
  }
  return out;
}

/**
 * The two captures ran at the same time: their windows overlap as they are. Not widened by the
 * clock skew: files that follow each other (a rotation whose names make no series) hold the two
 * parts of a connection that spans the cut, which must not read as one connection captured twice.
 */
function overlap(x: PrintedCapture, y: PrintedCapture): boolean {
  if (x.firstTs === null || x.lastTs === null || y.firstTs === null || y.lastTs === null) return false;
  return x.firstTs < y.lastTs && y.firstTs < x.lastTs;
}

/**
 * How far inside another capture's window an attempt must lie (on that capture's clock) for its
 * absence there to count: the first and last packets of a capture are not when it started and stopped.
 */
const EDGE_MICROS = 100_000;

/** Connections matched at most to measure two captures' clock offset. */
const SKEW_SAMPLES = 4096;

/**
 * The audit's lookup of a failed connection in the other captures that share connections with its
 * own (AuditOptions.crossCheck): found there (answered or not), or absent from one that printed
 * every connection and was running before and after it. "Running then" is judged on the other
 * capture's clock: the two clocks' offset is the median difference of the connections both hold.
 * Undefined when none can tell.
 */
export function crossCheckFor(captures: readonly PrintedCapture[], shared: readonly SharedConnections[], indexes: PrintIndexes = new Map()): CrossCheck | undefined {
  if (shared.length === 0) return undefined;
  const partners = new Map<string, number[]>();
  const byFile = new Map<string, number>();
  captures.forEach((c, i) => byFile.set(c.file, i));
  const link = (from: number, to: number) => {
    const list = partners.get(captures[from].file);
    if (list === undefined) partners.set(captures[from].file, [to]);
    else if (!list.includes(to)) list.push(to);
  };
  const sameHost = (a: PrintedCapture, b: PrintedCapture) =>
    a.takenOn !== undefined && b.takenOn !== undefined && a.takenOn.length === b.takenOn.length && a.takenOn.every((h) => b.takenOn!.includes(h));
  for (const s of shared) {
    // Two captures taken on one host (a copy, Wireshark beside pktmon) saw the same point of the path.
    if (sameHost(captures[s.a], captures[s.b])) continue;
    link(s.a, s.b);
    link(s.b, s.a);
  }
  if (partners.size === 0) return undefined;
  const offsets = new Map<string, number>();
  /** Median of (time on `to`'s clock - time on `from`'s clock) over the connections both hold. */
  const offset = (from: number, to: number): number => {
    const key = `${from} ${to}`;
    let o = offsets.get(key);
    if (o === undefined) {
      const p = captures[from].prints!;
      const index = printIndexOf(indexes, captures, to);
      const diffs: number[] = [];
      for (let i = 0; i < p.keys.length && diffs.length < SKEW_SAMPLES; i++) {
        const j = index.find(p.keys[i], p.ts[i]);
        if (j >= 0) diffs.push(index.prints.ts[j] - p.ts[i]);
      }
      diffs.sort((x, y) => x - y);
      o = diffs.length > 0 ? diffs[diffs.length >> 1] : 0;
      offsets.set(key, o);
    }
    return o;
  };
  return (q) => {
    const from = byFile.get(q.file);
    if (from === undefined) return undefined;
    // An attempt the server's own capture holds says all it can there: the client's adds nothing.
    if (captures[from].takenOn?.includes(q.respH)) return undefined;
    // The server's own capture first: whether the attempt arrived is the question.
    const others = (partners.get(q.file) ?? []).slice().sort((x, y) => Number(captures[y].takenOn?.includes(q.respH) ?? false) - Number(captures[x].takenOn?.includes(q.respH) ?? false));
    for (const g of others) {
      const c = captures[g];
      const prints = c.prints!;
      const i = printIndexOf(indexes, captures, g).find(connectionKey(q.proto, q.origH, q.origP, q.respH, q.respP), q.ts);
      if (i >= 0) return { file: c.file, seen: true, answered: (prints.flags[i] & SENT_BY_RESP) !== 0 };
      const there = q.ts + offset(from, g);
      const inside = c.firstTs !== null && c.lastTs !== null && there >= c.firstTs + EDGE_MICROS && there <= c.lastTs - EDGE_MICROS;
      if (prints.complete && inside) return { file: c.file, seen: false, answered: false };
    }
    return undefined;
  };
}
