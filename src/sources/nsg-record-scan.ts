/**
 * Reads an NSG flow-log record (`{..., resourceId, properties:{Version, flows:[{rule,
 * flows:[{mac, flowTuples:["..."]}]}]}}`, see flowlog-azure.ts) where it stands in its JSON bytes:
 * each tuple string goes to the reader's parser in the same pass that finds its end, and the
 * layout keeps where the rules, MACs and resource sit and the version. `JSON.parse` of a record
 * made one string per tuple (10 M of them on a 500-file tree) and an object tree that was walked
 * once and dropped; this makes none.
 *
 * The whole record is checked against the JSON grammar (RFC 8259) before the reader acts on any of
 * it (the parser only fills the reader's scratch tuples), so a record the scan accepts is one
 * `JSON.parse` accepts, and it is read the same way. The scan declines (returns false; the reader
 * then goes the `JSON.parse` way, which loses nothing) whatever it would not read exactly as that
 * way does: invalid JSON (`JSON.parse` reports it), a
 * key or a used string with an escape in it, a repeated key the reader looks at (`JSON.parse` keeps
 * the last), a record that is not an NSG record, a rule entry or tuple that is not an object or a
 * string (that way reports them), nesting deeper than {@link MAX_DEPTH}. Bytes must be ASCII.
 */

import { BACKSLASH, COLON, COMMA, LBRACE, LBRACKET, MINUS, QUOTE, RBRACE, RBRACKET } from './json-bytes.js';

/** Nesting the scan follows before it declines (far beyond any flow-log record). */
const MAX_DEPTH = 64;

const key = (s: string): Uint8Array => Uint8Array.from(s, (ch) => ch.charCodeAt(0));
const KEY_PROPERTIES = key('properties');
const KEY_RESOURCE_ID = key('resourceId');
const KEY_VERSION = key('Version');
const KEY_FLOWS = key('flows');
const KEY_RULE = key('rule');
const KEY_MAC = key('mac');
const KEY_FLOW_TUPLES = key('flowTuples');

/** Numbers per tuple group in {@link NsgRecordLayout.groups}. */
const G = 5;

/** Parses tuples where they stand, in the scan's pass over them. */
export interface NsgTupleParser {
  /**
   * Parses tuple `index` of the record (0-based, in order), whose text starts at `b[start]`, just
   * after its opening quote. Returns the position of its closing quote when the tuple is good and
   * every byte up to that quote was checked to be plain JSON string content (no escape, no control
   * character); else -1, and the scan reads the string itself.
   */
  parseTuple(b: Uint8Array, start: number, index: number): number;
}

/**
 * The layout of one record, as {@link scanNsgRecord} found it: byte ranges `[start, end)` into the
 * record's bytes (start -1: absent, or not a string). Reused from record to record.
 */
export class NsgRecordLayout {
  /** `resourceId`'s text. */
  resourceStart = -1;
  resourceEnd = -1;
  /** `properties.Version` as the reader takes it: a number, a string read by `Number`, else 0. */
  version = 0;
  /**
   * Tuple groups (entries of a rule entry's `flows` that have a `flowTuples` array), in order, G
   * numbers each: rule start, rule end, MAC start, MAC end, and the end of the group's tuples in
   * {@link tuples} (they start where the previous group's end).
   */
  groups = new Int32Array(16 * G);
  groupCount = 0;
  /** Tuple strings of the record in order, start and end each. */
  tuples = new Int32Array(2 * 1024);
  /** Per tuple: 1 when the parser took it as a good tuple, 0 when it is a bad one. */
  parsed = new Uint8Array(1024);
  tupleCount = 0;
  private parser: NsgTupleParser | null = null;

  private clear(): void {
    this.resourceStart = -1;
    this.resourceEnd = -1;
    this.version = 0;
    this.groupCount = 0;
    this.tupleCount = 0;
  }

  private addTuple(start: number, end: number, parsed: boolean): void {
    if (this.tupleCount === this.parsed.length) {
      const tuples = new Int32Array(this.tuples.length * 2);
      tuples.set(this.tuples);
      this.tuples = tuples;
      const flags = new Uint8Array(this.parsed.length * 2);
      flags.set(this.parsed);
      this.parsed = flags;
    }
    this.tuples[2 * this.tupleCount] = start;
    this.tuples[2 * this.tupleCount + 1] = end;
    this.parsed[this.tupleCount] = parsed ? 1 : 0;
    this.tupleCount++;
  }

  private addGroup(macStart: number, macEnd: number): void {
    if ((this.groupCount + 1) * G > this.groups.length) {
      const next = new Int32Array(this.groups.length * 2);
      next.set(this.groups);
      this.groups = next;
    }
    const g = this.groupCount++ * G;
    this.groups[g] = -1;
    this.groups[g + 1] = -1;
    this.groups[g + 2] = macStart;
    this.groups[g + 3] = macEnd;
    this.groups[g + 4] = this.tupleCount;
  }

  /** Sets the rule of groups `first`.. (known once their rule entry has been read to its end). */
  private setRule(first: number, start: number, end: number): void {
    for (let g = first; g < this.groupCount; g++) {
      this.groups[g * G] = start;
      this.groups[g * G + 1] = end;
    }
  }

  /**
   * Scans the record `b` (one JSON object, ASCII), handing each tuple string to `parser`. True
   * when it is an NSG record read into this layout; false when the reader must parse it with
   * `JSON.parse` (see the module comment).
   */
  scan(b: Uint8Array, parser: NsgTupleParser): boolean {
    this.clear();
    scanner.b = b;
    scanner.end = b.length;
    this.parser = parser;
    const ok = this.record();
    scanner.b = EMPTY;
    this.parser = null;
    return ok;
  }

  private record(): boolean {
    const s = scanner;
    let p = s.ws(0);
    if (s.b[p] !== LBRACE) return false;
    let sawProperties = false;
    let sawFlows = false;
    let sawResource = false;
    p = s.ws(p + 1);
    if (s.b[p] === RBRACE) return false; // an empty object is no NSG record
    for (;;) {
      const k = s.key(p);
      if (k < 0) return false;
      p = s.afterKey;
      if (s.keyIs(k, KEY_PROPERTIES)) {
        if (sawProperties || s.b[p] !== LBRACE) return false;
        sawProperties = true;
        p = this.properties(p);
        sawFlows = this.sawFlows;
      } else if (s.keyIs(k, KEY_RESOURCE_ID)) {
        if (sawResource) return false;
        sawResource = true;
        if (s.b[p] === QUOTE) {
          p = s.plainString(p);
          this.resourceStart = s.start;
          this.resourceEnd = s.stop;
        } else {
          p = s.value(p, 1);
        }
      } else {
        p = s.value(p, 1);
      }
      if (p < 0) return false;
      p = s.ws(p);
      if (s.b[p] === COMMA) {
        p = s.ws(p + 1);
        continue;
      }
      if (s.b[p] !== RBRACE) return false;
      return sawFlows && s.ws(p + 1) === s.end;
    }
  }

  /** Whether the last {@link properties} found a `flows` array. */
  private sawFlows = false;

  /** `properties` (at its `{`): Version and flows. Returns the position after it, or -1. */
  private properties(p: number): number {
    const s = scanner;
    this.sawFlows = false;
    let sawVersion = false;
    p = s.ws(p + 1);
    if (s.b[p] === RBRACE) return p + 1;
    for (;;) {
      const k = s.key(p);
      if (k < 0) return -1;
      p = s.afterKey;
      if (s.keyIs(k, KEY_VERSION)) {
        if (sawVersion) return -1;
        sawVersion = true;
        const c = s.b[p];
        if (c === QUOTE) {
          p = s.plainString(p);
          if (p >= 0) this.version = Number(s.text(s.start, s.stop));
        } else if (c === MINUS || (c >= 0x30 && c <= 0x39)) {
          const start = p;
          p = s.number(p);
          if (p >= 0) this.version = Number(s.text(start, p));
        } else {
          p = s.value(p, 2);
        }
      } else if (s.keyIs(k, KEY_FLOWS)) {
        if (this.sawFlows || s.b[p] !== LBRACKET) return -1;
        this.sawFlows = true;
        p = this.ruleEntries(p);
      } else {
        p = s.value(p, 2);
      }
      if (p < 0) return -1;
      p = s.ws(p);
      if (s.b[p] === COMMA) {
        p = s.ws(p + 1);
        continue;
      }
      return s.b[p] === RBRACE ? p + 1 : -1;
    }
  }

  /** `properties.flows` (at its `[`): rule entries, each an object. */
  private ruleEntries(p: number): number {
    const s = scanner;
    p = s.ws(p + 1);
    if (s.b[p] === RBRACKET) return p + 1;
    for (;;) {
      if (s.b[p] !== LBRACE) return -1;
      p = this.ruleEntry(p);
      if (p < 0) return -1;
      p = s.ws(p);
      if (s.b[p] === COMMA) {
        p = s.ws(p + 1);
        continue;
      }
      return s.b[p] === RBRACKET ? p + 1 : -1;
    }
  }

  /** One rule entry (at its `{`): rule and flows (MAC entries). */
  private ruleEntry(p: number): number {
    const s = scanner;
    const firstGroup = this.groupCount;
    let ruleStart = -1;
    let ruleEnd = -1;
    let sawRule = false;
    let sawFlows = false;
    p = s.ws(p + 1);
    if (s.b[p] === RBRACE) return p + 1;
    for (;;) {
      const k = s.key(p);
      if (k < 0) return -1;
      p = s.afterKey;
      if (s.keyIs(k, KEY_RULE)) {
        if (sawRule) return -1;
        sawRule = true;
        if (s.b[p] === QUOTE) {
          p = s.plainString(p);
          ruleStart = s.start;
          ruleEnd = s.stop;
        } else {
          p = s.value(p, 4);
        }
      } else if (s.keyIs(k, KEY_FLOWS)) {
        if (sawFlows) return -1;
        sawFlows = true;
        p = s.b[p] === LBRACKET ? this.macEntries(p) : s.value(p, 4);
      } else {
        p = s.value(p, 4);
      }
      if (p < 0) return -1;
      p = s.ws(p);
      if (s.b[p] === COMMA) {
        p = s.ws(p + 1);
        continue;
      }
      if (s.b[p] !== RBRACE) return -1;
      this.setRule(firstGroup, ruleStart, ruleEnd);
      return p + 1;
    }
  }

  /** A rule entry's flows (at its `[`): MAC entries; anything but an object is skipped, as the reader does. */
  private macEntries(p: number): number {
    const s = scanner;
    p = s.ws(p + 1);
    if (s.b[p] === RBRACKET) return p + 1;
    for (;;) {
      p = s.b[p] === LBRACE ? this.macEntry(p) : s.value(p, 5);
      if (p < 0) return -1;
      p = s.ws(p);
      if (s.b[p] === COMMA) {
        p = s.ws(p + 1);
        continue;
      }
      return s.b[p] === RBRACKET ? p + 1 : -1;
    }
  }

  /** One MAC entry (at its `{`): mac and flowTuples; a group when flowTuples is an array. */
  private macEntry(p: number): number {
    const s = scanner;
    let macStart = -1;
    let macEnd = -1;
    let sawMac = false;
    let sawTuples = false;
    let hasTuples = false;
    p = s.ws(p + 1);
    if (s.b[p] === RBRACE) return p + 1;
    for (;;) {
      const k = s.key(p);
      if (k < 0) return -1;
      p = s.afterKey;
      if (s.keyIs(k, KEY_MAC)) {
        if (sawMac) return -1;
        sawMac = true;
        if (s.b[p] === QUOTE) {
          p = s.plainString(p);
          macStart = s.start;
          macEnd = s.stop;
        } else {
          p = s.value(p, 6);
        }
      } else if (s.keyIs(k, KEY_FLOW_TUPLES)) {
        if (sawTuples) return -1;
        sawTuples = true;
        if (s.b[p] === LBRACKET) {
          hasTuples = true;
          p = this.tupleStrings(p);
        } else {
          p = s.value(p, 6);
        }
      } else {
        p = s.value(p, 6);
      }
      if (p < 0) return -1;
      p = s.ws(p);
      if (s.b[p] === COMMA) {
        p = s.ws(p + 1);
        continue;
      }
      if (s.b[p] !== RBRACE) return -1;
      if (hasTuples) this.addGroup(macStart, macEnd);
      return p + 1;
    }
  }

  /** flowTuples (at its `[`): strings without escapes, each parsed by the parser or, when it declines, read as a string. */
  private tupleStrings(p: number): number {
    const s = scanner;
    const parser = this.parser!;
    p = s.ws(p + 1);
    if (s.b[p] === RBRACKET) return p + 1;
    for (;;) {
      if (s.b[p] !== QUOTE) return -1;
      const q = parser.parseTuple(s.b, p + 1, this.tupleCount);
      if (q >= 0) {
        this.addTuple(p + 1, q, true);
        p = q + 1;
      } else {
        p = s.plainString(p);
        if (p < 0) return -1;
        this.addTuple(s.start, s.stop, false);
      }
      p = s.ws(p);
      if (s.b[p] === COMMA) {
        p = s.ws(p + 1);
        continue;
      }
      return s.b[p] === RBRACKET ? p + 1 : -1;
    }
  }
}

const EMPTY = new Uint8Array(0);

/** JSON grammar over the bytes being scanned (`b` is the record: positions past its end read undefined and match nothing). */
class JsonScanner {
  b: Uint8Array = EMPTY;
  end = 0;
  /** Content range of the string {@link string} or {@link plainString} read last. */
  start = 0;
  stop = 0;
  /** Whether that string held an escape. */
  escaped = false;
  /** Where the value after the key {@link key} read last starts (whitespace skipped). */
  afterKey = 0;

  ws(p: number): number {
    const b = this.b;
    const end = this.end;
    while (p < end) {
      const c = b[p];
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      p++;
    }
    return p;
  }

  /** Text of `b[start, end)` (ASCII). */
  text(start: number, end: number): string {
    return Buffer.from(this.b.buffer, this.b.byteOffset + start, end - start).toString('latin1');
  }

  /**
   * An object key at `p` and its colon: returns the key's content start and leaves
   * {@link afterKey} at its value; -1 when there is no key there or it holds an escape (which
   * could spell a key the reader looks at).
   */
  key(p: number): number {
    if (this.b[p] !== QUOTE) return -1;
    p = this.string(p);
    if (p < 0 || this.escaped) return -1;
    p = this.ws(p);
    if (this.b[p] !== COLON) return -1;
    this.afterKey = this.ws(p + 1);
    return this.start;
  }

  /** Whether the key read last (content from `k`) is `word`. */
  keyIs(k: number, word: Uint8Array): boolean {
    if (this.stop - k !== word.length) return false;
    const b = this.b;
    for (let i = 0; i < word.length; i++) if (b[k + i] !== word[i]) return false;
    return true;
  }

  /** A string the reader uses (at its quote): -1 when it holds an escape. */
  plainString(p: number): number {
    p = this.string(p);
    return this.escaped ? -1 : p;
  }

  /**
   * A string at its opening quote: returns the position after the closing quote, or -1 when it is
   * not valid JSON (a raw control character, a bad escape, no closing quote). Sets {@link start},
   * {@link stop} and {@link escaped}.
   */
  string(p: number): number {
    const b = this.b;
    const end = this.end;
    let escaped = false;
    const start = p + 1;
    for (let i = start; i < end; i++) {
      const c = b[i];
      if (c === QUOTE) {
        this.start = start;
        this.stop = i;
        this.escaped = escaped;
        return i + 1;
      }
      if (c < 0x20) return -1;
      if (c === BACKSLASH) {
        escaped = true;
        const e = b[++i];
        if (e === 0x75 /* u */) {
          if (!isHex(b[i + 1]) || !isHex(b[i + 2]) || !isHex(b[i + 3]) || !isHex(b[i + 4])) return -1;
          i += 4;
        } else if (e !== QUOTE && e !== BACKSLASH && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) {
          return -1;
        }
      }
    }
    return -1;
  }

  /** A number (`-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`): the position after it, or -1. */
  number(p: number): number {
    const b = this.b;
    if (b[p] === MINUS) p++;
    if (b[p] === 0x30) p++;
    else if (isDigit(b[p])) while (isDigit(b[p])) p++;
    else return -1;
    if (b[p] === 0x2e /* . */) {
      p++;
      if (!isDigit(b[p])) return -1;
      while (isDigit(b[p])) p++;
    }
    if (b[p] === 0x65 || b[p] === 0x45 /* e E */) {
      p++;
      if (b[p] === 0x2b || b[p] === MINUS) p++;
      if (!isDigit(b[p])) return -1;
      while (isDigit(b[p])) p++;
    }
    return p;
  }

  /** Any value at `p`, at nesting `depth`: the position after it, or -1. */
  value(p: number, depth: number): number {
    const b = this.b;
    switch (b[p]) {
      case QUOTE:
        return this.string(p);
      case LBRACE:
        return this.container(p, depth, RBRACE);
      case LBRACKET:
        return this.container(p, depth, RBRACKET);
      case 0x74: // true
        return b[p + 1] === 0x72 && b[p + 2] === 0x75 && b[p + 3] === 0x65 ? p + 4 : -1;
      case 0x66: // false
        return b[p + 1] === 0x61 && b[p + 2] === 0x6c && b[p + 3] === 0x73 && b[p + 4] === 0x65 ? p + 5 : -1;
      case 0x6e: // null
        return b[p + 1] === 0x75 && b[p + 2] === 0x6c && b[p + 3] === 0x6c ? p + 4 : -1;
      default:
        return this.number(p);
    }
  }

  /** An object (`close` is `}`) or array (`]`) at its opening bracket. */
  private container(p: number, depth: number, close: number): number {
    if (depth >= MAX_DEPTH) return -1;
    const b = this.b;
    p = this.ws(p + 1);
    if (b[p] === close) return p + 1;
    for (;;) {
      if (close === RBRACE) {
        if (b[p] !== QUOTE) return -1;
        p = this.string(p);
        if (p < 0) return -1;
        p = this.ws(p);
        if (b[p] !== COLON) return -1;
        p = this.ws(p + 1);
      }
      p = this.value(p, depth + 1);
      if (p < 0) return -1;
      p = this.ws(p);
      if (b[p] === COMMA) {
        p = this.ws(p + 1);
        continue;
      }
      return b[p] === close ? p + 1 : -1;
    }
  }
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
}

/** One scanner per thread: records are scanned one at a time. */
const scanner = new JsonScanner();
