// Generates a tree of NSG flow log v2 PT1H.json files (the usual y=/m=/d=/h=/m=00/macAddress= layout)
// holding TOTAL tuples in all, for `npm run bench`. Deterministic.
// Usage: node bench/gen-nsg.mjs OUT_DIR TOTAL_TUPLES
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [outDir, totalArg] = process.argv.slice(2);
const total = Number(totalArg ?? 10_000_000);
const perFile = 20_000;
const perRecord = 500;
let seed = 7;
const rand = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
};
const nsg = '/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/RG-IDENTITY/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/NSG-AADC';
let t = 1714521600; // 2024-05-01T00:00:00Z
let written = 0;
let fileNo = 0;
while (written < total) {
  const hour = new Date(t * 1000);
  const dir = join(
    outDir,
    `resourceId=${nsg}`,
    `y=${hour.getUTCFullYear()}`,
    `m=${String(hour.getUTCMonth() + 1).padStart(2, '0')}`,
    `d=${String(hour.getUTCDate()).padStart(2, '0')}`,
    `h=${String(hour.getUTCHours()).padStart(2, '0')}`,
    'm=00',
    `macAddress=000D3A${String(fileNo % 4).padStart(6, '0')}`,
  );
  mkdirSync(dir, { recursive: true });
  const records = [];
  let inFile = 0;
  while (inFile < perFile && written < total) {
    const tuples = [];
    const rule = rand() < 0.1 ? 'DefaultRule_DenyAllInBound' : 'UserRule_AllowIdentity';
    while (tuples.length < perRecord && inFile < perFile && written < total) {
      const ts = t + Math.floor(rand() * 3600);
      // An identity subnet: 24 servers (DCs, Connect, AD FS) talking to 4 DCs and to ~200 Entra ID
      // front-end addresses, as a real NSG in front of them logs it.
      const src = `10.0.0.${1 + Math.floor(rand() * 24)}`;
      const dst = rand() < 0.5 ? `10.0.1.${10 + Math.floor(rand() * 4)}` : `20.190.${128 + Math.floor(rand() * 8)}.${Math.floor(rand() * 25)}`;
      const sport = 49152 + Math.floor(rand() * 16000);
      const dport = [389, 88, 443, 445, 135, 53, 636, 3268][Math.floor(rand() * 8)];
      const proto = dport === 53 || (dport === 88 && rand() < 0.3) ? 'U' : 'T';
      if (rule.includes('Deny')) {
        tuples.push(`${ts},${src},${dst},${sport},${dport},${proto},I,D,B,,,,`);
        written++;
        inFile++;
        continue;
      }
      tuples.push(`${ts},${src},${dst},${sport},${dport},${proto},O,A,B,,,,`);
      written++;
      inFile++;
      if (tuples.length < perRecord && written < total) {
        const back = rand() < 0.05 ? 0 : 1 + Math.floor(rand() * 40);
        tuples.push(`${ts + 30},${src},${dst},${sport},${dport},${proto},O,A,E,${1 + Math.floor(rand() * 40)},${Math.floor(rand() * 40000)},${back},${back * 700}`);
        written++;
        inFile++;
      }
    }
    records.push({
      time: new Date(t * 1000).toISOString(),
      systemId: '11111111-2222-3333-4444-555555555555',
      macAddress: '000D3A000000',
      category: 'NetworkSecurityGroupFlowEvent',
      resourceId: nsg,
      operationName: 'NetworkSecurityGroupFlowEvents',
      properties: { Version: 2, flows: [{ rule, flows: [{ mac: '000D3A000000', flowTuples: tuples }] }] },
    });
  }
  writeFileSync(join(dir, 'PT1H.json'), JSON.stringify({ records }));
  fileNo++;
  t += 3600;
}
console.log(`wrote ${fileNo} PT1H.json files, ${written} tuples under ${outDir}`);
