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
// dist/), run by run (bench/cold-runs.mjs).
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import { coldRuns, dist } from './cold-runs.mjs';

if (process.argv[2] === '--child') {
  // One run: fold the flows of the file once with the build at the given root, print the milliseconds.
  const { FlowSummary } = await import(dist('flows/summary.js', process.argv[4]));
  const { flows } = v8.deserialize(readFileSync(process.argv[3]));
  globalThis.gc();
  const summary = new FlowSummary();
  const t0 = performance.now();
  for (const flow of flows) summary.add(flow);
  const ms = performance.now() - t0;
  process.stdout.write(`${JSON.stringify({ ms, flows: flows.length, pairs: summary.toTransfer().pairs.count })}\n`);
} else {
  const { runs, builds, outputs } = await coldRuns(new URL(import.meta.url).pathname);
  const last = outputs[0].at(-1);
  console.log(`fold of ${last.flows.toLocaleString('en-US')} flows into ${last.pairs.toLocaleString('en-US')} host pairs, one cold run per process, ${runs} runs:`);
  builds.forEach((build, b) => {
    const t = outputs[b].map((o) => o.ms).sort((x, y) => x - y);
    const at = (q) => t[Math.floor(q * (t.length - 1))];
    console.log(
      `  ${b === 0 ? 'this build' : build}: median ${at(0.5).toFixed(0)} ms (${((at(0.5) * 1000) / last.flows).toFixed(2)} µs a flow), ` +
        `lower quartile ${at(0.25).toFixed(0)} ms, fastest ${t[0].toFixed(0)} ms`,
    );
  });
}
