/**
 * FLOWAUDIT_TIMING=1: where a run's time went, one line on standard error at its end (the idea of
 * ESLint's TIMING=1). For whoever asks why a run is slow, and for measuring a change to one step:
 * on a shared machine whole-run times vary by more than most changes (DEVELOPERS.md "Speed").
 *
 * Off, it costs nothing: {@link stepTimes} returns null and callers skip every mark.
 */

import { formatCount } from './count.js';

/** Wall time per step of one run, in the order the steps ended. */
export class StepTimes {
  private readonly started = performance.now();
  private last = this.started;
  private readonly steps: { step: string; ms: number }[] = [];
  /** Time spent inside one function over the run (see {@link timed}), shown inside a step. */
  private readonly parts = new Map<string, { within: string; ms: number; calls: number }>();

  /** Ends step `step` now: it took the time since the previous mark (or the start). */
  mark(step: string): void {
    const now = performance.now();
    this.steps.push({ step, ms: now - this.last });
    this.last = now;
  }

  /** Adds `ms` to part `part` of step `within` (one call of the timed function). */
  addPart(part: string, within: string, ms: number): void {
    const p = this.parts.get(part);
    if (p) {
      p.ms += ms;
      p.calls++;
    } else this.parts.set(part, { within, ms, calls: 1 });
  }

  /** `flowaudit: timing: read 2,612 ms (fold 271 ms, 50,000 calls) · roles 77 ms · … · total 2,750 ms` */
  line(): string {
    const ms = (x: number) => `${formatCount(x)} ms`;
    const shown = this.steps.map(({ step, ms: t }) => {
      const inner = [...this.parts].filter(([, p]) => p.within === step).map(([name, p]) => `${name} ${ms(p.ms)}, ${formatCount(p.calls)} ${p.calls === 1 ? 'call' : 'calls'}`);
      return inner.length > 0 ? `${step} ${ms(t)} (${inner.join('; ')})` : `${step} ${ms(t)}`;
    });
    shown.push(`total ${ms(this.last - this.started)}`);
    return `flowaudit: timing: ${shown.join(' · ')}`;
  }
}

/** A timer for this run when FLOWAUDIT_TIMING is set (to anything but empty or 0), else null. */
export function stepTimes(): StepTimes | null {
  const v = process.env.FLOWAUDIT_TIMING;
  return v !== undefined && v !== '' && v !== '0' ? new StepTimes() : null;
}

/** `fn` with the time of each call added to `part` of step `within` of `times`. */
export function timed<A extends unknown[], R>(times: StepTimes, part: string, within: string, fn: (...args: A) => R): (...args: A) => R {
  return (...args: A) => {
    const t = performance.now();
    try {
      return fn(...args);
    } finally {
      times.addPart(part, within, performance.now() - t);
    }
  };
}
