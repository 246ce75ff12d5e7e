/**
 * The modules only `analyze`, `roles` and `catalog` need (audit, roles, catalog, the four report
 * renderers with d3). commands.ts loads this file on demand, so `flows` on a big capture does not
 * pay their start-up (about 0.1 s, a tenth of a second per gigabyte at the target speed).
 */
export { buildAuditResult, exitCodeFor } from '../audit/build.js';
export { loadCatalog } from '../catalog/load.js';
export { renderCatalog } from '../catalog/render.js';
export { renderCsv } from '../report/csv.js';
export { formatEvidencePlace } from '../report/format.js';
export { renderHtml } from '../report/html.js';
export { renderJson } from '../report/json.js';
export { renderMarkdown } from '../report/markdown.js';
export { assignRoles, renderRoles, roleMapToInventoryYaml } from '../roles/assign.js';
export { loadInventory, parseRoleFlag } from '../roles/inventory.js';
