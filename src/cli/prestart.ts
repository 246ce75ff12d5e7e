import { statSync } from 'node:fs';
import { CaptureDecodeThread, DECODE_THREAD_MIN_BYTES } from './capture-pipeline.js';

/** Commands that read inputs. */
const READING_COMMANDS = new Set(['flows', 'analyze', 'roles']);

/**
 * Starts the capture decoding thread before the rest of the program has loaded, when the command
 * line names a file big enough to be decoded in it (read.ts decides for real, per file): the
 * thread's own start-up (~50 ms) then overlaps ours instead of following it. A wrong guess costs
 * an idle thread that does not keep the process alive.
 */
export function prestartDecodeThreadFor(argv: readonly string[]): void {
  try {
    if (namesBigInput(argv, DECODE_THREAD_MIN_BYTES)) CaptureDecodeThread.tryShared();
  } catch {
    // Only a head start: an argument we cannot stat (EACCES ...) is the command's business.
  }
}

/** Whether `argv` runs a reading command, not limited to one thread (`--workers 0` or `1`), on a file of `minBytes` or more. */
export function namesBigInput(argv: readonly string[], minBytes: number): boolean {
  const command = argv.find((a) => !a.startsWith('-'));
  if (command === undefined || !READING_COMMANDS.has(command)) return false;
  const at = argv.indexOf('--workers');
  const workers = at >= 0 ? argv[at + 1] : argv.find((a) => a.startsWith('--workers='))?.slice('--workers='.length);
  if (workers !== undefined && Number(workers) <= 1) return false;
  return argv.some((arg) => {
    if (arg.startsWith('-') || arg === command) return false;
    const st = statSync(arg, { throwIfNoEntry: false });
    return st !== undefined && st.isFile() && st.size >= minBytes;
  });
}
