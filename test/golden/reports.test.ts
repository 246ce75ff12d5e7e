import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditInputs, type AnalyzeFlags } from '../../src/cli/commands.js';
import type { AuditResult } from '../../src/audit/types.js';
import { renderCsv } from '../../src/report/csv.js';
import { renderJson } from '../../src/report/json.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { flagsFor, quiet, SCENARIOS } from './scenarios.js';

/**
 * Golden reports of the fixture scenarios: the renderers' output must only change on purpose
 * (`npx vitest run --project unit -u`, then review the diff). The clock and the tool version are
 * pinned first: they are the only fields that change from run to run.
 */
async function audit(s: (typeof SCENARIOS)[number]): Promise<AuditResult> {
  const flags = flagsFor(s);
  const result = await auditInputs(s.inputs, flags, quiet, new Date('2024-05-02T00:00:00Z'));
  expect(result).not.toBeNull();
  result!.tool.version = '0.0.0-golden';
  return result!;
}

describe.each(SCENARIOS)('$name', (s) => {
  it('report.md, report.json and report.csv are stable', async () => {
    const r = await audit(s);
    await expect(renderMarkdown(r)).toMatchFileSnapshot(`./${s.name}/report.md`);
    await expect(renderJson(r)).toMatchFileSnapshot(`./${s.name}/report.json`);
    await expect(renderCsv(r)).toMatchFileSnapshot(`./${s.name}/report.csv`);
  });
});

/**
 * reports/ holds the reports the README shows, written by `npm run fixtures` with a pinned clock
 * (SOURCE_DATE_EPOCH): they must be what the current code writes.
 */
describe('reports/ (shown in the README) is current', () => {
  const REPORTS = [
    { name: 'ldap-dropped', inputs: ['fixtures/ldap-dropped.pcapng'], feature: [] as string[], epoch: 1714561200 },
    { name: 'federation', inputs: ['fixtures/federation.pcapng'], feature: ['federation'], epoch: 1714579200 },
  ];
  it.each(REPORTS)('reports/$name (run `npm run fixtures` after a change)', async (s) => {
    const flags: AnalyzeFlags = { inventory: 'fixtures/inventory.yaml', role: [], feature: s.feature, failOn: [], include: [], exclude: [], quiet: true, workers: '0' };
    const r = (await auditInputs(s.inputs, flags, quiet, new Date(s.epoch * 1000)))!;
    const committed = (f: string) => readFileSync(join('reports', s.name, f), 'utf8');
    expect(committed('report.md')).toBe(renderMarkdown(r));
    expect(committed('report.json')).toBe(renderJson(r));
    expect(committed('report.csv')).toBe(renderCsv(r));
  });
});
