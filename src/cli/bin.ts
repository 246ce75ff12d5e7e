#!/usr/bin/env node
import { main } from './main.js';

// The installed `flowaudit` command. Kept apart from main.ts so tests can import main() freely.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`flowaudit: internal error: ${(e as Error)?.message ?? String(e)}\n`);
    process.exitCode = 2;
  },
);
