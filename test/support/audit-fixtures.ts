/**
 * Hand-built audit inputs (catalog, role map, flow summary) for the audit and report unit tests, so
 * they depend on none of the producing stages.
 */
import type { AuditResult, Finding } from '../../src/audit/types.js';
import type { Catalog, CatalogRule, EndpointPatterns, Role } from '../../src/catalog/types.js';
import type { DnsLookupStats, FlowSample, FlowSummaryData, NameObservation, PairAggregate } from '../../src/flows/summary-types.js';
import type { ConnState, Outcome, Transport } from '../../src/flows/types.js';
import type { HostInfo, RoleMap, RoleSource } from '../../src/roles/types.js';

/** 2024-05-01T10:00:00Z in microseconds: every fixture time is an offset from it. */
export const T0 = Date.UTC(2024, 4, 1, 10, 0, 0) * 1000;
export const SECOND = 1_000_000;

export const CONNECT = '10.0.0.20';
export const DC1 = '10.0.0.10';
export const DC2 = '10.0.0.11';
export const AAD1 = '20.190.128.10';
export const AAD2 = '20.190.128.11';
export const DNS_SERVER = '10.0.0.10';

/** A rule with defaults for everything the test does not care about. */
export function rule(p: Partial<CatalogRule> & Pick<CatalogRule, 'id'>): CatalogRule {
  return {
    table: 'Table 1 - Connect and on-premises AD',
    from: 'connect',
    to: 'dc',
    protocol: 'LDAP',
    transports: ['tcp'],
    ports: { from: 389, to: 389 },
    description: 'test rule',
    required: true,
    ...p,
  };
}

export const LDAP = rule({ id: 'connect-dc-ldap' });
export const KERBEROS = rule({ id: 'connect-dc-kerberos', protocol: 'Kerberos', transports: ['tcp', 'udp'], ports: { from: 88, to: 88 } });
export const LDAPS = rule({ id: 'connect-dc-ldaps', protocol: 'LDAP/SSL', ports: { from: 636, to: 636 }, condition: 'ldaps' });
export const RPC_DYNAMIC = rule({
  id: 'connect-dc-rpc-dynamic',
  protocol: 'RPC dynamic',
  ports: { from: 49152, to: 65535 },
  dynamicRpc: true,
});
export const HTTPS_AAD = rule({
  id: 'connect-aad-https',
  table: 'Table 2 - Connect and Azure AD',
  to: 'azure-ad',
  protocol: 'HTTPS',
  ports: { from: 443, to: 443 },
});

export const ENDPOINTS: EndpointPatterns[] = [
  { role: 'azure-ad', patterns: ['login.microsoftonline.com', '*.microsoftonline.com', 'login.windows.net'] },
  { role: 'crl', patterns: ['crl.microsoft.com'] },
  { role: 'azure-ad', patterns: ['dc.services.visualstudio.com'], ignore: true },
];

export function catalog(rules: CatalogRule[], endpoints: EndpointPatterns[] = ENDPOINTS): Catalog {
  return { name: 'test-catalog', title: 'Test catalog', source: 'unit tests', file: 'test.yaml', rules, endpoints };
}

/** Role map from `address → roles` (source `inventory` unless given). */
export function roles(spec: Record<string, Role[]>, source: RoleSource = 'inventory', names: Record<string, string[]> = {}): RoleMap {
  const hosts = new Map<string, HostInfo>();
  for (const [address, rs] of Object.entries(spec)) {
    hosts.set(address, {
      address,
      names: names[address] ?? [],
      roles: rs.map((role) => ({ role, source, confidence: 'high' as const, why: `${source}: ${role}` })),
    });
  }
  return { hosts };
}

export interface AggSpec {
  proto?: Transport;
  origH?: string;
  respH: string;
  respP: number;
  completed?: number;
  refused?: number;
  unanswered?: number;
  unknown?: number;
  connStates?: Partial<Record<ConnState, number>>;
  icmpReasons?: string[];
  denyRules?: string[];
  /** Seconds after T0 of the first flow. */
  at?: number;
  /** Evidence from a capture (frames) or a log (lines). */
  observedBy?: 'packets' | 'flowlog';
  file?: string;
}

let uidCounter = 0;

/** A pair aggregate whose samples and timeline agree with its counts. */
export function agg(s: AggSpec): PairAggregate {
  const completed = s.completed ?? 0;
  const refused = s.refused ?? 0;
  const unanswered = s.unanswered ?? 0;
  const unknown = s.unknown ?? 0;
  const flows = completed + refused + unanswered + unknown;
  const first = T0 + (s.at ?? 0) * SECOND;
  const proto = s.proto ?? 'tcp';
  const connStates: Partial<Record<ConnState, number>> =
    s.connStates ??
    Object.fromEntries(
      (
        [
          ['SF', completed],
          ['REJ', refused],
          ['S0', unanswered],
          ['OTH', unknown],
        ] as [ConnState, number][]
      ).filter(([, n]) => n > 0),
    );
  const samples: FlowSample[] = [];
  const outcomes: [Outcome, number][] = [
    ['completed', completed],
    ['refused', refused],
    ['unanswered', unanswered],
    ['unknown', unknown],
  ];
  const stateFor: Record<Outcome, ConnState> = { completed: 'SF', refused: 'REJ', unanswered: 'S0', unknown: 'OTH' };
  let i = 0;
  for (const [outcome, n] of outcomes) {
    for (let k = 0; k < n && samples.length < 5; k++, i++) {
      const sample: FlowSample = {
        file: s.file ?? (s.observedBy === 'flowlog' ? 'pfirewall.log' : 'capture.pcapng'),
        uid: `C${++uidCounter}`,
        ts: first + i * SECOND,
        origP: 50000 + i,
        connState: stateFor[outcome],
        outcome,
        reason: `${stateFor[outcome]} test flow`,
      };
      if (s.observedBy === 'flowlog') sample.line = 10 + i;
      else sample.frame = 100 + i;
      samples.push(sample);
    }
  }
  const last = first + Math.max(0, flows - 1) * SECOND;
  return {
    proto,
    origH: s.origH ?? CONNECT,
    respH: s.respH,
    respP: s.respP,
    flows,
    completed,
    refused,
    unanswered,
    unknown,
    firstTs: first,
    lastTs: last,
    connStates,
    samples,
    icmpReasons: s.icmpReasons ?? [],
    denyRules: s.denyRules ?? [],
    bytes: 1000 * flows,
    timeline: { width: SECOND, buckets: flows ? [[first, completed, refused + unanswered]] : [] },
  };
}

export function dnsStats(p: Partial<DnsLookupStats> & Pick<DnsLookupStats, 'name'>): DnsLookupStats {
  return {
    queries: 0,
    answered: 0,
    nxdomain: 0,
    servfail: 0,
    otherError: 0,
    unanswered: 0,
    servers: [DNS_SERVER],
    clients: [],
    firstEvidence: { file: 'capture.pcapng', frame: 7, ts: T0 },
    ...p,
  };
}

export interface SummarySpec {
  pairs?: PairAggregate[];
  dns?: DnsLookupStats[];
  epm?: FlowSummaryData['epm'];
  names?: NameObservation[];
  firstTs?: number | null;
  lastTs?: number | null;
  overflowFlows?: number;
}

/** A flow summary; the window defaults to T0 .. T0 + 1 h (longer than a sync cycle). */
export function summary(s: SummarySpec = {}): FlowSummaryData {
  const pairs = s.pairs ?? [];
  const flows = pairs.reduce((n, a) => n + a.flows, 0);
  const outcomes: Record<Outcome, number> = { completed: 0, refused: 0, unanswered: 0, unknown: 0 };
  for (const a of pairs) {
    outcomes.completed += a.completed;
    outcomes.refused += a.refused;
    outcomes.unanswered += a.unanswered;
    outcomes.unknown += a.unknown;
  }
  return {
    flows,
    firstTs: s.firstTs === undefined ? T0 : s.firstTs,
    lastTs: s.lastTs === undefined ? T0 + 3600 * SECOND : s.lastTs,
    pairs,
    names: s.names ?? [],
    dns: s.dns ?? [],
    epm: s.epm ?? [],
    overflowFlows: s.overflowFlows ?? 0,
    outcomes,
  };
}

/** A finding with every field set, for renderer tests. */
export function finding(p: Partial<Finding> = {}): Finding {
  return {
    rule_id: 'connect-dc-ldap',
    table: 'Table 1',
    protocol: 'LDAP',
    transport: 'tcp',
    ports: '389',
    src_role: 'connect',
    dst_role: 'dc',
    src: CONNECT,
    dst: DC1,
    status: 'blocked',
    required: true,
    reason: '4 of 4 attempts failed: S0×4 (SYN unanswered)',
    attempts: 4,
    completed: 0,
    refused: 0,
    unanswered: 4,
    first_ts: T0,
    last_ts: T0 + 3 * SECOND,
    conn_states: { S0: 4 },
    evidence: [
      {
        file: 'capture.pcapng',
        frame: 17,
        ts: T0,
        conn_state: 'S0',
        outcome: 'unanswered',
        reason: 'S0: SYN sent 3 times, no reply',
        src_port: 50000,
        dst_port: 389,
        transport: 'tcp',
        uid: 'C1',
      },
    ],
    display_filter: `ip.addr==${CONNECT} && ip.addr==${DC1} && tcp.port==389`,
    hints: ['silent drop: a firewall or NSG discarding the SYN (or the host is down)'],
    timeline: { width: SECOND, buckets: [[T0, 0, 4]] },
    ...p,
  };
}

/** A small but complete audit result, for renderer tests. */
export function auditResult(p: Partial<AuditResult> = {}): AuditResult {
  return {
    schema: 'flowaudit/report@1',
    generated_at: '2024-05-01T12:00:00.000Z',
    tool: { name: 'flowaudit', version: '0.1.0' },
    verdict: {
      summary: `FAIL: 1 required flow blocked (connect ${CONNECT} → dc ${DC1} LDAP 389/tcp blocked)`,
      status: 'fail',
      counts: { blocked: 1, partial: 0, missing: 0, unexpected: 1, ok: 1, 'not-applicable': 0 },
    },
    inputs: [
      { file: 'capture.pcapng', format: 'pcapng', records: 120, bytes: 20480, first_ts: T0, last_ts: T0 + 3600 * SECOND, complete: true },
    ],
    window: { first_ts: T0, last_ts: T0 + 3600 * SECOND },
    catalog: { name: 'hybrid-identity', title: 'Hybrid identity required ports', source: 'Microsoft Learn, 2025-04-09', rules: 12, file: 'catalogs/hybrid-identity.yaml' },
    features: [],
    hosts: [
      { address: DC1, names: ['dc1.contoso.local'], roles: [{ role: 'dc', source: 'inventory', confidence: 'high', why: 'inventory: dc: 10.0.0.10' }], role_source: 'inventory' },
      { address: CONNECT, names: ['sync.contoso.local'], roles: [{ role: 'connect', source: 'inferred', confidence: 'medium', why: 'talks LDAP to a dc' }], role_source: 'inferred' },
    ],
    findings: [
      finding(),
      finding({
        rule_id: 'connect-dc-kerberos',
        protocol: 'Kerberos',
        transport: 'tcp/udp',
        ports: '88',
        status: 'ok',
        reason: '12 of 12 attempts completed',
        attempts: 12,
        completed: 12,
        unanswered: 0,
        conn_states: { SF: 12 },
        evidence: [],
        hints: [],
        display_filter: `ip.addr==${CONNECT} && ip.addr==${DC1} && (tcp.port==88 || udp.port==88)`,
      }),
    ],
    unexpected: [
      {
        src: CONNECT,
        dst: '10.0.0.99',
        src_roles: ['connect'],
        dst_roles: [],
        transport: 'tcp',
        port: 3389,
        attempts: 2,
        completed: 2,
        refused: 0,
        unanswered: 0,
        first_ts: T0,
        last_ts: T0 + SECOND,
        evidence: [],
        display_filter: `ip.addr==${CONNECT} && ip.addr==10.0.0.99 && tcp.port==3389`,
      },
    ],
    unexpected_total: 1,
    unknown_endpoints: [{ address: '10.0.0.99', names: [], flows: 2, ports: [3389] }],
    unknown_endpoints_total: 1,
    dns_failures: [],
    data_quality: {
      counters: { frames: 120, flows: 15 },
      diagnostics: [],
      failedFiles: [],
      flows: 15,
      evidence_gaps: [],
    },
    ...p,
  };
}
