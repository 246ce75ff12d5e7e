import { statSync } from 'node:fs';
import { CaptureDecodeThread, DECODE_THREAD_MIN_BYTES } from './capture-pipeline.js';
import type { InputFile } from './inputs.js';
import { chooseWorkers } from './reading-threads.js';

/** Commands that read inputs, and those of them that may read with several threads (collect.ts). */
const READING_COMMANDS = new Set(['flows', 'analyze', 'roles']);
const THREADED_COMMANDS = new Set(['analyze', 'roles']);

/** The reading commands' options that take no value: every other option is followed by its value. */
const VALUELESS_OPTIONS = new Set(['-q', '--quiet', '-h', '--help']);

/**
 * Starts the capture decoding thread before the rest of the program has loaded, when the command
 * line names a file big enough to be decoded in it (read.ts decides for real, per file): the
 * thread's own start-up (~50 ms) then overlaps ours instead of following it, and it starts reading
 * and decoding that file at once (its head start, held until read.ts asks for that file). A wrong
 * guess costs an idle thread, and at most a few batches decoded for nothing; it does not keep the
 * process alive.
 */
export function prestartDecodeThreadFor(argv: readonly string[]): void {
  try {
    const big = bigInputOf(argv, DECODE_THREAD_MIN_BYTES);
    if (big !== null) CaptureDecodeThread.tryShared(big);
  } catch {
    // Only a head start: an argument we cannot stat (EACCES ...) is the command's business.
  }
}

/**
 * The first file of `minBytes` or more that `argv` names, when it runs a reading command that will
 * read it in this thread, with the decoding thread: not with `--workers 0` or `1` (no decoding
 * thread), nor with reading threads (analyze and roles, by the rule of {@link chooseWorkers}: they
 * decode captures themselves). Not for analyze or roles with a folder among the inputs either: its
 * files are not listed this early, and may well go to reading threads. Else null.
 */
export function bigInputOf(argv: readonly string[], minBytes: number): string | null {
  const command = argv.find((a) => !a.startsWith('-'));
  if (command === undefined || !READING_COMMANDS.has(command)) return null;
  const inputs = new Set<string>();
  let workers: string | undefined;
  for (let i = argv.indexOf(command) + 1; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-' || !arg.startsWith('-')) {
      inputs.add(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const value = eq >= 0 ? arg.slice(eq + 1) : VALUELESS_OPTIONS.has(arg) ? undefined : argv[++i];
    if ((eq >= 0 ? arg.slice(0, eq) : arg) === '--workers') workers = value;
  }
  const requested = workers === undefined ? undefined : Number(workers);
  if (requested !== undefined && requested <= 1) return null;
  const files: InputFile[] = [];
  for (const input of inputs) {
    if (input === '-') {
      files.push({ path: input, size: 0 });
      continue;
    }
    const st = statSync(input, { throwIfNoEntry: false });
    if (st === undefined) continue; // the command will say so
    if (st.isDirectory()) {
      if (THREADED_COMMANDS.has(command)) return null;
    } else {
      files.push({ path: input, size: st.size });
    }
  }
  if (THREADED_COMMANDS.has(command) && chooseWorkers(files, requested) >= 2) return null;
  return files.find((f) => f.path !== '-' && f.size >= minBytes)?.path ?? null;
}
