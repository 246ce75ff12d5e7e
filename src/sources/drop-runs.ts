/**
 * Runs of DROP lines of a Windows Firewall log (see flowlog-pfirewall.ts): the firewall logs a DROP
 * per packet, so the dropped packets of one attempt (a SYN and its retransmissions, a UDP request
 * sent again) are one run while each line comes within the transport's inactivity timeout of the
 * run's last one.
 *
 * A run is held until a later line shows it ended. Held runs are records from a pool that is reused
 * (they end in the old generation and stay there), found through a map keyed by a number, and times
 * live in a Float64Array: holding thousands of runs across a log of millions of lines allocates
 * nothing per line that outlives it. (Holding a flow object and a key string per run tripled the
 * reader's scavenge time on the 1 GB bench log.)
 */

import type { Flow, FlowLogFacts } from '../flows/types.js';
import { flowLogUid, makeLogFlow } from './flowlog-common.js';

/** A held run; read its fields in the `onRun` callback only (the record is reused after it). */
export class DropRun {
  /** Position in the pool (its times are at `index * 3` of the times array). */
  constructor(readonly index: number) {}
  hash = 0;
  /** The next run of the same hash (a collision chain). */
  sameHash: DropRun | null = null;
  /** The runs of this transport in the order they began (oldest first). */
  older: DropRun | null = null;
  newer: DropRun | null = null;
  transport = 0;
  src = '';
  sport = 0;
  dst = '';
  dport = 0;
  path = 0;
  /** Caller's code for the connection state of the run's first line. */
  state = 0;
  pid = -1;
  /** Line number of the first line. */
  line = 0;
  lines = 0;
  syns = 0;
}

/** Transport codes: tcp 0, udp 1, icmp 2. */
export type TransportCode = 0 | 1 | 2;

/** Held runs per transport at most; past it the oldest is emitted (a run cut in two, never lost). */
export const MAX_HELD_RUNS = 65_536;
/** How often (log time, µs) the runs of a transport are checked for expiry. */
const SWEEP_MICROS = 1_000_000;

const T_FIRST = 0;
const T_LAST = 1;
const T_BYTES = 2;

/**
 * Mixes an address text into `h`: its length and last four characters, where the addresses of one
 * network differ (as AddressSlots in flowlog-common.ts does; the chain compares the whole texts).
 */
function addressHash(s: string, h: number): number {
  const n = s.length;
  h = Math.imul(h ^ n, 0x01000193);
  for (let i = Math.max(0, n - 4); i < n; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

export class DropRuns {
  private readonly byHash = new Map<number, DropRun>();
  private readonly free: DropRun[] = [];
  private pool = 0;
  private times = new Float64Array(3 * 256);
  /** Per transport: the oldest and the newest run, and the run count. */
  private readonly oldest: (DropRun | null)[] = [null, null, null];
  private readonly newest: (DropRun | null)[] = [null, null, null];
  private readonly counts = [0, 0, 0];
  private readonly nextSweep = [-Infinity, -Infinity, -Infinity];

  /**
   * `timeouts` in µs per transport code; `onRun(run, firstTs, lastTs, bytes)` gets every run once,
   * when it ends (or at {@link flush}).
   */
  constructor(
    private readonly timeouts: readonly [number, number, number],
    private readonly onRun: (run: DropRun, firstTs: number, lastTs: number, bytes: number) => void,
  ) {}

  /** Adds one DROP line: to the live run of its 5-tuple and path, or as a new run. */
  add(transport: TransportCode, src: string, sport: number, dst: string, dport: number, path: number, state: number, ts: number, bytes: number, syn: boolean, pid: number, line: number): void {
    const timeout = this.timeouts[transport];
    if (ts >= this.nextSweep[transport]) {
      this.nextSweep[transport] = ts + SWEEP_MICROS;
      this.expire(transport, ts);
    }
    let h = addressHash(src, addressHash(dst, Math.imul(transport * 4 + path, 0x9e3779b1) ^ Math.imul(sport * 65536 + dport, 0x85ebca6b)));
    h = (h ^ (h >>> 15)) | 0;
    const head = this.byHash.get(h);
    for (let r = head ?? null; r !== null; r = r.sameHash) {
      if (r.transport !== transport || r.sport !== sport || r.dport !== dport || r.path !== path || r.src !== src || r.dst !== dst) continue;
      const t = this.times;
      const at = r.index * 3;
      if (Math.abs(ts - t[at + T_LAST]) <= timeout) {
        if (ts < t[at + T_FIRST]) t[at + T_FIRST] = ts;
        if (ts > t[at + T_LAST]) t[at + T_LAST] = ts;
        t[at + T_BYTES] += bytes;
        r.lines++;
        if (syn) r.syns++;
        return;
      }
      // The same 5-tuple after a silence longer than the timeout: that run ended.
      this.end(r);
      break;
    }
    if (this.counts[transport] >= MAX_HELD_RUNS) this.end(this.oldest[transport]!);
    const r = this.take();
    r.hash = h;
    r.transport = transport;
    r.src = src;
    r.sport = sport;
    r.dst = dst;
    r.dport = dport;
    r.path = path;
    r.state = state;
    r.pid = pid;
    r.line = line;
    r.lines = 1;
    r.syns = syn ? 1 : 0;
    const at = r.index * 3;
    this.times[at + T_FIRST] = ts;
    this.times[at + T_LAST] = ts;
    this.times[at + T_BYTES] = bytes;
    r.sameHash = this.byHash.get(h) ?? null;
    this.byHash.set(h, r);
    r.older = this.newest[transport];
    r.newer = null;
    if (r.older !== null) r.older.newer = r;
    else this.oldest[transport] = r;
    this.newest[transport] = r;
    this.counts[transport]++;
  }

  /** Ends every run still held, oldest first per transport. */
  flush(): void {
    for (let t = 0; t < 3; t++) while (this.oldest[t] !== null) this.end(this.oldest[t]!);
  }

  /** Ends the runs of `transport`, from the oldest, whose last line is older than the timeout. */
  private expire(transport: number, ts: number): void {
    const timeout = this.timeouts[transport];
    for (let r = this.oldest[transport]; r !== null; ) {
      const older = r;
      r = r.newer;
      // Runs are in the order they began; one still live stops the walk (those behind it end at
      // their next line or at the end: the same runs, only held longer).
      if (ts - this.times[older.index * 3 + T_LAST] <= timeout) break;
      this.end(older);
    }
  }

  private end(r: DropRun): void {
    const at = r.index * 3;
    this.onRun(r, this.times[at + T_FIRST], this.times[at + T_LAST], this.times[at + T_BYTES]);
    // Out of its hash chain.
    const head = this.byHash.get(r.hash)!;
    if (head === r) {
      if (r.sameHash === null) this.byHash.delete(r.hash);
      else this.byHash.set(r.hash, r.sameHash);
    } else {
      let p = head;
      while (p.sameHash !== r) p = p.sameHash!;
      p.sameHash = r.sameHash;
    }
    // Out of its transport's order.
    const t = r.transport;
    if (r.older !== null) r.older.newer = r.newer;
    else this.oldest[t] = r.newer;
    if (r.newer !== null) r.newer.older = r.older;
    else this.newest[t] = r.older;
    this.counts[t]--;
    r.sameHash = r.older = r.newer = null;
    r.src = r.dst = '';
    this.free.push(r);
  }

  private take(): DropRun {
    const r = this.free.pop();
    if (r !== undefined) return r;
    const index = this.pool++;
    if (3 * this.pool > this.times.length) {
      const grown = new Float64Array(this.times.length * 2);
      grown.set(this.times);
      this.times = grown;
    }
    return new DropRun(index);
  }
}

/** What a log reader says of a run's flow; {@link flowOfDropRun} fills in the rest. */
export interface DropRunFacts {
  file: string;
  /** hashString of the file's name, for the uid. */
  fileHash: number;
  /** The run's first line was a TCP packet that is no new attempt (no SYN, or a SYN-ACK): OTH, not S0. */
  midstream: boolean;
  reason: string;
  log: FlowLogFacts;
}

/** The refused flow of a run of dropped packets, as the logs that drop per packet give it (netfilter, filterlog). */
export function flowOfDropRun(run: DropRun, firstTs: number, lastTs: number, bytes: number, facts: DropRunFacts): Flow {
  const flow = makeLogFlow({
    uid: flowLogUid(facts.fileHash, run.line),
    ts: firstTs,
    duration: lastTs - firstTs,
    proto: run.transport === 0 ? 'tcp' : run.transport === 1 ? 'udp' : 'icmp',
    origH: run.src,
    origP: run.sport,
    respH: run.dst,
    respP: run.dport,
    connState: facts.midstream ? 'OTH' : 'S0',
    origPkts: run.lines,
    origBytes: bytes,
    respPkts: 0,
    respBytes: 0,
    outcome: 'refused',
    reason: facts.reason,
    evidence: { file: facts.file, line: run.line },
    log: facts.log,
  });
  if (run.syns > 1) flow.synCount = run.syns;
  return flow;
}

/**
 * Short texts a reader numbers to keep them in a run's numeric state (a rule's name or prefix):
 * firewalls have a few; past `max`, further texts get id 0, the empty text.
 */
export class CappedTexts {
  private readonly texts: string[] = [''];
  private readonly ids = new Map<string, number>([['', 0]]);

  constructor(private readonly max = 1024) {}

  id(text: string): number {
    let id = this.ids.get(text);
    if (id === undefined) {
      id = this.texts.length < this.max ? this.texts.length : 0;
      if (id > 0) this.texts.push(text);
      this.ids.set(text, id);
    }
    return id;
  }

  text(id: number): string {
    return this.texts[id] ?? '';
  }
}
