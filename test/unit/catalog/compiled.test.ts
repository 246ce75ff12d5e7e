import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileCatalog, compiledCatalogDocument } from '../../../src/catalog/compiled.js';
import { BUILTIN_CATALOGS, builtinCatalogDir, loadCatalog, parseCatalog, parseCatalogYaml } from '../../../src/catalog/load.js';

// The build (npm test runs it first) compiles the built-in catalogs to dist/catalogs/*.json.
describe('compiled built-in catalogs', () => {
  for (const name of BUILTIN_CATALOGS) {
    const file = join(builtinCatalogDir(), `${name}.yaml`);
    const text = readFileSync(file, 'utf8');

    it(`${name}: the build's compiled copy is exactly the YAML's document`, () => {
      const compiled = compiledCatalogDocument(name, text);
      expect(compiled).toBeDefined();
      expect(compiled).toEqual(parseCatalogYaml(text, file));
    });

    it(`${name}: loads the same catalog as parsing its YAML`, () => {
      const fromYaml = parseCatalog(text, file, name);
      expect(loadCatalog(name)).toEqual({ ...fromYaml, file: `built-in: catalogs/${name}.yaml` });
    });

    it(`${name}: a compiled copy of other YAML text is never used`, () => {
      // A catalog edited after the build (one rule's port changed) must be read from its YAML.
      const edited = text.replace(/ports: 389\b/, 'ports: 3389');
      expect(edited).not.toBe(text);
      expect(compiledCatalogDocument(name, edited)).toBeUndefined();
    });
  }

  it('a compiled file records its source text and the document', () => {
    const parsed = JSON.parse(compileCatalog('name: x\n', { name: 'x' })) as { source: string; document: unknown };
    expect(parsed.source).toBe('name: x\n');
    expect(parsed.document).toEqual({ name: 'x' });
  });
});
