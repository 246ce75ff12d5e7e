import { afterEach, describe, expect, it, vi } from 'vitest';
import { StepTimes, stepTimes, timed } from '../../../src/common/timing.js';

describe('FLOWAUDIT_TIMING', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.useRealTimers();
  });

  it('is off unless set to something other than empty or 0', () => {
    vi.stubEnv('FLOWAUDIT_TIMING', '');
    expect(stepTimes()).toBeNull();
    vi.stubEnv('FLOWAUDIT_TIMING', '0');
    expect(stepTimes()).toBeNull();
    vi.stubEnv('FLOWAUDIT_TIMING', '1');
    expect(stepTimes()).toBeInstanceOf(StepTimes);
  });

  it('names each step with the time since the one before, a timed function inside its step, and the total', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const times = new StepTimes();
    const fold = timed(times, 'fold', 'read', (n: number) => {
      vi.advanceTimersByTime(n);
      return n * 2;
    });
    expect(fold(300)).toBe(600);
    vi.advanceTimersByTime(1700);
    expect(fold(12)).toBe(24);
    times.mark('read');
    vi.advanceTimersByTime(77);
    times.mark('roles');
    expect(times.line()).toBe('flowaudit: timing: read 2,012 ms (fold 312 ms, 2 calls) · roles 77 ms · total 2,089 ms');
  });

  it('counts the time of a call that throws', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const times = new StepTimes();
    const failing = timed(times, 'fold', 'read', () => {
      vi.advanceTimersByTime(5);
      throw new Error('bad flow');
    });
    expect(() => failing()).toThrow('bad flow');
    times.mark('read');
    expect(times.line()).toBe('flowaudit: timing: read 5 ms (fold 5 ms, 1 call) · total 5 ms');
  });
});
