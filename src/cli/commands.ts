import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { AuditResult, Finding, FindingStatus, InputInfo } from '../audit/types.js';
import { formatCount } from '../common/count.js';
import { SERVER_ANSWER_CODES, UsageError } from '../common/diagnostics.js';
import type { DataQuality, Diagnostic, DiagnosticCode } from '../common/diagnostics.js';
import { builtinCatalogDir, packageVersion } from '../common/package-root.js';
import { formatIsoMicros } from '../common/time.js';
import { canonicalIp, isIpv6 } from '../common/ip.js';
import { stepTimes, type StepTimes } from '../common/timing.js';
import { formatNdjsonRow } from '../flows/format-ndjson.js';
import { formatTableHeader, formatTableRow } from '../flows/format-table.js';
import { writeZeekRow, zeekFooter, zeekHeader } from '../flows/format-zeek.js';
import type { Flow } from '../flows/types.js';
import type { FlowSummaryData } from '../flows/summary-types.js';
import type { Catalog, Condition } from '../catalog/types.js';
import type { Inventory, InventoryEntry } from '../roles/types.js';
import { DiagnosticSink } from '../common/diagnostics.js';
import { parseTimezone } from '../sources/flowlog-time.js';
import type { Collected } from './collect.js';
import { sanitizeTerminal } from '../catalog/text.js';
import { flowFilter } from './flow-filter.js';
import { expandInputs, type InputFile } from './inputs.js';
import { makeDir, removeMadeDirs } from './make-dir.js';
import {
  parseDuration,
  parseFailOn,
  parseFeatures,
  parseInputFormat,
  parsePositiveInt,
  parseTimeOption,
  splitList,
} from './options.js';
import { TextOutput } from './output.js';
import { ProgressBar, type ProgressState } from './progress.js';
import { filesInWindow } from './path-time.js';
import { readOneFile, type FileReadResult, type ReadOptions } from './read.js';
import { crossCheckFor, printsPerFile, sameConnections, type PrintIndexes } from './connection-prints.js';
import type { CapturePointInfo } from '../roles/host-groups.js';
import { chooseWorkers } from './reading-threads.js';
import { DECODE_THREAD_MIN_BYTES } from './capture-pipeline.js';

/** Loads the audit and report modules on first use (see audit-modules.ts). */
const auditModules = () => import('./audit-modules.js');

/** Options shared by every command that reads inputs (commander gives them camel-cased). */
export interface ReadFlags {
  inputFormat?: string;
  tz?: string;
  localAddress?: string;
  columns?: string;
  since?: string;
  until?: string;
  include: string[];
  exclude: string[];
  tcpTimeout?: string;
  udpTimeout?: string;
  maxFlows?: string;
  quiet?: boolean;
  workers?: string;
}

/** Exit status of a command: 0 clean, 1 findings, 2 usage or unreadable input. */
export type ExitCode = 0 | 1 | 2;

/** Where problems and progress go; tests swap it. */
export interface Console {
  err: (line: string) => void;
  out: (line: string) => void;
  stderrIsTTY: boolean;
  stdoutIsTTY: boolean;
}

export const processConsole: Console = {
  err: (l) => process.stderr.write(l + '\n'),
  out: (l) => process.stdout.write(l + '\n'),
  stderrIsTTY: process.stderr.isTTY === true,
  stdoutIsTTY: process.stdout.isTTY === true,
};

export function toReadOptions(f: ReadFlags): ReadOptions {
  const opts: ReadOptions = {
    inputFormat: parseInputFormat(f.inputFormat),
    tz: f.tz,
    localAddress: f.localAddress,
    columns: f.columns ? parseColumns(f.columns) : undefined,
    since: f.since ? parseTimeOption('--since', f.since) : undefined,
    until: f.until ? parseTimeOption('--until', f.until) : undefined,
    maxFlows: f.maxFlows ? parsePositiveInt('--max-flows', f.maxFlows) : undefined,
    timeouts: {},
    // --workers 0 or 1 means this thread only, so no decoding thread for a big capture either.
    decodeThread: f.workers !== undefined && Number(f.workers) <= 1 ? 'never' : 'auto',
  };
  if (f.tcpTimeout) opts.timeouts!.tcpInactivity = parseDuration('--tcp-timeout', f.tcpTimeout);
  if (f.udpTimeout) {
    opts.timeouts!.udpInactivity = parseDuration('--udp-timeout', f.udpTimeout);
    opts.timeouts!.icmpInactivity = opts.timeouts!.udpInactivity;
  }
  if (f.tz !== undefined) parseTimezone(f.tz); // a bad zone is a usage error now, not a failure per file
  if (opts.since !== undefined && opts.until !== undefined && opts.since > opts.until) {
    throw new UsageError('--since is later than --until');
  }
  return opts;
}

/** `--columns time=EventTime,src=Client`: CSV column names for the fields flowaudit needs. */
export function parseColumns(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of splitList(text)) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--columns ${JSON.stringify(item)}: expected field=Column, e.g. src=SourceIP`);
    out[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  return out;
}

/**
 * The files to read, and how many of those found were left out because their path (Azure's hourly
 * `y=/m=/d=/h=` folders) dates them outside --since/--until (path-time.ts).
 */
async function resolveInputs(inputs: string[], f: ReadFlags, read: ReadOptions): Promise<{ files: InputFile[]; outsideWindow: number }> {
  if (inputs.length === 0) throw new UsageError('no input given: name capture or log files, folders, or - for standard input');
  const found = await expandInputs(inputs, { include: splitList(f.include), exclude: splitList(f.exclude) });
  if (found.length === 0) throw new UsageError(`no input files found in ${inputs.join(', ')} (check --include/--exclude)`);
  const { kept, skipped } = filesInWindow(found, read.since, read.until);
  if (kept.length === 0) {
    throw new UsageError(`all ${found.length} input files are dated outside --since/--until by their folders (y=/m=/d=/h=): nothing to read`);
  }
  return { files: kept, outsideWindow: skipped };
}

/**
 * Codes of well-formed input that is handled as it should be and needs nothing from the user: a
 * Windows Firewall log's IGMP lines (not flows), a packet that pktmon or Npcap logged twice
 * (counted once). One note per file, not warnings, which would read as damage to fix. The report
 * counts them all the same.
 */
const NOTE_CODES: ReadonlySet<DiagnosticCode> = new Set<DiagnosticCode>(['log_unsupported_protocol', 'frame_duplicate', 'kerberos_udp_too_big']);

/** Prints a file's problems as they are found: the first few per code, then a count. */
function reportFileProblems(con: Console, result: FileReadResult, quality: DataQuality): void {
  for (const failed of quality.failedFiles) con.err(`flowaudit: ${failed.message}`);
  const where = (ex: Diagnostic) => (ex.origin.offset >= 0 ? `byte ${ex.origin.offset}` : `record ${ex.origin.index}`);
  for (const d of quality.diagnostics) {
    if (d.code === 'input_empty') continue;
    if (NOTE_CODES.has(d.code) && d.examples.length > 0) {
      const ex = d.examples[0];
      const more = d.count > 1 ? ` (and ${formatCount(d.count - 1)} more like it)` : '';
      con.err(`flowaudit: note: ${ex.origin.file}: ${where(ex)}: ${d.code}: ${ex.detail}${more}`);
      continue;
    }
    // A server's answer is read from a capture: its place is the frame, as Wireshark numbers it.
    const answer = SERVER_ANSWER_CODES.has(d.code);
    const label = answer ? 'answer' : 'warning';
    const place = answer ? (ex: Diagnostic) => `frame ${ex.origin.index}` : where;
    const shown = d.examples.slice(0, 3);
    for (const ex of shown) con.err(`flowaudit: ${label}: ${ex.origin.file}: ${place(ex)}: ${d.code}: ${ex.detail}`);
    if (d.count > shown.length) con.err(`flowaudit: ${label}: ${result.file}: ${d.code}: ${d.count - shown.length} more`);
  }
}

function newProgress(files: InputFile[]): ProgressState {
  return {
    filesDone: 0,
    filesTotal: files.length,
    bytesDone: 0,
    bytesTotal: files.reduce((s, f) => s + f.size, 0),
    flows: 0,
    currentFile: '',
  };
}

/** Reads all inputs into one summary (with a progress bar on a terminal). */
export async function collect(
  inputs: string[],
  f: ReadFlags,
  con: Console,
  times?: StepTimes | null,
  /** Called once the inputs are listed, with the progress of their reading (kept up as it goes). */
  onReadingStarts?: (progress: ProgressState) => void,
): Promise<{ collected: Collected; files: InputFile[] }> {
  // Into a summary: the order flows come in changes nothing (flows/summary.ts).
  const read: ReadOptions = { ...toReadOptions(f), orderedFlows: false };
  const { files, outsideWindow } = await resolveInputs(inputs, f, read);
  // Two captures may hold the same connections (both ends captured at once): see connection-prints.ts.
  if (files.length > 1) read.connectionPrints = printsPerFile(files.length);
  const progress = newProgress(files);
  onReadingStarts?.(progress);
  const bar = ProgressBar.wanted(!!f.quiet) && con.stderrIsTTY ? new ProgressBar(progress) : null;
  bar?.start();
  try {
    // Loaded here, not at the top: `flows` needs neither the summary nor the reading threads.
    const { collectSummary } = await import('./collect.js');
    const collected = await collectSummary(files, {
      read,
      workers: chooseWorkers(files, f.workers !== undefined ? parsePositiveInt('--workers', f.workers) : undefined),
      progress,
      times,
      onFileDone: (r, q) => {
        if (f.quiet && q.failedFiles.length === 0) return;
        bar?.clear();
        reportFileProblems(con, r, q);
      },
    });
    if (outsideWindow > 0) collected.diag.count('files_outside_window', outsideWindow);
    return { collected, files };
  } finally {
    bar?.stop();
  }
}

function nothingRead(results: FileReadResult[]): boolean {
  return results.every((r) => r.summary === null);
}

// ---------------------------------------------------------------------------------------------
// flows

export interface FlowsFlags extends ReadFlags {
  format?: string;
  output?: string;
  /** Only flows with one of these hosts (address, CIDR block, name) at either end. */
  host?: string[];
  /** Only TCP/UDP flows with one of these ports at either end. */
  port?: string[];
}

export async function runFlows(inputs: string[], f: FlowsFlags, con: Console = processConsole): Promise<ExitCode> {
  const read = toReadOptions(f);
  // Checked before any input is opened, like every other option.
  const wanted = flowFilter(f.host ?? [], f.port ?? []);
  const { files, outsideWindow } = await resolveInputs(inputs, f, read);
  if (outsideWindow > 0 && !f.quiet) con.err(`flowaudit: ${outsideWindow} of the input files left out: their folders (y=/m=/d=/h=) date them outside --since/--until`);
  const toFile = f.output !== undefined && f.output !== '-';
  const format = f.format ?? (toFile || !con.stdoutIsTTY ? 'zeek' : 'table');
  if (!['table', 'zeek', 'ndjson'].includes(format)) {
    throw new UsageError(`--format ${JSON.stringify(format)}: expected table, zeek or ndjson`);
  }
  const out = new TextOutput(f.output);
  const started = Date.now() * 1000;
  // The header goes out with the first flow, or at the end once a file could be read (an empty
  // capture still gives a valid, empty conn.log): when no input is readable, the error on stderr
  // is all there is, and nothing half-written lands on stdout.
  let headerWritten = false;
  const writeHeader = () => {
    headerWritten = true;
    if (format === 'zeek') out.write(zeekHeader(started));
    if (format === 'table') out.write(formatTableHeader());
  };
  // Zeek rows (the bulk format) are written as bytes straight into the output buffer.
  const rows = out.rows;
  const writeRow: (fl: Flow) => void =
    format === 'zeek'
      ? (fl) => {
          writeZeekRow(fl, rows);
          out.rowDone();
        }
      : format === 'ndjson'
        ? (fl) => out.write(formatNdjsonRow(fl))
        : (fl) => out.write(formatTableRow(fl));
  let write = (fl: Flow) => {
    writeHeader();
    write = writeRow;
    writeRow(fl);
  };

  const progress = newProgress(files);
  // The bar shares the terminal with a table on stdout only when stdout is redirected.
  const bar = ProgressBar.wanted(!!f.quiet) && con.stderrIsTTY && (toFile || !con.stdoutIsTTY) ? new ProgressBar(progress) : null;
  bar?.start();
  const results: FileReadResult[] = [];
  // The files of a rotating capture in time order, through one flow table (capture-series.ts).
  const { planReading, readInTurn } = await import('./capture-series.js');
  const jobs = await planReading(files, read.inputFormat);
  let nextJob = 0;
  try {
    await readInTurn(files, jobs, () => nextJob++, async (index, opened, series) => {
      const file = files[index];
      const diag = new DiagnosticSink();
      const base = progress.bytesDone;
      let input: { bytesConsumed(): number } | null = null;
      const tick = setInterval(() => input && (progress.bytesDone = base + input.bytesConsumed()), 200);
      let r: FileReadResult;
      try {
        r = await readOneFile(
          file,
          read,
          diag,
          (fl) => {
            progress.flows++;
            if (wanted === null || wanted(fl)) write(fl);
          },
          (i) => (input = i),
          opened ?? undefined,
          series,
        );
      } finally {
        clearInterval(tick);
      }
      progress.bytesDone = base + file.size;
      progress.filesDone++;
      results.push(r);
      bar?.clear();
      out.flush();
      if (!f.quiet || diag.failedFiles.length > 0) reportFileProblems(con, r, diag.toDataQuality());
    }, () => out.closedPipe);
  } finally {
    bar?.stop();
    if (!headerWritten && !nothingRead(results)) writeHeader();
    if (format === 'zeek' && headerWritten) out.write(zeekFooter(Date.now() * 1000));
    out.close();
  }
  return nothingRead(results) ? 2 : 0;
}

// ---------------------------------------------------------------------------------------------
// roles

export interface RoleFlags extends ReadFlags {
  inventory?: string;
  role: string[];
  catalog?: string;
  write?: string;
  format?: string;
}

async function loadRoleInputs(f: { inventory?: string; role: string[] }): Promise<{ inventory?: Inventory; cliRoles: InventoryEntry[] }> {
  const { loadInventory, parseRoleFlag } = await auditModules();
  const inventory = f.inventory ? loadInventory(f.inventory) : undefined;
  const cliRoles = f.role.flatMap((r) => parseRoleFlag(r));
  return { inventory, cliRoles };
}

export async function runRoles(inputs: string[], f: RoleFlags, con: Console = processConsole): Promise<ExitCode> {
  const format = f.format ?? 'table';
  if (!['table', 'md', 'json'].includes(format)) throw new UsageError(`--format ${JSON.stringify(format)}: expected table, md or json`);
  const { loadCatalog, assignRoles, renderRoles, roleMapToInventoryYaml } = await auditModules();
  const catalog = loadCatalog(f.catalog ?? 'hybrid-identity');
  const { inventory, cliRoles } = await loadRoleInputs(f);
  const { collected } = await collect(inputs, f, con);
  if (nothingRead(collected.files)) return 2;
  const map = assignRoles(collected.summary.toData({ share: true }), { catalog, inventory, cliRoles, capturePoints: capturePointsOf(collected.files) });
  con.out(renderRoles(map, format as 'table' | 'md' | 'json').replace(/\n$/, ''));
  if (f.write) {
    try {
      writeFileSync(f.write, roleMapToInventoryYaml(map));
    } catch (e) {
      throw new UsageError(`cannot write ${f.write}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    con.err(`flowaudit: wrote ${f.write}: check it, correct it, then pass it with --inventory`);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// analyze

export interface AnalyzeFlags extends ReadFlags {
  out?: string;
  format?: string;
  catalog?: string;
  inventory?: string;
  role: string[];
  feature: string[];
  failOn: string[];
  /** `--captured-on`: the end of a one-conversation capture it was taken on (see applyCapturedOn). */
  capturedOn?: string;
}

const REPORT_FORMATS = ['md', 'json', 'csv', 'html'] as const;
type ReportFormat = (typeof REPORT_FORMATS)[number];

const REPORT_FILES: Record<ReportFormat, string> = { md: 'report.md', json: 'report.json', csv: 'report.csv', html: 'report.html' };

/**
 * The renderer of one report format, loaded when that format is asked for: the HTML report's
 * charts bring d3 and the SVG helpers, about 0.1 s of module loading that `--format json` need not pay.
 */
async function loadRenderer(format: ReportFormat): Promise<(r: AuditResult) => string> {
  switch (format) {
    case 'md':
      return (await import('../report/markdown.js')).renderMarkdown;
    case 'json':
      return (await import('../report/json.js')).renderJson;
    case 'csv':
      return (await import('../report/csv.js')).renderCsv;
    case 'html':
      return (await import('../report/html.js')).renderHtml;
  }
}

/**
 * The report's generation time. SOURCE_DATE_EPOCH (the reproducible-builds convention, Unix
 * seconds) fixes it, so regenerated reports differ only when their content does.
 */
export function reportClock(): Date {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000);
  return new Date();
}

export function defaultOutDir(inputs: string[], now: Date): string {
  const first = inputs[0] === '-' ? 'stdin' : basename(inputs[0].replace(/[\\/]+$/, '')) || 'input';
  const stem = first.replace(/\.(gz)$/i, '').replace(/\.[A-Za-z0-9]+$/, '').replace(/[^A-Za-z0-9._-]+/g, '_') || 'input';
  const ts = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return join('reports', `${stem}${inputs.length > 1 ? `-and-${inputs.length - 1}-more` : ''}-${ts}`);
}

/**
 * Reads the inputs and audits them: the whole analysis behind `analyze`, without writing files.
 * Returns null when nothing at all could be read.
 */
export async function auditInputs(inputs: string[], f: AnalyzeFlags, con: Console, now: Date, times?: StepTimes | null): Promise<AuditResult | null> {
  // Options first: a bad feature, catalog or inventory fails before an hour of reading.
  parseFeatures(f.feature);
  parseFailOn(f.failOn);
  const capturedOn = f.capturedOn === undefined ? undefined : canonicalIp(f.capturedOn);
  if (capturedOn === null) throw new UsageError(`--captured-on ${JSON.stringify(f.capturedOn)}: expected an IPv4 or IPv6 address`);
  const userFiles = f.catalog !== undefined || f.inventory !== undefined || f.role.length > 0;
  const validated = userFiles ? await auditSetup(f) : null;
  // The built-in catalog loads while reading begins; a damaged installation still fails now.
  if (!validated) builtinCatalogDir();
  // With nothing of the user's to check, the audit's modules and the built-in catalog load while
  // the inputs are read (see readUnderWay).
  let readingStarts!: (progress: ProgressState) => void;
  const started = new Promise<ProgressState>((resolve) => (readingStarts = resolve));
  const reading = collect(inputs, f, con, times, readingStarts);
  const [{ collected }, setup] = await Promise.all([reading, validated ?? started.then(readUnderWay).then(() => auditSetup(f))]);
  times?.mark('read');
  if (nothingRead(collected.files)) return null;
  if (capturedOn !== undefined) applyCapturedOn(collected.files, capturedOn, f.quiet === true ? null : con);
  const data = collected.summary.toData({ share: true });
  times?.mark('summary');
  return auditCollected(data, collected, setup, now, times);
}

/** How far a big read goes before the audit's modules load (see readUnderWay). */
const AUDIT_LOAD_AFTER_BYTES = 32 * 1024 * 1024;

/**
 * Resolves once the read `progress` follows is under way: AUDIT_LOAD_AFTER_BYTES read, or every
 * file done. At once for inputs too small for a decoding thread (capture-pipeline.ts).
 *
 * Loading the audit's modules and catalog takes the main thread ~30 ms. At the start of a big
 * capture the decoding thread hands over small batches (to get the first packets out quickly), a
 * few of them in flight; loading then held up the first batch by that long, and the whole read
 * with it. Under way, eight full batches in flight (~130,000 packets) absorb it.
 */
export function readUnderWay(progress: ProgressState): Promise<void> {
  if (progress.bytesTotal < DECODE_THREAD_MIN_BYTES) return Promise.resolve();
  const wanted = Math.min(AUDIT_LOAD_AFTER_BYTES, progress.bytesTotal);
  return new Promise((resolve) => {
    const check = () => {
      if (progress.bytesDone >= wanted || progress.filesDone === progress.filesTotal) resolve();
      else setTimeout(check, 10);
    };
    check();
  });
}

/**
 * `--captured-on ADDRESS`: which end a capture of one conversation (or a dual-stack host's
 * capture) was taken on, which the data alone cannot tell. It is applied to each capture whose
 * every flow has the address on a side, and then only that host's traffic counts as observable
 * (a capture on dc01 filtered to the sync server does not show the sync server's traffic to dc02).
 * A capture with flows between other hosts was not taken there: it is named on stderr and left as
 * the data says.
 */
function applyCapturedOn(files: FileReadResult[], address: string, con: Console | null): void {
  for (const r of files) {
    if (r.summary === null || !isCapture(r)) continue;
    if (r.observed?.includes(address)) {
      r.observed = [address];
      r.conversation = undefined;
    } else {
      con?.err(`flowaudit: warning: --captured-on ${address}: ${r.file} holds flows that do not involve ${address}, so it was not taken there; not applied to it`);
    }
  }
}

/** What `analyze` audits against, from its options. */
export interface AuditSetup {
  catalog: Catalog;
  features: Set<Condition>;
  failOn: FindingStatus[];
  inventory?: Inventory;
  cliRoles: InventoryEntry[];
}

export async function auditSetup(f: AnalyzeFlags): Promise<AuditSetup> {
  const { loadCatalog } = await auditModules();
  const catalog = loadCatalog(f.catalog ?? 'hybrid-identity');
  const features = parseFeatures(f.feature);
  const failOn = parseFailOn(f.failOn);
  const { inventory, cliRoles } = await loadRoleInputs(f);
  return { catalog, features, failOn, inventory, cliRoles };
}

/** At most one address per family: the capture points of one host, not the two ends of a conversation. */
function oneHost(addresses: readonly string[]): boolean {
  const v6 = addresses.filter(isIpv6).length;
  return v6 <= 1 && addresses.length - v6 <= 1;
}

/** Where each capture read was taken (a capture on one host ties its IPv4 and IPv6 address: roles/host-groups.ts). */
function capturePointsOf(files: readonly FileReadResult[]): CapturePointInfo[] {
  return files.filter((r) => r.summary !== null && isCapture(r) && r.observed !== null).map((r) => ({ captured_on: r.observed!, one_conversation: r.conversation !== undefined }));
}

/** Packets, not a log: pcap, pcapng, and pktmon traces as text. */
function isCapture(r: FileReadResult): boolean {
  const f = r.summary!.format;
  return f === 'pcap' || f === 'pcapng' || f === 'pktmon';
}

/** The audit of what was read: `summaryData` is the summary of `collected` (its files and diagnostics). */
export async function auditCollected(summaryData: FlowSummaryData, collected: Collected, setup: AuditSetup, now: Date, times?: StepTimes | null): Promise<AuditResult> {
  const { assignRoles, buildAuditResult } = await auditModules();
  const { catalog, features, failOn, inventory, cliRoles } = setup;
  const roles = assignRoles(summaryData, { catalog, inventory, cliRoles, capturePoints: capturePointsOf(collected.files) });
  times?.mark('roles');
  const read = collected.files.filter((r) => r.summary !== null);
  const inputsInfo: InputInfo[] = read.map((r) => ({
    file: r.file,
    format: r.summary!.format,
    records: r.summary!.records,
    bytes: r.summary!.bytes,
    first_ts: r.summary!.firstTs,
    last_ts: r.summary!.lastTs,
    complete: r.summary!.complete,
    continues: r.continues,
    capture_filters: r.summary!.captureFilters,
    dropped_at_capture: r.summary!.droppedAtCapture,
    denied_only: r.deniedOnly,
    no_drops_logged: r.noDropsLogged,
    captured_on: isCapture(r) && r.observed !== null ? r.observed : undefined,
    one_conversation: r.conversation !== undefined ? true : undefined,
  }));
  // Captures of the same connections (both ends at once): each such connection is in both files.
  const printed = read.map((r) => ({
    file: r.file,
    prints: r.prints,
    firstTs: r.summary!.firstTs,
    lastTs: r.summary!.lastTs,
    takenOn: r.observed !== null && r.conversation === undefined && oneHost(r.observed) ? r.observed : undefined,
  }));
  const printIndexes: PrintIndexes = new Map();
  const shared = sameConnections(printed, printIndexes);
  for (const s of shared) {
    (inputsInfo[s.a].same_connections ??= []).push({ file: read[s.b].file, connections: s.connections });
    (inputsInfo[s.b].same_connections ??= []).push({ file: read[s.a].file, connections: s.connections });
  }
  // Logs written on or for known hosts, and captures taken on one host, can only show those hosts'
  // traffic (AuditOptions.observedHosts). One set, filled in place: hundreds of hourly NSG files
  // each list the same hosts.
  let observedHosts: Set<string> | undefined;
  if (read.every((r) => r.observed !== null)) {
    observedHosts = new Set();
    for (const r of read) for (const h of r.observed!) observedHosts.add(h);
  }
  const captures = read.filter(isCapture).length;
  // Every input a capture of the same one conversation (the files of a rotating capture, say).
  const first = read[0]?.conversation;
  const onlyConversation = first && read.every((r) => r.conversation?.[0] === first[0] && r.conversation[1] === first[1]) ? first : undefined;
  const logs = read.length > captures;
  // Logs with local times (pfirewall) say which zone they were read in.
  const zones = [...new Set(read.map((r) => r.summary!.timeZone?.name).filter((z): z is string => !!z))];
  const result = buildAuditResult({
    summary: summaryData,
    roles,
    catalog,
    features,
    inputs: inputsInfo,
    dataQuality: collected.diag.toDataQuality(),
    version: packageVersion(),
    generatedAt: now,
    failOn,
    assumedTimezone: zones.length > 0 ? zones.join(', ') : undefined,
    observedHosts,
    // When every input is a capture whose every interface was filtered, what the filters left out
    // could not be captured (audit/capture-filter.ts); one input without a filter could show it.
    captureFilterSets: read.length > 0 && read.every((r) => r.summary!.everyInterfaceFiltered === true) ? read.map((r) => r.summary!.captureFilters ?? []) : undefined,
    onlyConversation,
    observedFrom: captures > 0 && logs ? 'captures and logs' : captures > 1 ? 'captures' : captures === 1 ? 'capture' : 'logs',
    logsWithoutDrops: read.filter((r) => r.noDropsLogged).map((r) => ({ file: r.file, hosts: r.observed })),
    crossCheck: crossCheckFor(printed, shared, printIndexes),
  });
  times?.mark('audit');
  return result;
}

export async function runAnalyze(inputs: string[], f: AnalyzeFlags, con: Console = processConsole): Promise<ExitCode> {
  const formats = splitList(f.format ?? REPORT_FORMATS.join(','));
  for (const fm of formats) {
    if (!REPORT_FORMATS.includes(fm as ReportFormat)) {
      throw new UsageError(`--format ${JSON.stringify(fm)}: expected a list of ${REPORT_FORMATS.join(', ')}`);
    }
  }
  const now = reportClock();
  const times = stepTimes();
  const outDir = f.out ?? defaultOutDir(inputs, now);
  // Made before reading, so a folder that cannot be written fails at once, not after an hour of
  // logs; removed again (when still empty) if no report comes of the run.
  const made = makeDir(outDir);
  // The renderers load while the inputs are read (the HTML one, with d3, takes ~40 ms to load):
  // not after the audit, when nothing else runs. A failure to load surfaces where they are used.
  const renderers = Promise.all((formats as ReportFormat[]).map((fm) => loadRenderer(fm)));
  renderers.catch(() => undefined);
  let result: AuditResult | null;
  try {
    result = await auditInputs(inputs, f, con, now, times);
  } catch (e) {
    removeMadeDirs(made);
    throw e;
  }
  if (result === null) {
    removeMadeDirs(made);
    con.err('flowaudit: nothing could be read; no report written');
    return 2;
  }

  const written: string[] = [];
  const { exitCodeFor, formatEvidencePlace } = await auditModules();
  const loaded = await renderers;
  for (const [k, fm] of (formats as ReportFormat[]).entries()) {
    const path = join(outDir, REPORT_FILES[fm]);
    const render = loaded[k];
    try {
      writeFileSync(path, render(result));
    } catch (e) {
      throw new UsageError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    written.push(path);
  }
  times?.mark('write');
  printVerdict(con, result, written, formatEvidencePlace);
  if (times) con.err(times.line());
  return exitCodeFor(result);
}

/** Findings with a server's answer named on the terminal (the rest are in the report). */
const MAX_ANSWERED_LINES = 10;

/** The short terminal verdict: blocked and missing required flows first, then the counts. */
export function printVerdict(con: Console, r: AuditResult, written: string[], formatEvidencePlace: (e: AuditResult['findings'][number]['evidence'][number]) => string): void {
  con.out(sanitizeTerminal(r.verdict.summary));
  const window =
    r.window.first_ts !== null && r.window.last_ts !== null
      ? `${formatIsoMicros(r.window.first_ts)} .. ${formatIsoMicros(r.window.last_ts)}`
      : 'no timestamps';
  // Files of a rotating capture read as one (capture-series.ts): each continues the one before.
  const continuing = r.inputs.filter((i) => i.continues !== undefined).length;
  const series = continuing > 0 ? ` (${continuing} continue the file before them: a rotating capture read as one)` : '';
  const outside = r.data_quality.counters.files_outside_window ?? 0;
  const skipped = outside > 0 ? `, ${formatCount(outside)} more outside --since/--until not read` : '';
  // Captures taken on one host (InputInfo.captured_on): rules between other hosts were not judged.
  const points = [...new Set(r.inputs.flatMap((i) => (i.captured_on ? [i.captured_on.join(i.one_conversation ? ' or ' : ', ')] : [])))];
  const takenOn = points.length > 0 ? `, captured on ${sanitizeTerminal(points.join('; '))}` : '';
  con.out(`  data: ${r.inputs.length} file(s)${series}${skipped}, ${formatCount(r.data_quality.flows)} flows, ${window}${takenOn}`);
  const bad = r.findings.filter((x) => x.required && (x.status === 'blocked' || x.status === 'missing' || x.status === 'partial'));
  const shown = bad.slice(0, 20);
  // Reasons and places hold text from the data: no control character reaches the terminal.
  for (const x of shown) {
    con.out(`  ${x.status.toUpperCase().padEnd(8)} ${sanitizeTerminal(describeFinding(x))}`);
    const ev = x.evidence[0];
    if (ev) con.out(`           evidence: ${sanitizeTerminal(formatEvidencePlace(ev))} (${ev.conn_state})${x.evidence.length > 1 ? ` and ${x.evidence.length - 1} more` : ''}`);
    con.out(`           wireshark: ${x.display_filter}`);
  }
  if (bad.length > shown.length) con.out(`  ... and ${bad.length - shown.length} more in the report`);
  const inferred = inferredRolesOf(r, bad);
  if (inferred.length > 0) {
    con.out(`  roles:   ${sanitizeTerminal(inferred.join(', '))} inferred from the data, not given: check them (flowaudit roles), or give them (--inventory, --role)`);
  }
  // Ports that work while the server refuses the logon or the handshake: the answer, on the terminal too.
  const answered = r.findings.filter((x) => x.answers !== undefined && x.answers.length > 0);
  for (const x of answered.slice(0, MAX_ANSWERED_LINES)) {
    const a = x.answers![0];
    con.out(`  ANSWERED ${sanitizeTerminal(`${x.src_role} ${x.src} -> ${x.dst_role} ${x.dst} ${x.protocol} ${x.ports}/${x.transport} (${x.status})`)}`);
    con.out(`           ${sanitizeTerminal(a.detail)} (${sanitizeTerminal(a.file)} frame ${a.frame})${x.answers!.length > 1 ? ` and ${x.answers!.length - 1} more` : ''}`);
  }
  if (answered.length > MAX_ANSWERED_LINES) con.out(`  ... and ${answered.length - MAX_ANSWERED_LINES} more answered findings in the report`);
  const counts = Object.entries(r.verdict.counts)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s as FindingStatus}`)
    .join(', ');
  con.out(`  findings: ${counts || 'none'}`);
  if (r.data_quality.failedFiles.length > 0) con.out(`  ${r.data_quality.failedFiles.length} file(s) could not be read: see Data quality`);
  for (const w of written) con.out(`  wrote ${w}`);
}

/**
 * The roles the failing findings rest on that the data only suggested (`dc 10.0.0.11 (low)`): a
 * verdict about a host whose role is a guess must say so where it is read, not only in the report.
 */
function inferredRolesOf(r: AuditResult, findings: readonly Finding[]): string[] {
  const byAddress = new Map(r.hosts.map((h) => [h.address, h]));
  const out: string[] = [];
  for (const x of findings) {
    for (const [address, role] of [[x.src, x.src_role], [x.dst, x.dst_role]] as const) {
      if (address === null) continue;
      const ev = byAddress.get(address)?.roles.find((e) => e.role === role);
      if (ev === undefined || ev.source !== 'inferred') continue;
      const text = `${role} ${address} (${ev.confidence})`;
      if (!out.includes(text)) out.push(text);
    }
  }
  return out;
}

function describeFinding(x: Finding): string {
  const src = x.src ?? `(no ${x.src_role} host)`;
  const dst = x.dst ?? `(no ${x.dst_role} host)`;
  return `${x.src_role} ${src} -> ${x.dst_role} ${dst} ${x.protocol} ${x.ports}/${x.transport}: ${x.reason}`;
}

// ---------------------------------------------------------------------------------------------
// catalog

export async function runCatalog(name: string | undefined, f: { catalog?: string; format?: string }, con: Console = processConsole): Promise<ExitCode> {
  const format = f.format ?? 'table';
  if (!['table', 'md', 'json'].includes(format)) throw new UsageError(`--format ${JSON.stringify(format)}: expected table, md or json`);
  const { loadCatalog, renderCatalog } = await auditModules();
  const catalog = loadCatalog(f.catalog ?? name ?? 'hybrid-identity');
  con.out(renderCatalog(catalog, format as 'table' | 'md' | 'json').replace(/\n$/, ''));
  return 0;
}
