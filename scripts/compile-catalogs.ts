/**
 * Part of `npm run build`: compiles the built-in catalogs (catalogs/*.yaml) to JSON in
 * dist/catalogs/, after validating each as `flowaudit --catalog` would, so a broken built-in
 * catalog fails the build. See src/catalog/compiled.ts for why and how the copies are used.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { compileCatalog, compiledCatalogPath } from '../src/catalog/compiled.js';
import { BUILTIN_CATALOGS, builtinCatalogDir, catalogFromDocument, parseCatalogYaml } from '../src/catalog/load.js';

for (const name of BUILTIN_CATALOGS) {
  const file = join(builtinCatalogDir(), `${name}.yaml`);
  const text = readFileSync(file, 'utf8');
  const document = parseCatalogYaml(text, file);
  catalogFromDocument(document, file, name);
  const out = compiledCatalogPath(name);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, compileCatalog(text, document));
}
