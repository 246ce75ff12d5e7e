import { mkdirSync, rmdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../common/diagnostics.js';

/**
 * Creates `dir` and any missing parents, one level at a time. Not `mkdirSync(dir, { recursive:
 * true })`: on Node 20 that loops forever when the kernel answers ENOENT for a parent that exists
 * (`--out /proc/x`, some network and FUSE file systems), and a hang is the one outcome a batch
 * audit must never meet. Every failure is a UsageError naming the folder and the reason.
 * Returns the folders it created, outermost first (see {@link removeMadeDirs}).
 */
export function makeDir(dir: string): string[] {
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    let st;
    try {
      st = statSync(at);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ENOTDIR: a parent is a file; walking up finds it and says so.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new UsageError(`cannot create ${dir}: ${code} (${at})`);
      const up = dirname(at);
      if (up === at) throw new UsageError(`cannot create ${dir}: ${code}`);
      missing.push(at);
      at = up;
      continue;
    }
    if (!st.isDirectory()) throw new UsageError(`cannot create ${dir}: ${at} is not a folder`);
    break;
  }
  for (let i = missing.length - 1; i >= 0; i--) {
    try {
      mkdirSync(missing[i]);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statSync(missing[i], { throwIfNoEntry: false })?.isDirectory()) continue; // made meanwhile
      throw new UsageError(`cannot create ${dir}: ${code}${missing[i] !== resolve(dir) ? ` (${missing[i]})` : ''}`);
    }
  }
  return missing.reverse();
}

/** Removes folders {@link makeDir} created, innermost first, as long as they are still empty. */
export function removeMadeDirs(made: string[]): void {
  for (let i = made.length - 1; i >= 0; i--) {
    try {
      rmdirSync(made[i]);
    } catch {
      return; // not empty (or gone): keep it and its parents
    }
  }
}
