import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCatalog } from '../../../src/catalog/load.js';
import { parseInventory } from '../../../src/roles/inventory.js';

/** The ```yaml blocks of a Markdown file. */
function yamlBlocks(path: string): string[] {
  const text = readFileSync(join(process.cwd(), path), 'utf8');
  return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
}

describe('documented examples load', () => {
  it('catalogs/README.md: the example catalog is valid', () => {
    const blocks = yamlBlocks('catalogs/README.md');
    expect(blocks.length).toBeGreaterThan(0);
    const c = parseCatalog(blocks[0], 'README example');
    expect(c.rules.map((r) => r.id)).toEqual(['connect-dc-ldap', 'connect-dc-rpc-dynamic', 'connect-dc-gc-ssl']);
    expect(c.rules[1]).toMatchObject({ ports: { from: 5000, to: 5100 }, dynamicRpc: true });
  });

  it('docs/inventory.md: every example inventory is valid', () => {
    const blocks = yamlBlocks('docs/inventory.md');
    expect(blocks.length).toBe(3);
    const inv = parseInventory(blocks[0], 'example');
    expect(inv.entries.map((e) => e.role)).toEqual(['connect', 'dc', 'adfs', 'wap', 'azure-ad', 'health-agent']);
    expect(parseInventory(blocks[1], 'written').entries.map((e) => e.role)).toEqual(['connect', 'dc', 'azure-ad']);
    // The likely Connect server, commented out: loads without it, and with it once uncommented.
    expect(parseInventory(blocks[2], 'candidates').entries.map((e) => e.role)).toEqual(['dc']);
    const uncommented = blocks[2].replace('  # connect:', '  connect:').replace('  #   - 10.0.0.20', '    - 10.0.0.20');
    expect(parseInventory(uncommented, 'chosen').entries.map((e) => e.role)).toEqual(['dc', 'connect']);
  });
});
