import { availableParallelism } from 'node:os';
import type { InputFile } from './inputs.js';

/**
 * How many threads should read these files, this one included: both cores when there are many
 * files. 0 or 1 means this thread only; N >= 2 means this thread and N - 1 worker threads.
 * Standard input (`-`) among the files means this thread only, whatever was requested: a worker
 * thread has no standard input of its own and would read `-` as empty.
 *
 * A module of its own, without collect.ts's imports: prestart.ts asks it too, before the rest of
 * the program has loaded.
 */
export function chooseWorkers(files: InputFile[], requested: number | undefined): number {
  if (files.some((f) => f.path === '-')) return 0;
  if (requested !== undefined) return Math.max(0, Math.floor(requested));
  if (files.length < 4) return 0;
  const total = files.reduce((s, f) => s + f.size, 0);
  if (total < 4 * 1024 * 1024) return 0; // thread start-up costs more than it saves
  return Math.min(files.length, Math.max(1, availableParallelism()));
}
