/**
 * The modules only `analyze`, `roles` and `catalog` need (audit, roles, catalog). commands.ts
 * loads this file on demand, so `flows` on a big capture does not pay their start-up; the report
 * renderers load one by one, for the formats asked for (commands.ts, loadRenderer).
 */
export { buildAuditResult, exitCodeFor } from '../audit/build.js';
export { loadCatalog } from '../catalog/load.js';
export { renderCatalog } from '../catalog/render.js';
export { formatEvidencePlace } from '../report/format.js';
export { assignRoles, renderRoles, roleMapToInventoryYaml } from '../roles/assign.js';
export { loadInventory, parseRoleFlag } from '../roles/inventory.js';
