import { it } from 'vitest';
import { evaluateAudit } from '../../../src/audit/evaluate.js';
import { loadCatalog } from '../../../src/catalog/load.js';
import { agg, roles, summary, CONNECT, DC1 } from '../../support/audit-fixtures.js';
it('perf', () => {
  const pairs = [];
  for (let i = 0; i < 100000; i++) pairs.push(agg({ origH: i % 2 ? CONNECT : DC1, respH: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, respP: 1000 + (i % 5000), completed: 1 }));
  const s = summary({ pairs });
  let t = performance.now();
  const r = evaluateAudit(s, roles({ [CONNECT]: ['connect'], [DC1]: ['dc'] }), { catalog: loadCatalog(), features: new Set() });
  console.log('ms', performance.now() - t, r.unexpected_total, r.unknown_endpoints_total);
});
