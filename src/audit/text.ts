/**
 * Plain-text pieces the audit writes into reasons (the renderers escape them later) and that the
 * report formatters reuse: durations, evidence places, DNS lookup summaries.
 */
import type { DnsLookupStats } from '../flows/summary-types.js';
import type { FlowEvidence } from '../flows/types.js';

/** Microsecond duration → `1h 02m 03s`, `2m 10s`, `4.5s`, `350ms`. */
export function formatDurationMicros(micros: number): string {
  if (!Number.isFinite(micros) || micros < 0) return '?';
  if (micros < 1_000_000) return `${Math.round(micros / 1000)}ms`;
  const totalSec = micros / 1_000_000;
  if (totalSec < 60) return `${Math.round(totalSec * 10) / 10}s`;
  const s = Math.floor(totalSec);
  const days = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  if (days > 0) return `${days}d ${two(h)}h ${two(m)}m`;
  if (h > 0) return `${h}h ${two(m)}m ${two(sec)}s`;
  return `${m}m ${two(sec)}s`;
}

/** Where a record is, as a person looks it up: `a.pcap frame 17`, `pfirewall.log line 22`, `PT1H.json record 3 tuple 5`. */
export function formatEvidencePlace(e: FlowEvidence): string {
  // A line first: a pktmon text trace's packets carry both (the same number), and it is a text file.
  if (e.line !== undefined) return `${e.file} line ${e.line}`;
  if (e.frame !== undefined) return `${e.file} frame ${e.frame}`;
  if (e.record !== undefined) return `${e.file} record ${e.record}${e.tuple !== undefined ? ` tuple ${e.tuple}` : ''}`;
  return e.file;
}

/** `login.microsoftonline.com: 4 lookups, 4 NXDOMAIN from 10.0.0.10 (first: a.pcap frame 12)`. */
export function describeLookups(s: DnsLookupStats): string {
  const parts: string[] = [];
  if (s.nxdomain) parts.push(`${s.nxdomain} NXDOMAIN`);
  if (s.servfail) parts.push(`${s.servfail} SERVFAIL`);
  if (s.otherError) parts.push(`${s.otherError} other DNS error${s.otherError === 1 ? '' : 's'}`);
  if (s.unanswered) parts.push(`${s.unanswered} never answered`);
  if (s.answered) parts.push(`${s.answered} answered`);
  const servers = s.servers.length ? ` from ${s.servers.slice(0, 3).join(', ')}${s.servers.length > 3 ? ' …' : ''}` : '';
  const first = s.firstEvidence ? ` (first: ${formatEvidencePlace(s.firstEvidence)})` : '';
  return `${s.name}: ${s.queries} lookup${s.queries === 1 ? '' : 's'}, ${parts.join(', ')}${servers}${first}`;
}

/** `n` and the noun that goes with it: `1 flow`, `3 flows`. */
export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The first `max` of `items`, joined by commas, with `, …` when there are more. */
export function firstFew(items: readonly string[], max: number): string {
  return items.slice(0, max).join(', ') + (items.length > max ? ', …' : '');
}
