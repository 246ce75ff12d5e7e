/**
 * Time helpers. Every timestamp inside flowaudit is an integer count of microseconds since the Unix
 * epoch, as a `number` (exact until the year 2255).
 */

/** Microseconds → ISO 8601 UTC with microseconds, e.g. `2024-05-01T10:00:00.123456Z`. */
export function formatIsoMicros(tsMicros: number): string {
  const ms = Math.floor(tsMicros / 1000);
  const micros = ((tsMicros % 1_000_000) + 1_000_000) % 1_000_000;
  const iso = new Date(ms).toISOString(); // 2024-05-01T10:00:00.123Z
  return `${iso.slice(0, 19)}.${String(micros).padStart(6, '0')}Z`;
}

/** Microseconds → Zeek's `ts` text: seconds with six decimals. */
export function formatZeekTs(tsMicros: number): string {
  const sec = Math.floor(tsMicros / 1_000_000);
  const frac = tsMicros - sec * 1_000_000;
  return `${sec}.${String(frac).padStart(6, '0')}`;
}

/** Microsecond duration → Zeek's `duration` text (seconds, six decimals). */
export function formatZeekDuration(micros: number): string {
  return formatZeekTs(micros);
}
