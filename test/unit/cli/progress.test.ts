import { describe, expect, it } from 'vitest';
import { ProgressBar, formatBytes, type ProgressState } from '../../../src/cli/progress.js';

/** A stand-in for a terminal stream: records what the bar writes. */
function fakeTerminal(columns = 100) {
  const writes: string[] = [];
  const stream = { isTTY: true, columns, write: (s: string) => (writes.push(s), true) } as unknown as NodeJS.WriteStream;
  return { stream, writes };
}

describe('progress bar', () => {
  it('shows files, bytes, flows and an ETA on one line that redraws in place', () => {
    const state: ProgressState = { filesDone: 3, filesTotal: 12, bytesDone: 256 * 1024 * 1024, bytesTotal: 1024 * 1024 * 1024, flows: 51234, currentFile: 'a.pcap' };
    const { stream, writes } = fakeTerminal();
    const bar = new ProgressBar(state, stream);
    bar.draw();
    const line = writes.join('');
    expect(line.startsWith('\r[')).toBe(true);
    expect(line).toContain(' 25% files 3/12');
    expect(line).toContain('256 MiB/1.0 GiB');
    expect(line).toContain('flows 51,234');
    expect(line).toMatch(/ETA (\d+[smh]|--)/);
    expect(line.includes('\n')).toBe(false);
    expect(line.length).toBeLessThanOrEqual(100);
    bar.stop();
    expect(writes.at(-1)).toMatch(/^\r +\r$/); // cleared before anything else is printed
  });

  it('stays within a narrow terminal', () => {
    const state: ProgressState = { filesDone: 0, filesTotal: 1, bytesDone: 0, bytesTotal: 10, flows: 0, currentFile: '' };
    const { stream, writes } = fakeTerminal(50);
    new ProgressBar(state, stream).draw();
    expect(writes.join('').replace('\r', '').length).toBeLessThanOrEqual(49);
  });

  it('is wanted only on a terminal and without --quiet', () => {
    const tty = { isTTY: true } as NodeJS.WriteStream;
    const pipe = { isTTY: false } as NodeJS.WriteStream;
    const term = process.env.TERM;
    process.env.TERM = 'xterm';
    expect(ProgressBar.wanted(false, tty)).toBe(true);
    expect(ProgressBar.wanted(true, tty)).toBe(false);
    expect(ProgressBar.wanted(false, pipe)).toBe(false);
    process.env.TERM = term;
  });

  it('formats byte counts in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(300 * 1024 * 1024)).toBe('300 MiB');
  });
});
