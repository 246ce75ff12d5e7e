import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAnalyze, type AnalyzeFlags, type Console } from '../../src/cli/commands.js';
import { corpusDir } from './support.js';

/** `analyze` over every corpus file: no crash, a report, and no file left unread. */
const quietConsole = (): Console & { lines: string[]; errors: string[] } => {
  const lines: string[] = [];
  const errors: string[] = [];
  return { out: (l) => lines.push(l), err: (l) => errors.push(l), stderrIsTTY: false, stdoutIsTTY: false, lines, errors };
};

const flags = (out: string): AnalyzeFlags => ({ out, format: 'json,md,csv,html', role: [], feature: [], failOn: [], include: [], exclude: [], quiet: true });

const dirs = ['pcap-ad', 'pcap-failures', 'pcap-linktypes', 'pcap-tls-dns', 'pcapng-conformance', 'nsg-flowlogs', 'windows-firewall'];

describe.each(dirs)('analyze %s/*', (dir) => {
  const files = readdirSync(join(corpusDir(), dir)).sort();
  it.each(files)('%s', async (file) => {
    const out = mkdtempSync(join(tmpdir(), 'flowaudit-corpus-'));
    const con = quietConsole();
    const code = await runAnalyze([join(corpusDir(), dir, file)], flags(out), con);
    expect([0, 1], con.errors.join('\n')).toContain(code);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.schema).toBe('flowaudit/report@1');
    expect(report.data_quality.failedFiles).toEqual([]);
    expect(report.inputs).toHaveLength(1);
    expect(report.inputs[0].complete).toBe(true);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toMatch(/^<!DOCTYPE html>/i);
  });
});

describe('analyze the whole corpus as one audit', () => {
  it('reads every file, captures and logs together, with both threads and without', async () => {
    const results: unknown[] = [];
    for (const workers of ['0', '2']) {
      const out = mkdtempSync(join(tmpdir(), 'flowaudit-corpus-'));
      const code = await runAnalyze(dirs.map((d) => join(corpusDir(), d)), { ...flags(out), format: 'json', workers }, quietConsole());
      expect([0, 1]).toContain(code);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
      expect(report.data_quality.failedFiles).toEqual([]);
      delete report.generated_at;
      results.push(report);
    }
    // worker threads give exactly the single-threaded result
    expect(results[1]).toEqual(results[0]);
  });
});
