import { describe, expect, it } from 'vitest';
import { buildAuditResult, DEFAULT_FAIL_ON, exitCodeFor, type BuildAuditArgs } from '../../../src/audit/build.js';
import type { FindingStatus } from '../../../src/audit/types.js';
import { SERVER_ANSWER_CODES, type DataQuality, type Diagnostic } from '../../../src/common/diagnostics.js';
import { ANSWER_KINDS, tieAnswersToFindings } from '../../../src/audit/answers.js';
import {
  agg,
  catalog,
  CONNECT,
  DC1,
  dnsStats,
  finding,
  KERBEROS,
  LDAP,
  LDAPS,
  roles,
  summary,
  T0,
} from '../../support/audit-fixtures.js';

const CLEAN: DataQuality = { counters: { frames: 10 }, diagnostics: [], failedFiles: [] };

function build(over: Partial<BuildAuditArgs> = {}) {
  return buildAuditResult({
    summary: summary(),
    roles: roles({ [CONNECT]: ['connect'], [DC1]: ['dc'] }),
    catalog: catalog([LDAP, KERBEROS, LDAPS]),
    features: new Set(),
    inputs: [{ file: 'capture.pcapng', format: 'pcapng', records: 10, bytes: 1000, first_ts: T0, last_ts: T0 + 1, complete: true }],
    dataQuality: CLEAN,
    version: '0.1.0',
    generatedAt: new Date('2024-05-01T12:00:00Z'),
    failOn: DEFAULT_FAIL_ON,
    ...over,
  });
}

const healthy = summary({
  pairs: [agg({ respH: DC1, respP: 389, completed: 4 }), agg({ respH: DC1, respP: 88, completed: 2 })],
});

describe('buildAuditResult: verdict and exit code', () => {
  it('passes when every required flow is seen and completed', () => {
    const r = build({ summary: healthy });
    expect(r.verdict.status).toBe('pass');
    expect(r.verdict.summary).toBe('PASS: all 2 required flows seen and completed');
    expect(exitCodeFor(r)).toBe(0);
    expect(r.verdict.counts).toEqual({ blocked: 0, partial: 0, missing: 0, unexpected: 0, ok: 2, 'not-applicable': 1 });
  });

  it('fails on a blocked and a missing required flow, naming them', () => {
    const r = build({ summary: summary({ pairs: [agg({ respH: DC1, respP: 389, unanswered: 4 })] }) });
    expect(r.verdict.status).toBe('fail');
    expect(r.verdict.summary).toBe(
      'FAIL: 1 required flow blocked, 1 missing (connect 10.0.0.20 → dc 10.0.0.10 LDAP 389/tcp blocked; connect 10.0.0.20 → dc 10.0.0.10 Kerberos 88/tcp/udp missing)',
    );
    expect(exitCodeFor(r)).toBe(1);
  });

  it('partial passes by default and fails with --fail-on partial', () => {
    const data = summary({
      pairs: [agg({ respH: DC1, respP: 389, completed: 3, refused: 1 }), agg({ respH: DC1, respP: 88, completed: 2 })],
    });
    const byDefault = build({ summary: data });
    expect(byDefault.verdict.status).toBe('pass');
    expect(byDefault.verdict.summary).toBe('PASS: 1 of 2 required flows seen and completed; 1 partial (not in --fail-on)');
    const strict = build({ summary: data, failOn: ['blocked', 'missing', 'partial'] });
    expect(strict.verdict.status).toBe('fail');
    expect(strict.verdict.summary).toMatch(/^FAIL: 1 required flow partial \(connect 10\.0\.0\.20 → dc 10\.0\.0\.10 LDAP/);
    expect(exitCodeFor(strict)).toBe(1);
  });

  it('--fail-on blocked ignores missing flows', () => {
    const r = build({ failOn: ['blocked'] });
    expect(r.verdict.status).toBe('pass');
    expect(r.verdict.counts.missing).toBe(2);
  });

  it('--fail-on unexpected fails on any unexpected flow', () => {
    const data = summary({ pairs: [...healthy.pairs, agg({ respH: DC1, respP: 3389, completed: 1 })] });
    expect(build({ summary: data }).verdict.status).toBe('pass');
    const r = build({ summary: data, failOn: ['unexpected'] });
    expect(r.verdict.status).toBe('fail');
    expect(r.verdict.summary).toBe('FAIL: 1 unexpected flow');
    expect(r.verdict.counts.unexpected).toBe(1);
  });

  it('an optional rule that is blocked does not fail the run', () => {
    const optional = { ...LDAP, id: 'opt', required: false, ports: { from: 5671, to: 5671 } };
    const data = summary({ pairs: [...healthy.pairs, agg({ respH: DC1, respP: 5671, unanswered: 2 })] });
    const r = build({ summary: data, catalog: catalog([LDAP, KERBEROS, optional]) });
    expect(r.findings[0]).toMatchObject({ rule_id: 'opt', status: 'blocked', required: false });
    expect(r.verdict.status).toBe('pass');
  });

  it('says nothing was judged when no rule applies', () => {
    const r = build({ roles: roles({}) });
    expect(r.verdict.status).toBe('pass');
    expect(r.verdict.summary).toMatch(/^PASS \(nothing judged\)/);
  });

  it('when nothing is judged for want of a Connect server, names the hosts that may be it and the --role to give', () => {
    const r = build({ roles: { ...roles({ [DC1]: ['dc'] }), connectCandidates: [{ address: '10.0.0.20', flows: 16 }] } });
    expect(r.verdict.status).toBe('pass');
    expect(r.verdict.summary).toBe(
      'PASS (nothing judged): 1 domain controller found, but no Connect server, from which the required rules start; ' +
        'if it is 10.0.0.20 (16 LDAP and Kerberos flows to the DCs), say so: --role 10.0.0.20=connect (or in an inventory)',
    );
    expect(exitCodeFor(r)).toBe(0);
  });

  it('a condition turned on makes its rule count', () => {
    const r = build({ summary: healthy, features: new Set(['ldaps']) });
    expect(r.features).toEqual(['ldaps']);
    expect(r.verdict.status).toBe('fail');
    expect(r.findings[0]).toMatchObject({ rule_id: 'connect-dc-ldaps', status: 'missing' });
  });
});

describe('logs of denials only', () => {
  const dropLog = { file: 'dc01-pfirewall.log', format: 'pfirewall', records: 6, bytes: 600, first_ts: T0, last_ts: T0 + 1, complete: true, denied_only: true };
  // LDAP was dropped; Kerberos, allowed, is in no log that records only drops.
  const drops = summary({ pairs: [agg({ respH: DC1, respP: 389, refused: 2 })] });

  it('what the firewall let through is not judged missing: its absence proves nothing, and the verdict and the gaps say why', () => {
    const r = build({ summary: drops, inputs: [dropLog] });
    expect(r.findings.find((f) => f.rule_id === 'connect-dc-ldap')).toMatchObject({ status: 'blocked' });
    const kerberos = r.findings.find((f) => f.rule_id === KERBEROS.id)!;
    expect(kerberos.status).toBe('not-applicable');
    expect(kerberos.reason).toMatch(/the logs hold only denied or dropped traffic: what their firewalls let through is not in them/);
    expect(r.verdict.status).toBe('fail');
    expect(r.verdict.summary).toMatch(/; the logs hold only denied traffic: what their firewalls let through cannot be judged \(have allowed connections logged too\)$/);
    expect(r.data_quality.evidence_gaps).toContainEqual(expect.stringMatching(/^dc01-pfirewall\.log holds only denied or dropped traffic: a Windows Firewall logs allowed connections only when "Log successful connections" is on/));
  });

  it('beside a capture or a log of allowed traffic, absence is judged as usual (the gap still names the log)', () => {
    const r = build({ summary: drops, inputs: [dropLog, { file: 'capture.pcapng', format: 'pcapng', records: 10, bytes: 1000, first_ts: T0, last_ts: T0 + 1, complete: true }] });
    expect(r.findings.find((f) => f.rule_id === KERBEROS.id)!.status).toBe('missing');
    expect(r.verdict.summary).not.toMatch(/only denied traffic/);
    expect(r.data_quality.evidence_gaps).toContainEqual(expect.stringMatching(/^dc01-pfirewall\.log holds only denied/));
  });
});

describe('Windows Firewall logs without a DROP line', () => {
  it('a missing flow may have been dropped unlogged: said in its possible causes, the verdict and the gaps', () => {
    const allowLog = { file: 'dc01-pfirewall.log', format: 'pfirewall', records: 6, bytes: 600, first_ts: T0, last_ts: T0 + 1, complete: true, no_drops_logged: true };
    const r = build({ summary: summary({ pairs: [agg({ respH: DC1, respP: 88, completed: 2 })] }), inputs: [allowLog] });
    const ldap = r.findings.find((f) => f.rule_id === LDAP.id)!;
    expect(ldap.status).toBe('missing');
    expect(ldap.hints).toContain('dc01-pfirewall.log logged no dropped packet: if "Log dropped packets" is off there (the Windows default), a dropped attempt left no trace');
    expect(r.verdict.summary).toMatch(/; the Windows Firewall log holds no DROP line: if dropped packets are not logged, a missing flow may have been dropped$/);
    expect(r.data_quality.evidence_gaps).toContainEqual(expect.stringMatching(/^dc01-pfirewall\.log holds no DROP line/));
  });

  it("only for traffic to or from the log's own host: another host's firewall is not in it", () => {
    const allowLog = { file: 'dc09-pfirewall.log', format: 'pfirewall', records: 6, bytes: 600, first_ts: T0, last_ts: T0 + 1, complete: true, no_drops_logged: true };
    const r = build({
      summary: summary({ pairs: [agg({ respH: DC1, respP: 88, completed: 2 })] }),
      inputs: [allowLog],
      logsWithoutDrops: [{ file: 'dc09-pfirewall.log', hosts: ['10.0.0.99'] }],
    });
    const ldap = r.findings.find((f) => f.rule_id === LDAP.id)!;
    expect(ldap.status).toBe('missing');
    expect(ldap.hints!.join(' ')).not.toMatch(/logged no dropped packet/);
    expect(r.verdict.summary).not.toMatch(/no DROP line/);
  });
});

describe('buildAuditResult: the rest of report.json', () => {
  it('fills schema, tool, window, catalog, hosts with their strongest role source', () => {
    const map = roles({ [CONNECT]: ['connect'], [DC1]: ['dc'] }, 'inferred');
    map.hosts.get(DC1)!.roles.push({ role: 'dc', source: 'inventory', confidence: 'high', why: 'inventory: dc' });
    const r = build({ summary: healthy, roles: map, assumedTimezone: 'Europe/Berlin' });
    expect(r.schema).toBe('flowaudit/report@1');
    expect(r.generated_at).toBe('2024-05-01T12:00:00.000Z');
    expect(r.tool).toEqual({ name: 'flowaudit', version: '0.1.0' });
    expect(r.window).toEqual({ first_ts: healthy.firstTs, last_ts: healthy.lastTs });
    expect(r.assumed_timezone).toBe('Europe/Berlin');
    expect(r.catalog).toEqual({ name: 'test-catalog', title: 'Test catalog', source: 'unit tests', rules: 3, file: 'test.yaml' });
    expect(r.hosts.map((h) => [h.address, h.role_source])).toEqual([
      [DC1, 'inventory'],
      [CONNECT, 'inferred'],
    ]);
  });

  it('lists DNS failures and evidence gaps', () => {
    const data = summary({
      pairs: healthy.pairs,
      dns: [dnsStats({ name: 'ok.example', queries: 1, answered: 1 }), dnsStats({ name: 'login.microsoftonline.com', queries: 4, nxdomain: 4 })],
      overflowFlows: 12,
    });
    const dq: DataQuality = {
      counters: { frames: 10, flows_evicted: 3, frames_snapped: 4, frames_duplicate: 5 },
      diagnostics: [
        { code: 'log_events_lost', count: 2, examples: [] },
        { code: 'pcap_record_truncated', count: 1, examples: [] },
        { code: 'frame_duplicate', count: 1, examples: [] },
        { code: 'log_unsupported_protocol', count: 32, examples: [] },
      ],
      failedFiles: [{ file: 'bad.pcap', code: 'input_unknown_format', offset: -1, message: 'not a capture' }],
    };
    const r = build({ summary: data, dataQuality: dq });
    expect(r.dns_failures.map((d) => d.name)).toEqual(['login.microsoftonline.com']);
    expect(r.data_quality.flows).toBe(6);
    expect(r.data_quality.evidence_gaps).toEqual([
      'Windows Firewall log lost events (INFO-EVENTS-LOST) 2 times: flows in those gaps are not in the data',
      '3 flows were evicted from the full flow table before it ended: its outcome may be incomplete',
      '12 flows beyond the host-pair cap could not be attributed to a host pair: findings may undercount',
      '1 input file could not be read (see failed files)',
      "4 frames were captured only in part (the capture's snap length): host names in DNS answers and TLS ClientHellos past the cut are not read, so fewer hosts may be named (pktmon keeps 128 bytes of each packet unless started with --pkt-size 0)",
      '5 frames were second copies of a packet logged just before (pktmon, Npcap or NFLOG log one packet more than once): each packet is counted once',
      '32 log lines were of a protocol other than TCP, UDP and ICMP (a Windows Firewall logs IGMP, protocol 2): not flows, so left out (see log_unsupported_protocol under diagnostics)',
      '1 problem was reported while reading (see diagnostics): data there was skipped',
    ]);
  });

  it('names what breaks a sync while the ports work (TLS inspection, Kerberos errors, refused binds) on the verdict line and in the gaps', () => {
    const dq: DataQuality = { counters: { tls_inspected_certificates: 1, kerberos_errors: 2, ldap_bind_errors: 3 }, diagnostics: [], failedFiles: [] };
    const r = build({ summary: healthy, dataQuality: dq });
    expect(r.verdict.summary).toMatch(
      /; TLS inspection of Microsoft endpoints seen \(1 certificate from another issuer, see the report\); Kerberos errors that stop a logon: 2 \(see the report\); LDAP binds refused: 3 \(see the report\)$/,
    );
    expect(r.data_quality.evidence_gaps).toEqual([
      'TLS inspection: 1 certificate for Microsoft names came from an issuer Microsoft does not use (see Answers that can stop a sync): a proxy or firewall decrypts this traffic, which Entra Connect and its agents do not support',
      'Kerberos: 2 requests got an error that stops a logon (see Answers that can stop a sync): port 88 is open, but the account could not authenticate',
      'LDAP: 3 binds were refused by a domain controller (see Answers that can stop a sync): port 389 is open, but the account could not bind',
    ]);
  });

  it('the answers the report lists are the codes the terminal prints as answers, not warnings', () => {
    expect(new Set(ANSWER_KINDS.map((k) => k.code))).toEqual(SERVER_ANSWER_CODES);
  });

  it("names each server answer beside the finding of its client, server, transport and port, and nowhere else", () => {
    const example = (code: 'kerberos_error' | 'ldap_bind_error' | 'tls_alert', index: number, subject?: Diagnostic['subject']) => ({
      code,
      count: 1,
      examples: [{ code, origin: { file: 'c.pcap', offset: 100 * index, index }, detail: `answer ${index}`, ...(subject ? { subject } : {}) }],
    });
    const dq: DataQuality = {
      counters: { kerberos_errors: 1, ldap_bind_errors: 2, tls_alerts: 2 },
      diagnostics: [
        example('kerberos_error', 1, { client: CONNECT, server: DC1, transport: 'udp', port: 88 }),
        example('ldap_bind_error', 2, { client: CONNECT, server: DC1, transport: 'tcp', port: 389 }),
        // Another client's, one on a port of a rule that does not apply (LDAPS is off), one without its exchange.
        example('tls_alert', 3, { client: '10.0.0.99', server: DC1, transport: 'tcp', port: 389 }),
        example('tls_alert', 4, { client: CONNECT, server: DC1, transport: 'tcp', port: 636 }),
        example('ldap_bind_error', 5),
        // LDAP's rule is TCP only: a UDP answer on 389 is not its own.
        example('ldap_bind_error', 6, { client: CONNECT, server: DC1, transport: 'udp', port: 389 }),
      ],
      failedFiles: [],
    };
    const r = build({ summary: healthy, dataQuality: dq });
    const answers = Object.fromEntries(r.findings.map((f) => [f.rule_id, f.answers?.map((a) => `${a.code} ${a.detail} ${a.file}#${a.frame}`)]));
    expect(answers).toEqual({
      [KERBEROS.id]: ['kerberos_error answer 1 c.pcap#1'],
      [LDAP.id]: ['ldap_bind_error answer 2 c.pcap#2'],
      [LDAPS.id]: undefined,
    });
    expect(r.findings.find((f) => f.rule_id === KERBEROS.id)?.status).toBe('ok');
  });

  it("matches an answer's port inside a finding's range (dynamic RPC)", () => {
    const rpc = finding({ rule_id: 'connect-dc-rpc-dynamic', transport: 'tcp', ports: '49152-65535', status: 'ok' });
    const other = finding({ rule_id: 'connect-dc-ldap', transport: 'tcp', ports: '389', status: 'ok' });
    const subject = { client: rpc.src!, server: rpc.dst!, transport: 'tcp' as const, port: 49668 };
    const dq: DataQuality = {
      counters: {},
      diagnostics: [{ code: 'tls_alert', count: 1, examples: [{ code: 'tls_alert', origin: { file: 'c.pcap', offset: 0, index: 7 }, detail: 'alert', subject }] }],
      failedFiles: [],
    };
    tieAnswersToFindings([rpc, other], dq);
    expect(rpc.answers).toEqual([{ code: 'tls_alert', detail: 'alert', file: 'c.pcap', frame: 7 }]);
    expect(other.answers).toBeUndefined();
  });

  it('reports no gaps for clean data', () => {
    expect(build({ summary: healthy }).data_quality.evidence_gaps).toEqual([]);
  });

  it.each<[FindingStatus[], 0 | 1]>([
    [['blocked', 'missing'], 1],
    [['blocked'], 1],
    [['missing'], 0],
    [['partial'], 0],
  ])('exit code with --fail-on %j on a blocked LDAP flow is %i', (failOn, code) => {
    const data = summary({ pairs: [agg({ respH: DC1, respP: 389, unanswered: 1 }), agg({ respH: DC1, respP: 88, completed: 1 })] });
    expect(exitCodeFor(build({ summary: data, failOn }))).toBe(code);
  });
});
