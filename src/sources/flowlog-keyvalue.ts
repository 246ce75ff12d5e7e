/**
 * FortiGate traffic logs as the firewall sends them to a syslog server or writes them to disk:
 * one session per line, as `key=value` pairs (`date=2026-11-20 time=09:15:02 devname="FGT60F"
 * logid="0000000013" type="traffic" subtype="forward" srcip=10.0.0.20 srcport=50123 dstip=10.0.1.11
 * dstport=389 proto=6 action="deny" policyid=5 …`), after a syslog head or none.
 *
 * The pairs are the columns of FortiGate's CSV export under the same names, so each line is read
 * as a row of one: the columns are matched by name as flowlog-csv.ts matches a header (eventtime,
 * UTC, before the device's local date and time; `policyid` as the rule), and the row becomes a flow
 * by the same rules (deny refused; close, timeout, client-rst, server-rst let through, a server
 * reset before any data refused; ip-conn unanswered; start: outcome unknown). Lines of other kinds
 * (type="event", "utm") and other programs' lines are skipped and counted.
 */

import { InputError } from '../common/diagnostics.js';
import { mapColumns, RowFlows, rowsSummary, type ColumnIndex, type CsvColumn, type CsvOptions } from './flowlog-csv.js';
import { forEachLineRange } from './flowlog-common.js';
import { ASSUMED_UTC, parseTimezone, type LocalTimeZone } from './flowlog-time.js';
import type { ByteInput, FileSummary, FlowSink, ReadContext } from './types.js';

/** One `key=value` pair; a quoted value may hold spaces (and `\"`). */
const PAIR = /([A-Za-z_][\w-]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)/g;
/** Column layouts met so far, by the line's keys (a log holds a few kinds of line). */
const MAX_LAYOUTS = 256;

/** The pairs of a line, in order (quotes removed). */
export function keyValuePairs(line: string): { keys: string[]; values: string[] } {
  const keys: string[] = [];
  const values: string[] = [];
  for (const m of line.matchAll(PAIR)) {
    keys.push(m[1]);
    const v = m[2];
    values.push(v.length >= 2 && v.startsWith('"') ? v.slice(1, -1).replace(/\\"/g, '"') : v);
  }
  return { keys, values };
}

/** Reads a FortiGate traffic log (key=value lines) and pushes one flow per session line to `onFlow`. */
export async function readKeyValue(input: ByteInput, ctx: ReadContext & CsvOptions, onFlow: FlowSink): Promise<FileSummary> {
  const file = input.name;
  const diag = ctx.diag;
  const zone: LocalTimeZone = ctx.tz === undefined ? ASSUMED_UTC : typeof ctx.tz === 'string' ? parseTimezone(ctx.tz) : ctx.tz;
  const toFlow = new RowFlows(file, diag, 'log_bad_line', onFlow);
  const layouts = new Map<string, ColumnIndex | null>();
  let rows = 0;
  const result = await forEachLineRange(input, (text, start, end, lineNo, offset) => {
    const line = text.slice(start, end);
    if (line.indexOf('srcip=') < 0 || line.indexOf('dstip=') < 0) return;
    const { keys, values } = keyValuePairs(line);
    const type = values[keys.indexOf('type')];
    if (type !== undefined && type !== 'traffic') {
      diag.count('log_message_not_a_flow');
      return;
    }
    const layoutKey = keys.join(' ');
    let cols = layouts.get(layoutKey);
    if (cols === undefined) {
      try {
        cols = mapColumns(keys, ctx.columns, file).index;
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        // A kind of line without the columns of a flow: reported once per kind, its lines skipped.
        diag.report('log_bad_line', { file, offset, index: lineNo }, `line ${lineNo}: ${e.message.slice(file.length + 2, 300)}; lines of this kind are skipped`);
        cols = null;
      }
      if (layouts.size < MAX_LAYOUTS) layouts.set(layoutKey, cols);
    }
    if (cols === null) return;
    rows++;
    const c = cols;
    const cell = (k: CsvColumn): string | undefined => (c[k] >= 0 ? values[c[k]] : undefined);
    toFlow.add(cell, zone, false, { offset, index: lineNo, place: `line ${lineNo}`, evidence: { file, line: lineNo } });
  });
  return rowsSummary(file, 'keyvalue', rows, result.bytes, toFlow, zone, diag);
}
