/**
 * report.json: the AuditResult, versioned (`"schema": "flowaudit/report@1"`), documented in
 * docs/report-json.md.
 */
import type { AuditResult } from '../audit/types.js';

/**
 * Key order for every object in the report: the order docs/report-json.md documents them in. Keys not
 * listed (counters, conn_state names, future fields) follow in code-unit order, so the output is the
 * same bytes for the same content whatever order the object was built in.
 */
const KEY_ORDER: readonly string[] = [
  // top level
  'schema',
  'generated_at',
  'tool',
  'verdict',
  'inputs',
  'window',
  'assumed_timezone',
  'catalog',
  'features',
  'hosts',
  'findings',
  'unexpected',
  'unexpected_total',
  'group_flows',
  'unknown_endpoints',
  'unknown_endpoints_total',
  'dns_failures',
  'data_quality',
  // shared: tool, catalog, dns names
  'name',
  // tool, verdict
  'version',
  'summary',
  'status',
  'counts',
  // findings, unexpected
  'rule_id',
  'table',
  'protocol',
  'transport',
  'ports',
  'port',
  'src_role',
  'src_roles',
  'src',
  'dst_role',
  'dst_roles',
  'dst',
  'required',
  'condition',
  'conditions',
  'reason',
  'attempts',
  'completed',
  'refused',
  'unanswered',
  'first_ts',
  'last_ts',
  'conn_states',
  'display_filter',
  'hints',
  'answers',
  'evidence',
  'timeline',
  'width',
  'buckets',
  // evidence (and file-level records)
  'file',
  'frame',
  'line',
  'record',
  'tuple',
  'ts',
  'conn_state',
  'outcome',
  'src_port',
  'dst_port',
  'uid',
  // inputs
  'format',
  'records',
  'bytes',
  'complete',
  'continues',
  // catalog
  'title',
  'source',
  'rules',
  // hosts
  'address',
  'names',
  'roles',
  'role_source',
  'role',
  'confidence',
  'why',
  // unknown endpoints
  'flows',
  // dns
  'queries',
  'answered',
  'nxdomain',
  'servfail',
  'otherError',
  'servers',
  'clients',
  'firstEvidence',
  // data quality
  'counters',
  'diagnostics',
  'failedFiles',
  'evidence_gaps',
  'code',
  'count',
  'examples',
  'origin',
  'offset',
  'index',
  'detail',
  'message',
];

const RANK = new Map<string, number>(KEY_ORDER.map((k, i) => [k, i]));

function compareKeys(a: string, b: string): number {
  const ra = RANK.get(a);
  const rb = RANK.get(b);
  if (ra !== undefined && rb !== undefined) return ra - rb;
  if (ra !== undefined) return -1;
  if (rb !== undefined) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A deep copy with object keys in {@link KEY_ORDER}; undefined values dropped as JSON.stringify would. */
function ordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(ordered);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort(compareKeys)) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = ordered(v);
    }
    return out;
  }
  return value;
}

/**
 * Pretty JSON (2-space indent, trailing newline) with a stable key order. `<`, `>`, `&` and U+2028/9
 * are written as `\u` escapes: the same JSON value, but inert if the text is ever embedded in HTML
 * or a script (a hostname `</script>` cannot close a tag).
 */
export function renderJson(r: AuditResult): string {
  const text = JSON.stringify(ordered({ ...r, schema: 'flowaudit/report@1' }), null, 2);
  return `${text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}
