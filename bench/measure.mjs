// Runs one flowaudit command in this process and prints {ms, maxRssMiB, code} as JSON on the last
// line of stderr. Used by bench/run.mjs so each measurement gets a fresh process (peak RSS is per process).
import { performance } from 'node:perf_hooks';
const [mode, ...args] = process.argv.slice(2);
const t0 = performance.now();
let code = 0;
if (mode === 'plain-read') {
  // The yardstick: a plain read of the file in 1 MiB chunks, nothing else.
  const { open } = await import('node:fs/promises');
  const fh = await open(args[0], 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  let total = 0;
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, buf.length, null);
    if (bytesRead === 0) break;
    total += bytesRead;
  }
  await fh.close();
} else {
  // As the installed command does (src/cli/bin.ts): a big capture's decoding thread starts, and
  // starts reading, before the rest of the program loads. Without it the bench timed a start-up
  // no user gets.
  const { prestartDecodeThreadFor } = await import('../dist/src/cli/prestart.js');
  prestartDecodeThreadFor([mode, ...args]);
  const { main } = await import('../dist/src/cli/main.js');
  code = await main([mode, ...args]);
}
const ms = performance.now() - t0;
// CPU time of every thread of the process (the decoding thread too), user and system.
const usage = process.resourceUsage();
const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;
process.stderr.write('\n' + JSON.stringify({ ms, cpuMs, maxRssMiB: usage.maxRSS / 1024, code }) + '\n');
