/**
 * The yaml package, loaded on first use. Loading it costs about 40 ms, which every `analyze` paid
 * up front even when it reads no YAML at all (the built-in catalogs are compiled to JSON at build
 * time, see catalog/compiled.ts); only a user's `--catalog` or `--inventory` file needs it.
 */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let yaml: typeof Yaml | null = null;

export function yamlModule(): typeof Yaml {
  return (yaml ??= createRequire(import.meta.url)('yaml') as typeof Yaml);
}
