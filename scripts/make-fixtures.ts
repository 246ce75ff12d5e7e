/**
 * `npm run fixtures`: writes fixtures/ (scenario captures, flow logs, an inventory) and reports/
 * (the reports the README shows) from the scenario descriptions in test/scenarios/. The unit
 * suite regenerates the fixtures in memory and fails if the committed bytes differ.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { main } from '../src/cli/main.js';
import { packageRoot } from '../src/common/package-root.js';
import { renderFixtures } from '../test/scenarios/fixtures.js';

const root = packageRoot();
const files = renderFixtures();
for (const [rel, bytes] of files) {
  const path = join(root, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}
console.log(`wrote ${files.size} fixture files`);

// The reports the README shows, made with a fixed clock so they only change when the tool does.
const REPORTS: { name: string; args: string[]; epoch: string }[] = [
  { name: 'ldap-dropped', args: ['fixtures/ldap-dropped.pcapng', '--inventory', 'fixtures/inventory.yaml'], epoch: '1714561200' },
  { name: 'federation', args: ['fixtures/federation.pcapng', '--inventory', 'fixtures/inventory.yaml', '--feature', 'federation'], epoch: '1714579200' },
];
process.chdir(root);
for (const r of REPORTS) {
  const out = join('reports', r.name);
  rmSync(out, { recursive: true, force: true });
  process.env.SOURCE_DATE_EPOCH = r.epoch;
  const code = await main(['analyze', ...r.args, '--out', out, '--quiet']);
  console.log(`reports/${r.name}: exit ${code}`);
}
