import { describe, expect, it } from 'vitest';
import { DropRuns, MAX_HELD_RUNS, type TransportCode } from '../../../src/sources/drop-runs.js';

interface Line {
  transport: TransportCode;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  path: number;
  ts: number;
}

/** The runs as a plain map would make them: per key, a new run after a silence over the timeout. */
function naiveRuns(lines: Line[], timeouts: readonly number[]): number[] {
  const open = new Map<string, { last: number; lines: number }>();
  const done: number[] = [];
  for (const l of lines) {
    const key = [l.transport, l.src, l.sport, l.dst, l.dport, l.path].join('|');
    const run = open.get(key);
    if (run && Math.abs(l.ts - run.last) <= timeouts[l.transport]) {
      run.last = Math.max(run.last, l.ts);
      run.lines++;
      continue;
    }
    if (run) done.push(run.lines);
    open.set(key, { last: l.ts, lines: 1 });
  }
  for (const r of open.values()) done.push(r.lines);
  return done.sort((a, b) => a - b);
}

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function runAll(lines: Line[], timeouts: [number, number, number]): { sizes: number[]; firstLines: number[] } {
  const sizes: number[] = [];
  const firstLines: number[] = [];
  const runs = new DropRuns(timeouts, (run) => {
    sizes.push(run.lines);
    firstLines.push(run.line);
  });
  lines.forEach((l, i) => runs.add(l.transport, l.src, l.sport, l.dst, l.dport, l.path, 0, l.ts, 60, false, -1, i + 1));
  runs.flush();
  return { sizes: sizes.sort((a, b) => a - b), firstLines };
}

describe('DropRuns', () => {
  it('makes the same runs as a plain map, over many interleaved 5-tuples, gaps and transports', () => {
    const rnd = mulberry32(7);
    const lines: Line[] = [];
    let ts = 1_700_000_000_000_000;
    for (let i = 0; i < 20_000; i++) {
      ts += Math.floor(rnd() * 4_000_000); // up to 4 s between lines
      lines.push({
        transport: Math.floor(rnd() * 3) as TransportCode,
        src: `10.0.${Math.floor(rnd() * 3)}.${Math.floor(rnd() * 40)}`,
        sport: 50_000 + Math.floor(rnd() * 5),
        dst: rnd() < 0.5 ? '10.0.0.10' : 'fd00::10',
        dport: [88, 389, 445][Math.floor(rnd() * 3)],
        path: 1 + Math.floor(rnd() * 2),
        ts,
      });
    }
    const timeouts: [number, number, number] = [300_000_000, 60_000_000, 30_000_000];
    const { sizes } = runAll(lines, timeouts);
    expect(sizes).toEqual(naiveRuns(lines, timeouts));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(lines.length);
    expect(sizes.length).toBeLessThan(lines.length);
  });

  it(`holds at most ${MAX_HELD_RUNS} runs per transport: the oldest is ended early, its lines never lost`, () => {
    const n = MAX_HELD_RUNS + 10;
    const lines: Line[] = [];
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < n; i++) lines.push({ transport: 1, src: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, sport: 1000, dst: '10.0.0.10', dport: 53, path: 1, ts: 1e15 + round });
    }
    const { sizes } = runAll(lines, [300e6, 60e6, 60e6]);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(2 * n);
    // The first 10 were ended to make room; their second lines start runs of their own and push
    // out the next ones in turn: runs are cut in two (more runs than keys), but no line is lost.
    expect(sizes.length).toBeGreaterThan(n);
    expect(sizes.every((s) => s === 1 || s === 2)).toBe(true);
  });
});
