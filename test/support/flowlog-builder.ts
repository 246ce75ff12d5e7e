/**
 * Builders for flow-log test data: pfirewall.log text, NSG v1/v2 and VNet v4 JSON (records files
 * and line-delimited), CSV exports; and a ByteInput over in-memory bytes cut into chunks of any
 * size, so tests can put chunk boundaries inside lines, UTF-8 characters and JSON strings.
 */

import { DiagnosticSink } from '../../src/common/diagnostics.js';
import type { Flow } from '../../src/flows/types.js';
import type { ByteInput, FileSummary } from '../../src/sources/types.js';

/** A ByteInput over `content`, delivered in chunks of `chunkSize` bytes (last one shorter). */
export function byteInputFrom(name: string, content: string | Uint8Array, chunkSize = 64 * 1024): ByteInput {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  let consumed = 0;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let off = 0; off < bytes.length; off += chunkSize) {
      // A fresh copy per chunk, as a file reader would hand out (readers must not keep views).
      const chunk = bytes.slice(off, Math.min(bytes.length, off + chunkSize));
      consumed = off + chunk.length;
      yield chunk;
    }
  }
  return {
    name,
    size: bytes.length,
    gzip: false,
    head: bytes.slice(0, 4096),
    chunks: chunks(),
    bytesConsumed: () => consumed,
  };
}

/** Runs a reader over an input and collects everything it produced. */
export async function collect<O extends object>(
  reader: (input: ByteInput, ctx: { diag: DiagnosticSink } & O, onFlow: (f: Flow) => void) => Promise<FileSummary>,
  input: ByteInput,
  options: O = {} as O,
): Promise<{ flows: Flow[]; summary: FileSummary; diag: DiagnosticSink }> {
  const diag = new DiagnosticSink();
  const flows: Flow[] = [];
  const summary = await reader(input, { diag, ...options }, (f) => flows.push(f));
  return { flows, summary, diag };
}

// ---------------------------------------------------------------------------------------------
// pfirewall.log

export const PFIREWALL_FIELDS = [
  'date', 'time', 'action', 'protocol', 'src-ip', 'dst-ip', 'src-port', 'dst-port', 'size',
  'tcpflags', 'tcpsyn', 'tcpack', 'tcpwin', 'icmptype', 'icmpcode', 'info', 'path',
];

/** One pfirewall line; omitted fields are written as `-`. */
export interface PfLine {
  date: string; // YYYY-MM-DD, local time of the logging host
  time: string; // HH:MM:SS
  action: string; // ALLOW DROP OPEN OPEN-INBOUND CLOSE INFO-EVENTS-LOST
  protocol?: string;
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
  size?: number;
  tcpflags?: string;
  icmptype?: number;
  icmpcode?: number;
  info?: string;
  path?: string;
  pid?: number;
}

/**
 * A pfirewall.log: the four header lines (`#Fields` lists `fields`, default: the standard 17,
 * plus `pid` when `pid` is true) and one line per entry, in the order of `fields`.
 */
export function pfirewallLog(lines: PfLine[], opts: { pid?: boolean; fields?: string[]; eol?: string; header?: boolean } = {}): string {
  const fields = opts.fields ?? (opts.pid ? [...PFIREWALL_FIELDS, 'pid'] : PFIREWALL_FIELDS);
  const eol = opts.eol ?? '\n';
  const out: string[] = [];
  if (opts.header !== false) {
    out.push('#Version: 1.5', '#Software: Microsoft Windows Firewall', '#Time Format: Local', `#Fields: ${fields.join(' ')}`, '');
  }
  for (const l of lines) out.push(fields.map((f) => pfField(l, f)).join(' '));
  return out.join(eol) + eol;
}

function pfField(l: PfLine, field: string): string {
  const v = (x: string | number | undefined): string => (x === undefined || x === '' ? '-' : String(x));
  switch (field) {
    case 'date': return l.date;
    case 'time': return l.time;
    case 'action': return l.action;
    case 'protocol': return v(l.protocol);
    case 'src-ip': return v(l.src);
    case 'dst-ip': return v(l.dst);
    case 'src-port': return v(l.sport);
    case 'dst-port': return v(l.dport);
    case 'size': return v(l.size);
    case 'tcpflags': return v(l.tcpflags);
    case 'icmptype': return v(l.icmptype);
    case 'icmpcode': return v(l.icmpcode);
    case 'info': return v(l.info);
    case 'path': return v(l.path);
    case 'pid': return v(l.pid);
    default: return '-';
  }
}

// ---------------------------------------------------------------------------------------------
// NSG flow logs

/** An NSG tuple. v1 when `state` is undefined; v2 otherwise (counts empty when undefined). */
export interface NsgTuple {
  ts: number; // unix seconds
  src: string;
  dst: string;
  sport: number;
  dport: number;
  proto: 'T' | 'U';
  dir: 'I' | 'O';
  action: 'A' | 'D';
  state?: 'B' | 'C' | 'E';
  pktsOut?: number;
  bytesOut?: number;
  pktsIn?: number;
  bytesIn?: number;
}

export function nsgTuple(t: NsgTuple): string {
  const base = `${t.ts},${t.src},${t.dst},${t.sport},${t.dport},${t.proto},${t.dir},${t.action}`;
  if (t.state === undefined) return base;
  const n = (x: number | undefined): string => (x === undefined ? '' : String(x));
  return `${base},${t.state},${n(t.pktsOut)},${n(t.bytesOut)},${n(t.pktsIn)},${n(t.bytesIn)}`;
}

export interface NsgRuleGroup {
  rule: string;
  mac?: string;
  tuples: (NsgTuple | string)[];
}

/** One NSG record (one minute of one NSG), as Azure writes it. */
export function nsgRecord(opts: { version: 1 | 2; time?: string; resourceId?: string | null; groups: NsgRuleGroup[] }): object {
  const rec: Record<string, unknown> = {
    time: opts.time ?? '2024-05-01T10:01:00.0000000Z',
    systemId: '00000000-1111-2222-3333-444444444444',
    category: 'NetworkSecurityGroupFlowEvent',
  };
  if (opts.resourceId !== null) {
    rec.resourceId = opts.resourceId ?? '/SUBSCRIPTIONS/SUB/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/CONNECT-NSG';
  }
  rec.operationName = 'NetworkSecurityGroupFlowEvents';
  rec.properties = {
    Version: opts.version,
    flows: opts.groups.map((g) => ({
      rule: g.rule,
      flows: [{ mac: g.mac ?? '000D3A000001', flowTuples: g.tuples.map((t) => (typeof t === 'string' ? t : nsgTuple(t))) }],
    })),
  };
  return rec;
}

/** A PT1H.json blob: `{"records":[...]}`, compact or pretty-printed (2-space indent, CRLF optional). */
export function recordsFile(records: object[], opts: { pretty?: boolean; crlf?: boolean } = {}): string {
  const text = opts.pretty ? JSON.stringify({ records }, null, 2) : JSON.stringify({ records });
  return opts.crlf ? text.replace(/\n/g, '\r\n') : text;
}

/** Line-delimited JSON: one bare record per line. */
export function ndjson(records: object[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// VNet flow logs v4

export interface VnetTuple {
  ts: number; // milliseconds (or seconds, to test that form)
  src: string;
  dst: string;
  sport: number;
  dport: number;
  proto: number; // 6 17 1
  dir: 'I' | 'O';
  state: 'B' | 'C' | 'E' | 'D';
  encryption?: string;
  pktsOut?: number;
  bytesOut?: number;
  pktsIn?: number;
  bytesIn?: number;
}

export function vnetTuple(t: VnetTuple): string {
  return [
    t.ts, t.src, t.dst, t.sport, t.dport, t.proto, t.dir, t.state, t.encryption ?? 'NX',
    t.pktsOut ?? 0, t.bytesOut ?? 0, t.pktsIn ?? 0, t.bytesIn ?? 0,
  ].join(',');
}

export interface VnetAcl {
  aclID: string;
  groups: { rule: string; tuples: (VnetTuple | string)[] }[];
}

export function vnetRecord(opts: { time?: string; mac?: string; target?: string | null; flowLogResourceID?: string; acls: VnetAcl[] }): object {
  const rec: Record<string, unknown> = {
    time: opts.time ?? '2024-05-01T10:01:00.0000000Z',
    flowLogVersion: 4,
    flowLogGUID: '66aa66aa-6666-6666-6666-666666666666',
    macAddress: opts.mac ?? '00224871C205',
    category: 'FlowLogFlowEvent',
    flowLogResourceID: opts.flowLogResourceID ?? '/SUBSCRIPTIONS/SUB/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NW_WESTEUROPE/FLOWLOGS/VNETFLOWLOG',
  };
  if (opts.target !== null) rec.targetResourceID = opts.target ?? '/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/hybrid-vnet';
  rec.operationName = 'FlowLogFlowEvent';
  rec.flowRecords = {
    flows: opts.acls.map((a) => ({
      aclID: a.aclID,
      flowGroups: a.groups.map((g) => ({ rule: g.rule, flowTuples: g.tuples.map((t) => (typeof t === 'string' ? t : vnetTuple(t))) })),
    })),
  };
  return rec;
}

// ---------------------------------------------------------------------------------------------
// CSV

/** Quotes a CSV field when it needs it (delimiter, quote, CR/LF), doubling inner quotes. */
export function csvField(v: string | number, delimiter = ','): string {
  const s = String(v);
  return s.includes(delimiter) || s.includes('"') || s.includes('\n') || s.includes('\r') ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A CSV export: header row and rows, with optional BOM, CRLF, delimiter and quoting of every field. */
export function csvText(
  header: string[],
  rows: (string | number)[][],
  opts: { delimiter?: string; bom?: boolean; crlf?: boolean; quoteAll?: boolean } = {},
): string {
  const d = opts.delimiter ?? ',';
  const eol = opts.crlf ? '\r\n' : '\n';
  const q = (v: string | number): string => (opts.quoteAll ? `"${String(v).replace(/"/g, '""')}"` : csvField(v, d));
  const lines = [header.map(q).join(d), ...rows.map((r) => r.map(q).join(d))];
  return (opts.bom ? '\uFEFF' : '') + lines.join(eol) + eol;
}
