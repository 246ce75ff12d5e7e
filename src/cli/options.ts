import { ALL_CONDITIONS, ALL_ROLES, type Condition } from '../catalog/types.js';
import { UsageError } from '../common/diagnostics.js';
import type { FindingStatus } from '../audit/types.js';
import type { InputFormat } from '../sources/types.js';

/** Splits `a,b , c` into trimmed non-empty items (options may also be repeated). */
export function splitList(values: string | string[] | undefined): string[] {
  if (values === undefined) return [];
  const arr = Array.isArray(values) ? values : [values];
  return arr.flatMap((v) => v.split(',')).map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Repeatable option collector for commander. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * Parses `--since` / `--until`: ISO 8601 (`2024-05-01`, `2024-05-01T10:00:00Z`, with an offset) or
 * Unix seconds. A date-time without a zone is UTC, and says so in --help. Returns microseconds.
 */
export function parseTimeOption(name: string, text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1_000_000);
  let iso = t;
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) iso += 'T00:00:00Z';
  else if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(iso)) iso = iso.replace(' ', 'T') + 'Z';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) {
    throw new UsageError(`${name} ${JSON.stringify(text)}: expected an ISO 8601 time (2024-05-01T10:00:00Z) or Unix seconds`);
  }
  return ms * 1000;
}

const FORMATS: InputFormat[] = ['pcap', 'pcapng', 'pfirewall', 'nsg', 'vnet', 'azfw', 'csv', 'pktmon', 'netfilter', 'filterlog', 'asa', 'keyvalue', 'panos'];

export function parseInputFormat(text: string | undefined): InputFormat | undefined {
  if (text === undefined || text === 'auto') return undefined;
  if (!FORMATS.includes(text as InputFormat)) {
    throw new UsageError(`--input-format ${JSON.stringify(text)}: expected one of auto, ${FORMATS.join(', ')}`);
  }
  return text as InputFormat;
}

export function parseFeatures(values: string[]): Set<Condition> {
  const out = new Set<Condition>();
  for (const v of splitList(values)) {
    if (v === 'all') {
      for (const c of ALL_CONDITIONS) out.add(c);
      continue;
    }
    if (!ALL_CONDITIONS.includes(v as Condition)) {
      throw new UsageError(`--feature ${JSON.stringify(v)}: expected one of ${ALL_CONDITIONS.join(', ')}, or all`);
    }
    out.add(v as Condition);
  }
  return out;
}

const FAIL_ON: FindingStatus[] = ['blocked', 'missing', 'unexpected', 'partial'];

export function parseFailOn(values: string[]): FindingStatus[] {
  const list = splitList(values);
  if (list.length === 0) return ['blocked', 'missing'];
  if (list.length === 1 && list[0] === 'none') return [];
  for (const v of list) {
    if (!FAIL_ON.includes(v as FindingStatus)) {
      throw new UsageError(`--fail-on ${JSON.stringify(v)}: expected a list of ${FAIL_ON.join(', ')}, or none`);
    }
  }
  return list as FindingStatus[];
}

/** Parses a duration like `300`, `300s`, `5m`, `1h` into microseconds. */
export function parseDuration(name: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${name} ${JSON.stringify(text)}: expected a duration such as 300s, 5m or 1h`);
  const mult = { ms: 1e3, s: 1e6, m: 60e6, h: 3600e6 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * mult);
}

export function parsePositiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} ${JSON.stringify(text)}: expected a whole number`);
  return n;
}

export const ROLE_LIST = ALL_ROLES.join(', ');
