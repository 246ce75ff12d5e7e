/**
 * Palo Alto Networks firewalls' traffic logs as syslog sends them: the log's fields comma-separated,
 * in PAN-OS's fixed order, after the syslog head (`Nov 20 09:15:02 pa-fw 1,2026/11/20 09:15:02,
 * 012801096514,TRAFFIC,drop,2561,2026/11/20 09:15:02,10.0.0.20,10.0.1.11,…`). The order is Palo Alto's
 * "Traffic Log Fields" (syslog field descriptions): the fields read here have kept their places
 * since PAN-OS 6; later versions add fields at the end.
 *
 * Each line is read as a row of the CSV export of the same log (flowlog-csv.ts), its columns named
 * as that export names them, so the same rules make the flow: subtype `drop` and `deny` and
 * actions deny, drop and reset-* refused; `end` with its session end reason (`tcp-rst-from-server`
 * before any data refused); `start` written before any answer (outcome unknown). Times are the
 * device's local time (`--tz`). Other log types (THREAT, SYSTEM …) are counted, not flows.
 */

import { mapColumns, RowFlows, rowsSummary, type ColumnIndex, type CsvColumn, type CsvOptions } from './flowlog-csv.js';
import { forEachLineRange } from './flowlog-common.js';
import { ASSUMED_UTC, parseTimezone, type LocalTimeZone } from './flowlog-time.js';
import { PANOS_LOG } from './input.js';
import type { ByteInput, FileSummary, FlowSink, ReadContext } from './types.js';

/** The traffic log's fields by position, named as Palo Alto's CSV export names them ('' = not read). */
const TRAFFIC_FIELDS: readonly string[] = (() => {
  const names: string[] = new Array(47).fill('');
  const at: Record<number, string> = {
    1: 'Receive Time',
    3: 'Type',
    4: 'Threat/Content Type',
    6: 'Generate Time',
    7: 'Source address',
    8: 'Destination address',
    11: 'Rule',
    24: 'Source Port',
    25: 'Destination Port',
    29: 'IP Protocol',
    30: 'Action',
    32: 'Bytes Sent',
    33: 'Bytes Received',
    35: 'Start Time',
    44: 'Packets Sent',
    45: 'Packets Received',
    46: 'Session End Reason',
  };
  for (const [k, v] of Object.entries(at)) names[Number(k)] = v;
  return names;
})();

/** Splits one CSV line (fields in double quotes may hold commas and `""`). */
export function splitCsvLine(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= text.length) {
    if (text.charCodeAt(i) === 34) {
      let v = '';
      i++;
      while (i < text.length) {
        if (text.charCodeAt(i) === 34) {
          if (text.charCodeAt(i + 1) === 34) {
            v += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += text[i++];
      }
      out.push(v);
      const comma = text.indexOf(',', i);
      i = comma < 0 ? text.length + 1 : comma + 1;
    } else {
      const comma = text.indexOf(',', i);
      const end = comma < 0 ? text.length : comma;
      out.push(text.slice(i, end));
      i = end + 1;
    }
  }
  return out;
}

/** Reads a PAN-OS syslog of traffic logs and pushes one flow per line to `onFlow`. */
export async function readPanos(input: ByteInput, ctx: ReadContext & CsvOptions, onFlow: FlowSink): Promise<FileSummary> {
  const file = input.name;
  const diag = ctx.diag;
  const zone: LocalTimeZone = ctx.tz === undefined ? ASSUMED_UTC : typeof ctx.tz === 'string' ? parseTimezone(ctx.tz) : ctx.tz;
  const toFlow = new RowFlows(file, diag, 'log_bad_line', onFlow);
  const cols: ColumnIndex = mapColumns([...TRAFFIC_FIELDS], ctx.columns, file).index;
  let rows = 0;
  const result = await forEachLineRange(input, (text, start, end, lineNo, offset) => {
    const line = text.slice(start, end);
    const m = PANOS_LOG.exec(line);
    if (m === null) return;
    if (m[2] !== 'TRAFFIC') {
      diag.count('log_message_not_a_flow');
      return;
    }
    const values = splitCsvLine(m[1]);
    rows++;
    const cell = (k: CsvColumn): string | undefined => (cols[k] >= 0 ? values[cols[k]] : undefined);
    toFlow.add(cell, zone, false, { offset, index: lineNo, place: `line ${lineNo}`, evidence: { file, line: lineNo } });
  });
  return rowsSummary(file, 'panos', rows, result.bytes, toFlow, zone, diag);
}
