#!/usr/bin/env node
import { prestartDecodeThreadFor } from './prestart.js';

// The installed `flowaudit` command. Kept apart from main.ts so tests can import main() freely.

// A big capture's decoding thread starts first, so that it loads while the rest of us does.
prestartDecodeThreadFor(process.argv.slice(2));
const { main } = await import('./main.js');

// `flowaudit ... | head` closes the pipe early: stop quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`flowaudit: internal error: ${(e as Error)?.message ?? String(e)}\n`);
    process.exitCode = 2;
  },
);
