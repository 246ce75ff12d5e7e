// The parent side of bench/fold.mjs and bench/tail.mjs: each times one part of `analyze` alone, cold,
// in a fresh process per run, on the flows of a capture read once, and can alternate with another
// built checkout (--against ROOT) run by run: the host's speed drifts within minutes, so one series
// and then the other misleads.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';

export const root = new URL('..', import.meta.url).pathname;

/** A module of the build at `base` (this checkout by default). */
export const dist = (path, base = root) => join(base, 'dist', 'src', path);

/**
 * Parses `CAPTURE [RUNS] [--against ROOT]` (exits 2 with the usage line on a mistake), reads the
 * capture's flows once with this build, and writes them (and the file's read result) with
 * v8.serialize for the runs. Then runs `script --child DATA ROOT DIR` RUNS times per build, in
 * turn and in the other order every second run, and returns each build's parsed outputs (the
 * child prints one JSON line). DIR is a scratch folder the child may write into.
 */
export async function coldRuns(script) {
  const args = process.argv.slice(2);
  const against = args.indexOf('--against');
  const other = against >= 0 ? args.splice(against, 2)[1] : undefined;
  const [capture, runsArg] = args;
  const name = script.split('/').pop();
  if (!capture || (against >= 0 && !other)) {
    console.error(`usage: node bench/${name} CAPTURE [RUNS] [--against ROOT]`);
    process.exit(2);
  }
  const runs = Number(runsArg ?? 15);
  const builds = other === undefined ? [root] : [root, other];
  const { readOneFile } = await import(dist('cli/read.js'));
  const { DiagnosticSink } = await import(dist('common/diagnostics.js'));
  const flows = [];
  // structuredClone: the flows as plain data, as the fold receives them (no table state attached).
  const file = await readOneFile({ path: capture }, {}, new DiagnosticSink(), (flow) => flows.push(structuredClone(flow)));
  const dir = mkdtempSync(join(tmpdir(), `flowaudit-${name.replace(/\.mjs$/, '')}-`));
  const data = join(dir, 'flows.v8');
  writeFileSync(data, v8.serialize({ flows, file }));
  const outputs = builds.map(() => []);
  try {
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? builds.keys() : [...builds.keys()].reverse();
      for (const b of order) {
        const out = execFileSync(process.execPath, ['--expose-gc', script, '--child', data, builds[b], dir], { encoding: 'utf8' });
        outputs[b].push(JSON.parse(out));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { runs, builds, outputs };
}

/** The median of `xs` (the lower of the middle two for an even count). */
export const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)];
