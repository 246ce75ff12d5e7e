// Micro-benchmark of the flow-log readers alone (no summary, no audit): records/s of the NSG/VNet,
// pfirewall or CSV reader with a no-op flow callback, single-threaded.
//
//   npm run build && node bench/read-flowlog.mjs FILE_OR_DIR [repeats=3] [compiledSrcDir=dist/src]
//
// A directory is walked recursively (every regular file is read, in sorted order). The format of
// each file is sniffed as the CLI does. Prints the best of `repeats` passes (the first warms the JIT
// and the page cache): tuples (NSG/VNet) or lines (pfirewall, CSV) per second of wall time and per
// second of CPU time (less noisy on a shared machine, but it counts V8's GC helper threads too),
// flows per second, MB/s, and the user CPU and peak RSS of the whole process.
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const target = process.argv[2];
if (target === undefined) {
  console.error('usage: node bench/read-flowlog.mjs FILE_OR_DIR [repeats=3] [compiledSrcDir=dist/src]');
  process.exit(2);
}
const repeats = Number(process.argv[3] ?? 3);
const srcDir = resolve(process.argv[4] ?? 'dist/src');
const load = (p) => import(pathToFileURL(join(srcDir, p)).href);
const { openInput, closeInput, sniffFormat } = await load('sources/input.js');
const { readNsg } = await load('sources/flowlog-nsg.js');
const { readVnet } = await load('sources/flowlog-vnet.js');
const { readPfirewall } = await load('sources/flowlog-pfirewall.js');
const { readCsv } = await load('sources/flowlog-csv.js');
const { DiagnosticSink } = await load('common/diagnostics.js');

const readers = { nsg: readNsg, vnet: readVnet, pfirewall: readPfirewall, csv: readCsv };

function walk(path, out) {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) walk(join(path, name), out);
  } else {
    out.push(path);
  }
  return out;
}
const files = walk(resolve(target), []);

async function pass() {
  let records = 0;
  let flows = 0;
  let bytes = 0;
  const formats = new Set();
  const onFlow = () => {
    flows++;
  };
  const t = performance.now();
  const cpu0 = process.cpuUsage();
  for (const path of files) {
    const input = await openInput(path);
    const format = sniffFormat(input.head);
    const read = readers[format];
    if (read === undefined) {
      await closeInput(input);
      continue;
    }
    formats.add(format);
    const summary = await read(input, { diag: new DiagnosticSink() }, onFlow);
    await closeInput(input);
    records += summary.records;
    bytes += summary.bytes;
  }
  const cpu = process.cpuUsage(cpu0);
  return { s: (performance.now() - t) / 1000, cpu: (cpu.user + cpu.system) / 1e6, records, flows, bytes, formats: [...formats].join('+') };
}

let best = null;
let bestCpu = Infinity;
for (let rep = 0; rep < repeats; rep++) {
  const r = await pass();
  if (best === null || r.s < best.s) best = r;
  bestCpu = Math.min(bestCpu, r.cpu);
}
const ru = process.resourceUsage();
const unit = best.formats === 'nsg' || best.formats === 'vnet' ? 'tuples' : 'records';
console.log(
  `${best.formats} (${files.length} files): ${(best.records / best.s / 1e6).toFixed(3)} M ${unit}/s, ` +
    `${(best.flows / best.s / 1e6).toFixed(3)} M flows/s, ${(best.bytes / best.s / 1e6).toFixed(0)} MB/s ` +
    `(${best.records} ${unit}, ${best.flows} flows, best of ${repeats}: ${best.s.toFixed(2)} s); ` +
    `per CPU second (main thread + GC helpers, best pass): ${(best.records / bestCpu / 1e6).toFixed(3)} M ${unit}; ` +
    `process user ${(ru.userCPUTime / 1e6).toFixed(1)} s, peak RSS ${(ru.maxRSS / 1024).toFixed(0)} MB`,
);
