import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DECODE_THREAD_MIN_BYTES } from '../../../src/cli/capture-pipeline.js';
import { readUnderWay } from '../../../src/cli/commands.js';
import type { ProgressState } from '../../../src/cli/progress.js';

const MB = 1024 * 1024;

function progressOf(bytesTotal: number, filesTotal = 1): ProgressState {
  return { filesDone: 0, filesTotal, bytesDone: 0, bytesTotal, flows: 0, currentFile: '' };
}

/** Tracks whether `p` has settled. */
function watch(p: Promise<void>): { settled: boolean } {
  const state = { settled: false };
  void p.then(() => (state.settled = true));
  return state;
}

// `analyze` loads the audit's modules once a big read is under way, not while its first small
// batches wait (commands.ts).
describe('readUnderWay', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('waits for 32 MB of a big input', async () => {
    const progress = progressOf(1024 * MB);
    const underWay = watch(readUnderWay(progress));
    progress.bytesDone = 31 * MB;
    await vi.advanceTimersByTimeAsync(1000);
    expect(underWay.settled).toBe(false);
    progress.bytesDone = 33 * MB;
    await vi.advanceTimersByTimeAsync(50);
    expect(underWay.settled).toBe(true);
  });

  it('or for every file to be done, whatever the bytes say (compressed input, a file that failed)', async () => {
    const progress = progressOf(1024 * MB, 2);
    const underWay = watch(readUnderWay(progress));
    progress.filesDone = 1;
    await vi.advanceTimersByTimeAsync(1000);
    expect(underWay.settled).toBe(false);
    progress.filesDone = 2;
    await vi.advanceTimersByTimeAsync(50);
    expect(underWay.settled).toBe(true);
  });

  it('does not wait on input too small for a decoding thread', async () => {
    const underWay = watch(readUnderWay(progressOf(DECODE_THREAD_MIN_BYTES - 1)));
    await vi.advanceTimersByTimeAsync(0);
    expect(underWay.settled).toBe(true);
  });
});
