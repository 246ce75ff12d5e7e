/**
 * Formatting shared by the renderers (Markdown, CSV, HTML). Returns plain text: callers escape it
 * for their output language.
 */
import { ANSWER_KINDS } from '../audit/answers.js';
import { CONN_STATE_ORDER } from '../audit/judge.js';
import { formatDurationMicros, formatEvidencePlace } from '../audit/text.js';
import type { AuditResult, EvidenceRef, Finding, InputInfo } from '../audit/types.js';
import { formatIsoMicros } from '../common/time.js';
import type { ConnState } from '../flows/types.js';

export { formatDurationMicros, formatEvidencePlace };

/** Microseconds → ISO 8601 UTC (`2024-05-01T10:00:00.123456Z`); `fallback` when null. */
export function formatTime(tsMicros: number | null | undefined, fallback = '—'): string {
  return tsMicros === null || tsMicros === undefined || !Number.isFinite(tsMicros) ? fallback : formatIsoMicros(tsMicros);
}

/** `2024-05-01T10:00:00.000000Z – 2024-05-01T10:05:00.000000Z (5m 00s)`, or `no data`. */
export function formatWindow(first: number | null, last: number | null): string {
  if (first === null || last === null) return 'no data';
  return `${formatTime(first)} – ${formatTime(last)} (${formatDurationMicros(last - first)})`;
}

/** conn_state counts in Zeek order: `S0×3, REJ×1`; empty string when none. */
export function formatConnStates(states: Partial<Record<ConnState, number>>): string {
  const parts: string[] = [];
  for (const s of CONN_STATE_ORDER) {
    const n = states[s];
    if (n) parts.push(`${s}×${n}`);
  }
  // States outside the known list (a newer producer): still shown, after the known ones.
  for (const [s, n] of Object.entries(states)) {
    if (n && !CONN_STATE_ORDER.includes(s as ConnState)) parts.push(`${s}×${n}`);
  }
  return parts.join(', ');
}

/** A finding's port text: `389/tcp`, `88/tcp/udp`, `49152-65535/tcp`. */
export function formatPortText(f: Pick<Finding, 'ports' | 'transport'>): string {
  return `${f.ports}/${f.transport}`;
}

/** One side of a finding: `dc 10.0.0.10`, or `azure-ad (no host)` when only the role is known. */
export function formatSide(role: string, address: string | null): string {
  return address === null ? `${role} (no host)` : `${role} ${address}`;
}

/**
 * Compact evidence token for CSV: `a.pcap#17` (frame), `pfirewall.log#L22` (line),
 * `PT1H.json#R3.T5` (NSG/VNet record and tuple), or the bare file name.
 */
export function formatEvidenceToken(e: Pick<EvidenceRef, 'file' | 'frame' | 'line' | 'record' | 'tuple'>): string {
  if (e.line !== undefined) return `${e.file}#L${e.line}`;
  if (e.frame !== undefined) return `${e.file}#${e.frame}`;
  if (e.record !== undefined) return `${e.file}#R${e.record}${e.tuple !== undefined ? `.T${e.tuple}` : ''}`;
  return e.file;
}

/** `a.pcap frame 17 (S0, unanswered, 2024-05-01T10:00:00.000000Z)`. */
export function formatEvidence(e: EvidenceRef): string {
  return `${formatEvidencePlace(e)} (${e.conn_state}, ${e.outcome}, ${formatTime(e.ts)})`;
}

/** Attempts with their outcome split: `4 (completed 0, refused 1, unanswered 3)`. */
export function formatAttempts(f: Pick<Finding, 'attempts' | 'completed' | 'refused' | 'unanswered'>): string {
  if (f.attempts === 0) return '0';
  return `${f.attempts} (completed ${f.completed}, refused ${f.refused}, unanswered ${f.unanswered})`;
}

/** Byte counts as people read them: `512 B`, `1.5 MiB`. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** A rotating capture read as one (cli/capture-series.ts): its first and last file in time order. */
/** Said of a capture taken with a capture filter (InputInfo.capture_filters), after the filters. */
export const CAPTURE_FILTER_NOTE = 'what it left out was never captured, so a required flow outside it reads as missing here; the findings name the filter.';

/** Captures taken on the same host or hosts (InputInfo.captured_on), one entry per distinct set, files in input order. */
export interface CapturedOn {
  files: string[];
  hosts: string[];
  /** The hosts are the two ends of the files' only conversation (InputInfo.one_conversation). */
  conversation: boolean;
  /** The files are pktmon traces, which name the host they ran on (FileSummary.tracedOn). */
  traced: boolean;
}

/** The inputs' capture points: a rotating capture's hundred files taken on one host make one entry. */
export function capturePoints(inputs: readonly InputInfo[]): CapturedOn[] {
  const byHosts = new Map<string, CapturedOn>();
  for (const i of inputs) {
    if (i.captured_on === undefined) continue;
    const conversation = i.one_conversation === true;
    const traced = i.format === 'pktmon';
    const key = `${i.captured_on.join(' ')}${conversation ? ' <->' : ''}${traced ? ' pktmon' : ''}`;
    let p = byHosts.get(key);
    if (!p) byHosts.set(key, (p = { files: [], hosts: i.captured_on, conversation, traced }));
    p.files.push(i.file);
  }
  return [...byHosts.values()];
}

/**
 * What a capture point means for the findings, after the files' names: `hosts` are plain text (the
 * caller escapes them for its format, each with `code`).
 */
export function capturePointNote(hosts: readonly string[], conversation: boolean, code: (text: string) => string, traced = false): string {
  if (traced) {
    return (
      `pktmon ran on ${hosts.length === 1 ? code(hosts[0]) : `the host with addresses ${hosts.map(code).join(', ')}`} (the direction it gives each packet ` +
      'says so), so traffic between other hosts cannot be in it and rules between them are not judged (not-applicable).'
    );
  }
  const where =
    hosts.length === 1
      ? `has ${code(hosts[0])} on one side: it was taken on that host (or filtered to its traffic)`
      : conversation
        ? `is between ${hosts.map(code).join(' and ')}: it was taken on one of them, or filtered to their traffic`
        : `has one of ${hosts.map(code).join(', ')} on a side (one per address family): it was taken on the host with these addresses (or filtered to its traffic)`;
  return `every flow between two hosts in it ${where}, so traffic between other hosts cannot be in it and rules between them are not judged (not-applicable).`;
}

/** `a.pcapng`, or `a.pcapng and 3 more files`. */
export function filesText(files: readonly string[], code: (text: string) => string): string {
  return files.length === 1 ? code(files[0]) : `${code(files[0])} and ${files.length - 1} more file${files.length > 2 ? 's' : ''}`;
}

export interface RotatingCapture {
  first: string;
  last: string;
  files: number;
}

/** The rotating captures among the inputs, from their `continues` links, in the order of their first file. */
export function rotatingCaptures(inputs: AuditResult['inputs']): RotatingCapture[] {
  const next = new Map<string, string>();
  const continuing = new Set<string>();
  for (const i of inputs) {
    if (i.continues === undefined) continue;
    next.set(i.continues, i.file);
    continuing.add(i.file);
  }
  const out: RotatingCapture[] = [];
  for (const i of inputs) {
    if (continuing.has(i.file) || !next.has(i.file)) continue;
    let last = i.file;
    let files = 1;
    for (let n = next.get(last); n !== undefined && files <= inputs.length; n = next.get(last)) {
      last = n;
      files++;
    }
    out.push({ first: i.file, last, files });
  }
  return out;
}

/** The sentence saying what traffic to group addresses was left out of the list, or '' when none. */
export function groupFlowsNote(r: AuditResult): string {
  const n = r.group_flows ?? 0;
  if (n === 0) return '';
  return (
    `Not listed: ${n} ${n === 1 ? 'flow' : 'flows'} of role hosts to multicast and broadcast addresses (local discovery such as ` +
    'LLMNR 5355, mDNS 5353, SSDP 1900, NetBIOS 137, DHCP 67), which address no host.'
  );
}

type Diagnostic = AuditResult['data_quality']['diagnostics'][number];

/**
 * The diagnostics that are what servers answered (audit/answers.ts), in that list's order, each with
 * its heading: how many answers (its counter) and of how many kinds (each reported once per server,
 * account and reason). The reports show them in a section of their own, "Answers that can stop a
 * sync", not among the data's problems; report.json keeps them in data_quality.diagnostics.
 */
export function serverAnswers(r: AuditResult): { title: string; d: Diagnostic }[] {
  const out: { title: string; d: Diagnostic }[] = [];
  for (const a of ANSWER_KINDS) {
    const d = r.data_quality.diagnostics.find((x) => x.code === a.code);
    if (!d) continue;
    const n = r.data_quality.counters[a.counter] ?? d.count;
    out.push({ title: `${a.title}: ${n} ${n === 1 ? a.noun : `${a.noun}s`} of ${d.count} ${d.count === 1 ? 'kind' : 'kinds'}`, d });
  }
  return out;
}

/** The diagnostics that are problems of the data (all but {@link serverAnswers}). */
export function dataDiagnostics(r: AuditResult): AuditResult['data_quality']['diagnostics'] {
  return r.data_quality.diagnostics.filter((d) => !ANSWER_KINDS.some((a) => a.code === d.code));
}
