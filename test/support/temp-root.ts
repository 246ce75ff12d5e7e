import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Vitest global setup: one temporary folder for the whole test run, removed at its end. Tests make
 * their folders with mkdtemp under os.tmpdir(), which reads TMPDIR on every call, and the test
 * workers and the command-line runs they start inherit TMPDIR: everything a run writes lands here.
 * Without it every run left ~50 MB behind (8 GB over a few hundred runs on the development machine).
 */
export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'flowaudit-tests-'));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(root, { recursive: true, force: true });
  };
}
