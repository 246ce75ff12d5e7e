import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InstallationError } from './diagnostics.js';

let cachedRoot: string | null = null;

/**
 * The folder holding flowaudit's package.json. Compiled code runs from dist/src/..., tests run the
 * TypeScript from src/...: walking up finds the root from either.
 */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if (JSON.parse(readFileSync(pj, 'utf8')).name === 'flowaudit') return (cachedRoot = dir);
      } catch {
        // not ours or unreadable: keep walking up
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new InstallationError(`cannot find its own package.json above ${fileURLToPath(import.meta.url)}`);
}

let cachedCatalogDir: string | null = null;

/**
 * The package's catalogs/ folder, where the built-in catalogs live (beside package.json, whether
 * the code runs from src/ in tests or from dist/). Cheap enough to call before an hour of reading,
 * so that a damaged installation fails at once (the catalog itself loads while reading begins).
 */
export function builtinCatalogDir(): string {
  if (cachedCatalogDir) return cachedCatalogDir;
  const dir = join(packageRoot(), 'catalogs');
  const defaultCatalog = join(dir, 'hybrid-identity.yaml');
  if (!existsSync(defaultCatalog)) throw new InstallationError(`cannot find its built-in catalog ${defaultCatalog}`);
  return (cachedCatalogDir = dir);
}

/** flowaudit's version from package.json. */
export function packageVersion(): string {
  return JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).version as string;
}
