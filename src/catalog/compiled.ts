/**
 * The built-in catalogs compiled to JSON at build time (scripts/compile-catalogs.ts, part of
 * `npm run build`). Loading the yaml package and parsing the default catalog cost about 0.1 s of
 * every `analyze` run before it read a byte; JSON.parse of the same document takes well under a
 * millisecond. Each compiled file carries the YAML text it came from: a YAML file changed after
 * the build no longer matches and is parsed as YAML again, so a stale compiled copy is never used.
 * (The text, not a hash of it: comparing 15 kB costs nothing, where loading node:crypto to hash it
 * took ~4 ms of the main thread while a big capture's first packets waited.) The YAML stays the
 * one source users read and edit.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../common/package-root.js';

/** What a compiled catalog file holds. */
interface CompiledCatalog {
  /** The YAML text the document was parsed from. */
  source: string;
  /** The parsed YAML document, unvalidated (validation runs on every load, as for YAML). */
  document: unknown;
}

/** Where the build writes compiled catalogs: dist/catalogs/<name>.json. */
export function compiledCatalogPath(name: string): string {
  return join(packageRoot(), 'dist', 'catalogs', `${name}.json`);
}

/** The compiled catalog file's text for a YAML text and its parsed document. */
export function compileCatalog(yamlText: string, document: unknown): string {
  const compiled: CompiledCatalog = { source: yamlText, document };
  return `${JSON.stringify(compiled)}\n`;
}

/**
 * The parsed document of built-in catalog `name`, if a compiled copy of exactly this YAML text
 * exists; undefined otherwise (not built, or the YAML changed since), and the caller parses the YAML.
 */
export function compiledCatalogDocument(name: string, yamlText: string): unknown {
  let compiled: CompiledCatalog;
  try {
    compiled = JSON.parse(readFileSync(compiledCatalogPath(name), 'utf8')) as CompiledCatalog;
  } catch {
    return undefined;
  }
  return compiled.source === yamlText ? compiled.document : undefined;
}
