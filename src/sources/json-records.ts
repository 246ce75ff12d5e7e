/**
 * Streams the records out of Azure flow-log JSON without holding the whole file: a small
 * bracket- and string-aware byte scanner finds where each record starts and ends, and only that
 * record's text is handed to `JSON.parse`. Memory is bounded by the largest record, not the file.
 *
 * Layouts accepted (all seen in the field):
 * - a PT1H.json blob: `{"records":[ {record}, {record}, ... ]}` (compact or pretty-printed);
 * - line-delimited JSON: one bare record per line (`{"time":...,"properties":...}`), or one
 *   `{"records":[...]}` wrapper per line (Event Hubs captures);
 * - a bare array of records: `[ {record}, ... ]`.
 *
 * A top-level object is a wrapper when one of its own keys is `"records"` with an array value;
 * each element of that array is a record. Any other top-level object is itself a record.
 *
 * Damage: a record whose text does not parse is reported (`json_malformed`, with its byte offset
 * and record index) and skipped; the scanner resyncs because it found the record's end by its
 * brackets. A raw newline inside a string (never valid JSON) ends that string and marks the record
 * broken, so one bad line cannot swallow the next. In line-delimited files a raw newline inside a
 * record also ends it. Bytes outside any value are skipped up to the next line and reported. A file
 * that ends inside a record is reported and marked incomplete.
 */

import { isAscii } from 'node:buffer';
import type { DiagnosticSink } from '../common/diagnostics.js';
import { BACKSLASH, LBRACE, LBRACKET, QUOTE, RBRACE, RBRACKET } from './json-bytes.js';
import type { ByteInput } from './types.js';

const NEWLINE = 0x0a;
const RECORDS_KEY = [0x72, 0x65, 0x63, 0x6f, 0x72, 0x64, 0x73]; // "records"

/** Where a record sits in its file. */
export interface JsonRecordMeta {
  /** 0-based index of the record in the file (malformed records keep their index). */
  index: number;
  /** Byte offset of the record's opening brace in the (decompressed) stream. */
  offset: number;
  /** 1-based line of the record's opening brace. */
  line: number;
  /** True when the record is a top-level value (line-delimited JSON), not an element of `records`. */
  topLevel: boolean;
}

/** What {@link forEachJsonRecord} read. */
export interface JsonRecordsResult {
  bytes: number;
  /** Records found, including malformed ones. */
  records: number;
  /** False when the file ended inside a record. */
  complete: boolean;
}

/** Small growable byte buffer for records that span chunks. */
class GrowableBytes {
  buf = new Uint8Array(64 * 1024);
  length = 0;

  append(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n <= 0) return;
    if (this.length + n > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < this.length + n) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
    this.buf.set(src.subarray(start, end), this.length);
    this.length += n;
  }

  clear(): void {
    this.length = 0;
    // Do not keep a giant buffer alive after one huge record.
    if (this.buf.length > 16 * 1024 * 1024) this.buf = new Uint8Array(64 * 1024);
  }
}

/**
 * Calls `onRecord` with each parsed record (a plain JSON value, usually an object) and where it
 * came from. Records that fail to parse are reported to `diag` as `json_malformed` and skipped.
 *
 * `onRecordBytes`, when given, is offered each ASCII record's bytes first (valid only during the
 * call, and not yet checked to be valid JSON): when it returns true it has read the record, and
 * the record is not parsed; when false, it must have done nothing, and the record goes to `onRecord`.
 */
export async function forEachJsonRecord(
  input: ByteInput,
  diag: DiagnosticSink,
  onRecord: (value: unknown, meta: JsonRecordMeta) => void,
  onRecordBytes?: (bytes: Uint8Array, meta: JsonRecordMeta) => boolean,
): Promise<JsonRecordsResult> {
  const file = input.name;
  const decoder = new TextDecoder('utf-8');
  const captured = new GrowableBytes();

  let base = 0; // stream offset of the current chunk's byte 0
  let line = 1; // current line (1-based)
  let depth = 0;
  let inString = false;
  let escapeNext = false; // a backslash ended the previous chunk inside a string
  // Top-level bookkeeping.
  let topIsObject = false; // the current top-level value is an object (not an array)
  let recordsDepth = -1; // depth of the elements of the records array, -1 when not in one
  let keyMatch = -1; // progress matching "records" in a depth-1 string; -1 = no match
  let lastKeyIsRecords = false;
  // Current record.
  let recDepth = -1; // depth at which the current record's brace opened; -1 when none
  let recStartInChunk = -1; // start in the current chunk, or 0 after a chunk boundary
  let recOffset = 0;
  let recLine = 0;
  let recTopLevel = false;
  let recBroken = false;
  let topHadNewline = false; // the current top-level value spans lines
  let lineDelimited = false; // set after a single-line top-level value
  let index = 0;
  let garbageLine = -1;
  let complete = true;

  const finishRecord = (chunk: Uint8Array, endInChunk: number): void => {
    const meta: JsonRecordMeta = { index: index++, offset: recOffset, line: recLine, topLevel: recTopLevel };
    if (recBroken) {
      diag.report('json_malformed', { file, offset: recOffset, index: meta.index + 1 }, `record ${meta.index} (line ${recLine}) is not valid JSON: a string or line ends early; skipped`);
    } else {
      let bytes: Uint8Array;
      if (captured.length === 0) {
        bytes = chunk.subarray(recStartInChunk, endInChunk);
      } else {
        captured.append(chunk, recStartInChunk, endInChunk);
        bytes = captured.buf.subarray(0, captured.length);
      }
      const ascii = isAscii(bytes);
      if (!(ascii && onRecordBytes !== undefined && onRecordBytes(bytes, meta))) {
        // ASCII bytes are their own characters: a latin1 copy is several times faster than UTF-8
        // decoding, and flow-log records are nearly always ASCII. (A record starts with `{`, so the
        // decoder's byte-order-mark handling never applies.)
        const text = ascii ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1') : decoder.decode(bytes);
        let value: unknown;
        let ok = true;
        try {
          value = JSON.parse(text);
        } catch (e) {
          ok = false;
          diag.report('json_malformed', { file, offset: recOffset, index: meta.index + 1 }, `record ${meta.index} (line ${recLine}) is not valid JSON: ${(e as Error).message.slice(0, 120)}; skipped`);
        }
        if (ok) onRecord(value, meta);
      }
    }
    captured.clear();
    recDepth = -1;
    recStartInChunk = -1;
    recBroken = false;
  };

  const startRecord = (pos: number, topLevel: boolean): void => {
    recDepth = depth; // depth after the opening brace is depth (already incremented by the caller)
    recStartInChunk = pos;
    recOffset = base + pos;
    recLine = line;
    recTopLevel = topLevel;
    recBroken = false;
    captured.clear();
  };

  /** In line-delimited JSON a value must end on its line: abandon it and reset to the top level. */
  const abandonAtNewline = (): void => {
    if (recDepth >= 0) {
      diag.report('json_malformed', { file, offset: recOffset, index: index + 1 }, `record ${index} (line ${recLine}) ends with its line before its brackets close; skipped`);
      index++;
    } else {
      diag.report('json_malformed', { file, offset: base, index: index }, `line ${line - 1}: a JSON value ends with its line before its brackets close; skipped`);
    }
    captured.clear();
    recDepth = -1;
    recStartInChunk = -1;
    recBroken = false;
    depth = 0;
    inString = false;
    keyMatch = -1;
    recordsDepth = -1;
    topIsObject = false;
    lastKeyIsRecords = false;
    topHadNewline = false;
  };

  for await (const chunk of input.chunks) {
    const len = chunk.length;
    let i = 0;
    let nextNl = chunk.indexOf(NEWLINE);
    if (nextNl < 0) nextNl = len;
    if (recDepth >= 0) recStartInChunk = 0;
    while (i < len) {
      if (inString) {
        if (escapeNext) {
          // The byte after a backslash that ended the previous chunk is escaped.
          escapeNext = false;
          i++;
          continue;
        }
        if (keyMatch >= 0) {
          // A depth-1 key: byte by byte, to recognise "records" even across chunks.
          const c = chunk[i];
          if (c === QUOTE) {
            inString = false;
            lastKeyIsRecords = keyMatch === RECORDS_KEY.length;
            keyMatch = -1;
          } else if (c === BACKSLASH) {
            keyMatch = -2; // an escape inside: not the plain key; still track the string
            if (i + 1 < len) i++;
            else escapeNext = true;
          } else if (c === NEWLINE) {
            inString = false;
            keyMatch = -1;
            recBroken = true;
            continue; // the newline itself is handled as structure
          } else if (keyMatch < RECORDS_KEY.length && c === RECORDS_KEY[keyMatch]) {
            keyMatch++;
          } else {
            keyMatch = RECORDS_KEY.length + 1; // no match, keep scanning
          }
          i++;
          continue;
        }
        if (keyMatch === -2) {
          // escaped depth-1 string: keep byte-by-byte, never equal to "records"
          const c = chunk[i];
          if (c === QUOTE) {
            inString = false;
            lastKeyIsRecords = false;
            keyMatch = -1;
          } else if (c === BACKSLASH) {
            if (i + 1 < len) i++;
            else escapeNext = true;
          } else if (c === NEWLINE) {
            inString = false;
            keyMatch = -1;
            recBroken = true;
            continue;
          }
          i++;
          continue;
        }
        // Fast path inside deeper strings: jump to the next quote.
        let q = chunk.indexOf(QUOTE, i);
        for (;;) {
          if (q < 0) break;
          let bs = 0;
          let k = q - 1;
          while (k >= i && chunk[k] === BACKSLASH) {
            bs++;
            k--;
          }
          if ((bs & 1) === 0) break;
          q = chunk.indexOf(QUOTE, q + 1);
        }
        if (q < 0 || q > nextNl) {
          if (nextNl < len) {
            // A raw newline inside a string: invalid JSON. End the string here so the damage
            // stays on this line.
            inString = false;
            recBroken = true;
            i = nextNl; // handled as structure below
            continue;
          }
          // The string runs past this chunk: note a trailing odd backslash run.
          let bs = 0;
          let k = len - 1;
          while (k >= i && chunk[k] === BACKSLASH) {
            bs++;
            k--;
          }
          escapeNext = (bs & 1) === 1;
          i = len;
          break;
        }
        inString = false;
        i = q + 1;
        continue;
      }

      const c = chunk[i];
      switch (c) {
        case QUOTE:
          inString = true;
          // Only keys of a top-level object matter to the scanner.
          keyMatch = depth === 1 && topIsObject ? 0 : -1;
          break;
        case LBRACE:
          depth++;
          if (depth === 1) {
            topIsObject = true;
            lastKeyIsRecords = false;
            startRecord(i, true);
          } else if (depth === recordsDepth && recDepth < 0) {
            startRecord(i, false);
          }
          break;
        case LBRACKET:
          depth++;
          if (depth === 1) {
            // A bare array of records.
            topIsObject = false;
            recordsDepth = 2;
          } else if (depth === 2 && topIsObject && lastKeyIsRecords && recordsDepth < 0) {
            // The wrapper's "records" array: its elements are the records. The wrapper itself is
            // not a record, so drop what was captured of it.
            recordsDepth = 3;
            recDepth = -1;
            recStartInChunk = -1;
            captured.clear();
          }
          break;
        case RBRACE:
        case RBRACKET:
          if (depth === 0) {
            reportGarbage(i);
            break;
          }
          if (recDepth >= 0 && depth === recDepth && c === RBRACE) {
            finishRecord(chunk, i + 1);
          }
          depth--;
          if (depth === recordsDepth - 2 && c === RBRACKET) recordsDepth = -1; // records array closed
          if (depth === 0) {
            if (!topHadNewline) lineDelimited = true;
            topHadNewline = false;
            topIsObject = false;
            recordsDepth = -1;
            lastKeyIsRecords = false;
          }
          break;
        case NEWLINE:
          line++;
          nextNl = chunk.indexOf(NEWLINE, i + 1);
          if (nextNl < 0) nextNl = len;
          if (depth > 0) {
            if (lineDelimited) {
              abandonAtNewline();
              break;
            }
            topHadNewline = true;
          }
          break;
        case 0x20:
        case 0x09:
        case 0x0d:
        case 0x2c: // ,
        case 0x3a: // :
          break;
        default:
          if (depth === 0 && !(c === 0xef || c === 0xbb || c === 0xbf)) {
            reportGarbage(i);
            // skip the rest of this line
            i = nextNl;
            continue;
          }
          break;
      }
      i++;
    }
    if (recDepth >= 0 && recStartInChunk >= 0) captured.append(chunk, recStartInChunk, len);
    base += len;
  }

  if (recDepth >= 0) {
    complete = false;
    diag.report('json_malformed', { file, offset: recOffset, index: index + 1 }, `the file ends inside record ${index} (line ${recLine}): truncated`);
    index++;
  } else if (depth > 0 || inString) {
    diag.report('json_malformed', { file, offset: base, index: index }, 'the file ends before its JSON closes (truncated after the last complete record)');
  }
  return { bytes: base, records: index, complete };

  function reportGarbage(pos: number): void {
    if (garbageLine === line) return;
    garbageLine = line;
    diag.report('json_malformed', { file, offset: base + pos, index: index }, `line ${line}: bytes outside any JSON record; skipped to the next line`);
  }
}
