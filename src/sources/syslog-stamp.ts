/**
 * The time stamps syslog puts before a message, as firewalls' logs reach a file or a collector:
 * RFC 5424 (`<134>1 2026-11-20T09:15:02.123456+01:00 host app ...`), an ISO 8601 stamp with or
 * without its zone (rsyslog's high-precision format, `journalctl -o short-iso`), the classic BSD
 * form (`Nov 20 09:15:02`, RFC 3164), which is local time without a year, and the same with a year
 * (`Nov 20 2026 09:15:02`), as Cisco firewalls stamp their own messages; and `dmesg -T`'s
 * bracketed ctime (`[Fri Nov 27 10:21:42 2026]`), local time as well.
 */

import { DEFAULT_TIMEOUTS, type FlowTimeouts } from '../flows/types.js';
import { AddressCache, hashString } from './flowlog-common.js';
import { ASSUMED_UTC, civilToMillis, parseTimezone, type LocalTimeZone } from './flowlog-time.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** RFC 5424's priority and version before the stamp; RFC 3164 relays keep the priority alone. */
const PRIORITY = /^<\d{1,3}>(?:\d{1,2} )?/;
const ISO_STAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}:?\d{2})?\s/;
const BSD_STAMP = /^([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?\s/;
/** A BSD stamp with its year, as Cisco firewalls write their own (`logging timestamp`): `Nov 20 2026 09:15:02`. */
const BSD_YEAR_STAMP = /^([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{4})\s+(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?/;
/** `dmesg -T` (`--ctime`): the kernel's uptime turned into local wall time, `[Fri Nov 27 10:21:42 2026]`. */
const CTIME_STAMP = /^\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2})\s+(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})\]\s/;

export interface SyslogStamp {
  /** Microseconds since the epoch, UTC. */
  ts: number;
  /** The stamp was local time (read in the zone given): a report says which zone. */
  local: boolean;
  /** Where the rest of the line starts (after the priority, the stamp and its space). */
  end: number;
}

/**
 * The stamp at the start of `line`; null when it has none (or a month name that is none). A BSD
 * stamp has no year: it is read in the year that puts it no more than a day ahead of `nowMs`, as
 * syslog readers do (a log from last December read in January).
 */
export function readSyslogStamp(line: string, zone: LocalTimeZone, nowMs: number): SyslogStamp | null {
  const pri = PRIORITY.exec(line);
  const from = pri === null ? 0 : pri[0].length;
  const text = from === 0 ? line : line.slice(from);
  const micros = (digits: string | undefined) => (digits === undefined ? 0 : Math.round(Number(`0.${digits.slice(0, 6)}`) * 1e6));
  const iso = ISO_STAMP.exec(text);
  if (iso !== null) {
    const wall = civilToMillis(+iso[1], +iso[2], +iso[3], +iso[4], +iso[5], +iso[6]);
    const z = iso[8];
    let ms: number;
    if (z === undefined) ms = zone.toUtcMillis(wall);
    else if (z === 'Z') ms = wall;
    else {
      const sign = z[0] === '-' ? -1 : 1;
      const digits = z.slice(1).replace(':', '');
      ms = wall - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
    }
    return { ts: ms * 1000 + micros(iso[7]), local: z === undefined, end: from + iso[0].length };
  }
  const ctime = text.charCodeAt(0) === 0x5b ? CTIME_STAMP.exec(text) : null;
  if (ctime !== null) {
    const month = MONTHS.indexOf(ctime[1]) + 1;
    if (month === 0) return null;
    return { ts: zone.toUtcMillis(civilToMillis(+ctime[6], month, +ctime[2], +ctime[3], +ctime[4], +ctime[5])) * 1000, local: true, end: from + ctime[0].length };
  }
  const bsd = BSD_STAMP.exec(text);
  if (bsd === null) {
    const y = BSD_YEAR_STAMP.exec(text);
    const month = y === null ? 0 : MONTHS.indexOf(y[1]) + 1;
    if (y === null || month === 0) return null;
    return { ts: zone.toUtcMillis(civilToMillis(+y[3], month, +y[2], +y[4], +y[5], +y[6])) * 1000 + micros(y[7]), local: true, end: from + y[0].length };
  }
  const month = MONTHS.indexOf(bsd[1]) + 1;
  if (month === 0) return null;
  let year = new Date(nowMs).getUTCFullYear();
  let wall = civilToMillis(year, month, +bsd[2], +bsd[3], +bsd[4], +bsd[5]);
  if (wall > nowMs + 86_400_000) wall = civilToMillis(--year, month, +bsd[2], +bsd[3], +bsd[4], +bsd[5]);
  return { ts: zone.toUtcMillis(wall) * 1000 + micros(bsd[6]), local: true, end: from + bsd[0].length };
}

/** Options every syslog-borne firewall log reader takes. */
export interface SyslogLogOptions {
  /** Zone of stamps without one (BSD syslog's, an ASA's own): a name, an offset, or a parsed zone. */
  tz?: string | LocalTimeZone;
  timeouts?: Partial<FlowTimeouts>;
  /** Now, for the year of stamps that have none (tests fix it). */
  now?: Date;
}

/** What such a reader sets up for a file: the zone and now its stamps are read with, and its flows' helpers. */
export function syslogReader(file: string, opts: SyslogLogOptions) {
  return {
    zone: opts.tz === undefined ? ASSUMED_UTC : typeof opts.tz === 'string' ? parseTimezone(opts.tz) : opts.tz,
    nowMs: (opts.now ?? new Date()).getTime(),
    fileHash: hashString(file),
    addresses: new AddressCache(),
    timeouts: { ...DEFAULT_TIMEOUTS, ...opts.timeouts },
  };
}
