/**
 * Formats a count for people, `4,512`: digits grouped by three with commas, as en-US does. Written
 * out rather than `toLocaleString('en-US')` / Intl.NumberFormat because the first use of either
 * initialises ICU's number formatting, about 12 ms of start-up for a one-line verdict; and so reports
 * do not depend on the machine's locale data. Fractions are rounded to whole numbers.
 */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const whole = Math.round(Math.abs(n));
  const digits = whole.toFixed(0);
  const grouped = digits.replace(/\B(?=(\d{3})+$)/g, ',');
  return n < 0 && whole !== 0 ? `-${grouped}` : grouped;
}
