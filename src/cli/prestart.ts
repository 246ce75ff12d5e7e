import { statSync } from 'node:fs';
import { CaptureDecodeThread, DECODE_THREAD_MIN_BYTES } from './capture-pipeline.js';

/** Commands that read inputs. */
const READING_COMMANDS = new Set(['flows', 'analyze', 'roles']);

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
 * The first file of `minBytes` or more that `argv` names, when it runs a reading command not
 * limited to one thread (`--workers 0` or `1`); else null.
 */
export function bigInputOf(argv: readonly string[], minBytes: number): string | null {
  const command = argv.find((a) => !a.startsWith('-'));
  if (command === undefined || !READING_COMMANDS.has(command)) return null;
  const at = argv.indexOf('--workers');
  const workers = at >= 0 ? argv[at + 1] : argv.find((a) => a.startsWith('--workers='))?.slice('--workers='.length);
  if (workers !== undefined && Number(workers) <= 1) return null;
  const big = argv.find((arg) => {
    if (arg.startsWith('-') || arg === command) return false;
    const st = statSync(arg, { throwIfNoEntry: false });
    return st !== undefined && st.isFile() && st.size >= minBytes;
  });
  return big ?? null;
}
