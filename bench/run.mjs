// `npm run bench`: speed and memory of flowaudit on generated data, beside a plain read of the
// same files in the same run. Data is generated once under bench/data/ (gitignored).
// Figures: MB/s (10^6 bytes), packets or records per second, peak RSS.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const data = join(root, 'bench', 'data');
// e.g. `npm run bench -- capture` or `-- logs`; `-- fold`, `-- tail` and `-- repeat` only when named;
// `--pairs N`: how many runs of each command the capture part takes in turn (see PAIRED_RUNS).
const args = process.argv.slice(2);
const pairsAt = args.indexOf('--pairs');
const pairsArg = pairsAt >= 0 ? args.splice(pairsAt, 2)[1] : undefined;
const only = args;
const want = (name) => only.length === 0 || only.includes(name);

function ensure(file, generator, args) {
  if (existsSync(file)) return;
  console.log(`generating ${file} (once) ...`);
  execFileSync(process.execPath, [join(root, 'bench', generator), file, ...args], { stdio: 'inherit' });
}

function measure(label, args) {
  const r = spawnSync(process.execPath, [join(root, 'bench', 'measure.mjs'), ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const last = r.stderr.trim().split('\n').pop();
  let m;
  try {
    m = JSON.parse(last);
  } catch {
    console.error(`${label}: failed\n${r.stderr}`);
    process.exit(1);
  }
  return m;
}

/**
 * Reads `file` through once, so that the run after it finds it in the page cache. This host's
 * kernel reclaims cold page cache on its own (DAMON): `fincore` showed the 1 GB capture at 1016 MB
 * resident after a run and 989 MB twenty seconds later, idle, so a run read a varying share of it
 * from disk, and that share weighed on whichever command came after a pause.
 */
function warm(file) {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  try {
    while (readSync(fd, buf, 0, buf.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}

/**
 * Runs of `flows` and of `analyze` on the big capture, taken in turn. Twenty-one: on this shared
 * 2-core host (a VM whose CPU time the host takes back now and then) single pairs range from -25
 * to +45 %. The median of nine moved between 2.6 and 14.6 % over five runs of one build in one
 * afternoon, where thirty pairs gave 8.7 %; twenty-one narrow that spread by half. `--pairs N`
 * takes more: the median's interval narrows about as 1/sqrt(N) (61 pairs: ~10 minutes).
 */
const PAIRED_RUNS = pairsArg === undefined ? 21 : Number(pairsArg);
if (!Number.isInteger(PAIRED_RUNS) || PAIRED_RUNS < 1) {
  console.error(`--pairs takes a whole number of runs (1 or more), not ${pairsArg ?? 'nothing'}`);
  process.exit(2);
}

/**
 * A 95 % interval for the median of `sorted` (ascending): the order statistics whose ranks the
 * binomial distribution puts around it (the sign-test interval; no assumption about the spread of
 * the values, which on this host has long tails). With 21 values: the 6th and the 16th.
 */
function medianInterval(sorted) {
  const n = sorted.length;
  // P(X <= k) for X ~ Binomial(n, 1/2), summed until it passes 2.5 %.
  let k = 0;
  let cumulative = 0;
  let term = 0.5 ** n;
  while (k < n) {
    cumulative += term;
    if (cumulative > 0.025) break;
    term *= (n - k) / (k + 1);
    k++;
  }
  // k is the largest rank (1-based) with P(X < k) <= 2.5 %: the interval runs from the k-th
  // smallest to the k-th largest value.
  return [sorted[Math.max(0, k - 1)], sorted[Math.min(n - 1, n - k)]];
}

function row(label, bytes, units, unitName, m) {
  const s = m.ms / 1000;
  const mbps = bytes / 1e6 / s;
  console.log(
    `${label.padEnd(34)} ${s.toFixed(2).padStart(7)} s ${mbps.toFixed(0).padStart(6)} MB/s` +
      (units ? ` ${(units / s / 1e6).toFixed(2).padStart(6)} M ${unitName}/s` : ''.padStart(17)) +
      ` peak RSS ${m.maxRssMiB.toFixed(0).padStart(5)} MiB` +
      (m.code !== undefined && m.code !== 0 && m.code !== 1 ? `  (exit ${m.code})` : ''),
  );
  return { s, mbps };
}

/**
 * The fastest of `n` runs (this shared host's speed varies run to run), with the highest peak RSS
 * of any of them: memory is reported at its worst, not from the lucky run.
 */
function best(label, args, n = 2) {
  let bestM = null;
  let maxRssMiB = 0;
  for (let i = 0; i < n; i++) {
    const m = measure(label, args);
    maxRssMiB = Math.max(maxRssMiB, m.maxRssMiB);
    if (!bestM || m.ms < bestM.ms) bestM = m;
  }
  return { ...bestM, maxRssMiB };
}

const capinfosPackets = (file) => {
  try {
    const out = execFileSync('capinfos', ['-M', '-c', file], { encoding: 'utf8' });
    return Number(/Number of packets:\s+(\d+)/.exec(out)?.[1] ?? 0);
  } catch {
    return 0;
  }
};

/**
 * `flows` and `analyze` on `file`, PAIRED_RUNS times each in turn: their rows, and the median of
 * the pairs' ratios with its interval and the CPU time beside it.
 */
function flowsAgainstAnalyze(file, bytes, packets) {
  const out = mkdtempSync(join(tmpdir(), 'flowaudit-bench-'));
  // flows and analyze in turn, so that a drift of this shared host's speed weighs on both alike;
  // the overhead is the median of the pairs' ratios (a best-of-n on each side picks lucky runs).
  const flowsArgs = ['flows', file, '--format', 'zeek', '--output', '/dev/null', '--quiet'];
  const analyzeArgs = ['analyze', file, '--out', out, '--format', 'json', '--quiet'];
  const flowRuns = [];
  const analyzeRuns = [];
  for (let i = 0; i < PAIRED_RUNS; i++) {
    // Which command goes first alternates, so that whatever the one before leaves behind (a
    // process's exit, freed memory, the host's drift within a pair) weighs on both alike.
    const runFlows = () => {
      warm(file);
      flowRuns.push(measure('flows', flowsArgs));
    };
    const runAnalyze = () => {
      warm(file);
      analyzeRuns.push(measure('analyze', analyzeArgs));
    };
    if (i % 2 === 0) {
      runFlows();
      runAnalyze();
    } else {
      runAnalyze();
      runFlows();
    }
  }
  const fastest = (runs) => ({ ...runs.reduce((a, b) => (b.ms < a.ms ? b : a)), maxRssMiB: Math.max(...runs.map((r) => r.maxRssMiB)) });
  const flows = row('flowaudit flows --format zeek', bytes, packets, 'pkt', fastest(flowRuns));
  const analyze = row('flowaudit analyze --format json', bytes, packets, 'pkt', fastest(analyzeRuns));
  const ratios = flowRuns.map((f, i) => analyzeRuns[i].ms / f.ms - 1).sort((a, b) => a - b);
  const median = ratios[Math.floor(ratios.length / 2)];
  const medianMs = (runs) => runs.map((r) => r.ms).sort((a, b) => a - b)[Math.floor(runs.length / 2)];
  const [low, high] = medianInterval(ratios);
  console.log(
    `analyze costs ${(median * 100).toFixed(1)}% more than flows: median of ${PAIRED_RUNS} runs in turn ` +
      `(95% interval of that median ${(low * 100).toFixed(1)} to ${(high * 100).toFixed(1)}%) ` +
      `(range ${(ratios[0] * 100).toFixed(1)} to ${(ratios[ratios.length - 1] * 100).toFixed(1)}%; median runs ${((medianMs(analyzeRuns) / medianMs(flowRuns) - 1) * 100).toFixed(1)}%; ` +
      `fastest runs ${(((analyze.s - flows.s) / flows.s) * 100).toFixed(1)}%; target < 10%)`,
  );
  // CPU time (both threads) moves less with the host's load than wall time: the work itself.
  const cpuRatios = flowRuns.map((f, i) => analyzeRuns[i].cpuMs / f.cpuMs - 1).sort((a, b) => a - b);
  console.log(
    `  CPU time of both threads: ${(cpuRatios[Math.floor(cpuRatios.length / 2)] * 100).toFixed(1)}% more (median; ` +
      `flows ${Math.min(...flowRuns.map((r) => r.cpuMs)).toFixed(0)} ms, analyze ${Math.min(...analyzeRuns.map((r) => r.cpuMs)).toFixed(0)} ms at best)`,
  );
  rmSync(out, { recursive: true, force: true });
}

if (want('capture')) {
  // `.v2`: generated since each IPv6 host keeps one address both ways (data of the first
  // generator, whose IPv6 replies came from another subnet, is not reused).
  const big = join(data, 'capture-1g.v2.pcap');
  const small = join(data, 'capture-256m.v2.pcap');
  ensure(big, 'gen-capture.mjs', ['1024', '50000']);
  ensure(small, 'gen-capture.mjs', ['256', '12500']);
  const bytes = statSync(big).size;
  const packets = capinfosPackets(big);
  console.log(`\ncapture: ${(bytes / 1e6).toFixed(0)} MB, ${packets.toLocaleString('en-US')} packets, 50,000 flows`);
  row('plain read (1 MiB chunks)', bytes, packets, 'pkt', best('plain', ['plain-read', big]));
  flowsAgainstAnalyze(big, bytes, packets);
  const smallM = measure('flows 256 MB', ['flows', small, '--format', 'zeek', '--output', '/dev/null', '--quiet']);
  row('flowaudit flows on a 256 MB capture', statSync(small).size, 0, '', smallM);
}

// Only when asked (`npm run bench -- repeat`): the same comparison on a capture of the same size
// and flows between 16 clients and 8 servers, whose flows repeat a few thousand host pairs, as a
// capture taken on a sync server or a DC does; the main capture's flows are each a pair of its own.
if (only.includes('repeat')) {
  const file = join(data, 'capture-1g-repeat.pcap');
  ensure(file, 'gen-capture.mjs', ['1024', '50000', '16', '8']);
  const bytes = statSync(file).size;
  const packets = capinfosPackets(file);
  console.log(`\ncapture with repeat host pairs: ${(bytes / 1e6).toFixed(0)} MB, ${packets.toLocaleString('en-US')} packets, 50,000 flows, 16 clients, 8 servers`);
  flowsAgainstAnalyze(file, bytes, packets);
}

// Only when asked (`npm run bench -- fold`, `-- tail`): the two parts of `analyze` that `flows`
// does not do, alone, which vary far less than whole runs: the fold of the capture's flows while
// it is read (see bench/fold.mjs), and roles, audit and report after its last packet (bench/tail.mjs).
for (const part of ['fold', 'tail']) {
  if (!only.includes(part)) continue;
  const big = join(data, 'capture-1g.v2.pcap');
  ensure(big, 'gen-capture.mjs', ['1024', '50000']);
  console.log('');
  execFileSync(process.execPath, [join(root, 'bench', `${part}.mjs`), big], { stdio: 'inherit' });
}

if (want('logs')) {
  const nsgTree = join(data, 'nsg-tree');
  const fw = join(data, 'pfirewall-1g.log');
  ensure(nsgTree, 'gen-nsg.mjs', ['10000000']);
  ensure(fw, 'gen-pfirewall.mjs', ['1024']);
  const treeBytes = Number(execFileSync('du', ['-sb', nsgTree], { encoding: 'utf8' }).split('\t')[0]);
  const fwBytes = statSync(fw).size;
  const fwLines = Number(execFileSync('wc', ['-l', fw], { encoding: 'utf8' }).trim().split(' ')[0]);
  const out = mkdtempSync(join(tmpdir(), 'flowaudit-bench-'));
  console.log(`\nNSG v2 tree: ${(treeBytes / 1e6).toFixed(0)} MB, 10,000,000 tuples`);
  row('flowaudit flows --format zeek (NSG tree)', treeBytes, 10_000_000, 'tuples', best('nsgflows', ['flows', nsgTree, '--format', 'zeek', '--output', '/dev/null', '--quiet'], 1));
  row('flowaudit analyze (NSG tree)', treeBytes, 10_000_000, 'tuples', best('nsg', ['analyze', nsgTree, '--out', out, '--format', 'json', '--quiet'], 3));
  row('  same, --workers 0 (one thread)', treeBytes, 10_000_000, 'tuples', best('nsg1', ['analyze', nsgTree, '--out', out, '--format', 'json', '--quiet', '--workers', '0'], 1));
  console.log(`\npfirewall.log: ${(fwBytes / 1e6).toFixed(0)} MB, ${fwLines.toLocaleString('en-US')} lines`);
  row('plain read (1 MiB chunks)', fwBytes, fwLines, 'lines', best('plain', ['plain-read', fw], 1));
  row('flowaudit flows --format zeek', fwBytes, fwLines, 'lines', best('fwflows', ['flows', fw, '--format', 'zeek', '--output', '/dev/null', '--quiet'], 1));
  row('flowaudit analyze (pfirewall)', fwBytes, fwLines, 'lines', best('fw', ['analyze', fw, '--out', out, '--format', 'json', '--quiet'], 2));
  rmSync(out, { recursive: true, force: true });
}
