/**
 * Files whose path dates them. Azure writes NSG flow logs, VNet flow logs and the diagnostic logs
 * it archives to a storage account (Azure Firewall) as one blob per hour, under
 * `…/y=2024/m=05/d=01/h=10/m=00/…/PT1H.json`. Auditing a week out of months of such a tree with
 * `--since` / `--until`, the files of the other hours hold no flow in the window: they are left out
 * before anything is opened instead of being read for nothing.
 */
import { civilToMillis, daysInMonth } from '../sources/flowlog-time.js';
import type { InputFile } from './inputs.js';

/** `y=YYYY/m=MM/d=DD/h=HH` as folders (either slash). */
const HOURLY_FOLDERS = /(?:^|[\\/])y=(\d{4})[\\/]m=(\d{2})[\\/]d=(\d{2})[\\/]h=(\d{2})(?=[\\/]|$)/;
const HOUR_MICROS = 3_600_000_000;
/**
 * How far a blob's records may stray from its hour: a flow that began in the hour before, a record
 * written late. Files are left out only when they are further than this from the window.
 */
const MARGIN_MICROS = HOUR_MICROS;

/** The start of the hour a path's `y=/m=/d=/h=` folders name, in microseconds (UTC); null when it names none. */
export function hourOfPath(path: string): number | null {
  const m = HOURLY_FOLDERS.exec(path);
  if (!m) return null;
  const [y, mo, d, h] = m.slice(1).map(Number);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23) return null;
  return civilToMillis(y, mo, d, h, 0, 0) * 1000;
}

/**
 * The files that may hold flows in the window `since .. until` (microseconds; either may be
 * missing), and how many were left out because their path dates them outside it.
 */
export function filesInWindow(files: readonly InputFile[], since: number | undefined, until: number | undefined): { kept: InputFile[]; skipped: number } {
  if (since === undefined && until === undefined) return { kept: [...files], skipped: 0 };
  const kept: InputFile[] = [];
  let skipped = 0;
  for (const f of files) {
    const hour = hourOfPath(f.path);
    const before = hour !== null && since !== undefined && hour + HOUR_MICROS + MARGIN_MICROS < since;
    const after = hour !== null && until !== undefined && hour - MARGIN_MICROS > until;
    if (before || after) skipped++;
    else kept.push(f);
  }
  return { kept, skipped };
}
