/**
 * CSV exports of flow logs (Log Analytics / Sentinel exports of NSG or VNet flow tables, SIEM and
 * spreadsheet exports): a header row, then one flow per row. Parsed with csv-parse (quotes,
 * doubled quotes, embedded newlines, BOM, CRLF); the delimiter (comma, semicolon or tab) is sniffed
 * from the header line.
 *
 * Columns are matched by name, ignoring case, spaces, `_`, `-`, `.`, brackets and a Log Analytics
 * type suffix (`SrcIP_s`, `DestPort_d`, `FlowStartTime_t`): see {@link CSV_COLUMN_NAMES}. `--columns`
 * ({@link parseColumnsFlag}) maps any other names. Required: time (or date + time), source and
 * destination address, destination port and protocol. Optional: source port, action, direction,
 * rule, and packets/bytes each way.
 *
 * Outcome mapping:
 *
 * | row says                                              | outcome    | connState | reason                                      |
 * |-------------------------------------------------------|------------|-----------|---------------------------------------------|
 * | action Deny/Denied/D/Drop/Block/Reject, drop-icmp     | refused    | S0        | denied by rule X (Deny)                      |
 * | action reset-client/reset-server/reset-both (PAN-OS)  | refused    | REJ       | reset by the firewall by rule X (reset-both) |
 * | action ip-conn (FortiGate: the attempt failed)        | unanswered | S0        | allowed, but the connection attempt failed   |
 * | allowed, TCP reset by the server, ≤ 3 sent and ≤ 1 back (FortiGate server-rst, PAN-OS end reason tcp-rst-from-server) | refused | REJ | allowed, but the server reset it before any data |
 * | allowed (or no action) and packets back > 0           | completed  | SF        | allowed; n packets sent, m back              |
 * | allowed (or no action), packets-back column says 0    | unanswered | S0        | allowed, but no packets came back (n sent)   |
 * | action Allow/Allowed/A/Accept/Permit, no counts       | completed  | OTH       | allowed (Allow); the export carries no reply counts |
 * | no action, no counts; or an action not recognised     | unknown    | OTH       | ...                                          |
 *
 * Allowed also covers the ways FortiGate logs an allowed session's end (close, timeout,
 * client-rst, server-rst). A line logged when a session began (FortiGate's action start, Palo Alto's
 * subtype start) is allowed with an unknown outcome: it was written before any answer. Palo Alto and FortiGate exports are matched by their field names
 * (Source Address, Packets Received, Session End Reason; srcip, rcvdpkt, policyname).
 *
 * Times: ISO 8601 (with `Z` or an offset, or without a zone; `YYYY/MM/DD hh:mm:ss` too, as Palo
 * Alto writes it), `M/D/YYYY, h:mm:ss[.fff] AM/PM`
 * (the Azure portal's export), or epoch seconds / milliseconds / microseconds / nanoseconds. Times without a
 * zone are read in `tz` (UTC when not given, and the summary says it was assumed) unless the
 * header names the zone (`TimeGenerated [UTC]`). A FortiGate export's epoch column (eventtime) is
 * read instead of its local date and time.
 */

import { parse } from 'csv-parse';
import type { CsvError } from 'csv-parse';
import { hostNameOf } from '../common/hostname.js';
import { InputError, UsageError, type DiagnosticSink } from '../common/diagnostics.js';
import type { ConnState, Flow, FlowEvidence, Outcome, Transport } from '../flows/types.js';
import { parseFirewallMessage, type FirewallMessageFields } from './azure-firewall-message.js';
import { AddressCache, flowLogUid, hashString, makeLogFlow, protocolForMessage, transportOf } from './flowlog-common.js';
import { ASSUMED_UTC, civilToMillis, daysInMonth, parseTimezone } from './flowlog-time.js';
import type { LocalTimeZone } from './flowlog-time.js';
import type { ByteInput, FileSummary, FlowSink, InputFormat, ReadContext } from './types.js';

/** Logical columns a CSV flow export can have. */
export type CsvColumn =
  | 'time'
  | 'date'
  | 'src'
  | 'dst'
  | 'sport'
  | 'dport'
  | 'proto'
  | 'action'
  | 'direction'
  | 'rule'
  | 'action_reason'
  | 'subtype'
  | 'pkts_out'
  | 'bytes_out'
  | 'pkts_in'
  | 'bytes_in';

/**
 * Header names recognised per logical column, normalised (lowercase, letters and digits only, Log
 * Analytics type suffix removed). Earlier names win when a header has several.
 */
export const CSV_COLUMN_NAMES: Record<CsvColumn, string[]> = {
  // Last, the times a firewall wrote its log line (Palo Alto: Generate Time, Receive Time) when no start time is exported.
  time: ['flowstarttime', 'flowstart', 'starttime', 'timestamp', 'time', 'timeutc', 'datetime', 'eventtime', 'timegenerated', 'timegeneratedutc', 'ts', 'generatedtime', 'generatetime', 'receivetime'],
  date: ['date'],
  src: ['srcip', 'sourceip', 'srcaddr', 'srcaddress', 'sourceaddress', 'sourceipaddress', 'srcipaddress', 'src', 'source', 'clientip', 'ipsrc', 'saddr', 'idorigh', 'origh'],
  // Last, the host-name columns of firewalls that filter by name (see DESTINATION_NAME_COLUMNS).
  dst: ['dstip', 'destip', 'destinationip', 'dstaddr', 'dstaddress', 'destaddress', 'destinationaddress', 'destinationipaddress', 'dstipaddress', 'dst', 'dest', 'destination', 'ipdst', 'daddr', 'idresph', 'resph', 'fqdn', 'destinationfqdn', 'targetfqdn', 'dstfqdn'],
  sport: ['srcport', 'sourceport', 'sport', 'spt', 'idorigp', 'origp'],
  dport: ['dstport', 'destport', 'destinationport', 'dport', 'dpt', 'idrespp', 'respp', 'port'],
  proto: ['protocol', 'proto', 'l4protocol', 'transport', 'transportprotocol', 'ipprotocol'],
  action: ['action', 'decision', 'flowstatus', 'verdict', 'disposition', 'status'],
  direction: ['direction', 'flowdirection', 'trafficdirection', 'dir'],
  rule: ['rule', 'rulename', 'nsgrule', 'nsgrulename', 'aclrule', 'policy', 'policyname', 'policyid'],
  /** Why the firewall decided so, in words (Azure Firewall: ActionReason, "No rule matched. Proceeding with default action"). */
  action_reason: ['actionreason', 'denyreason', 'reasontext', 'sessionendreason'],
  /** The kind of log line (Palo Alto: start, end, drop, deny), read for session-start lines only. */
  subtype: ['subtype', 'threatcontenttype'],
  pkts_out: ['packetssrctodest', 'packetssent', 'srcpackets', 'sentpackets', 'packetsout', 'outpackets', 'pktssent', 'origpkts', 'packetss2d', 'pktss2d', 'sentpkt', 'sentpkts'],
  bytes_out: ['bytessrctodest', 'bytessent', 'srcbytes', 'sentbytes', 'bytesout', 'outbytes', 'origbytes', 'bytess2d', 'sentbyte'],
  pkts_in: ['packetsdesttosrc', 'packetsreceived', 'dstpackets', 'destpackets', 'receivedpackets', 'packetsin', 'inpackets', 'pktsreceived', 'pktsrecv', 'resppkts', 'packetsd2s', 'pktsd2s', 'rcvdpkt', 'rcvdpkts'],
  bytes_in: ['bytesdesttosrc', 'bytesreceived', 'dstbytes', 'destbytes', 'receivedbytes', 'bytesin', 'inbytes', 'respbytes', 'bytesd2s', 'rcvdbyte'],
};

const REQUIRED: CsvColumn[] = ['time', 'src', 'dst', 'dport', 'proto'];

/**
 * Destination columns that hold host names, not addresses: firewalls that filter by name log the
 * name they were asked for (Azure Firewall application rules: Fqdn). A name in such a column (or in
 * the column --columns dst= names) is the destination; in an address column it is a bad row.
 */
const DESTINATION_NAME_COLUMNS = new Set(['fqdn', 'destinationfqdn', 'targetfqdn', 'dstfqdn']);

/**
 * The transport of an application protocol a firewall that filters by name logs instead of
 * TCP/UDP (Azure Firewall application rules: HTTP, HTTPS, MSSQL); null for any other text.
 */
function applicationTransport(text: string): Transport | null {
  const t = text.toUpperCase();
  return t === 'HTTP' || t === 'HTTPS' || t === 'MSSQL' ? 'tcp' : null;
}
const ALL_COLUMNS = Object.keys(CSV_COLUMN_NAMES) as CsvColumn[];

/** Options of {@link readCsv}. */
export interface CsvOptions {
  /** `--columns`: logical column → header name in the file. */
  columns?: Record<string, string>;
  /** Zone for times without one (default UTC, assumed). */
  tz?: string | LocalTimeZone;
}

/**
 * Parses `--columns time=EventTime,src=Client,dst=Server,dport=Port,proto=Proto`.
 * Keys are the logical columns ({@link CsvColumn}); values are header names as in the file.
 * @throws UsageError naming the bad entry and the keys accepted.
 */
export function parseColumnsFlag(text: string): Record<CsvColumn, string> {
  const out: Partial<Record<CsvColumn, string>> = {};
  for (const part of text.split(',')) {
    const entry = part.trim();
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    const key = (eq < 0 ? '' : entry.slice(0, eq).trim().toLowerCase().replace(/-/g, '_')) as CsvColumn;
    const value = eq < 0 ? '' : entry.slice(eq + 1).trim();
    if (eq < 0 || value === '' || !ALL_COLUMNS.includes(key)) {
      throw new UsageError(`--columns: ${JSON.stringify(entry)} is not KEY=HEADER with KEY one of ${ALL_COLUMNS.join(', ')}`);
    }
    out[key] = value;
  }
  return out as Record<CsvColumn, string>;
}

/** Normalises a header name for matching: lowercase, letters/digits only, LA type suffix removed. */
export function normalizeHeader(name: string): string {
  let s = name.trim().replace(/^\uFEFF/, '');
  s = s.replace(/_[sdtbgl]$/i, '');
  return s.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Picks the delimiter that splits the header line most (outside quotes). */
export function sniffDelimiter(headerLine: string): ',' | ';' | '\t' {
  const counts = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === ',' || ch === ';' || ch === '\t')) counts[ch]++;
  }
  if (counts['\t'] > counts[','] && counts['\t'] >= counts[';']) return '\t';
  if (counts[';'] > counts[',']) return ';';
  return ',';
}

export type ColumnIndex = Record<CsvColumn, number>;

/** The logical columns of a header row (by name, or as `mapping` says); throws when a required one is missing. */
export function mapColumns(
  header: string[],
  mapping: Record<string, string> | undefined,
  file: string,
): { index: ColumnIndex; utcHeader: boolean; dstNames: boolean; messageColumn: number } {
  const normalized = header.map(normalizeHeader);
  const index = {} as ColumnIndex;
  for (const c of ALL_COLUMNS) index[c] = -1;
  if (mapping) {
    for (const [key, name] of Object.entries(mapping)) {
      if (!ALL_COLUMNS.includes(key as CsvColumn)) continue;
      let i = header.findIndex((h) => h.trim() === name);
      if (i < 0) i = normalized.indexOf(normalizeHeader(name));
      if (i < 0) {
        throw new InputError('csv_missing_column', file, 0, `${file}: --columns ${key}=${name}: no such column (found: ${header.map((h) => h.trim()).join(', ')})`);
      }
      index[key as CsvColumn] = i;
    }
  }
  const taken = new Set(Object.values(index).filter((i) => i >= 0));
  for (const c of ALL_COLUMNS) {
    if (index[c] >= 0) continue;
    for (const name of CSV_COLUMN_NAMES[c]) {
      const i = normalized.findIndex((n, k) => n === name && !taken.has(k));
      if (i >= 0) {
        index[c] = i;
        taken.add(i);
        break;
      }
    }
  }
  // FortiGate writes the device's local date and time, and the same moment as an epoch (eventtime,
  // UTC, in s, µs or ns by version): the epoch needs no --tz.
  const eventTime = normalized.indexOf('eventtime');
  if (mapping?.time === undefined && index.date >= 0 && eventTime >= 0) {
    index.time = eventTime;
    index.date = -1;
  }
  // Azure Firewall's legacy diagnostics say it all in one message column (msg_s): only the time is needed beside it.
  const messageColumn = normalized.indexOf('msg');
  const fromMessage = messageColumn >= 0 && (index.src < 0 || index.dst < 0);
  // A separate date column and time column (`date`, `time`): both are read together.
  const missing = REQUIRED.filter((c) => index[c] < 0 && !(fromMessage && c !== 'time'));
  if (missing.length > 0) {
    const looked = missing.map((c) => `${c} (${CSV_COLUMN_NAMES[c].join('/')})`).join('; ');
    throw new InputError(
      'csv_missing_column',
      file,
      0,
      `${file}: no column for ${missing.join(', ')}. Columns found: ${header.map((h) => JSON.stringify(h.trim())).join(', ')}. ` +
        `Names looked for: ${looked}. Map others with --columns, e.g. --columns ${missing[0]}=YourColumn`,
    );
  }
  const timeHeader = header[index.time] ?? '';
  const dstNames = mapping?.dst !== undefined || DESTINATION_NAME_COLUMNS.has(normalized[index.dst]);
  return { index, utcHeader: /\butc\b|\(z\)|\[z\]/i.test(timeHeader), dstNames: dstNames || fromMessage, messageColumn: fromMessage ? messageColumn : -1 };
}

const ISO_TIME = /^(\d{4})[-/](\d{2})[-/](\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i;
const US_TIME = /^(\d{1,2})\/(\d{1,2})\/(\d{4}),?\s+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(AM|PM)?\s*(Z|UTC)?$/i;

/**
 * Parses a CSV time cell to microseconds since the epoch; NaN when it is not a time.
 * Times without a zone are read in `zone`.
 */
export function parseCsvTime(text: string, zone: LocalTimeZone): number {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) {
    const v = Number(s);
    if (v < 1e11) return Math.round(v * 1_000_000); // seconds
    if (v < 1e14) return Math.round(v * 1000); // milliseconds
    if (v < 1e17) return Math.round(v); // microseconds
    return Math.round(v / 1000); // nanoseconds (FortiGate's eventtime)
  }
  let y: number;
  let mo: number;
  let d: number;
  let h: number;
  let mi: number;
  let sec: number;
  let frac: string | undefined;
  let zoneText: string | undefined;
  let m = ISO_TIME.exec(s);
  if (m) {
    y = Number(m[1]);
    mo = Number(m[2]);
    d = Number(m[3]);
    h = Number(m[4]);
    mi = Number(m[5]);
    sec = m[6] === undefined ? 0 : Number(m[6]);
    frac = m[7];
    zoneText = m[8];
  } else {
    m = US_TIME.exec(s);
    if (!m) return NaN;
    mo = Number(m[1]);
    d = Number(m[2]);
    y = Number(m[3]);
    h = Number(m[4]);
    mi = Number(m[5]);
    sec = m[6] === undefined ? 0 : Number(m[6]);
    frac = m[7];
    if (m[8] !== undefined) {
      if (h < 1 || h > 12) return NaN;
      const pm = m[8].toUpperCase() === 'PM';
      h = (h % 12) + (pm ? 12 : 0);
    }
    zoneText = m[9];
  }
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || sec > 60) return NaN;
  const micros = frac === undefined ? 0 : Number(frac.slice(0, 6).padEnd(6, '0'));
  const localMs = civilToMillis(y, mo, d, h, mi, sec);
  let utcMs: number;
  if (zoneText === undefined) {
    utcMs = zone.toUtcMillis(localMs);
  } else if (/^(Z|UTC|GMT)$/i.test(zoneText)) {
    utcMs = localMs;
  } else {
    const sign = zoneText[0] === '-' ? -1 : 1;
    const digits = zoneText.slice(1).replace(':', '');
    const offMin = Number(digits.slice(0, 2)) * 60 + (digits.length > 2 ? Number(digits.slice(2, 4)) : 0);
    utcMs = localMs - sign * offMin * 60_000;
  }
  return utcMs * 1000 + micros;
}

function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = s.indexOf('\n', from); i >= 0 && i < to; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Actions that refuse the flow. Palo Alto's `drop-icmp` drops it and answers ICMP unreachable
 * (administratively prohibited); its `reset-*` actions answer with a TCP reset (see {@link RESET}).
 */
const DENY = new Set(['deny', 'denied', 'd', 'drop', 'dropped', 'block', 'blocked', 'reject', 'rejected', 'refuse', 'refused', 'drop-icmp']);
/** Palo Alto's reset actions: refused, and the client is sent a TCP reset (REJ). */
const RESET = new Set(['reset-client', 'reset-server', 'reset-both']);
/**
 * Actions that let the flow through. FortiGate logs an allowed session with the way it ended:
 * `start`, `close`, `timeout`, `client-rst`, `server-rst` (its `deny` is a policy's refusal); the
 * packet counts then say whether the server answered. An intrusion prevention `alert` (Azure
 * Firewall IDPS, Palo Alto threat logs) flagged traffic it let through.
 */
const ALLOW = new Set(['allow', 'allowed', 'a', 'accept', 'accepted', 'permit', 'permitted', 'pass', 'passed', 'start', 'close', 'timeout', 'client-rst', 'server-rst', 'alert']);
/**
 * A line logged when the session began (FortiGate's action `start`, Palo Alto's subtype `start`,
 * with logging at session start turned on): allowed, but written before any answer could come, so
 * its counts say nothing of the outcome. The session's end line, when exported, does.
 */
const SESSION_START = 'start';
/** FortiGate: allowed by policy, but the connection attempt failed. */
const FAILED_ATTEMPT = 'ip-conn';

/**
 * A TCP session the server reset before any data: FortiGate's `server-rst` action, or Palo Alto's
 * session end reason `tcp-rst-from-server`, with at most one packet back (the reset) for a few
 * sent (the SYN and its retransmissions). Port closed, or a host firewall rejecting: REJ.
 */
function resetByServer(proto: Transport, actionKey: string, endReason: string, pktsOut: number, pktsIn: number): boolean {
  if (proto !== 'tcp' || (actionKey !== 'server-rst' && endReason.toLowerCase() !== 'tcp-rst-from-server')) return false;
  return pktsIn >= 0 && pktsIn <= 1 && pktsOut >= 0 && pktsOut <= 3;
}

function directionOf(text: string): string | undefined {
  const t = text.trim().toLowerCase();
  if (t === '') return undefined;
  if (t === 'i' || t === 'in' || t === 'inbound' || t === 'ingress') return 'I';
  if (t === 'o' || t === 'out' || t === 'outbound' || t === 'egress') return 'O';
  return text.trim().slice(0, 20);
}

/** A count cell: '' → -1 (absent); a non-negative integer (also written `3.0`); NaN when bad. */
function countOf(text: string | undefined): number {
  if (text === undefined) return -1;
  const t = text.trim();
  if (t === '' || t === '-') return -1;
  const v = Number(t);
  return Number.isInteger(v) && v >= 0 ? v : NaN;
}

/**
 * Reads a CSV flow export and pushes one flow per data row to `onFlow`. `FileSummary.records`
 * counts data rows (bad ones included). Bad rows are reported (`csv_bad_row`, with the line
 * number) and skipped.
 * @throws InputError (`csv_missing_column`) when a required column is missing: the message lists
 *   the columns found and the names looked for.
 */
export async function readCsv(input: ByteInput, ctx: ReadContext & CsvOptions, onFlow: FlowSink): Promise<FileSummary> {
  const file = input.name;
  const diag = ctx.diag;
  const givenZone: LocalTimeZone = ctx.tz === undefined ? ASSUMED_UTC : typeof ctx.tz === 'string' ? parseTimezone(ctx.tz) : ctx.tz;
  let zone = givenZone;
  const headText = Buffer.from(input.head.buffer, input.head.byteOffset, input.head.length).toString('utf8').replace(/^\uFEFF/, '');
  const firstLine = headText.split(/\r?\n/, 1)[0] ?? '';
  const delimiter = sniffDelimiter(firstLine);

  // csv-parse reports the line where a record ENDS (`info.lines`); a quoted field can span lines,
  // so the start line is that minus the newlines inside the record's raw text. Byte offsets are
  // those csv-parse reports at the end of the previous record (to within the line terminator).
  let bytesBefore = 0;
  const parser = parse({
    bom: true,
    delimiter,
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    info: true,
    raw: true,
  });
  parser.on('skip', (err: CsvError) => {
    // A record csv-parse could not read (e.g. an unclosed quote): report the line it ended on.
    const lines = typeof err.lines === 'number' ? err.lines : -1;
    diag.report('csv_bad_row', { file, offset: -1, index: lines }, `line ${lines}: ${err.message.slice(0, 160)}; skipped`);
  });

  let bytes = 0;
  let feedError: unknown = null;
  const feeding = (async () => {
    try {
      for await (const chunk of input.chunks) {
        bytes += chunk.length;
        // A copy: csv-parse keeps views of what it was given (a row cut at the chunk's end, a queued
        // chunk), and the reader refills its buffers for the next chunk.
        if (!parser.write(Buffer.from(chunk))) await new Promise<void>((resolve) => parser.once('drain', resolve));
      }
    } catch (e) {
      feedError = e;
    } finally {
      parser.end();
    }
  })();

  let cols: ColumnIndex | null = null;
  let dstNames = false;
  /** The column of Azure Firewall messages to read the flow from, or -1 (see azure-firewall-message.ts). */
  let messageColumn = -1;
  let rows = 0;
  const toFlow = new RowFlows(file, diag, 'csv_bad_row', onFlow);

  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; raw: string; info: { lines: number; bytes: number } }>) {
      const record = item.record;
      const raw = item.raw;
      let from = 0;
      while (from < raw.length && (raw.charCodeAt(from) === 10 || raw.charCodeAt(from) === 13)) from++;
      let to = raw.length;
      while (to > from && (raw.charCodeAt(to - 1) === 10 || raw.charCodeAt(to - 1) === 13)) to--;
      const lineNo = item.info.lines - countNewlines(raw, from, to);
      const offset = bytesBefore;
      bytesBefore = item.info.bytes;
      if (cols === null) {
        const mapped = mapColumns(record, ctx.columns, file);
        cols = mapped.index;
        dstNames = mapped.dstNames;
        messageColumn = mapped.messageColumn;
        if (mapped.utcHeader && ctx.tz === undefined) zone = parseTimezone('UTC');
        continue;
      }
      rows++;
      const c: ColumnIndex = cols;
      let message: FirewallMessageFields | null = null;
      if (messageColumn >= 0) {
        message = parseFirewallMessage(record[messageColumn] ?? '');
        if (message === null) {
          // The same table holds DNS proxy and other notices: not flows, counted.
          diag.count('log_message_not_a_flow');
          continue;
        }
      }
      const m = message;
      const cell = (k: CsvColumn): string | undefined =>
        m !== null && k in m ? m[k as keyof FirewallMessageFields] : c[k] >= 0 ? record[c[k]] : undefined;
      toFlow.add(cell, zone, dstNames, { offset, index: lineNo, place: `line ${lineNo}`, evidence: { file, line: lineNo } });
    }
  } catch (e) {
    parser.destroy();
    await feeding;
    throw e;
  }
  await feeding;
  if (feedError !== null) throw feedError;
  if (cols === null) {
    throw new InputError('csv_missing_column', file, 0, `${file}: no header row (the file is empty)`);
  }
  diag.count('log_lines', rows);
  return {
    file,
    format: 'csv',
    records: rows,
    bytes,
    firstTs: toFlow.firstTs,
    lastTs: toFlow.lastTs,
    complete: true,
    timeZone: { name: zone.name, assumed: zone.assumed },
  };
}

/** The summary of a log read row by row through {@link RowFlows} (its `rows` counted as `log_lines`). */
export function rowsSummary(file: string, format: InputFormat, rows: number, bytes: number, toFlow: RowFlows, zone: LocalTimeZone, diag: DiagnosticSink): FileSummary {
  diag.count('log_lines', rows);
  return { file, format, records: rows, bytes, firstTs: toFlow.firstTs, lastTs: toFlow.lastTs, complete: true, timeZone: { name: zone.name, assumed: zone.assumed } };
}

/** Where a row or record sits, for its evidence, uid and diagnostics. */
export interface RowPlace {
  offset: number;
  /** Line number, or record index (the uid is made from it). */
  index: number;
  /** `line 12`, `record 3`: how diagnostics name it. */
  place: string;
  evidence: FlowEvidence;
}

/**
 * Turns the logical columns of one row (CsvColumn → text) into a flow, as the table at the top
 * says: shared by CSV exports and the JSON records of Azure Firewall logs (flowlog-azfw.ts).
 * Rows it cannot read are reported under `badCode` with their place, and skipped.
 */
export class RowFlows {
  private readonly fileHash: number;
  private readonly addresses = new AddressCache();
  firstTs: number | null = null;
  lastTs: number | null = null;

  constructor(
    private readonly file: string,
    private readonly diag: DiagnosticSink,
    private readonly badCode: 'csv_bad_row' | 'log_bad_line',
    private readonly onFlow: FlowSink,
  ) {
    this.fileHash = hashString(file);
  }

  /** `dstNames`: the destination column may hold a host name (a firewall that filters by name). */
  add(cell: (k: CsvColumn) => string | undefined, zone: LocalTimeZone, dstNames: boolean, at: RowPlace): void {
    const { file, diag, addresses } = this;
    const { offset, index: lineNo } = at;
    const badRow = (why: string): void => {
      diag.report(this.badCode, { file, offset, index: lineNo }, `${at.place}: ${why}; skipped`);
    };
    let timeText = cell('time') ?? '';
    const dateText = cell('date');
    if (dateText !== undefined && /^\d{1,2}:\d{2}/.test(timeText.trim())) timeText = `${dateText.trim()} ${timeText.trim()}`;
    const ts = parseCsvTime(timeText, zone);
    if (Number.isNaN(ts)) {
      badRow(`bad time ${JSON.stringify(timeText.slice(0, 40))}`);
      return;
    }
    const src = addresses.canonical(cell('src')?.trim() ?? '');
    const dstText = cell('dst')?.trim() ?? '';
    let dst = addresses.canonical(dstText);
    // A firewall that filters by name logs the name it was asked for, not an address.
    const dstName = dst === null && dstNames ? hostNameOf(dstText) : null;
    if (dstName !== null) dst = dstName;
    if (src === null || dst === null) {
      badRow(`bad address ${JSON.stringify((src === null ? cell('src') : cell('dst'))?.slice(0, 60) ?? '')}`);
      return;
    }
    const protoText = cell('proto')?.trim() ?? '';
    const proto = transportOf(protoText) ?? transportOf(protoText.toUpperCase()) ?? applicationTransport(protoText);
    if (proto === null) {
      diag.report('log_unsupported_protocol', { file, offset, index: lineNo }, `${at.place}: protocol ${protocolForMessage(protoText)} is not TCP, UDP or ICMP; not a flow`);
      return;
    }
    const sportText = cell('sport')?.trim() ?? '';
    const dportText = cell('dport')?.trim() ?? '';
    const sport = sportText === '' || sportText === '-' ? 0 : Number(sportText);
    const dport = dportText === '' || dportText === '-' ? 0 : Number(dportText);
    if (!Number.isInteger(sport) || sport < 0 || sport > 65535 || !Number.isInteger(dport) || dport < 0 || dport > 65535) {
      badRow(`bad port ${JSON.stringify(`${sportText} -> ${dportText}`.slice(0, 40))}`);
      return;
    }
    const pktsOut = countOf(cell('pkts_out'));
    const bytesOut = countOf(cell('bytes_out'));
    const pktsIn = countOf(cell('pkts_in'));
    const bytesIn = countOf(cell('bytes_in'));
    if (Number.isNaN(pktsOut) || Number.isNaN(bytesOut) || Number.isNaN(pktsIn) || Number.isNaN(bytesIn)) {
      badRow('bad packet or byte count');
      return;
    }
    const actionRaw = (cell('action') ?? '').trim();
    const actionKey = actionRaw.toLowerCase();
    const rule = (cell('rule') ?? '').trim();
    const direction = directionOf(cell('direction') ?? '');
    const by = rule === '' ? '' : ` by rule ${rule}`;

    const why = (cell('action_reason') ?? '').trim().slice(0, 160);
    let outcome: Outcome;
    let connState: ConnState;
    let reason: string;
    let refusedByServer = false;
    if (DENY.has(actionKey)) {
      outcome = 'refused';
      connState = 'S0';
      reason = `denied${by} (${actionRaw}${why ? `: ${why}` : ''})`;
    } else if (RESET.has(actionKey)) {
      outcome = 'refused';
      connState = 'REJ';
      reason = `reset by the firewall${by} (${actionRaw}${why ? `: ${why}` : ''})`;
    } else if (actionKey === FAILED_ATTEMPT) {
      outcome = 'unanswered';
      connState = 'S0';
      reason = `allowed${by}, but the connection attempt failed (${actionRaw})`;
    } else if ((actionKey === '' || ALLOW.has(actionKey)) && (actionKey === SESSION_START || (cell('subtype') ?? '').trim().toLowerCase() === SESSION_START)) {
      outcome = 'unknown';
      connState = 'OTH';
      reason = `allowed${by}; logged when the session began, before any answer`;
    } else if (ALLOW.has(actionKey) && resetByServer(proto, actionKey, why, pktsOut, pktsIn)) {
      refusedByServer = true;
      outcome = 'refused';
      connState = 'REJ';
      reason = `allowed${by}, but the server reset it before any data (${actionKey === 'server-rst' ? actionRaw : why}; ${pktsOut} sent, ${pktsIn} back)`;
    } else if ((actionKey === '' || ALLOW.has(actionKey)) && pktsIn >= 0) {
      if (pktsIn > 0) {
        outcome = 'completed';
        connState = 'SF';
        reason = `allowed${by}; ${pktsOut >= 0 ? pktsOut : '?'} packets sent, ${pktsIn} back`;
      } else {
        outcome = 'unanswered';
        connState = 'S0';
        reason = `allowed${by}, but no packets came back (${pktsOut >= 0 ? pktsOut : '?'} sent)`;
      }
    } else if (ALLOW.has(actionKey)) {
      outcome = 'completed';
      connState = 'OTH';
      reason = `allowed${by} (${actionRaw}); the export carries no reply counts`;
    } else if (actionKey === '') {
      outcome = 'unknown';
      connState = 'OTH';
      reason = 'the export has no action and no reply counts for this flow';
    } else {
      outcome = 'unknown';
      connState = 'OTH';
      reason = `action ${JSON.stringify(actionRaw.slice(0, 30))} not recognised`;
      diag.report('log_bad_field', { file, offset, index: lineNo }, `${at.place}: action ${JSON.stringify(actionRaw.slice(0, 30))} not recognised (expected Allow/Deny, A/D, Drop, Block, reset-both ...)`);
    }
    if (this.firstTs === null || ts < this.firstTs) this.firstTs = ts;
    if (this.lastTs === null || ts > this.lastTs) this.lastTs = ts;
    const log: Flow['log'] = { action: actionRaw, records: 1 };
    if (rule !== '') log.rule = rule;
    if (direction !== undefined) log.direction = direction;
    if (dstName !== null) log.dstName = true;
    if (refusedByServer) log.refusedByServer = true;
    this.onFlow(
      makeLogFlow({
        uid: flowLogUid(this.fileHash, lineNo),
        ts,
        duration: 0,
        proto,
        origH: src,
        origP: sport,
        respH: dst,
        respP: dport,
        connState,
        origPkts: pktsOut >= 0 ? pktsOut : 0,
        origBytes: bytesOut >= 0 ? bytesOut : 0,
        respPkts: pktsIn >= 0 ? pktsIn : 0,
        respBytes: bytesIn >= 0 ? bytesIn : 0,
        outcome,
        reason,
        evidence: at.evidence,
        log,
      }),
    );
  }
}
