import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DiagnosticSink } from '../../src/common/diagnostics.js';
import type { Flow } from '../../src/flows/types.js';
import { readOneFile, type FileReadResult, type ReadOptions } from '../../src/cli/read.js';
import { statSync } from 'node:fs';

/**
 * The corpus of real third-party captures and logs lives outside the repo (see
 * ../shared/corpus/README.md): FLOWAUDIT_CORPUS names it, else ../shared/corpus beside the repo.
 */
export function corpusDir(): string {
  const dir = process.env.FLOWAUDIT_CORPUS ?? resolve(__dirname, '../../../shared/corpus');
  if (!existsSync(join(dir, 'README.md'))) {
    throw new Error(`corpus not found at ${dir}: set FLOWAUDIT_CORPUS to the folder holding ../shared/corpus`);
  }
  return dir;
}

export interface TsharkExpectation {
  frames: number;
  tcp: [[string, number], [string, number]][];
  udp: [[string, number], [string, number]][];
}

/** tshark 4.0's figures per capture (corpus/tshark-expected.json): the yardstick. */
export function tsharkExpected(): Record<string, TsharkExpectation> {
  return JSON.parse(readFileSync(join(corpusDir(), 'tshark-expected.json'), 'utf8'));
}

/** Reads one corpus file through the real pipeline; returns its flows and data quality. */
export async function readCorpusFile(
  relPath: string,
  opts: ReadOptions = {},
): Promise<{ flows: Flow[]; diag: DiagnosticSink; result: FileReadResult }> {
  const path = join(corpusDir(), relPath);
  const diag = new DiagnosticSink();
  const flows: Flow[] = [];
  const result = await readOneFile({ path, size: statSync(path).size }, opts, diag, (f) => flows.push(f));
  return { flows, diag, result };
}

/** A conversation as tshark prints it: the two [address, port] ends, sorted. */
export function conversationKey(a: [string, number], b: [string, number]): string {
  const x = `${a[0]}|${a[1]}`;
  const y = `${b[0]}|${b[1]}`;
  return x < y ? `${x} <-> ${y}` : `${y} <-> ${x}`;
}
