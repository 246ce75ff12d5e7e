/**
 * Azure flow logs, shared by `readNsg` (flowlog-nsg.ts) and `readVnet` (flowlog-vnet.ts):
 * both read the same JSON layouts (json-records.ts), and each record is handled by its own shape,
 * so a file of either kind read with either reader gives the same flows.
 *
 * NSG flow logs (category NetworkSecurityGroupFlowEvent), record:
 *   `{time, resourceId, properties:{Version, flows:[{rule, flows:[{mac, flowTuples:["..."]}]}]}}`
 *   v1 tuple: `ts(s),src,dst,sport,dport,T|U,I|O,A|D`
 *   v2 tuple: v1 + `,B|C|E,pkts s→d,bytes s→d,pkts d→s,bytes d→s` (counts empty on B; counts are
 *   since the flow's previous tuple, so they are summed).
 * VNet flow logs v4 (category FlowLogFlowEvent), record:
 *   `{time, flowLogVersion, macAddress, flowLogResourceID, targetResourceID,
 *     flowRecords:{flows:[{aclID, flowGroups:[{rule, flowTuples:["..."]}]}]}}`
 *   tuple: `ts(ms; seconds accepted),src,dst,sport,dport,proto(6|17|1),I|O,B|C|E|D,encryption,
 *   pkts sent,bytes sent,pkts received,bytes received` (deltas since the flow's previous tuple).
 *   (learn.microsoft.com: "Flow logging for virtual networks", "Flow logging for NSGs", log format.)
 *
 * Outcome mapping (one Flow per flow: tuples of one 5-tuple + direction + verdict are merged
 * within a file, see {@link TupleMerger}):
 *
 * | log says                                  | outcome    | connState | reason                                              |
 * |-------------------------------------------|------------|-----------|-----------------------------------------------------|
 * | NSG A/D = D, VNet state D                 | refused    | S0        | denied by NSG rule DefaultRule_DenyAllInBound       |
 * | NSG v1, A                                 | completed  | OTH       | allowed by NSG rule X (v1 logs carry no reply counts) |
 * | v2 / VNet allowed, C/E counts, 0 pkts back| unanswered | S0        | allowed by NSG rule X, but no packets came back (n sent) |
 * | v2 / VNet allowed, packets back, E seen   | completed  | SF        | allowed by NSG rule X; n packets sent, m back        |
 * | v2 / VNet allowed, packets back, no E     | completed  | S1        | (same)                                              |
 * | v2 / VNet allowed, only a B tuple in file | unknown    | OTH       | ... only the flow's begin tuple is in this file      |
 *
 * Flow.log keeps action (A/D; VNet: D when the state is D, else A), rule (VNet: the rule, or the
 * ACL id when the rule is empty), resource (NSG resourceId / VNet targetResourceID, else the
 * blob path's resourceId=…), mac (tuple group / record / blob path), direction I|O, the states seen
 * (e.g. `BCE`), VNet encryption, and the number of tuples merged. Evidence: file, 0-based record
 * index, 0-based tuple index within the record (of the flow's first tuple), and the line for
 * line-delimited JSON.
 */

import type { DiagnosticCode, DiagnosticSink } from '../common/diagnostics.js';
import { addressHash, AddressSlots, canonicalIpv4Value, hashString, Ipv4Texts, parseBlobPath, parseUint, TupleMerger } from './flowlog-common.js';
import type { BlobPathFacts, LogTuple, TupleGroup } from './flowlog-common.js';
import { BACKSLASH, COMMA, QUOTE } from './json-bytes.js';
import { forEachJsonRecord } from './json-records.js';
import type { JsonRecordMeta } from './json-records.js';
import { NsgRecordLayout } from './nsg-record-scan.js';
import type { ByteInput, FileSummary, FlowSink, ReadContext } from './types.js';

/** Options of the Azure readers (none yet beyond the context). */
export type AzureReadContext = ReadContext;

/** What {@link AzureFileReader.uintField} returns for an empty field (below every number, and below -1). */
const EMPTY = -2;


/** Timestamps below this are seconds, at or above it milliseconds (1e11 s is the year 5138). */
const MILLIS_THRESHOLD = 100_000_000_000;

/** Per-file state of the Azure reader. */
class AzureFileReader {
  readonly merger: TupleMerger;
  readonly addresses = new AddressSlots();
  readonly path: BlobPathFacts;
  readonly tuple: LogTuple = {
    ts: 0,
    proto: 'tcp',
    src: '',
    dst: '',
    srcHash: 0,
    dstHash: 0,
    sport: 0,
    dport: 0,
    direction: '',
    denied: false,
    action: '',
    state: '',
    pktsOut: -1,
    bytesOut: -1,
    pktsIn: -1,
    bytesIn: -1,
    encryption: '',
  };
  readonly ipv4 = new Ipv4Texts();
  /** Where the parts of the NSG record being read sit in its bytes. */
  private readonly layout = new NsgRecordLayout();
  /** Comma positions of the tuple being parsed (VNet). */
  private readonly commas = new Int32Array(16);
  /** Where the field read last ended (its comma, or the end of the tuple). */
  private end = 0;
  /** Merge-table hash of the address read last. */
  private lastHash = 0;
  tuples = 0;
  firstTs: number | null = null;
  lastTs: number | null = null;

  constructor(
    readonly file: string,
    readonly diag: DiagnosticSink,
    onFlow: FlowSink,
    transientFlows = false,
  ) {
    this.merger = new TupleMerger(onFlow, hashString(file), undefined, undefined, transientFlows);
    this.path = parseBlobPath(file);
  }

  /**
   * Reads an NSG record from its JSON bytes (ASCII) without JSON.parse, when its shape allows
   * (see nsg-record-scan.ts); false when it must be read by {@link addRecord} instead.
   */
  addRecordBytes(bytes: Uint8Array, meta: JsonRecordMeta): boolean {
    const layout = this.layout;
    if (!layout.scan(bytes, this)) return false;
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const version = layout.version;
    const resource = layout.resourceStart < 0 ? undefined : b.toString('latin1', layout.resourceStart, layout.resourceEnd);
    const groups = layout.groups;
    const ranges = layout.tuples;
    const parsed = layout.parsed;
    let t = 0; // the tuple index within the record
    for (let g = 0; g < layout.groupCount * 5; g += 5) {
      const rule = groups[g] < 0 ? '' : b.toString('latin1', groups[g], groups[g + 1]);
      const mac = groups[g + 2] < 0 ? undefined : b.toString('latin1', groups[g + 2], groups[g + 3]);
      let group: TupleGroup | null = null;
      for (const end = groups[g + 4]; t < end; t++) {
        this.tuples++;
        const tuple = this.parsedTuples[t];
        // The version decides which shapes are good, as in parseNsgTuple.
        if (parsed[t] === 0 || (tuple.state === '' ? version >= 2 : version === 1)) {
          this.badTuple('nsg_bad_tuple', meta, t, b.toString('latin1', ranges[2 * t], ranges[2 * t + 1]));
          continue;
        }
        group ??= this.group(meta, 'NSG', rule, resource, mac, tuple.state === '');
        this.noteTs(tuple.ts);
        this.merger.add(tuple, group, t);
      }
    }
    return true;
  }

  /** The tuples of the record being read from its bytes, parsed (see {@link parseTuple}); reused. */
  private readonly parsedTuples: LogTuple[] = [];

  /** For {@link NsgRecordLayout.scan}: parses tuple `index` of the record (see {@link parseTupleBytes}). */
  parseTuple(b: Uint8Array, start: number, index: number): number {
    const tuples = this.parsedTuples;
    while (tuples.length <= index) tuples.push({ ...this.tuple });
    return this.parseTupleBytes(b, start, tuples[index]);
  }

  addRecord(value: unknown, meta: JsonRecordMeta): void {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.badRecord(meta, 'is not a JSON object');
      return;
    }
    const rec = value as Record<string, unknown>;
    const props = rec.properties as Record<string, unknown> | undefined;
    if (props !== null && typeof props === 'object' && Array.isArray(props.flows)) {
      this.addNsgRecord(rec, props, meta);
    } else if (rec.flowRecords !== null && typeof rec.flowRecords === 'object') {
      this.addVnetRecord(rec, meta);
    } else {
      const category = typeof rec.category === 'string' ? ` (category ${rec.category.slice(0, 60)})` : '';
      this.badRecord(meta, `has neither properties.flows (NSG flow log) nor flowRecords (VNet flow log)${category}`);
    }
  }

  private badRecord(meta: JsonRecordMeta, what: string): void {
    this.diag.report(
      'nsg_bad_record',
      { file: this.file, offset: meta.offset, index: meta.index + 1 },
      `record ${meta.index} (line ${meta.line}) ${what}; skipped`,
    );
  }

  private group(meta: JsonRecordMeta, kind: 'NSG' | 'VNet', rule: string, resource: string | undefined, mac: string | undefined, v1: boolean): TupleGroup {
    const g: TupleGroup = { file: this.file, rule, kind, v1, record: meta.index };
    const res = resource ?? this.path.resource;
    if (res !== undefined) g.resource = res;
    const m = mac ?? this.path.mac;
    if (m !== undefined) g.mac = m;
    if (meta.topLevel) g.line = meta.line;
    return g;
  }

  private addNsgRecord(rec: Record<string, unknown>, props: Record<string, unknown>, meta: JsonRecordMeta): void {
    const version = typeof props.Version === 'number' ? props.Version : typeof props.Version === 'string' ? Number(props.Version) : 0;
    const resource = typeof rec.resourceId === 'string' ? rec.resourceId : undefined;
    let tupleIndex = 0;
    for (const ruleEntry of props.flows as unknown[]) {
      if (ruleEntry === null || typeof ruleEntry !== 'object') {
        this.badRecord(meta, 'has a properties.flows entry that is not an object');
        continue;
      }
      const r = ruleEntry as Record<string, unknown>;
      const rule = typeof r.rule === 'string' ? r.rule : '';
      const macFlows = Array.isArray(r.flows) ? (r.flows as unknown[]) : [];
      for (const macEntry of macFlows) {
        if (macEntry === null || typeof macEntry !== 'object') continue;
        const mf = macEntry as Record<string, unknown>;
        const tuples = mf.flowTuples;
        if (!Array.isArray(tuples)) continue;
        const mac = typeof mf.mac === 'string' ? mf.mac : undefined;
        let group: TupleGroup | null = null;
        for (const text of tuples as unknown[]) {
          const index = tupleIndex++;
          this.tuples++;
          if (typeof text !== 'string' || !this.parseNsgTuple(text, version)) {
            this.badTuple('nsg_bad_tuple', meta, index, text);
            continue;
          }
          group ??= this.group(meta, 'NSG', rule, resource, mac, this.tuple.state === '');
          this.noteTs(this.tuple.ts);
          this.merger.add(this.tuple, group, index);
        }
      }
    }
  }

  private addVnetRecord(rec: Record<string, unknown>, meta: JsonRecordMeta): void {
    const fr = rec.flowRecords as Record<string, unknown>;
    const resource =
      typeof rec.targetResourceID === 'string'
        ? rec.targetResourceID
        : typeof rec.flowLogResourceID === 'string'
          ? rec.flowLogResourceID
          : undefined;
    const mac = typeof rec.macAddress === 'string' ? rec.macAddress : undefined;
    let tupleIndex = 0;
    const flows = Array.isArray(fr.flows) ? (fr.flows as unknown[]) : [];
    for (const aclEntry of flows) {
      if (aclEntry === null || typeof aclEntry !== 'object') continue;
      const acl = aclEntry as Record<string, unknown>;
      const aclId = typeof acl.aclID === 'string' ? acl.aclID : '';
      const groups = Array.isArray(acl.flowGroups) ? (acl.flowGroups as unknown[]) : [];
      for (const groupEntry of groups) {
        if (groupEntry === null || typeof groupEntry !== 'object') continue;
        const g = groupEntry as Record<string, unknown>;
        const tuples = g.flowTuples;
        if (!Array.isArray(tuples)) continue;
        const rule = typeof g.rule === 'string' && g.rule !== '' ? g.rule : aclId;
        let group: TupleGroup | null = null;
        for (const text of tuples as unknown[]) {
          const index = tupleIndex++;
          this.tuples++;
          if (typeof text !== 'string') {
            this.badTuple('vnet_bad_tuple', meta, index, text);
            continue;
          }
          const problem = this.parseVnetTuple(text);
          if (problem !== null) {
            this.badTuple(problem, meta, index, text);
            continue;
          }
          group ??= this.group(meta, 'VNet', rule, resource, mac, false);
          this.noteTs(this.tuple.ts);
          this.merger.add(this.tuple, group, index);
        }
      }
    }
  }

  private noteTs(ts: number): void {
    if (this.firstTs === null || ts < this.firstTs) this.firstTs = ts;
    if (this.lastTs === null || ts > this.lastTs) this.lastTs = ts;
  }

  private badTuple(code: DiagnosticCode, meta: JsonRecordMeta, index: number, text: unknown): void {
    const shown = typeof text === 'string' ? JSON.stringify(text.slice(0, 120)) : `a ${text === null ? 'null' : typeof text}`;
    const what = code === 'log_unsupported_protocol' ? 'has a protocol other than TCP, UDP or ICMP' : 'is not a valid flow tuple';
    this.diag.report(code, { file: this.file, offset: meta.offset, index: meta.index + 1 }, `record ${meta.index} tuple ${index} ${what}: ${shown}; skipped`);
  }

  /** Splits at commas; returns the field count (at most 16 commas are recorded). */
  private splitCommas(text: string): number {
    const commas = this.commas;
    let n = 0;
    let pos = text.indexOf(',');
    while (pos >= 0 && n < 15) {
      commas[n++] = pos;
      pos = text.indexOf(',', pos + 1);
    }
    if (pos >= 0) return 99; // too many fields
    commas[n] = text.length;
    return n + 1;
  }

  /**
   * Canonical text of the address `text[start, end)`, or null when it is not one; sets
   * {@link lastHash} to its merge-table hash ({@link addressHash}).
   */
  private addressIn(text: string, start: number, end: number): string | null {
    const v = canonicalIpv4Value(text, start, end);
    if (v >= 0) {
      this.lastHash = v | 0;
      return this.ipv4.text(v);
    }
    const a = this.addresses.at(text, start, end);
    if (a !== null) this.lastHash = addressHash(a);
    return a;
  }

  /** Fields common to NSG and VNet: ts, src, dst, sport, dport. False when any is bad. */
  private parseCommon(text: string, tsScaleMicros: number): boolean {
    const c = this.commas;
    const t = this.tuple;
    const rawTs = parseUint(text, 0, c[0]);
    if (rawTs < 0) return false;
    t.ts = tsScaleMicros === 0 ? (rawTs >= MILLIS_THRESHOLD ? rawTs * 1000 : rawTs * 1_000_000) : rawTs * tsScaleMicros;
    const src = this.addressIn(text, c[0] + 1, c[1]);
    if (src === null) return false;
    t.srcHash = this.lastHash;
    const dst = this.addressIn(text, c[1] + 1, c[2]);
    if (dst === null) return false;
    t.dstHash = this.lastHash;
    t.src = src;
    t.dst = dst;
    // Ports may be empty for ICMP in VNet logs; read as 0.
    t.sport = c[3] === c[2] + 1 ? 0 : parseUint(text, c[2] + 1, c[3]);
    t.dport = c[4] === c[3] + 1 ? 0 : parseUint(text, c[3] + 1, c[4]);
    return t.sport >= 0 && t.sport <= 65535 && t.dport >= 0 && t.dport <= 65535;
  }

  /** Reads counts from fields `first`..`first + 3` (0-based) of a split v2/VNet tuple; an empty first count gives -1s. */
  private parseCounts(text: string, first: number): boolean {
    const c = this.commas;
    const t = this.tuple;
    if (c[first] === c[first - 1] + 1) {
      // No counts (a B tuple): the other count fields are not looked at.
      t.pktsOut = -1;
      t.bytesOut = -1;
      t.pktsIn = -1;
      t.bytesIn = -1;
      return true;
    }
    // An empty field among the others is not a number (parseUint gives -1 for it).
    const pOut = parseUint(text, c[first - 1] + 1, c[first]);
    const bOut = parseUint(text, c[first] + 1, c[first + 1]);
    const pIn = parseUint(text, c[first + 1] + 1, c[first + 2]);
    const bIn = parseUint(text, c[first + 2] + 1, c[first + 3]);
    if (pOut < 0 || bOut < 0 || pIn < 0 || bIn < 0) return false;
    t.pktsOut = pOut;
    t.bytesOut = bOut;
    t.pktsIn = pIn;
    t.bytesIn = bIn;
    return true;
  }

  /**
   * Reads the unsigned decimal field that starts at `pos` and ends at the next comma or the end of
   * `text`; leaves {@link end} at that comma (or `text.length`). Returns the value, {@link EMPTY}
   * for an empty field, or -1 when it holds anything but digits or more than 15 of them (as
   * {@link parseUint}).
   */
  private uintField(text: string, pos: number): number {
    const len = text.length;
    let v = 0;
    let i = pos;
    for (; i < len; i++) {
      const c = text.charCodeAt(i);
      if (c === 44) break;
      const d = c - 48;
      if (d < 0 || d > 9) {
        this.end = i;
        return -1;
      }
      v = v * 10 + d;
    }
    this.end = i;
    if (i === pos) return EMPTY;
    return i - pos > 15 ? -1 : v;
  }

  /**
   * Reads the address field that starts at `pos` (up to the next comma or the end of `text`);
   * leaves {@link end} at that comma and {@link lastHash} at its hash. A canonical dotted quad is
   * read in the same pass as the search for its end, and its text comes from {@link ipv4};
   * anything else goes through the general canonicaliser.
   */
  private addressField(text: string, pos: number): string | null {
    const len = text.length;
    let value = 0;
    let octet = 0;
    let digits = 0;
    let dots = 0;
    let i = pos;
    for (; i < len; i++) {
      const c = text.charCodeAt(i);
      if (c === 44) break;
      if (c === 46) {
        if (digits === 0 || octet > 255 || dots === 3) break;
        value = value * 256 + octet;
        dots++;
        octet = 0;
        digits = 0;
        continue;
      }
      const d = c - 48;
      // Not a digit, a fourth digit, or a leading zero: not a canonical dotted quad.
      if (d < 0 || d > 9 || digits === 3 || (digits === 1 && octet === 0)) break;
      octet = octet * 10 + d;
      digits++;
    }
    if (dots === 3 && digits > 0 && octet <= 255 && (i === len || text.charCodeAt(i) === 44)) {
      value = value * 256 + octet;
      this.end = i;
      this.lastHash = value | 0;
      return this.ipv4.text(value);
    }
    let end = text.indexOf(',', i);
    if (end < 0) end = len;
    this.end = end;
    const a = this.addresses.at(text, pos, end);
    if (a !== null) this.lastHash = addressHash(a);
    return a;
  }

  /**
   * Parses an NSG v1/v2 tuple into `this.tuple`; false when malformed. One pass over the text,
   * field by field, with no substring but a new address's text. Accepts exactly what splitting at
   * commas would: 8 fields (v1) or 13 (v2), the version permitting; `ts,src,dst,sport,dport` with
   * numbers of at most 15 digits (empty ports read as 0); one-letter protocol T|U, direction I|O,
   * action A|D and (v2) state B|C|E; then four counts, all empty when the first is empty (the rest
   * of the fields are then not looked at) or all numbers.
   */
  private parseNsgTuple(text: string, version: number): boolean {
    const t = this.tuple;
    const len = text.length;
    const rawTs = this.uintField(text, 0);
    if (rawTs < 0 || this.end === len) return false; // not a number, empty, or the only field
    const src = this.addressField(text, this.end + 1);
    if (src === null || this.end === len) return false;
    t.srcHash = this.lastHash;
    const dst = this.addressField(text, this.end + 1);
    if (dst === null || this.end === len) return false;
    t.dstHash = this.lastHash;
    let sport = this.uintField(text, this.end + 1);
    if (sport === EMPTY) sport = 0;
    if (sport < 0 || sport > 65535 || this.end === len) return false;
    let dport = this.uintField(text, this.end + 1);
    if (dport === EMPTY) dport = 0;
    if (dport < 0 || dport > 65535 || this.end === len) return false;
    // Three one-letter fields at p, p + 2, p + 4, each followed by a comma (or the end, for the last).
    const p = this.end + 1;
    if (p + 5 > len || text.charCodeAt(p + 1) !== 44 || text.charCodeAt(p + 3) !== 44) return false;
    const pr = text.charCodeAt(p);
    if (pr === 84 /* T */) t.proto = 'tcp';
    else if (pr === 85 /* U */) t.proto = 'udp';
    else return false;
    const d = text.charCodeAt(p + 2);
    if (d !== 73 /* I */ && d !== 79 /* O */) return false;
    const a = text.charCodeAt(p + 4);
    if (a !== 65 /* A */ && a !== 68 /* D */) return false;
    t.ts = rawTs * 1_000_000;
    t.src = src;
    t.dst = dst;
    t.sport = sport;
    t.dport = dport;
    t.direction = d === 73 ? 'I' : 'O';
    t.denied = a === 68;
    t.action = t.denied ? 'D' : 'A';
    t.encryption = '';
    if (p + 5 === len) {
      // v1: eight fields.
      if (version >= 2) return false;
      t.state = '';
      t.pktsOut = -1;
      t.bytesOut = -1;
      t.pktsIn = -1;
      t.bytesIn = -1;
      return true;
    }
    // v2: a state letter, then four counts.
    if (version === 1 || p + 8 > len || text.charCodeAt(p + 5) !== 44 || text.charCodeAt(p + 7) !== 44) return false;
    const s = text.charCodeAt(p + 6);
    t.state = s === 66 ? 'B' : s === 67 ? 'C' : s === 69 ? 'E' : '';
    if (t.state === '') return false;
    const pOut = this.uintField(text, p + 8);
    if (pOut === EMPTY) {
      // No counts (a B tuple): the empty field ends at a comma, and exactly two more follow,
      // whatever the fields between them hold.
      if (this.end === len) return false;
      const c1 = text.indexOf(',', this.end + 1);
      const c2 = c1 < 0 ? -1 : text.indexOf(',', c1 + 1);
      if (c2 < 0 || text.indexOf(',', c2 + 1) >= 0) return false;
      t.pktsOut = -1;
      t.bytesOut = -1;
      t.pktsIn = -1;
      t.bytesIn = -1;
      return true;
    }
    if (pOut < 0 || this.end === len) return false;
    const bOut = this.uintField(text, this.end + 1);
    if (bOut < 0 || this.end === len) return false;
    const pIn = this.uintField(text, this.end + 1);
    if (pIn < 0 || this.end === len) return false;
    const bIn = this.uintField(text, this.end + 1);
    if (bIn < 0 || this.end !== len) return false; // EMPTY is negative too
    t.pktsOut = pOut;
    t.bytesOut = bOut;
    t.pktsIn = pIn;
    t.bytesIn = bIn;
    return true;
  }

  /**
   * Parses the NSG tuple string whose text starts at `b[start]` (after its opening quote) into
   * `t`, as {@link parseNsgTuple} would parse its text, but in the record's bytes and in the same
   * pass that finds the string's end. Returns the position of the closing quote when the tuple is
   * a good one, having checked every byte up to it (so the string is plain JSON: no escape, no
   * control character); else -1, and nothing is decided (the scan reads the string as JSON, and
   * the tuple is a bad one only if that string is plain). The version is not looked at: `t.state`
   * is '' for a v1 tuple (8 fields), and the caller checks the shape against the version.
   */
  parseTupleBytes(b: Uint8Array, start: number, t: LogTuple): number {
    const rawTs = this.uintBytes(b, start);
    if (rawTs < 0 || b[this.end] !== COMMA) return -1; // not a number, empty, or the only field
    const src = this.addressBytes(b, this.end + 1);
    if (src === null || b[this.end] !== COMMA) return -1;
    t.srcHash = this.lastHash;
    const dst = this.addressBytes(b, this.end + 1);
    if (dst === null || b[this.end] !== COMMA) return -1;
    t.dstHash = this.lastHash;
    let sport = this.uintBytes(b, this.end + 1);
    if (sport === EMPTY) sport = 0;
    if (sport < 0 || sport > 65535 || b[this.end] !== COMMA) return -1;
    let dport = this.uintBytes(b, this.end + 1);
    if (dport === EMPTY) dport = 0;
    if (dport < 0 || dport > 65535 || b[this.end] !== COMMA) return -1;
    // Three one-letter fields at p, p + 2, p + 4, each followed by a comma (or the closing quote, for the last).
    const p = this.end + 1;
    if (b[p + 1] !== COMMA || b[p + 3] !== COMMA) return -1;
    const pr = b[p];
    if (pr === 84 /* T */) t.proto = 'tcp';
    else if (pr === 85 /* U */) t.proto = 'udp';
    else return -1;
    const d = b[p + 2];
    if (d !== 73 /* I */ && d !== 79 /* O */) return -1;
    const a = b[p + 4];
    if (a !== 65 /* A */ && a !== 68 /* D */) return -1;
    t.ts = rawTs * 1_000_000;
    t.src = src;
    t.dst = dst;
    t.sport = sport;
    t.dport = dport;
    t.direction = d === 73 ? 'I' : 'O';
    t.denied = a === 68;
    t.action = t.denied ? 'D' : 'A';
    t.encryption = '';
    t.pktsOut = -1;
    t.bytesOut = -1;
    t.pktsIn = -1;
    t.bytesIn = -1;
    if (b[p + 5] === QUOTE) {
      // v1: eight fields.
      t.state = '';
      return p + 5;
    }
    // v2: a state letter, then four counts.
    if (b[p + 5] !== COMMA || b[p + 7] !== COMMA) return -1;
    const s = b[p + 6];
    t.state = s === 66 ? 'B' : s === 67 ? 'C' : s === 69 ? 'E' : '';
    if (t.state === '') return -1;
    const pOut = this.uintBytes(b, p + 8);
    if (pOut === EMPTY) {
      // No counts (a B tuple): the empty field ends at a comma, and exactly two more follow,
      // whatever the fields between them hold (but a quote, a backslash or a control character).
      if (b[this.end] !== COMMA) return -1;
      let commas = 0;
      for (let i = this.end + 1; ; i++) {
        const c = b[i];
        if (c === QUOTE) return commas === 2 ? i : -1;
        if (c === COMMA) commas++;
        else if (!(c >= 0x20 && c !== BACKSLASH)) return -1; // also past the end (undefined)
      }
    }
    if (pOut < 0 || b[this.end] !== COMMA) return -1;
    const bOut = this.uintBytes(b, this.end + 1);
    if (bOut < 0 || b[this.end] !== COMMA) return -1;
    const pIn = this.uintBytes(b, this.end + 1);
    if (pIn < 0 || b[this.end] !== COMMA) return -1;
    const bIn = this.uintBytes(b, this.end + 1);
    if (bIn < 0 || b[this.end] !== QUOTE) return -1; // EMPTY is negative too
    t.pktsOut = pOut;
    t.bytesOut = bOut;
    t.pktsIn = pIn;
    t.bytesIn = bIn;
    return this.end;
  }

  /**
   * {@link uintField} in bytes: the field ends at the next comma or quote (or at any other
   * non-digit, which makes it -1), where {@link end} is left.
   */
  private uintBytes(b: Uint8Array, pos: number): number {
    let v = 0;
    let i = pos;
    for (;; i++) {
      const c = b[i];
      if (c === COMMA || c === QUOTE) break;
      const d = c - 48;
      if (!(d >= 0 && d <= 9)) {
        this.end = i;
        return -1;
      }
      v = v * 10 + d;
    }
    this.end = i;
    if (i === pos) return EMPTY;
    return i - pos > 15 ? -1 : v;
  }

  /**
   * {@link addressField} in bytes: the field ends at the next comma or quote, where {@link end} is
   * left. Null also when an address other than a canonical dotted quad holds a backslash or a
   * control character (the caller then gives up on the tuple: see {@link parseTupleBytes}).
   */
  private addressBytes(b: Uint8Array, pos: number): string | null {
    let value = 0;
    let octet = 0;
    let digits = 0;
    let dots = 0;
    let i = pos;
    for (;; i++) {
      const c = b[i];
      if (c === COMMA || c === QUOTE) break;
      if (c === 46) {
        if (digits === 0 || octet > 255 || dots === 3) break;
        value = value * 256 + octet;
        dots++;
        octet = 0;
        digits = 0;
        continue;
      }
      const d = c - 48;
      // Not a digit, a fourth digit, or a leading zero: not a canonical dotted quad.
      if (!(d >= 0 && d <= 9) || digits === 3 || (digits === 1 && octet === 0)) break;
      octet = octet * 10 + d;
      digits++;
    }
    if (dots === 3 && digits > 0 && octet <= 255 && (b[i] === COMMA || b[i] === QUOTE)) {
      value = value * 256 + octet;
      this.end = i;
      this.lastHash = value | 0;
      return this.ipv4.text(value);
    }
    for (;; i++) {
      const c = b[i];
      if (c === COMMA || c === QUOTE) break;
      if (!(c >= 0x20 && c !== BACKSLASH)) return null; // also past the end (undefined)
    }
    this.end = i;
    const text = Buffer.from(b.buffer, b.byteOffset + pos, i - pos).toString('latin1');
    const a = this.addresses.at(text, 0, text.length);
    if (a !== null) this.lastHash = addressHash(a);
    return a;
  }

  /** Parses a VNet v4 tuple into `this.tuple`; the diagnostic code when it is bad, else null. */
  private parseVnetTuple(text: string): DiagnosticCode | null {
    const n = this.splitCommas(text);
    if (n !== 13) return 'vnet_bad_tuple';
    const c = this.commas;
    const t = this.tuple;
    if (!this.parseCommon(text, 0)) return 'vnet_bad_tuple';
    const protoNumber = parseUint(text, c[4] + 1, c[5]);
    if (protoNumber < 0) return 'vnet_bad_tuple';
    if (protoNumber === 6) t.proto = 'tcp';
    else if (protoNumber === 17) t.proto = 'udp';
    else if (protoNumber === 1 || protoNumber === 58) t.proto = 'icmp';
    else return 'log_unsupported_protocol';
    if (c[6] !== c[5] + 2 || c[7] !== c[6] + 2) return 'vnet_bad_tuple';
    const d = text.charCodeAt(c[5] + 1);
    if (d !== 73 && d !== 79) return 'vnet_bad_tuple';
    t.direction = d === 73 ? 'I' : 'O';
    const s = text.charCodeAt(c[6] + 1);
    t.state = s === 66 ? 'B' : s === 67 ? 'C' : s === 69 ? 'E' : s === 68 ? 'D' : '';
    if (t.state === '') return 'vnet_bad_tuple';
    t.denied = t.state === 'D';
    t.action = t.denied ? 'D' : 'A';
    t.encryption = text.slice(c[7] + 1, c[8]);
    return this.parseCounts(text, 9) ? null : 'vnet_bad_tuple';
  }
}

/**
 * Reads an Azure NSG (v1/v2) or VNet (v4) flow log file and pushes one flow per flow.
 * `format` only labels the summary; each record is read by its own shape.
 * Records: FileSummary.records counts tuples (good and bad).
 */
export async function readAzureFlowLog(
  format: 'nsg' | 'vnet',
  input: ByteInput,
  ctx: AzureReadContext,
  onFlow: FlowSink,
): Promise<FileSummary> {
  const reader = new AzureFileReader(input.name, ctx.diag, onFlow, ctx.transientFlows === true);
  const result = await forEachJsonRecord(
    input,
    ctx.diag,
    (value, meta) => {
      reader.addRecord(value, meta);
      reader.merger.endRecord();
    },
    (bytes, meta) => {
      if (!reader.addRecordBytes(bytes, meta)) return false;
      reader.merger.endRecord();
      return true;
    },
  );
  reader.merger.flushAll();
  ctx.diag.count('log_tuples', reader.tuples);
  ctx.diag.count('log_records', result.records);
  return {
    file: input.name,
    format,
    records: reader.tuples,
    bytes: result.bytes,
    firstTs: reader.firstTs,
    lastTs: reader.lastTs,
    complete: result.complete,
  };
}

