/**
 * Local wall-clock time → UTC, for flow logs whose times carry no zone (pfirewall.log writes
 * `#Time Format: Local`; many CSV exports write `2024-05-01 10:00:00`).
 *
 * Zones are IANA names (`Europe/Berlin`, converted with `Intl.DateTimeFormat`, so the host's ICU
 * tables decide DST: no dependency) or fixed offsets (`UTC`, `Z`, `+02:00`, `-0530`, `UTC+2`).
 *
 * DST rules for local times that do not map to exactly one instant:
 * - a time inside the spring-forward gap (02:30 on the day clocks jump 02:00 → 03:00) does not exist;
 *   it is read with the offset in force before the jump (so 02:30 CET-then-CEST becomes 01:30 UTC),
 *   which is what Windows does when it formats such a timestamp;
 * - a time inside the fall-back overlap (02:30 happens twice) is read as the FIRST occurrence
 *   (the summer-time one). The log does not say which one it was; readers state the zone they assumed.
 */

import { UsageError } from '../common/diagnostics.js';

/** A zone that local log times are read in. */
export interface LocalTimeZone {
  /** Normalised name for reports: `UTC`, `+02:00`, `Europe/Berlin`. */
  readonly name: string;
  /** True when the zone was not given and UTC was assumed (the report must say so). */
  readonly assumed: boolean;
  /**
   * Converts a local wall-clock time, expressed as milliseconds since the epoch AS IF the wall clock
   * were UTC, to real UTC milliseconds since the epoch.
   */
  toUtcMillis(localMillis: number): number;
}

const MINUTE_MS = 60_000;
/** Real zone transitions happen on quarter-hour boundaries of local time, so offsets are cached per slot. */
const SLOT_MS = 15 * MINUTE_MS;
const MAX_CACHED_SLOTS = 100_000;

/** Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Milliseconds since the epoch of a civil date-time read as UTC. Fields are not range-checked here. */
export function civilToMillis(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  return ((daysFromCivil(year, month, day) * 24 + hour) * 60 + minute) * 60_000 + second * 1000;
}

/** Days in a month of the proleptic Gregorian calendar. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

class FixedOffsetZone implements LocalTimeZone {
  constructor(
    readonly name: string,
    private readonly offsetMs: number,
    readonly assumed: boolean,
  ) {}

  toUtcMillis(localMillis: number): number {
    return localMillis - this.offsetMs;
  }
}

class IanaZone implements LocalTimeZone {
  readonly assumed = false;
  private readonly format: Intl.DateTimeFormat;
  private readonly slotOffsets = new Map<number, number>();

  constructor(readonly name: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** Offset (local − UTC, ms) in force at the UTC instant `utcMillis`. Slow: formats a date. */
  private offsetAt(utcMillis: number): number {
    let y = 0;
    let mo = 0;
    let d = 0;
    let h = 0;
    let mi = 0;
    let s = 0;
    for (const part of this.format.formatToParts(new Date(utcMillis))) {
      switch (part.type) {
        case 'year': y = Number(part.value); break;
        case 'month': mo = Number(part.value); break;
        case 'day': d = Number(part.value); break;
        case 'hour': h = Number(part.value); break;
        case 'minute': mi = Number(part.value); break;
        case 'second': s = Number(part.value); break;
        default: break;
      }
    }
    // Whole seconds only: the formatter drops milliseconds.
    const wholeSecondUtc = Math.floor(utcMillis / 1000) * 1000;
    return civilToMillis(y, mo, d, h, mi, s) - wholeSecondUtc;
  }

  /** Local wall time of a slot start → UTC, with the gap/overlap rules in the module comment. */
  private slotOffset(slotStartLocal: number): number {
    // Offsets one day either side bracket any transition near this local time.
    const before = this.offsetAt(slotStartLocal - 86_400_000);
    const after = this.offsetAt(slotStartLocal + 86_400_000);
    if (before === after) {
      // Possibly a transition pair within two days (rare, e.g. a zone change): verify directly.
      const guess = slotStartLocal - before;
      const actual = this.offsetAt(guess);
      if (actual === before) return before;
      return this.offsetAt(slotStartLocal - actual) === actual ? actual : before;
    }
    // Candidate instants: the local time read with either offset. Each candidate is valid when the
    // zone's offset at that instant equals the offset used.
    const withBefore = this.offsetAt(slotStartLocal - before) === before;
    const withAfter = this.offsetAt(slotStartLocal - after) === after;
    if (withBefore && withAfter) {
      // Overlap (fall back): both readings exist; take the first occurrence (the earlier instant).
      return slotStartLocal - before <= slotStartLocal - after ? before : after;
    }
    if (withBefore) return before;
    if (withAfter) return after;
    // Gap (spring forward): the time does not exist; keep the offset in force before the jump.
    return before;
  }

  toUtcMillis(localMillis: number): number {
    const slot = Math.floor(localMillis / SLOT_MS);
    let offset = this.slotOffsets.get(slot);
    if (offset === undefined) {
      if (this.slotOffsets.size >= MAX_CACHED_SLOTS) this.slotOffsets.clear();
      offset = this.slotOffset(slot * SLOT_MS);
      this.slotOffsets.set(slot, offset);
    }
    return localMillis - offset;
  }
}

/** UTC, assumed because the user gave no zone. Reports must state the assumption. */
export const ASSUMED_UTC: LocalTimeZone = new FixedOffsetZone('UTC', 0, true);

const OFFSET_PATTERN = /^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$/i;

/**
 * Parses a `--tz` value: an IANA zone name (`Europe/Berlin`, `America/New_York`), `UTC`/`Z`/`GMT`,
 * or a fixed offset (`+02:00`, `-0530`, `+2`, `UTC+01:00`). Offsets are east-positive (ISO 8601),
 * unlike the POSIX `Etc/GMT+2` names, which IANA handles as written.
 * @throws UsageError for anything else, naming the accepted forms.
 */
export function parseTimezone(text: string): LocalTimeZone {
  const s = text.trim();
  if (/^(?:utc|gmt|z)$/i.test(s)) return new FixedOffsetZone('UTC', 0, false);
  const m = OFFSET_PATTERN.exec(s);
  if (m) {
    const hours = Number(m[2]);
    const minutes = m[3] === undefined ? 0 : Number(m[3]);
    if (hours > 14 || minutes > 59) throw new UsageError(`--tz ${JSON.stringify(text)}: offset out of range (-14:00 .. +14:00)`);
    const sign = m[1] === '-' ? -1 : 1;
    const name = `${m[1]}${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}`;
    return new FixedOffsetZone(name, sign * (hours * 60 + minutes) * MINUTE_MS, false);
  }
  if (s !== '' && /^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(s)) {
    try {
      const resolved = new Intl.DateTimeFormat('en-US', { timeZone: s }).resolvedOptions().timeZone;
      if (resolved === 'UTC' || resolved === 'Etc/UTC') return new FixedOffsetZone('UTC', 0, false);
      return new IanaZone(resolved);
    } catch {
      // fall through to the usage error
    }
  }
  throw new UsageError(
    `--tz ${JSON.stringify(text)} is not a time zone: give an IANA name such as Europe/Berlin, UTC, or an offset such as +02:00`,
  );
}
