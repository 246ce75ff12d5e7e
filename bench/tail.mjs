// The part of `analyze` that runs after a capture's last packet, alone: roles, the audit and the
// JSON report over the summary of the capture's flows. It runs once, over every host pair and
// address, mostly before V8 has optimised it; whole `analyze` runs vary by ±300 ms on a shared host,
// so a change to it is measured here, step by step.
//
// The capture's flows are read once (with the current build) and written with v8.serialize, with
// the file's read result. Each run is then a fresh process that reads them back, folds them into a
// summary (untimed: in `analyze` the fold is warm by the end of the capture, the tail's code is
// not), collects the garbage, and times each step of the tail once, cold as in `analyze`.
//
// Usage: node bench/tail.mjs CAPTURE [RUNS] [--against ROOT]   (after `npm run build`; `npm run bench -- tail`)
// With --against, the runs alternate between this build and the built checkout at ROOT (its
// dist/), run by run, in the other order every second run (bench/cold-runs.mjs).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import v8 from 'node:v8';
import { coldRuns, dist, median } from './cold-runs.mjs';

if (process.argv[2] === '--child') {
  // One run: fold the flows (untimed), then time the tail with the build at the given root.
  const base = process.argv[4];
  const { FlowSummary } = await import(dist('flows/summary.js', base));
  const { DiagnosticSink } = await import(dist('common/diagnostics.js', base));
  const { auditCollected, auditSetup } = await import(dist('cli/commands.js', base));
  const { renderJson } = await import(dist('report/json.js', base));
  const input = v8.deserialize(readFileSync(process.argv[3]));
  const { file } = input;
  const summary = new FlowSummary();
  for (const flow of input.flows) summary.add(flow);
  // In `analyze` no flow outlives its fold: neither may these, or each GC of the tail would mark them.
  input.flows = null;
  const setup = await auditSetup({ feature: [], failOn: [], role: [] });
  const out = join(process.argv[5], `report-${process.pid}.json`);
  globalThis.gc();
  // What auditCollected marks (roles, audit), as FLOWAUDIT_TIMING's StepTimes does.
  const steps = {};
  let at = performance.now();
  const times = {
    mark(step) {
      const now = performance.now();
      steps[step] = now - at;
      at = now;
    },
  };
  // As auditInputs and runAnalyze do after the read.
  const data = summary.toData({ share: true });
  times.mark('summary');
  const result = await auditCollected(data, { summary, files: [file], diag: new DiagnosticSink() }, setup, new Date(0), times);
  writeFileSync(out, renderJson(result));
  times.mark('write');
  process.stdout.write(`${JSON.stringify({ steps, pairs: data.pairs.length, hosts: result.hosts.length })}\n`);
} else {
  const { runs, builds, outputs } = await coldRuns(new URL(import.meta.url).pathname);
  const last = outputs[0].at(-1);
  console.log(
    `after the last packet, ${last.pairs.toLocaleString('en-US')} host pairs, ${last.hosts.toLocaleString('en-US')} hosts with a role; ` +
      `one cold run per process, ${runs} runs, medians:`,
  );
  builds.forEach((build, b) => {
    const runsOf = outputs[b].map((o) => o.steps);
    const steps = Object.keys(runsOf[0]);
    const parts = steps.map((s) => `${s} ${median(runsOf.map((t) => t[s])).toFixed(1)}`);
    const total = median(runsOf.map((t) => steps.reduce((sum, s) => sum + t[s], 0)));
    console.log(`  ${b === 0 ? 'this build' : build}: ${parts.join(' · ')} · total ${total.toFixed(1)} ms`);
  });
}
