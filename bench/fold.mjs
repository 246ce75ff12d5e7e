// The cost of folding a capture's flows into the audit's summary (FlowSummary.add), alone: the
// part of `analyze` that `flows` does not do while a capture is read. Whole `analyze` runs vary by
// ±300 ms on a shared host; this varies by ~15 ms, so a change to the fold can be measured.
//
// The capture's flows are read once (with the current build) and written with v8.serialize; each
// run is then a fresh process that reads them back, collects the garbage, and times one fold, cold
// as in `analyze` (V8 optimises the fold while it runs).
//
// Usage: node bench/fold.mjs CAPTURE [RUNS] [--against ROOT]   (after `npm run build`; `npm run bench -- fold`)
// With --against, the runs alternate between this build and the built checkout at ROOT (its
// dist/), run by run: the host's speed drifts within minutes, so one series and then the other misleads.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';

const root = new URL('..', import.meta.url).pathname;
const dist = (path, base = root) => join(base, 'dist', 'src', path);

if (process.argv[2] === '--child') {
  // One run: fold the flows of the file once with the build at the given root, print the milliseconds.
  const { FlowSummary } = await import(dist('flows/summary.js', process.argv[4]));
  const flows = v8.deserialize(readFileSync(process.argv[3]));
  globalThis.gc();
  const summary = new FlowSummary();
  const t0 = performance.now();
  for (const flow of flows) summary.add(flow);
  const ms = performance.now() - t0;
  process.stdout.write(`${JSON.stringify({ ms, flows: flows.length, pairs: summary.toTransfer().pairs.count })}\n`);
} else {
  const args = process.argv.slice(2);
  const against = args.indexOf('--against');
  const other = against >= 0 ? args.splice(against, 2)[1] : undefined;
  const [capture, runsArg] = args;
  if (!capture || (against >= 0 && !other)) {
    console.error('usage: node bench/fold.mjs CAPTURE [RUNS] [--against ROOT]');
    process.exit(2);
  }
  const runs = Number(runsArg ?? 15);
  const builds = other === undefined ? [root] : [root, other];
  const { readOneFile } = await import(dist('cli/read.js'));
  const { DiagnosticSink } = await import(dist('common/diagnostics.js'));
  const flows = [];
  // structuredClone: the flows as plain data, as the fold receives them (no table state attached).
  await readOneFile({ path: capture }, {}, new DiagnosticSink(), (flow) => flows.push(structuredClone(flow)));
  const dir = mkdtempSync(join(tmpdir(), 'flowaudit-fold-'));
  const file = join(dir, 'flows.v8');
  writeFileSync(file, v8.serialize(flows));
  const times = builds.map(() => []);
  let last;
  for (let i = 0; i < runs; i++) {
    // In turn, and in the other order every second run.
    const order = i % 2 === 0 ? builds.keys() : [...builds.keys()].reverse();
    for (const b of order) {
      const out = execFileSync(process.execPath, ['--expose-gc', new URL(import.meta.url).pathname, '--child', file, builds[b]], { encoding: 'utf8' });
      last = JSON.parse(out);
      times[b].push(last.ms);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  console.log(`fold of ${last.flows.toLocaleString('en-US')} flows into ${last.pairs.toLocaleString('en-US')} host pairs, one cold run per process, ${runs} runs:`);
  builds.forEach((build, b) => {
    const t = times[b].sort((x, y) => x - y);
    const at = (q) => t[Math.floor(q * (t.length - 1))];
    console.log(
      `  ${b === 0 ? 'this build' : build}: median ${at(0.5).toFixed(0)} ms (${((at(0.5) * 1000) / last.flows).toFixed(2)} µs a flow), ` +
        `lower quartile ${at(0.25).toFixed(0)} ms, fastest ${t[0].toFixed(0)} ms`,
    );
  });
}
