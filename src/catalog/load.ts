/**
 * Loading and validating catalogs: the built-in ones in the package's catalogs/ folder and a
 * user's own file (`--catalog FILE`, YAML or JSON, same format; catalogs/README.md documents it).
 *
 * Every problem in a file is a {@link UsageError} whose one-line message names the file, the rule
 * (1-based position and id) and the field, so `flowaudit --catalog my.yaml` exits with code 2 and
 * a sentence the user can act on, never a stack trace.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UsageError } from '../common/diagnostics.js';
import { builtinCatalogDir } from '../common/package-root.js';
import { yamlModule } from '../common/yaml.js';
import {
  ALL_CONDITIONS,
  ALL_ROLES,
  type Catalog,
  type CatalogRule,
  type Condition,
  type EndpointPatterns,
  type PortRange,
  type Role,
  type RuleTransport,
} from './types.js';
import { compiledCatalogDocument } from './compiled.js';
import { validateHostnamePattern } from './match.js';
import { yamlErrorText } from './text.js';

/** The catalog used when `--catalog` is not given. */
export const DEFAULT_CATALOG = 'hybrid-identity';

/** Built-in catalog names, default first. Each is `catalogs/<name>.yaml` in the package. */
export const BUILTIN_CATALOGS: readonly string[] = ['hybrid-identity', 'hybrid-identity-2016'];

/** A built-in catalog as `flowaudit catalog --list` shows it. */
export interface BuiltinCatalogInfo {
  name: string;
  /** Absolute path of its YAML file. */
  file: string;
  isDefault: boolean;
}

const RULE_FIELDS = [
  'id',
  'table',
  'from',
  'to',
  'protocol',
  'transports',
  'ports',
  'description',
  'condition',
  'required',
  'dynamicRpc',
  'anyDestination',
  'occasional',
  'note',
] as const;
const TOP_FIELDS = ['name', 'title', 'source', 'rules', 'endpoints'] as const;
const ENDPOINT_FIELDS = ['role', 'patterns', 'ignore', 'clientRole'] as const;
const TRANSPORTS: readonly RuleTransport[] = ['tcp', 'udp'];

/** The package's catalogs/ folder (common/package-root.ts). */
export { builtinCatalogDir };

/** The built-in catalogs, default first. */
export function listBuiltinCatalogs(): BuiltinCatalogInfo[] {
  const dir = builtinCatalogDir();
  return BUILTIN_CATALOGS.map((name) => ({
    name,
    file: join(dir, `${name}.yaml`),
    isDefault: name === DEFAULT_CATALOG,
  }));
}

/**
 * Loads a catalog by built-in name (`hybrid-identity`, `hybrid-identity-2016`) or by path to a
 * YAML or JSON file. A built-in name wins over a file of the same name in the working folder
 * (write `./hybrid-identity` to load such a file).
 *
 * @throws UsageError for an unknown name, an unreadable file or any validation problem.
 */
export function loadCatalog(nameOrPath: string = DEFAULT_CATALOG): Catalog {
  if (BUILTIN_CATALOGS.includes(nameOrPath)) {
    const file = join(builtinCatalogDir(), `${nameOrPath}.yaml`);
    const text = readFileSync(file, 'utf8');
    const document = compiledCatalogDocument(nameOrPath, text) ?? parseCatalogYaml(text, file);
    const catalog = catalogFromDocument(document, file, nameOrPath);
    // Reports name the built-in file as the package does, not by this machine's install path.
    catalog.file = `built-in: catalogs/${nameOrPath}.yaml`;
    return catalog;
  }
  if (!existsSync(nameOrPath)) {
    throw new UsageError(
      `catalog '${nameOrPath}': no such file, and not a built-in catalog (built-in: ${BUILTIN_CATALOGS.join(', ')})`,
    );
  }
  let text: string;
  try {
    if (statSync(nameOrPath).isDirectory()) throw new UsageError(`${nameOrPath}: is a folder, not a catalog file`);
    text = readFileSync(nameOrPath, 'utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${nameOrPath}: cannot read catalog: ${(err as Error).message}`);
  }
  return parseCatalog(text, nameOrPath);
}

/**
 * Parses and validates catalog text (YAML; JSON is valid YAML). `file` is used in messages and
 * kept in {@link Catalog.file}; `defaultName` names the catalog when the file has no `name:`
 * (the file's base name otherwise).
 *
 * @throws UsageError naming the file, rule and field for every problem.
 */
export function parseCatalog(text: string, file: string, defaultName?: string): Catalog {
  return catalogFromDocument(parseCatalogYaml(text, file), file, defaultName);
}

/** The YAML document of a catalog file, unvalidated. @throws UsageError naming the line. */
export function parseCatalogYaml(text: string, file: string): unknown {
  try {
    return yamlModule().parse(text);
  } catch (err) {
    if (err instanceof yamlModule().YAMLParseError) {
      const pos = err.linePos?.[0];
      const where = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
      throw new UsageError(`${file}: not valid YAML${where}: ${yamlErrorText(err.message)}`);
    }
    throw new UsageError(`${file}: not valid YAML: ${(err as Error).message}`);
  }
}

/** Validates a parsed catalog document (see {@link parseCatalog}). */
export function catalogFromDocument(doc: unknown, file: string, defaultName?: string): Catalog {
  const fail = (msg: string): never => {
    throw new UsageError(`${file}: ${msg}`);
  };
  if (!isPlainObject(doc)) fail('expected a mapping with `title`, `rules` and `endpoints` at the top level');
  const top = doc as Record<string, unknown>;
  checkUnknownFields(top, TOP_FIELDS, (msg) => fail(msg));

  const name = optionalString(top.name, 'name', fail) ?? defaultName ?? stripExtension(basename(file));
  const title = optionalString(top.title, 'title', fail) ?? name;
  const source = optionalString(top.source, 'source', fail) ?? '';

  if (top.rules === undefined) fail('missing field `rules` (a list of rules)');
  if (!Array.isArray(top.rules)) fail('`rules` must be a list of rules');
  const rawRules = top.rules as unknown[];
  if (rawRules.length === 0) fail('`rules` is empty: a catalog needs at least one rule');

  const rules: CatalogRule[] = [];
  const seenIds = new Map<string, number>();
  rawRules.forEach((raw, i) => {
    const rule = parseRule(raw, i + 1, (msg) => fail(msg));
    const earlier = seenIds.get(rule.id);
    if (earlier !== undefined) fail(`rule ${i + 1} (id '${rule.id}'): duplicate id (rule ${earlier} has the same id)`);
    seenIds.set(rule.id, i + 1);
    rules.push(rule);
  });

  const endpoints: EndpointPatterns[] = [];
  if (top.endpoints !== undefined && top.endpoints !== null) {
    if (!Array.isArray(top.endpoints)) fail('`endpoints` must be a list of {role, patterns} entries');
    (top.endpoints as unknown[]).forEach((raw, i) => endpoints.push(parseEndpoints(raw, i + 1, (msg) => fail(msg))));
  }
  return { name, title, source, file, rules, endpoints };
}

function parseRule(raw: unknown, position: number, fail: (msg: string) => never): CatalogRule {
  if (!isPlainObject(raw)) fail(`rule ${position}: expected a mapping with id, table, from, to, protocol, transports, ports, description`);
  const r = raw as Record<string, unknown>;
  const idText = typeof r.id === 'string' && r.id.trim() !== '' ? r.id.trim() : null;
  const where = idText ? `rule ${position} (id '${idText}')` : `rule ${position}`;
  const ruleFail = (msg: string): never => fail(`${where}: ${msg}`);
  checkUnknownFields(r, RULE_FIELDS, ruleFail);

  if (idText === null) ruleFail(r.id === undefined ? 'missing field `id`' : '`id` must be a non-empty string');
  if (/\s/.test(idText!)) ruleFail('`id` must not contain spaces');
  const table = requiredString(r.table, 'table', ruleFail);
  const from = parseRole(r.from, 'from', ruleFail);
  const to = parseRole(r.to, 'to', ruleFail);
  const protocol = requiredString(r.protocol, 'protocol', ruleFail);
  const transports = parseTransports(r.transports, ruleFail);
  const ports = parsePorts(r.ports, ruleFail);
  const description = requiredString(r.description, 'description', ruleFail);
  const conditions = parseConditions(r.condition, ruleFail);
  const required = optionalBoolean(r.required, 'required', ruleFail) ?? true;
  const dynamicRpc = optionalBoolean(r.dynamicRpc, 'dynamicRpc', ruleFail);
  const anyDestination = optionalBoolean(r.anyDestination, 'anyDestination', ruleFail);
  const occasional = optionalBoolean(r.occasional, 'occasional', ruleFail);
  const note = optionalString(r.note, 'note', ruleFail);

  const rule: CatalogRule = { id: idText!, table, from, to, protocol, transports, ports, description, required };
  if (conditions.length > 0) {
    rule.condition = conditions[0];
    if (conditions.length > 1) rule.conditions = conditions;
  }
  if (dynamicRpc) rule.dynamicRpc = true;
  if (anyDestination) rule.anyDestination = true;
  if (occasional) rule.occasional = true;
  if (note !== undefined) rule.note = note;
  return rule;
}

function parseEndpoints(raw: unknown, position: number, fail: (msg: string) => never): EndpointPatterns {
  const where = `endpoints entry ${position}`;
  const entryFail = (msg: string): never => fail(`${where}: ${msg}`);
  if (!isPlainObject(raw)) entryFail('expected a mapping with `role` and `patterns`');
  const e = raw as Record<string, unknown>;
  checkUnknownFields(e, ENDPOINT_FIELDS, entryFail);
  const role = parseRole(e.role, 'role', entryFail);
  if (e.patterns === undefined) entryFail('missing field `patterns` (a list of hostnames or *.domain wildcards)');
  const list = typeof e.patterns === 'string' ? [e.patterns] : e.patterns;
  if (!Array.isArray(list) || list.length === 0) entryFail('`patterns` must be a non-empty list of hostnames');
  const patterns: string[] = [];
  for (const p of list as unknown[]) {
    if (typeof p !== 'string') entryFail(`pattern ${JSON.stringify(p)} is not a string`);
    const problem = validateHostnamePattern(p as string);
    if (problem) entryFail(`pattern '${p as string}': ${problem}`);
    patterns.push((p as string).trim().toLowerCase().replace(/\.$/, ''));
  }
  const out: EndpointPatterns = { role, patterns };
  const ignore = optionalBoolean(e.ignore, 'ignore', entryFail);
  if (ignore) out.ignore = true;
  if (e.clientRole !== undefined) out.clientRole = parseRole(e.clientRole, 'clientRole', entryFail);
  return out;
}

function parseRole(value: unknown, field: string, fail: (msg: string) => never): Role {
  if (value === undefined || value === null) fail(`missing field \`${field}\` (one of ${ALL_ROLES.join(', ')})`);
  if (typeof value !== 'string' || !(ALL_ROLES as readonly string[]).includes(value)) {
    fail(`unknown role ${quote(value)} in \`${field}\` (expected one of ${ALL_ROLES.join(', ')})`);
  }
  return value as Role;
}

function parseTransports(value: unknown, fail: (msg: string) => never): RuleTransport[] {
  if (value === undefined || value === null) fail('missing field `transports` (tcp, udp or [tcp, udp])');
  // Accept the doc's spelling too: `tcp/udp`, `TCP/UDP`, `tcp`.
  const items: unknown[] = typeof value === 'string' ? value.split('/') : Array.isArray(value) ? value : [value];
  if (items.length === 0) fail('`transports` is empty (expected tcp, udp or [tcp, udp])');
  const out: RuleTransport[] = [];
  for (const item of items) {
    const t = typeof item === 'string' ? item.trim().toLowerCase() : item;
    if (typeof t !== 'string' || !(TRANSPORTS as readonly string[]).includes(t)) {
      fail(`unknown transport ${quote(item)} (expected tcp or udp)`);
    }
    if (!out.includes(t as RuleTransport)) out.push(t as RuleTransport);
  }
  return out;
}

function parsePorts(value: unknown, fail: (msg: string) => never): PortRange {
  if (value === undefined || value === null) fail('missing field `ports` (a port such as 389 or a range such as 49152-65535)');
  let from: unknown;
  let to: unknown;
  if (typeof value === 'number') {
    from = to = value;
  } else if (typeof value === 'string') {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(value);
    if (!m) fail(`\`ports\` '${value}' is not a port or a range (expected e.g. 389 or 49152-65535)`);
    from = Number(m![1]);
    to = m![2] === undefined ? from : Number(m![2]);
  } else if (isPlainObject(value)) {
    from = (value as Record<string, unknown>).from;
    to = (value as Record<string, unknown>).to;
  } else {
    fail(`\`ports\` ${quote(value)} is not a port or a range (expected e.g. 389 or 49152-65535)`);
  }
  for (const p of [from, to]) {
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 65535) {
      fail(`port ${quote(p)} out of range (expected a whole number from 1 to 65535)`);
    }
  }
  if ((from as number) > (to as number)) fail(`port range ${from as number}-${to as number} runs backwards (from > to)`);
  return { from: from as number, to: to as number };
}

function parseConditions(value: unknown, fail: (msg: string) => never): Condition[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0) fail('`condition` is an empty list (leave it out for an unconditional rule)');
  const out: Condition[] = [];
  for (const c of items) {
    if (typeof c !== 'string' || !(ALL_CONDITIONS as readonly string[]).includes(c)) {
      fail(`unknown condition ${quote(c)} (expected one of ${ALL_CONDITIONS.join(', ')})`);
    }
    if (!out.includes(c as Condition)) out.push(c as Condition);
  }
  return out;
}

function checkUnknownFields(obj: Record<string, unknown>, known: readonly string[], fail: (msg: string) => never): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) fail(`unknown field '${key}' (expected one of ${known.join(', ')})`);
  }
}

function requiredString(value: unknown, field: string, fail: (msg: string) => never): string {
  if (value === undefined || value === null) fail(`missing field \`${field}\``);
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string' || value.trim() === '') fail(`\`${field}\` must be a non-empty string`);
  return (value as string).trim();
}

function optionalString(value: unknown, field: string, fail: (msg: string) => never): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') fail(`\`${field}\` must be a string`);
  return (value as string).trim();
}

function optionalBoolean(value: unknown, field: string, fail: (msg: string) => never): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') fail(`\`${field}\` must be true or false, not ${quote(value)}`);
  return value as boolean;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function quote(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  return JSON.stringify(v) ?? String(v);
}



function stripExtension(name: string): string {
  return name.replace(/\.(ya?ml|json)$/i, '');
}
