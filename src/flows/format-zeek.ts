/**
 * Zeek conn.log TSV (the ASCII writer's default format), so that zeek-cut and other conn.log tools
 * read our output. Header and field order as Zeek 3-6 write them (base/protocols/conn/main.zeek,
 * Conn::Info, without the later `ip_proto` column so that older tools keep working).
 *
 * Notes on values, following Zeek:
 * - duration, orig_bytes and resp_bytes are unset (`-`) when the duration is 0 (Zeek's set_conn only
 *   fills them when `c$duration > 0secs`);
 * - local_orig/local_resp are unset (no Site::local_nets here), missed_bytes is 0 (no reassembly),
 *   tunnel_parents is unset;
 * - strings from the data (service names) are escaped as Zeek escapes them: separators, backslashes
 *   and non-printable bytes as \xHH.
 */

import { formatZeekDuration, formatZeekTs } from '../common/time.js';
import { putDigits, putMicros, putText, type RowBuffer } from './format-bytes.js';
import type { Flow } from './types.js';

/** conn.log column names, in order. */
export const ZEEK_CONN_FIELDS = [
  'ts',
  'uid',
  'id.orig_h',
  'id.orig_p',
  'id.resp_h',
  'id.resp_p',
  'proto',
  'service',
  'duration',
  'orig_bytes',
  'resp_bytes',
  'conn_state',
  'local_orig',
  'local_resp',
  'missed_bytes',
  'history',
  'orig_pkts',
  'orig_ip_bytes',
  'resp_pkts',
  'resp_ip_bytes',
  'tunnel_parents',
] as const;

/** conn.log column types, in order. */
export const ZEEK_CONN_TYPES = [
  'time',
  'string',
  'addr',
  'port',
  'addr',
  'port',
  'enum',
  'string',
  'interval',
  'count',
  'count',
  'string',
  'bool',
  'bool',
  'count',
  'string',
  'count',
  'count',
  'count',
  'count',
  'set[string]',
] as const;

const UNSET = '-';
const EMPTY = '(empty)';

/** Zeek's #open/#close stamp: `YYYY-MM-DD-HH-MM-SS` (UTC here; Zeek writes local time). */
export function formatZeekStamp(tsMicros: number): string {
  const iso = new Date(Math.floor(tsMicros / 1000)).toISOString(); // 2024-05-01T10:00:00.000Z
  return `${iso.slice(0, 10)}-${iso.slice(11, 13)}-${iso.slice(14, 16)}-${iso.slice(17, 19)}`;
}

/**
 * The header lines (each ending in a newline) that open a conn.log.
 * @param openTs when the log was opened, microseconds since the epoch
 */
export function zeekHeader(openTs: number): string {
  return (
    '#separator \\x09\n' +
    '#set_separator\t,\n' +
    `#empty_field\t${EMPTY}\n` +
    `#unset_field\t${UNSET}\n` +
    '#path\tconn\n' +
    `#open\t${formatZeekStamp(openTs)}\n` +
    `#fields\t${ZEEK_CONN_FIELDS.join('\t')}\n` +
    `#types\t${ZEEK_CONN_TYPES.join('\t')}\n`
  );
}

/** The closing line of a conn.log (with its newline). */
export function zeekFooter(closeTs: number): string {
  return `#close\t${formatZeekStamp(closeTs)}\n`;
}

/**
 * Escapes a string value as Zeek's ASCII writer does: backslash, tab (the separator), the set
 * separator inside sets, and non-printable characters become \xHH; an empty string is `(empty)`
 * and a lone `-` is escaped so it is not read as unset.
 */
export function escapeZeekString(s: string): string {
  if (s === '') return EMPTY;
  if (s === UNSET) return '\\x2d';
  // Fast path (uids, histories, service names are nearly always plain): nothing to escape.
  let plain = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x5c || c === 0x7f) {
      plain = false;
      break;
    }
  }
  if (plain) return s;
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\' || c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

/**
 * One conn.log row for a flow (with its newline). Built as one template (columns in
 * {@link ZEEK_CONN_FIELDS} order) rather than an array joined: the writer joins rows again before
 * each write, so the per-row array and join only added a copy per flow.
 */
export function formatZeekRow(flow: Flow): string {
  const hasDuration = flow.duration > 0;
  const service = flow.service ? escapeZeekString(flow.service) : UNSET;
  const duration = hasDuration ? formatZeekDuration(flow.duration) : UNSET;
  const origBytes = hasDuration ? String(flow.origBytes) : UNSET;
  const respBytes = hasDuration ? String(flow.respBytes) : UNSET;
  const history = flow.history ? escapeZeekString(flow.history) : UNSET;
  // ts uid orig_h orig_p resp_h resp_p proto service duration orig_bytes resp_bytes conn_state
  // local_orig local_resp missed_bytes history orig_pkts orig_ip_bytes resp_pkts resp_ip_bytes tunnel_parents
  return (
    `${formatZeekTs(flow.ts)}\t${escapeZeekString(flow.uid)}\t${flow.origH}\t${flow.origP}\t${flow.respH}\t${flow.respP}\t` +
    `${flow.proto}\t${service}\t${duration}\t${origBytes}\t${respBytes}\t${flow.connState}\t` +
    `${UNSET}\t${UNSET}\t0\t${history}\t${flow.origPkts}\t${flow.origIpBytes}\t${flow.respPkts}\t${flow.respIpBytes}\t${UNSET}\n`
  );
}

const TAB = 9;
const NEWLINE = 10;
const DASH = 45;
const ZERO = 48;
/** Bytes a row needs besides its strings: 9 numbers of at most 17 characters and 21 separators. */
const ROW_NUMBER_ROOM = 9 * 17 + 32;

/** A count, port or microsecond time the fast path writes digit by digit. */
function plainNumber(v: number): boolean {
  return v >= 0 && v <= Number.MAX_SAFE_INTEGER && Math.floor(v) === v;
}

/**
 * Writes the same bytes as {@link formatZeekRow} (UTF-8) straight into `out`, without building the
 * row as a string: the flows command writes millions of rows, and the string (plus its join and
 * re-encoding in the writer) was most of the per-row cost. A row with an unusual number (negative,
 * fractional, huge) takes the string path, so both always agree.
 */
export function writeZeekRow(flow: Flow, out: RowBuffer): void {
  const hasDuration = flow.duration > 0;
  if (
    !plainNumber(flow.ts) ||
    !plainNumber(flow.origP) ||
    !plainNumber(flow.respP) ||
    !plainNumber(flow.origPkts) ||
    !plainNumber(flow.origIpBytes) ||
    !plainNumber(flow.respPkts) ||
    !plainNumber(flow.respIpBytes) ||
    (hasDuration && !(plainNumber(flow.duration) && plainNumber(flow.origBytes) && plainNumber(flow.respBytes)))
  ) {
    out.text(formatZeekRow(flow));
    return;
  }
  const uid = escapeZeekString(flow.uid);
  const service = flow.service ? escapeZeekString(flow.service) : UNSET;
  const history = flow.history ? escapeZeekString(flow.history) : UNSET;
  const origH = flow.origH;
  const respH = flow.respH;
  const proto = flow.proto;
  const connState = flow.connState;
  // One capacity check for the whole row: UTF-8 takes at most 3 bytes per UTF-16 unit.
  out.ensure(
    ROW_NUMBER_ROOM +
      3 * (uid.length + origH.length + respH.length + proto.length + service.length + connState.length + history.length),
  );
  const b = out.buf;
  let p = out.pos;
  p = putMicros(b, p, flow.ts);
  b[p++] = TAB;
  p = putText(b, p, uid);
  b[p++] = TAB;
  p = putText(b, p, origH);
  b[p++] = TAB;
  p = putDigits(b, p, flow.origP);
  b[p++] = TAB;
  p = putText(b, p, respH);
  b[p++] = TAB;
  p = putDigits(b, p, flow.respP);
  b[p++] = TAB;
  p = putText(b, p, proto);
  b[p++] = TAB;
  p = putText(b, p, service);
  b[p++] = TAB;
  if (hasDuration) {
    p = putMicros(b, p, flow.duration);
    b[p++] = TAB;
    p = putDigits(b, p, flow.origBytes);
    b[p++] = TAB;
    p = putDigits(b, p, flow.respBytes);
  } else {
    b[p++] = DASH;
    b[p++] = TAB;
    b[p++] = DASH;
    b[p++] = TAB;
    b[p++] = DASH;
  }
  b[p++] = TAB;
  p = putText(b, p, connState);
  // local_orig and local_resp unset, missed_bytes 0.
  b[p++] = TAB;
  b[p++] = DASH;
  b[p++] = TAB;
  b[p++] = DASH;
  b[p++] = TAB;
  b[p++] = ZERO;
  b[p++] = TAB;
  p = putText(b, p, history);
  b[p++] = TAB;
  p = putDigits(b, p, flow.origPkts);
  b[p++] = TAB;
  p = putDigits(b, p, flow.origIpBytes);
  b[p++] = TAB;
  p = putDigits(b, p, flow.respPkts);
  b[p++] = TAB;
  p = putDigits(b, p, flow.respIpBytes);
  // tunnel_parents unset.
  b[p++] = TAB;
  b[p++] = DASH;
  b[p++] = NEWLINE;
  out.pos = p;
}
