/**
 * A realistic, hand-built AuditResult for report tests: a sync server (connect) talking to two
 * domain controllers, Entra ID, a CRL endpoint and an AD FS server, with every finding status,
 * unexpected traffic, unknown endpoints, DNS failures and data-quality diagnostics.
 *
 * Parameterised: `dcs` adds more domain controllers (10 rules each → thousands of findings),
 * `unexpected` / `unknownEndpoints` / `flows` scale the rest, and `payload` plants a hostile string
 * (default none) in every place a capture or a log can put text: hostnames, SNI, file names,
 * reasons, diagnostics, DNS names.
 */
import type { AuditResult, EvidenceRef, Finding, FindingStatus, UnexpectedFlow, UnknownEndpoint } from '../../src/audit/types.js';
import type { Condition, Role } from '../../src/catalog/types.js';
import type { Diagnostic } from '../../src/common/diagnostics.js';
import type { ConnState } from '../../src/flows/types.js';
import type { Timeline } from '../../src/flows/summary-types.js';
import { mulberry32 as rng } from './rng.js';

export interface SampleOptions {
  /**
   * Domain controllers (default 4). The first is healthy; the others fail in turn: LDAP dropped
   * (blocked, S0), Kerberos partly refused (partial), dynamic RPC never used (missing), LDAP reset.
   */
  dcs?: number;
  /** Unexpected flows (default 2). */
  unexpected?: number;
  /** Unknown endpoints (default 2). */
  unknownEndpoints?: number;
  /** Flows in the data (data_quality.flows; default 1,234). */
  flows?: number;
  /** A hostile string planted in hostnames, SNI, file names, reasons and diagnostics. */
  payload?: string;
}

/** 2024-05-01T10:00:00Z in microseconds. */
export const SAMPLE_START = Date.UTC(2024, 4, 1, 10, 0, 0) * 1000;
/** The data window: 30 minutes. */
export const SAMPLE_END = SAMPLE_START + 30 * 60 * 1_000_000;
const BUCKET = 4_000_000; // 4 s: 1,800 s / 4 s = 450 buckets ≤ MAX_TIMELINE_BUCKETS

interface RuleDef {
  id: string;
  table: string;
  protocol: string;
  transport: string;
  ports: string;
  from: Role;
  to: Role;
  port: number;
  condition?: Condition;
  required: boolean;
}

const T1 = 'Table 1 - Azure AD Connect and On-premises AD';
const DC_RULES: RuleDef[] = [
  { id: 'connect-dc-dns', table: T1, protocol: 'DNS', transport: 'tcp/udp', ports: '53', from: 'connect', to: 'dc', port: 53, required: true },
  { id: 'connect-dc-kerberos', table: T1, protocol: 'Kerberos', transport: 'tcp/udp', ports: '88', from: 'connect', to: 'dc', port: 88, required: true },
  { id: 'connect-dc-epm', table: T1, protocol: 'MS-RPC', transport: 'tcp', ports: '135', from: 'connect', to: 'dc', port: 135, required: true },
  { id: 'connect-dc-ldap', table: T1, protocol: 'LDAP', transport: 'tcp/udp', ports: '389', from: 'connect', to: 'dc', port: 389, required: true },
  { id: 'connect-dc-smb', table: T1, protocol: 'SMB', transport: 'tcp', ports: '445', from: 'connect', to: 'dc', port: 445, condition: 'seamless-sso', required: true },
  { id: 'connect-dc-ldaps', table: T1, protocol: 'LDAP/SSL', transport: 'tcp/udp', ports: '636', from: 'connect', to: 'dc', port: 636, condition: 'ldaps', required: true },
  { id: 'connect-dc-rpc-dynamic', table: T1, protocol: 'RPC', transport: 'tcp', ports: '49152-65535', from: 'connect', to: 'dc', port: 49_712, required: true },
  { id: 'connect-dc-gc', table: T1, protocol: 'LDAP', transport: 'tcp', ports: '3268', from: 'connect', to: 'dc', port: 3268, condition: 'seamless-sso', required: true },
  { id: 'connect-dc-winrm', table: T1, protocol: 'WinRM', transport: 'tcp', ports: '5985', from: 'connect', to: 'dc', port: 5985, condition: 'gmsa-adfs', required: true },
  { id: 'connect-dc-adws', table: T1, protocol: 'AD DS Web Services', transport: 'tcp', ports: '9389', from: 'connect', to: 'dc', port: 9389, condition: 'gmsa-adfs', required: true },
];
const T2 = 'Table 2 - Azure AD Connect and Azure AD';
const T3 = 'Table 3 - Azure AD Connect and AD FS/WAP';
const CLOUD_RULES: RuleDef[] = [
  { id: 'connect-azuread-https', table: T2, protocol: 'HTTPS', transport: 'tcp', ports: '443', from: 'connect', to: 'azure-ad', port: 443, required: true },
  { id: 'connect-crl-http', table: T2, protocol: 'HTTP', transport: 'tcp', ports: '80', from: 'connect', to: 'crl', port: 80, required: true },
  { id: 'connect-adfs-https', table: T3, protocol: 'HTTPS', transport: 'tcp', ports: '443', from: 'connect', to: 'adfs', port: 443, condition: 'federation', required: true },
  { id: 'connect-adfs-winrm', table: T3, protocol: 'WinRM', transport: 'tcp', ports: '5985', from: 'connect', to: 'adfs', port: 5985, condition: 'federation', required: true },
];

const CONNECT = '10.0.0.20';
const AZURE_OK = '20.190.151.68';
const AZURE_BLOCKED = '40.126.32.74';
const ADFS = '10.0.1.5';

function dcAddress(i: number): string {
  return `10.0.${Math.floor(i / 250)}.${10 + (i % 250)}`;
}

/** Spreads attempts over the window in 4 s buckets (sorted, merged). */
function spread(random: () => number, completed: number, failed: number, from = SAMPLE_START, to = SAMPLE_END): Timeline {
  const buckets = new Map<number, [number, number, number]>();
  const put = (ok: boolean) => {
    const t = from + Math.floor(random() * Math.max(1, to - from));
    const start = Math.floor(t / BUCKET) * BUCKET;
    const b = buckets.get(start) ?? [start, 0, 0];
    if (ok) b[1]++;
    else b[2]++;
    buckets.set(start, b);
  };
  for (let i = 0; i < completed; i++) put(true);
  for (let i = 0; i < failed; i++) put(false);
  return { width: BUCKET, buckets: [...buckets.values()].sort((a, b) => a[0] - b[0]) };
}

/** Builds the sample; see {@link SampleOptions}. */
export function buildSampleAudit(options: SampleOptions = {}): AuditResult {
  const dcs = options.dcs ?? 4;
  const payload = options.payload ?? '';
  const random = rng(20240501);
  const capture = `capture-aadc01${payload}.pcapng`;
  let frame = 17;

  const evidence = (n: number, transport: 'tcp' | 'udp', dstPort: number, state: ConnState, outcome: EvidenceRef['outcome'], reason: string, at: number): EvidenceRef[] =>
    Array.from({ length: Math.min(n, 5) }, (_, i) => ({
      file: capture,
      frame: (frame += 3 + Math.floor(random() * 40)),
      ts: at + i * 7_000_123,
      conn_state: state,
      outcome,
      reason,
      src_port: 49_800 + Math.floor(random() * 10_000),
      dst_port: dstPort,
      transport,
      uid: `C${Math.floor(random() * 2 ** 40).toString(36)}`,
    }));

  const filter = (src: string | null, dst: string | null, rule: RuleDef) => {
    const proto = rule.transport === 'tcp/udp' ? null : rule.transport;
    const port = rule.ports.includes('-') ? `tcp.port in {${rule.ports.replace('-', '..')}}` : proto ? `${proto}.port==${rule.ports}` : `(tcp.port==${rule.ports} || udp.port==${rule.ports})`;
    return [src ? `ip.addr==${src}` : null, dst ? `ip.addr==${dst}` : null, port].filter(Boolean).join(' && ');
  };

  const finding = (rule: RuleDef, src: string | null, dst: string | null, status: FindingStatus, counts: { completed?: number; refused?: number; unanswered?: number }, reason: string, hints: string[] = []): Finding => {
    const completed = counts.completed ?? 0;
    const refused = counts.refused ?? 0;
    const unanswered = counts.unanswered ?? 0;
    const attempts = completed + refused + unanswered;
    const timeline = attempts > 0 ? spread(random, completed, refused + unanswered) : { width: BUCKET, buckets: [] };
    const first = timeline.buckets[0]?.[0] ?? null;
    const last = timeline.buckets.length ? timeline.buckets[timeline.buckets.length - 1][0] + 1_234_567 : null;
    const transport = rule.transport === 'udp' ? 'udp' : 'tcp';
    const conn_states: Finding['conn_states'] = {};
    if (completed) conn_states.SF = completed;
    if (refused) conn_states.REJ = refused;
    if (unanswered) conn_states.S0 = unanswered;
    const ev: EvidenceRef[] = [];
    if (first !== null) {
      if (refused) ev.push(...evidence(Math.min(refused, 2), transport, rule.port, 'REJ', 'refused', 'REJ: reset in reply to SYN', first));
      if (unanswered) ev.push(...evidence(Math.min(unanswered, 2), transport, rule.port, 'S0', 'unanswered', 'S0: SYN sent 3 times, no reply', first));
      if (completed) ev.push(...evidence(Math.min(completed, 3), transport, rule.port, 'SF', 'completed', 'SF: normal establishment and termination', first));
    }
    return {
      rule_id: rule.id,
      table: rule.table,
      protocol: rule.protocol,
      transport: rule.transport,
      ports: rule.ports,
      src_role: rule.from,
      dst_role: rule.to,
      src,
      dst,
      status,
      required: rule.required,
      ...(rule.condition ? { condition: rule.condition } : {}),
      reason,
      attempts,
      completed,
      refused,
      unanswered,
      first_ts: first,
      last_ts: last,
      conn_states,
      evidence: ev,
      display_filter: filter(src, dst, rule),
      hints,
      timeline,
    };
  };

  const blindSpot = `a capture on ${CONNECT} cannot see what its own firewall drops before the capture point`;
  const findings: Finding[] = [];
  for (let d = 0; d < dcs; d++) {
    const dc = dcAddress(d);
    const kind = d === 0 ? 0 : 1 + ((d - 1) % 4); // 0 healthy, then: LDAP dropped, Kerberos partial, RPC missing, LDAP refused
    for (const rule of DC_RULES) {
      if (rule.condition && rule.condition !== 'ldaps' && rule.condition !== 'seamless-sso') {
        findings.push(finding(rule, CONNECT, dc, 'not-applicable', {}, `condition ${rule.condition} is off (--feature ${rule.condition} turns it on)`));
      } else if (rule.condition) {
        findings.push(finding(rule, CONNECT, dc, 'not-applicable', {}, `condition ${rule.condition} is off and no traffic was seen`));
      } else if (rule.id === 'connect-dc-ldap' && kind === 1) {
        const n = 4 + Math.floor(random() * 4);
        findings.push(finding(rule, CONNECT, dc, 'blocked', { unanswered: n }, `S0: SYN sent 3 times, no reply (${n} of ${n} attempts)`, [blindSpot]));
      } else if (rule.id === 'connect-dc-ldap' && kind === 4) {
        findings.push(finding(rule, CONNECT, dc, 'blocked', { refused: 6 }, `REJ: reset in reply to SYN (6 of 6 attempts)${payload}`, []));
      } else if (rule.id === 'connect-dc-kerberos' && kind === 2) {
        findings.push(finding(rule, CONNECT, dc, 'partial', { completed: 31, refused: 9 }, 'ICMP 3/13 administratively prohibited from 10.0.0.1 (9 of 40 attempts)'));
      } else if (rule.id === 'connect-dc-rpc-dynamic' && kind === 3) {
        findings.push(finding(rule, CONNECT, dc, 'missing', {}, 'never attempted in the window the data covers (135 answered, no handed-out port used)', [blindSpot]));
      } else {
        findings.push(finding(rule, CONNECT, dc, 'ok', { completed: 5 + Math.floor(random() * 60) }, 'completed'));
      }
    }
  }
  const [https, crl, adfsHttps, adfsWinrm] = CLOUD_RULES;
  findings.push(finding(https, CONNECT, AZURE_OK, 'ok', { completed: 120 }, 'completed'));
  findings.push(finding(https, CONNECT, AZURE_BLOCKED, 'blocked', { refused: 14 }, `REJ: reset in reply to SYN (14 of 14 attempts), SNI adminwebservice.microsoftonline.com${payload}`, ['a proxy in the path may block 443 to *.microsoftonline.com']));
  findings.push(finding(crl, CONNECT, null, 'missing', {}, `no crl host known: DNS lookups of crl.microsoft.com failed with NXDOMAIN (3 queries)`, ['a failed DNS lookup is often the root cause', blindSpot]));
  findings.push(finding(adfsHttps, CONNECT, ADFS, 'ok', { completed: 12 }, 'completed'));
  findings.push(finding(adfsWinrm, CONNECT, ADFS, 'not-applicable', {}, 'condition federation is off (--feature federation turns it on)'));

  const unexpectedCount = options.unexpected ?? 2;
  const unexpected: UnexpectedFlow[] = [];
  for (let i = 0; i < unexpectedCount; i++) {
    const toUnknown = i % 2 === 1;
    const dst = toUnknown ? `93.184.${Math.floor(i / 250) % 250}.${(i % 250) + 1}` : dcAddress(i % dcs);
    const port = toUnknown ? 8443 : 3389 + (i % 7);
    const refused = toUnknown ? 3 : 0;
    const completed = toUnknown ? 0 : 2 + (i % 5);
    const first = SAMPLE_START + ((i * 13_000_000) % (SAMPLE_END - SAMPLE_START));
    unexpected.push({
      src: CONNECT,
      dst,
      src_roles: ['connect'],
      dst_roles: toUnknown ? [] : ['dc'],
      transport: 'tcp',
      port,
      attempts: completed + refused,
      completed,
      refused,
      unanswered: 0,
      first_ts: first,
      last_ts: first + 5_000_000,
      evidence: evidence(2, 'tcp', port, toUnknown ? 'REJ' : 'SF', toUnknown ? 'refused' : 'completed', toUnknown ? 'REJ: reset in reply to SYN' : 'SF: normal establishment and termination', first),
      display_filter: `ip.addr==${CONNECT} && ip.addr==${dst} && tcp.port==${port}`,
    });
  }
  const unknownCount = options.unknownEndpoints ?? 2;
  const unknown_endpoints: UnknownEndpoint[] = Array.from({ length: unknownCount }, (_, i) => ({
    address: `93.184.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`,
    names: i === 0 ? [`telemetry.example.net${payload}`] : [],
    flows: 1 + (i % 9),
    ports: [8443],
  }));

  const hosts: AuditResult['hosts'] = [
    {
      address: CONNECT,
      names: ['aadc01.corp.example.com'],
      roles: [
        { role: 'connect', source: 'inventory', confidence: 'high', why: 'inventory: connect: 10.0.0.20' },
        { role: 'health-agent', source: 'inferred', confidence: 'medium', why: 'talks HTTPS to *.aadconnecthealth.azure.com (3 flows)' },
      ],
      role_source: 'inventory',
    },
  ];
  for (let d = 0; d < dcs; d++) {
    hosts.push({
      address: dcAddress(d),
      names: [d === 1 ? `dc02.corp.example.com${payload}` : `dc${String(d + 1).padStart(2, '0')}.corp.example.com`],
      roles: [{ role: 'dc', source: 'inferred', confidence: 'high', why: `answers Kerberos 88 (${12 + d} flows) and LDAP 389 (${40 + d} flows)` }],
      role_source: 'inferred',
    });
  }
  hosts.push(
    { address: AZURE_OK, names: ['login.microsoftonline.com'], roles: [{ role: 'azure-ad', source: 'dns', confidence: 'high', why: `DNS answer login.microsoftonline.com → ${AZURE_OK} (file ${capture} frame 9)` }], role_source: 'dns' },
    { address: AZURE_BLOCKED, names: [`adminwebservice.microsoftonline.com${payload}`], roles: [{ role: 'azure-ad', source: 'sni', confidence: 'high', why: `TLS SNI adminwebservice.microsoftonline.com${payload} (file ${capture} frame 211)` }], role_source: 'sni' },
    { address: ADFS, names: ['adfs01.corp.example.com'], roles: [{ role: 'adfs', source: 'cli', confidence: 'high', why: '--role 10.0.1.5=adfs' }], role_source: 'cli' },
  );

  const diag = (code: Diagnostic['code'], i: number, detail: string): Diagnostic => ({ code, origin: { file: capture, offset: 4096 + i * 1514, index: 100 + i }, detail });
  const counts: Record<FindingStatus, number> = { ok: 0, blocked: 0, partial: 0, missing: 0, 'not-applicable': 0, unexpected: unexpected.length };
  for (const f of findings) counts[f.status]++;
  const failing = counts.blocked + counts.missing;
  const requiredSeen = findings.filter((f) => f.required && f.status !== 'not-applicable').length;
  const flows = options.flows ?? 1234;

  return {
    schema: 'flowaudit/report@1',
    generated_at: '2024-05-02T08:00:00.000Z',
    tool: { name: 'flowaudit', version: '0.1.0' },
    verdict: {
      summary: failing
        ? `FAIL: ${counts.blocked} required flows blocked, ${counts.missing} missing`
        : `PASS: all ${requiredSeen} required flows seen and completed`,
      status: failing ? 'fail' : 'pass',
      counts,
    },
    inputs: [
      { file: capture, format: 'pcapng', records: flows * 9, bytes: flows * 9 * 310, first_ts: SAMPLE_START, last_ts: SAMPLE_END, complete: true },
      { file: `broken${payload}.pcap`, format: 'pcap', records: 0, bytes: 24, first_ts: null, last_ts: null, complete: false },
    ],
    window: { first_ts: SAMPLE_START, last_ts: SAMPLE_END },
    catalog: { name: 'hybrid-identity', title: 'Hybrid identity required ports (current)', source: 'Microsoft Learn, reference-connect-ports, 2025-04-09', rules: 22, file: 'catalogs/hybrid-identity.yaml' },
    features: [],
    hosts,
    findings,
    unexpected,
    unknown_endpoints,
    dns_failures: [
      {
        name: `crl.microsoft.com${payload}`,
        queries: 3,
        answered: 0,
        nxdomain: 3,
        servfail: 0,
        otherError: 0,
        unanswered: 0,
        servers: [dcAddress(0)],
        clients: [CONNECT],
        firstEvidence: { file: capture, frame: 33, ts: SAMPLE_START + 2_000_000 },
      },
    ],
    data_quality: {
      counters: { frames: flows * 9, packets_decoded: flows * 9 - 3, flows, pcapng_block_truncated: 1, dns_malformed: 42 },
      diagnostics: [
        { code: 'pcapng_block_truncated', count: 1, examples: [diag('pcapng_block_truncated', 0, 'block of 1514 bytes cut at end of file after 900 bytes')] },
        { code: 'dns_malformed', count: 42, examples: Array.from({ length: 20 }, (_, i) => diag('dns_malformed', i + 1, `compression pointer loop in answer for bad${i}.example${payload}`)) },
      ],
      failedFiles: [{ file: `broken${payload}.pcap`, code: 'input_unknown_format', offset: 0, message: `unknown magic 0x3c736372 in broken${payload}.pcap` }],
      flows,
      evidence_gaps: ['2 flows folded into the overflow count had no evidence kept'],
    },
  };
}
