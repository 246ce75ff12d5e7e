import { describe, expect, it } from 'vitest';
import { CAPTURE_BLIND_SPOT, evaluateAudit, MAX_UNEXPECTED, MAX_UNKNOWN_ENDPOINTS } from '../../../src/audit/evaluate.js';
import { compareAddresses } from '../../../src/common/ip.js';
import type { Condition } from '../../../src/catalog/types.js';
import { FlowSummary } from '../../../src/flows/summary.js';
import type { Flow } from '../../../src/flows/types.js';
import { SAMPLE_DNS_FLOW } from '../../support/flow-samples.js';
import {
  AAD1,
  AAD2,
  agg,
  catalog,
  CONNECT,
  DC1,
  DC2,
  dnsStats,
  HTTPS_AAD,
  KERBEROS,
  LDAP,
  LDAPS,
  roles,
  RPC_DYNAMIC,
  rule,
  SECOND,
  summary,
  T0,
} from '../../support/audit-fixtures.js';

const ONE_DC = roles({ [CONNECT]: ['connect'], [DC1]: ['dc'] });

/** A completed flow as a capture's flow table gives it (addresses as text). */
function tableFlow(i: number, origH: string, respH: string, proto: 'tcp' | 'udp', respP: number): Flow {
  return { ...SAMPLE_DNS_FLOW, uid: `C${i}`, ts: T0 + i * SECOND, proto, origH, origP: 50000 + i, respH, respP, service: undefined, evidence: { file: 'c.pcap', frame: i + 1 } };
}

function run(
  rules = [LDAP],
  data = summary(),
  map = ONE_DC,
  features: Condition[] = [],
) {
  return evaluateAudit(data, map, { catalog: catalog(rules), features: new Set(features) });
}

describe('evaluateAudit: one status per rule and host pair', () => {
  it('ok: seen and completed, with evidence and a display filter', () => {
    const { findings } = run([LDAP], summary({ pairs: [agg({ respH: DC1, respP: 389, completed: 3 })] }));
    expect(findings).toHaveLength(1);
    const f = findings[0];
    expect(f).toMatchObject({ status: 'ok', src: CONNECT, dst: DC1, attempts: 3, completed: 3, refused: 0, unanswered: 0 });
    expect(f.reason).toBe('3 of 3 attempts completed');
    expect(f.display_filter).toBe('ip.addr==10.0.0.20 && ip.addr==10.0.0.10 && tcp.port==389');
    expect(f.evidence).toHaveLength(3);
    expect(f.evidence[0]).toMatchObject({ file: 'capture.pcapng', frame: 100, conn_state: 'SF', dst_port: 389, transport: 'tcp' });
    expect(f.first_ts).toBe(T0);
    expect(f.last_ts).toBe(T0 + 2 * SECOND);
    expect(f.conn_states).toEqual({ SF: 3 });
    expect(f.timeline.buckets).toEqual([[T0, 3, 0]]);
  });

  it('blocked by S0: names the state and the silent-drop cause', () => {
    const { findings } = run([LDAP], summary({ pairs: [agg({ respH: DC1, respP: 389, unanswered: 4 })] }));
    const f = findings[0];
    expect(f.status).toBe('blocked');
    expect(f.reason).toBe('4 of 4 attempts failed: S0×4 (SYN unanswered)');
    expect(f.hints).toContain('silent drop: a firewall or NSG discarding the SYN (or the host is down)');
    expect(f.evidence.every((e) => e.conn_state === 'S0')).toBe(true);
  });

  it('blocked by REJ: port closed or reject rule', () => {
    const { findings } = run([LDAP], summary({ pairs: [agg({ respH: DC1, respP: 389, refused: 2 })] }));
    expect(findings[0].status).toBe('blocked');
    expect(findings[0].reason).toContain('REJ×2 (reset in reply to the SYN)');
    expect(findings[0].hints).toContain('port closed or a reject rule (a reset answered the SYN)');
  });

  it('blocked by ICMP 3/13: the code is named and S0 is not called a silent drop', () => {
    const pairs = [
      agg({
        respH: DC1,
        respP: 88,
        refused: 2,
        connStates: { S0: 2 },
        icmpReasons: ['ICMP 3/13 administratively prohibited from 10.0.0.1'],
      }),
    ];
    const { findings } = run([rule({ id: 'kerb-tcp', ports: { from: 88, to: 88 } })], summary({ pairs }));
    const f = findings[0];
    expect(f.status).toBe('blocked');
    expect(f.reason).toContain('ICMP 3/13 administratively prohibited from 10.0.0.1');
    expect(f.reason).not.toContain('SYN unanswered');
    expect(f.hints).toContain('a firewall rule rejecting with ICMP (administratively prohibited)');
    expect(f.hints.some((h) => h.startsWith('silent drop'))).toBe(false);
  });

  it('blocked by a flow-log deny rule: the rule name is in the reason', () => {
    const pairs = [agg({ respH: DC1, respP: 389, refused: 3, denyRules: ['DenyLdapInbound'], observedBy: 'flowlog' })];
    const f = run([LDAP], summary({ pairs })).findings[0];
    expect(f.status).toBe('blocked');
    expect(f.reason).toContain('denied by flow-log rule DenyLdapInbound');
    expect(f.evidence[0]).toMatchObject({ file: 'pfirewall.log', line: 10 });
    expect(f.evidence[0].frame).toBeUndefined();
  });

  it('partial: some completed, some refused; failures come first in the evidence', () => {
    const pairs = [agg({ respH: DC1, respP: 389, completed: 3, unanswered: 1 })];
    const f = run([LDAP], summary({ pairs })).findings[0];
    expect(f.status).toBe('partial');
    expect(f.reason).toBe('3 of 4 attempts completed, 1 of 4 attempts failed: S0×1 (SYN unanswered)');
    expect(f.evidence[0].outcome).toBe('unanswered');
  });

  it('traffic whose outcome cannot be told (midstream) counts as seen, and says so', () => {
    const f = run([LDAP], summary({ pairs: [agg({ respH: DC1, respP: 389, unknown: 2 })] })).findings[0];
    expect(f.status).toBe('ok');
    expect(f.reason).toBe('2 of 2 attempts undetermined: OTH×2 (midstream, no SYN seen)');
    expect(f.hints[0]).toMatch(/^traffic was seen but not whether it completed/);
  });

  it('missing: required, both hosts present, never attempted; a capture names its blind spot', () => {
    const pairs = [agg({ respH: DC1, respP: 88, completed: 1 })]; // other traffic, from the capture
    const f = run([LDAP], summary({ pairs })).findings[0];
    expect(f.status).toBe('missing');
    expect(f.attempts).toBe(0);
    expect(f.first_ts).toBeNull();
    expect(f.reason).toMatch(/^never attempted in the window the data covers \(2024-05-01T10:00:00\.000000Z – /);
    expect(f.hints).toContain(CAPTURE_BLIND_SPOT);
    expect(f.display_filter).toBe('ip.addr==10.0.0.20 && ip.addr==10.0.0.10 && tcp.port==389');
  });

  it('missing from flow logs: no capture blind-spot hint', () => {
    const pairs = [agg({ respH: DC1, respP: 88, completed: 1, observedBy: 'flowlog' })];
    const f = run([LDAP], summary({ pairs })).findings[0];
    expect(f.status).toBe('missing');
    expect(f.hints).not.toContain(CAPTURE_BLIND_SPOT);
  });

  it('missing over a short window hints at the sync cycle', () => {
    const f = run([LDAP], summary({ firstTs: T0, lastTs: T0 + 120 * SECOND })).findings[0];
    expect(f.status).toBe('missing');
    expect(f.hints.some((h) => h.includes('the data covers only 2m 00s'))).toBe(true);
  });

  it('missing to a DC that appears nowhere in the data: the client may not have needed it, and a test tells', () => {
    const twoDcs = roles({ [CONNECT]: ['connect'], [DC1]: ['dc'], [DC2]: ['dc'] });
    const pairs = [agg({ respH: DC1, respP: 389, completed: 2 })];
    const byDst = new Map(run([LDAP, RPC_DYNAMIC], summary({ pairs }), twoDcs).findings.map((f) => [`${f.rule_id} ${f.dst}`, f]));
    const hint = (f: { hints: string[] }) => f.hints.find((h) => h.startsWith('the data holds no traffic of'));
    expect(hint(byDst.get(`connect-dc-ldap ${DC2}`)!)).toBe(
      'the data holds no traffic of 10.0.0.11 at all, to or from anyone: 10.0.0.20 may not have needed it in the window (a client talks to the DCs its locator picks, or to its preferred DCs); ' +
        'a test from 10.0.0.20 tells whether it can (Test-NetConnection 10.0.0.11 -Port 389)',
    );
    // A range is no port to test with Test-NetConnection; a DC in the data gets no such hint.
    expect(hint(byDst.get(`connect-dc-rpc-dynamic ${DC2}`)!)).toMatch(/; a test from 10\.0\.0\.20 tells whether it can$/);
    expect(hint(byDst.get(`connect-dc-rpc-dynamic ${DC1}`)!)).toBeUndefined();
  });

  it('dynamic RPC missing behind an endpoint mapper that never answered: 135 comes first', () => {
    const blocked = run([RPC_DYNAMIC], summary({ pairs: [agg({ respH: DC1, respP: 135, unanswered: 2 })] })).findings[0];
    expect(blocked.status).toBe('missing');
    expect(blocked.hints).toContain('the endpoint mapper (MS-RPC 135) on 10.0.0.10 never answered 10.0.0.20: it hands out the dynamic port, so no port could be tried; 135 comes first');
    const answered = run([RPC_DYNAMIC], summary({ pairs: [agg({ respH: DC1, respP: 135, completed: 1, unanswered: 1 })] })).findings[0];
    expect(answered.hints.some((h) => h.startsWith('the endpoint mapper'))).toBe(false);
  });

  it('Kerberos missing where other traffic to the DC completed: cached tickets, and how to make the client ask again', () => {
    const pairs = [agg({ respH: DC1, respP: 389, completed: 2 })];
    const f = run([KERBEROS], summary({ pairs })).findings[0];
    expect(f.status).toBe('missing');
    expect(f.hints).toContain(
      'other traffic from 10.0.0.20 to 10.0.0.10 completed: a client that holds Kerberos tickets (they last up to 10 hours) asks the KDC for none; ' +
        '`klist purge` (and `klist -li 0x3e7 purge` for the machine\'s own tickets) on 10.0.0.20 before capturing makes it ask again',
    );
    // Not when nothing to the DC completed.
    const none = run([KERBEROS], summary({ pairs: [agg({ respH: DC1, respP: 389, unanswered: 2 })] })).findings[0];
    expect(none.hints.some((h) => h.includes('Kerberos tickets'))).toBe(false);
  });

  it('not-applicable when the condition is off and nothing was seen', () => {
    const f = run([LDAPS]).findings[0];
    expect(f.status).toBe('not-applicable');
    expect(f.condition).toBe('ldaps');
    expect(f.reason).toContain('condition ldaps is off (turn it on with --feature ldaps)');
  });

  it('missing when the condition is turned on and nothing was seen', () => {
    expect(run([LDAPS], summary(), ONE_DC, ['ldaps']).findings[0].status).toBe('missing');
  });

  it('judged like any other when the condition is off but its traffic is seen', () => {
    const pairs = [agg({ respH: DC1, respP: 636, refused: 1 })];
    const f = run([LDAPS], summary({ pairs })).findings[0];
    expect(f.status).toBe('blocked');
    expect(f.required).toBe(true);
    expect(f.reason).toContain('condition ldaps is off, but its traffic was seen');
  });

  it('a rule with several conditions applies when any of them is on', () => {
    const smb = rule({ id: 'smb', ports: { from: 445, to: 445 }, condition: 'seamless-sso', conditions: ['seamless-sso', 'password-writeback'] });
    const off = run([smb]).findings[0];
    expect(off.status).toBe('not-applicable');
    expect(off.reason).toContain('condition seamless-sso or password-writeback is off');
    expect(off.conditions).toEqual(['seamless-sso', 'password-writeback']);
    expect(run([smb], summary(), ONE_DC, ['password-writeback']).findings[0].status).toBe('missing');
  });

  it('optional rule never seen: not-applicable, not missing', () => {
    const f = run([rule({ id: 'opt', required: false })]).findings[0];
    expect(f.status).toBe('not-applicable');
    expect(f.reason).toContain('optional');
  });

  it('not-applicable when the source role is absent', () => {
    const map = roles({ [DC1]: ['dc'] });
    const { findings } = run([LDAP], summary(), map);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ status: 'not-applicable', src: null, dst: null });
    expect(findings[0].reason).toBe('no host with role connect in the data');
  });

  it('not-applicable when neither role has a host', () => {
    const { findings } = run([LDAP], summary(), roles({}));
    expect(findings[0].status).toBe('not-applicable');
    expect(findings[0].reason).toBe('no host with role connect or dc in the data');
  });

  it('one finding per concrete host pair, self pairs skipped', () => {
    const map = roles({ [CONNECT]: ['connect'], [DC1]: ['dc'], [DC2]: ['dc', 'connect'] });
    const pairs = [agg({ respH: DC1, respP: 389, completed: 1 })];
    const { findings } = run([LDAP], summary({ pairs }), map);
    const pairsSeen = findings.map((f) => `${f.src}>${f.dst}:${f.status}`);
    expect(pairsSeen).toEqual([
      '10.0.0.11>10.0.0.10:missing', // 10.0.0.11 holds both roles: no 10.0.0.11>10.0.0.11
      '10.0.0.20>10.0.0.11:missing',
      '10.0.0.20>10.0.0.10:ok',
    ]);
  });
});

describe('evaluateAudit: TCP/UDP rules', () => {
  it('is met by either transport', () => {
    const pairs = [agg({ respH: DC1, respP: 88, completed: 5 })];
    const f = run([KERBEROS], summary({ pairs })).findings[0];
    expect(f.status).toBe('ok');
    expect(f.transport).toBe('tcp/udp');
    expect(f.reason).toBe('TCP: 5 of 5 attempts completed');
    expect(f.display_filter).toBe('ip.addr==10.0.0.20 && ip.addr==10.0.0.10 && (tcp.port==88 || udp.port==88)');
  });

  it('TCP completed but UDP unanswered → partial, naming the failing transport', () => {
    const pairs = [
      agg({ respH: DC1, respP: 88, completed: 5 }),
      agg({ proto: 'udp', respH: DC1, respP: 88, unanswered: 3 }),
    ];
    const f = run([KERBEROS], summary({ pairs })).findings[0];
    expect(f.status).toBe('partial');
    expect(f.attempts).toBe(8);
    expect(f.reason).toBe('TCP: 5 of 5 attempts completed; UDP: 3 of 3 attempts failed: S0×3 (request, no answer)');
    expect(f.hints).toContain('a UDP request with no answer: a firewall dropping it, or no service listening');
  });

  it('fails on both transports → blocked', () => {
    const pairs = [
      agg({ respH: DC1, respP: 88, refused: 1 }),
      agg({ proto: 'udp', respH: DC1, respP: 88, unanswered: 1 }),
    ];
    expect(run([KERBEROS], summary({ pairs })).findings[0].status).toBe('blocked');
  });

  it('a TCP-only rule ignores UDP traffic on the same port', () => {
    const pairs = [agg({ proto: 'udp', respH: DC1, respP: 389, completed: 2 })];
    expect(run([LDAP], summary({ pairs })).findings[0].status).toBe('missing');
  });
});

describe('evaluateAudit: ranges and the dynamic RPC rule', () => {
  it('without EPM evidence, any flow in the range counts', () => {
    const pairs = [
      agg({ respH: DC1, respP: 49670, completed: 2 }),
      agg({ respH: DC1, respP: 50001, unanswered: 1 }),
      agg({ respH: DC1, respP: 445, unanswered: 7 }), // outside the range
    ];
    const f = run([RPC_DYNAMIC], summary({ pairs })).findings[0];
    expect(f.status).toBe('partial');
    expect(f.attempts).toBe(3);
    expect(f.display_filter).toBe(
      'ip.addr==10.0.0.20 && ip.addr==10.0.0.10 && ((ip.src==10.0.0.20 && tcp.dstport in {49152..65535}) || (ip.dst==10.0.0.20 && tcp.srcport in {49152..65535}))',
    );
  });

  it('with EPM evidence, only flows to the handed-out ports count', () => {
    const pairs = [
      agg({ respH: DC1, respP: 135, completed: 1 }),
      agg({ respH: DC1, respP: 49670, completed: 2 }),
      agg({ respH: DC1, respP: 50001, unanswered: 4 }), // in the range, not handed out
    ];
    const epm = [{ client: CONNECT, server: DC1, ports: [49670], ts: T0 }];
    const f = run([RPC_DYNAMIC], summary({ pairs, epm })).findings[0];
    expect(f.status).toBe('ok');
    expect(f.attempts).toBe(2);
    expect(f.reason).toContain('endpoint mapper handed out (49670)');
    expect(f.display_filter).toBe('ip.addr==10.0.0.20 && ip.addr==10.0.0.10 && tcp.port==49670');
  });

  it('with EPM evidence and the handed-out port blocked → blocked', () => {
    const pairs = [
      agg({ respH: DC1, respP: 49670, unanswered: 2 }),
      agg({ respH: DC1, respP: 50001, completed: 4 }),
    ];
    const epm = [{ client: CONNECT, server: DC1, ports: [49670], ts: T0 }];
    expect(run([RPC_DYNAMIC], summary({ pairs, epm })).findings[0].status).toBe('blocked');
  });

  it('with EPM evidence but no flow to the port → missing, saying so', () => {
    const epm = [{ client: CONNECT, server: DC1, ports: [49671, 49670], ts: T0 }];
    const f = run([RPC_DYNAMIC], summary({ epm })).findings[0];
    expect(f.status).toBe('missing');
    expect(f.display_filter).toContain('tcp.dstport in {49670, 49671}');
    expect(f.reason).toContain('the endpoint mapper handed out ports 49670, 49671, but no flow to them followed');
  });

  it('EPM-handed ports outside the catalog range still count as the rule (a DC whose range was changed)', () => {
    const pairs = [agg({ respH: DC1, respP: 5000, completed: 1 })];
    const epm = [{ client: CONNECT, server: DC1, ports: [5000], ts: T0 }];
    const r = run([RPC_DYNAMIC], summary({ pairs, epm }));
    expect(r.findings[0].status).toBe('ok');
    expect(r.unexpected).toEqual([]);
  });
});

describe('evaluateAudit: occasional rules (CRL downloads: lists are cached until they expire)', () => {
  const CRL = rule({ id: 'connect-crl-http', to: 'crl', protocol: 'HTTP', ports: { from: 80, to: 80 }, occasional: true });
  const CRL_HOST = '23.46.210.19';
  const withCrl = roles({ [CONNECT]: ['connect'], [CRL_HOST]: ['crl'] });
  const connectOnly = roles({ [CONNECT]: ['connect'], [DC1]: ['dc'] });
  const busy = () => [agg({ respH: DC1, respP: 389, completed: 3 })];

  it('no download in the window, no crl host known: not applicable, said why', () => {
    const [f] = run([CRL], summary({ pairs: busy() }), connectOnly).findings;
    expect(f.status).toBe('not-applicable');
    expect(f.reason).toContain('HTTP 80/tcp happens only now and then (the catalog marks it occasional), and none was seen');
  });

  it('no download in the window, crl host known: not applicable either', () => {
    const [f] = run([CRL], summary({ pairs: busy() }), withCrl).findings;
    expect(f.status).toBe('not-applicable');
    expect(f.reason).toContain('its absence proves nothing');
    expect(f.reason).toContain(`contacted none of the 1 known crl host(s) (${CRL_HOST})`);
  });

  it('lookups of the crl names failed: missing, with the lookups as the reason (the data shows why)', () => {
    const dns = [dnsStats({ name: 'crl.microsoft.com', queries: 2, nxdomain: 2 })];
    const [f] = run([CRL], summary({ pairs: busy(), dns }), connectOnly).findings;
    expect(f.status).toBe('missing');
    expect(f.reason).toContain('crl.microsoft.com: 2 lookups, 2 NXDOMAIN');
  });

  it('a download that was tried and refused is blocked, and required', () => {
    const pairs = [...busy(), agg({ respH: CRL_HOST, respP: 80, unanswered: 2 })];
    const [f] = run([CRL], summary({ pairs }), withCrl).findings;
    expect([f.status, f.required]).toEqual(['blocked', true]);
  });
});

describe('evaluateAudit: roles without hosts', () => {
  const map = roles({ [CONNECT]: ['connect'] });

  it('role-only missing names the role and the NXDOMAIN lookups', () => {
    const dns = [
      dnsStats({ name: 'login.microsoftonline.com', queries: 4, nxdomain: 4 }),
      dnsStats({ name: 'www.example.com', queries: 2, nxdomain: 2 }), // not an azure-ad name
    ];
    const { findings } = run([HTTPS_AAD], summary({ dns }), map);
    expect(findings).toHaveLength(1);
    const f = findings[0];
    expect(f).toMatchObject({ status: 'missing', src: CONNECT, dst: null, dst_role: 'azure-ad' });
    expect(f.reason).toContain(
      'login.microsoftonline.com: 4 lookups, 4 NXDOMAIN from 10.0.0.10 (first: capture.pcapng frame 7) — a failed lookup is often the root cause',
    );
    expect(f.reason).not.toContain('www.example.com');
    expect(f.display_filter).toBe('dns.qry.name == "login.microsoftonline.com"');
  });

  it('SERVFAIL and never-answered lookups are named too; answered ones are not', () => {
    const dns = [
      dnsStats({ name: 'adminwebservice.microsoftonline.com', queries: 2, servfail: 2 }),
      dnsStats({ name: 'login.windows.net', queries: 3, unanswered: 3 }),
      dnsStats({ name: 'provisioningapi.microsoftonline.com', queries: 1, answered: 1 }),
    ];
    const f = run([HTTPS_AAD], summary({ dns }), map).findings[0];
    expect(f.reason).toContain('adminwebservice.microsoftonline.com: 2 lookups, 2 SERVFAIL');
    expect(f.reason).toContain('login.windows.net: 3 lookups, 3 never answered');
    expect(f.reason).not.toContain('provisioningapi');
  });

  it('without DNS evidence it says no host is known and how to name one', () => {
    const f = run([HTTPS_AAD], summary(), map).findings[0];
    expect(f.status).toBe('missing');
    expect(f.reason).toContain('no azure-ad host is known in the data');
    expect(f.hints).toContain('if a host with role azure-ad exists, name it with --role ADDRESS=azure-ad or in an inventory');
    expect(f.display_filter).toBe('ip.addr==10.0.0.20 && tcp.port==443');
  });

  it('no azure-ad host in a capture cut by its snap length (pktmon keeps 128 bytes): a hint says the names may be cut off', () => {
    const snapped = (n: number) =>
      evaluateAudit(summary(), map, { catalog: catalog([HTTPS_AAD]), features: new Set(), snappedFrames: n }).findings[0].hints;
    expect(snapped(168)[0]).toBe(
      'the capture kept only the first bytes of 168 packets (its snap length): the DNS answers and TLS server names that would name a host ' +
        'with role azure-ad may be cut off; capture whole packets (pktmon start --capture --pkt-size 0, tcpdump -s 0)',
    );
    expect(snapped(0).some((h) => h.includes('snap length'))).toBe(false);
  });

  it('no azure-ad host, but the Connect server talks to a host without a role on a proxy port: the hint names it', () => {
    const pairs = [
      agg({ respH: '10.0.0.30', respP: 8080, completed: 4 }),
      agg({ respH: '10.0.0.31', respP: 3128, completed: 1 }),
      agg({ respH: '10.0.0.32', respP: 9999, completed: 9 }),
    ];
    const f = run([HTTPS_AAD], summary({ pairs }), map).findings[0];
    expect(f.status).toBe('missing');
    expect(f.hints[0]).toBe(
      '10.0.0.20 talks to 10.0.0.30:8080 (4 flows), a port proxies listen on: if azure-ad is reached through that proxy, its requests were not ' +
        "readable here (a proxy spoken to over TLS, or a request split across segments); the proxy's log has its answers",
    );
    // Without such traffic there is no such hint.
    expect(run([HTTPS_AAD], summary({ pairs: [pairs[2]] }), map).findings[0].hints.some((h) => h.includes('proxies'))).toBe(false);
  });

  it('cloud role with known addresses: one judged finding per contacted address, none for the others', () => {
    const map2 = roles({ [CONNECT]: ['connect'], [AAD1]: ['azure-ad'], [AAD2]: ['azure-ad'] }, 'dns');
    const pairs = [agg({ respH: AAD2, respP: 443, completed: 3 })];
    const { findings } = run([HTTPS_AAD], summary({ pairs }), map2);
    expect(findings.map((f) => [f.dst, f.status])).toEqual([[AAD2, 'ok']]);
  });

  it('cloud role with known addresses, none contacted: one role-level missing finding', () => {
    const map2 = roles({ [CONNECT]: ['connect'], [AAD1]: ['azure-ad'], [AAD2]: ['azure-ad'] }, 'dns');
    const { findings } = run([HTTPS_AAD], summary(), map2);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ status: 'missing', src: CONNECT, dst: null });
    expect(findings[0].reason).toContain('contacted none of the 2 known azure-ad host(s) (20.190.128.10, 20.190.128.11) on 443/tcp');
  });

  it('users → wap: a server no user reached gets one finding without a source', () => {
    const usersRule = rule({ id: 'users-wap-https', from: 'users', to: 'wap', protocol: 'HTTPS', ports: { from: 443, to: 443 } });
    const map3 = roles({ '192.0.2.1': ['users'], '192.0.2.2': ['users'], '10.0.1.5': ['wap'], '10.0.1.6': ['wap'] });
    const pairs = [agg({ origH: '192.0.2.1', respH: '10.0.1.5', respP: 443, completed: 2 })];
    const { findings } = run([usersRule], summary({ pairs }), map3);
    expect(findings.map((f) => [f.src, f.dst, f.status])).toEqual([
      [null, '10.0.1.6', 'missing'],
      ['192.0.2.1', '10.0.1.5', 'ok'],
    ]);
  });
});

describe('evaluateAudit: unexpected traffic and unknown endpoints', () => {
  it('lists flows between role hosts on ports no rule names, most attempts first', () => {
    const pairs = [
      agg({ respH: DC1, respP: 389, completed: 5 }), // covered by LDAP
      agg({ respH: DC1, respP: 3389, completed: 2 }),
      agg({ origH: DC1, respH: CONNECT, respP: 5985, unanswered: 4 }), // dc → connect: no rule in that direction
      agg({ respH: '10.0.0.99', respP: 445, completed: 1 }), // to an unknown host
      agg({ respH: '10.0.0.99', respP: 389, completed: 1 }), // to an unknown host on a port a connect rule names
      agg({ origH: '10.0.0.98', respH: DC1, respP: 22, completed: 9 }), // from an unknown host: not listed
    ];
    const r = run([LDAP], summary({ pairs }));
    expect(r.unexpected.map((u) => `${u.src}>${u.dst}:${u.port}`)).toEqual([
      '10.0.0.10>10.0.0.20:5985',
      '10.0.0.20>10.0.0.10:3389',
      '10.0.0.20>10.0.0.99:445',
    ]);
    expect(r.unexpected_total).toBe(3);
    const u = r.unexpected[0];
    expect(u).toMatchObject({ src_roles: ['dc'], dst_roles: ['connect'], attempts: 4, unanswered: 4, transport: 'tcp' });
    expect(u.display_filter).toBe('ip.addr==10.0.0.10 && ip.addr==10.0.0.20 && tcp.port==5985');
    expect(u.evidence).toHaveLength(4);
  });

  it('ignores ICMP unless refused, and midstream replies from well-known ports', () => {
    const reply = agg({ origH: DC1, respH: CONNECT, respP: 50123, unknown: 2, connStates: { OTH: 2 } });
    for (const s of reply.samples) s.origP = 389;
    const pairs = [agg({ proto: 'icmp', respH: DC1, respP: 0, completed: 3 }), reply];
    expect(run([LDAP], summary({ pairs })).unexpected).toEqual([]);
    const refusedIcmp = agg({ proto: 'icmp', respH: DC1, respP: 0, refused: 1 });
    const r = run([LDAP], summary({ pairs: [refusedIcmp] }));
    expect(r.unexpected).toHaveLength(1);
    expect(r.unexpected[0].display_filter).toBe('ip.addr==10.0.0.20 && ip.addr==10.0.0.10 && icmp');
  });

  it('between hosts whose TCP answers a capture lacks, counts UDP requests as undetermined and names the capture first', () => {
    // TCP completed without one packet of the DC captured (Zeek's SH, see replyNotCaptured), UDP with no answer seen.
    const oneWayTcp = agg({ respH: DC1, respP: 88, completed: 2, connStates: { SH: 2 } });
    for (const s of oneWayTcp.samples) s.connState = 'SH';
    const udp = agg({ proto: 'udp', respH: DC1, respP: 88, unanswered: 2 });
    const ldapDropped = agg({ respH: DC1, respP: 389, unanswered: 3 });
    const findings = (pairs: ReturnType<typeof agg>[]) => run([KERBEROS, LDAP], summary({ pairs })).findings;
    const oneWayHint = `the capture holds no answer of ${DC1} to ${CONNECT} even on connections ${CONNECT} shows were answered: it sees one direction only between them, so these requests may have been answered`;
    const [kerberos, ldap] = [KERBEROS, LDAP].map((r) => findings([oneWayTcp, udp, ldapDropped]).find((f) => f.rule_id === r.id)!);
    expect(kerberos).toMatchObject({ status: 'ok', attempts: 4, completed: 2, unanswered: 0, reason: 'TCP: 2 of 2 attempts completed; UDP: 2 of 2 attempts undetermined' });
    expect(kerberos.hints[0]).toBe(oneWayHint);
    // A TCP attempt that got nowhere is still blocked (its client never acknowledged anything), with the hint.
    expect(ldap.status).toBe('blocked');
    expect(ldap.hints[0]).toBe(oneWayHint);
    // A capture that holds the answers of the TCP connections judges UDP as it is.
    const twoWay = findings([agg({ respH: DC1, respP: 88, completed: 2 }), udp]).find((f) => f.rule_id === KERBEROS.id)!;
    expect(twoWay.status).toBe('partial');
    expect(twoWay.hints.join('\n')).not.toMatch(/one direction/);
  });

  it("leaves out the multicast and broadcast noise of every Windows host (LLMNR, mDNS, SSDP, NetBIOS, DHCP), and says how much", () => {
    const pairs = [
      agg({ proto: 'udp', respH: '224.0.0.252', respP: 5355, unanswered: 4 }), // LLMNR
      agg({ proto: 'udp', respH: '239.255.255.250', respP: 1900, unanswered: 3 }), // SSDP
      agg({ proto: 'udp', respH: 'ff02::1:3', respP: 5355, unanswered: 2 }), // LLMNR over IPv6
      agg({ proto: 'udp', respH: '255.255.255.255', respP: 67, unanswered: 1 }), // DHCP
      agg({ proto: 'udp', respH: '10.0.0.255', respP: 137, unanswered: 5 }), // NetBIOS to the subnet's broadcast
      agg({ proto: 'udp', respH: '233.252.0.1', respP: 5000, unanswered: 1 }), // the top of 224/4's range
      agg({ proto: 'udp', respH: 'FF05::1:3', respP: 547, unanswered: 1 }), // DHCPv6, written in capitals
      // An address ending in .255 that answers (a host in a /23) is a host like any other; so are
      // the neighbours of the multicast range and an IPv6 address that starts with 2.
      agg({ respH: '10.0.1.255', respP: 3389, completed: 1 }),
      agg({ respH: '223.255.255.1', respP: 3389, completed: 1 }),
      agg({ respH: '240.0.0.1', respP: 3389, completed: 1 }),
      agg({ respH: '2001:db8::5', respP: 3389, completed: 1 }),
    ];
    const r = run([LDAP], summary({ pairs }));
    expect(r.unexpected.map((u) => `${u.dst}:${u.port}`).sort()).toEqual(['10.0.1.255:3389', '2001:db8::5:3389', '223.255.255.1:3389', '240.0.0.1:3389']);
    expect(r.unexpected_total).toBe(4);
    expect(r.group_flows).toBe(17);
    expect(r.unknown_endpoints.map((u) => u.address).sort()).toEqual(['10.0.1.255', '2001:db8::5', '223.255.255.1', '240.0.0.1']);
  });

  it("leaves out link-local addresses (a host's own on its link: neighbour discovery, DHCPv6, mDNS), which no firewall between subnets passes", () => {
    const pairs = [
      agg({ proto: 'icmp', origH: 'fe80::4a9', respH: 'fe80::1', respP: 0, completed: 30 }), // neighbour discovery
      agg({ proto: 'udp', origH: 'fe80::4a9', respH: 'ff02::1:2', respP: 547, unanswered: 12 }), // DHCPv6
      agg({ proto: 'udp', origH: 'FE80::EDBC:1', respH: 'ff02::fb', respP: 5353, unanswered: 2 }), // mDNS, in capitals
      agg({ proto: 'udp', origH: '169.254.10.20', respH: '169.254.255.255', respP: 137, unanswered: 3 }), // APIPA NetBIOS
      // Neighbours of those ranges are hosts like any other.
      agg({ respH: 'fec0::5', respP: 3389, completed: 1 }),
      agg({ respH: 'fe8::5', respP: 3389, completed: 1 }),
      agg({ respH: '169.253.0.1', respP: 3389, completed: 1 }),
    ];
    const r = run([LDAP], summary({ pairs }));
    expect(r.unknown_endpoints.map((u) => u.address).sort()).toEqual(['169.253.0.1', 'fe8::5', 'fec0::5']);
    expect(r.unknown_endpoints_total).toBe(3);
  });

  it('leaves them out too when a pair table built the index (it decides as each address is first seen)', () => {
    // A capture's or log's summary: the pair table marks each address plainly routable or not once,
    // and the audit reads that mark; the closer look runs only on the rest.
    const table = new FlowSummary();
    const hosts: [string, string, 'tcp' | 'udp', number][] = [
      ['169.254.10.20', '169.254.10.30', 'tcp', 445], // APIPA host to APIPA host
      ['fe80::4a9', 'fe80::1', 'udp', 547],
      ['10.0.0.98', '169.253.0.1', 'tcp', 3389], // a neighbour of the range: a host like any other
      ['10.0.0.98', 'fe8::5', 'tcp', 3389],
    ];
    hosts.forEach(([origH, respH, proto, respP], i) => table.add(tableFlow(i, origH, respH, proto, respP)));
    const r = run([LDAP], table.toData({ share: true }), roles({ [CONNECT]: ['connect'], [DC1]: ['dc'] }));
    expect(r.unknown_endpoints.map((u) => u.address).sort()).toEqual(['10.0.0.98', '169.253.0.1', 'fe8::5']);
    expect(r.unknown_endpoints_total).toBe(3);
  });

  it('caps the list and keeps the total', () => {
    const pairs = [];
    for (let p = 1; p <= MAX_UNEXPECTED + 20; p++) pairs.push(agg({ respH: DC1, respP: 10000 + p, completed: 1 }));
    const r = run([LDAP], summary({ pairs }));
    expect(r.unexpected).toHaveLength(MAX_UNEXPECTED);
    expect(r.unexpected_total).toBe(MAX_UNEXPECTED + 20);
  });

  /** The unknown endpoints a full sort gives: every address but `excluded`, most flows first, then address order. */
  function busiestReference(flowsOf: Map<string, number>, excluded: Set<string>): { address: string; flows: number }[] {
    return [...flowsOf]
      .filter(([address]) => !excluded.has(address))
      .sort(([a, x], [b, y]) => y - x || compareAddresses(a, b))
      .slice(0, MAX_UNKNOWN_ENDPOINTS)
      .map(([address, flows]) => ({ address, flows }));
  }

  it('ranks the busiest of many, ties at the cut in address order, role hosts, groups and link-local ones out', () => {
    // A pair table's summary: it tallied its hosts' flow counts as it folded the flows, and the
    // audit ranks from that tally; a full sort of every address must agree.
    const table = new FlowSummary();
    const flowsOf = new Map<string, number>();
    const count = (a: string) => flowsOf.set(a, (flowsOf.get(a) ?? 0) + 1);
    let i = 0;
    const add = (origH: string, respH: string, respP: number) => {
      table.add(tableFlow(i++, origH, respH, 'tcp', respP));
      count(origH);
      if (respH !== origH) count(respH);
    };
    // 400 clients with 1 to 6 flows to the DC: dozens tie at every count, the cut among them.
    for (let c = 0; c < 400; c++) {
      const client = c % 5 === 0 ? `2001:db8::${(c + 1).toString(16)}` : `10.1.${c >> 6}.${(c * 37) % 250 + 1}`;
      for (let k = 0; k <= (c * 7) % 6; k++) add(client, DC1, 389);
    }
    add(CONNECT, DC1, 389);
    // Not plainly one host's: a link-local client (left out), and a multicast group (left out), and
    // an address that is no host's plainly yet neither (listed like any other: see above).
    for (let k = 0; k < 9; k++) add('fe80::99', DC1, 389);
    for (let k = 0; k < 9; k++) add('10.1.9.9', '224.0.0.251', 5353);
    for (let k = 0; k < 9; k++) add('10.1.9.9', 'fe8::5', 3389);
    const r = run([LDAP], table.toData({ share: true }), ONE_DC);
    const excluded = new Set([CONNECT, DC1, 'fe80::99', '224.0.0.251']);
    expect(r.unknown_endpoints.map(({ address, flows }) => ({ address, flows }))).toEqual(busiestReference(flowsOf, excluded));
    expect(r.unknown_endpoints_total).toBe(flowsOf.size - excluded.size);
    expect(r.unknown_endpoints.map((u) => u.address)).toContain('fe8::5');
  });

  it('ranks them when the cut lies among hosts with 4096 flows or more', () => {
    // The tally counts such hosts together: the ones at the cut are then sorted by their counts.
    const pairs = [];
    const flowsOf = new Map<string, number>();
    for (let c = 0; c < MAX_UNKNOWN_ENDPOINTS + 30; c++) {
      const client = `10.2.${c >> 8}.${c & 255}`;
      const n = 4090 + ((c * 13) % 20);
      pairs.push(agg({ origH: client, respH: DC1, respP: 389, completed: n }));
      flowsOf.set(client, n);
    }
    const r = run([LDAP], summary({ pairs }), roles({ [DC1]: ['dc'] }));
    expect(r.unknown_endpoints.map(({ address, flows }) => ({ address, flows }))).toEqual(busiestReference(flowsOf, new Set()));
    expect(r.unknown_endpoints_total).toBe(MAX_UNKNOWN_ENDPOINTS + 30);
  });

  it('lists addresses without roles, with flows, names and ports, most flows first', () => {
    const pairs = [
      agg({ respH: '10.0.0.99', respP: 445, completed: 1 }),
      agg({ respH: '10.0.0.99', respP: 80, completed: 1 }),
      agg({ origH: '10.0.0.98', respH: DC1, respP: 22, completed: 9 }),
    ];
    const names = [
      {
        name: 'FILES.contoso.local',
        address: '10.0.0.99',
        source: 'dns' as const,
        evidence: { file: 'capture.pcapng', frame: 3 },
      },
    ];
    const r = run([LDAP], summary({ pairs, names }));
    expect(r.unknown_endpoints).toEqual([
      { address: '10.0.0.98', names: [], flows: 9, ports: [22] },
      { address: '10.0.0.99', names: ['files.contoso.local'], flows: 2, ports: [80, 445] },
    ]);
    expect(r.unknown_endpoints_total).toBe(2);
  });
});

describe('evaluateAudit: ordering', () => {
  it('sorts by severity, then rule order, then numeric source and destination', () => {
    const map = roles({ [CONNECT]: ['connect'], [DC1]: ['dc'], '10.0.0.9': ['dc'], [DC2]: ['dc'] });
    const pairs = [
      agg({ respH: DC1, respP: 389, completed: 1 }),
      agg({ respH: DC2, respP: 389, unanswered: 1 }),
      agg({ respH: '10.0.0.9', respP: 88, refused: 1 }),
      agg({ respH: DC1, respP: 88, completed: 1, unanswered: 1 }),
    ];
    const { findings } = run([LDAP, KERBEROS, LDAPS], summary({ pairs }), map);
    expect(findings.map((f) => `${f.status} ${f.rule_id} ${f.dst}`)).toEqual([
      'blocked connect-dc-ldap 10.0.0.11',
      'blocked connect-dc-kerberos 10.0.0.9',
      'partial connect-dc-kerberos 10.0.0.10',
      'missing connect-dc-ldap 10.0.0.9',
      'missing connect-dc-kerberos 10.0.0.11',
      'ok connect-dc-ldap 10.0.0.10',
      'not-applicable connect-dc-ldaps 10.0.0.9',
      'not-applicable connect-dc-ldaps 10.0.0.10',
      'not-applicable connect-dc-ldaps 10.0.0.11',
    ]);
  });

  it('is deterministic whatever order the aggregates and hosts come in', () => {
    const pairs = [
      agg({ respH: DC1, respP: 389, completed: 1 }),
      agg({ respH: DC2, respP: 389, unanswered: 1 }),
      agg({ respH: DC2, respP: 3389, unanswered: 1 }),
      agg({ respH: DC1, respP: 3389, unanswered: 1 }),
    ];
    const a = run([LDAP], summary({ pairs }), roles({ [CONNECT]: ['connect'], [DC1]: ['dc'], [DC2]: ['dc'] }));
    const b = run([LDAP], summary({ pairs: pairs.slice().reverse() }), roles({ [DC2]: ['dc'], [DC1]: ['dc'], [CONNECT]: ['connect'] }));
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });
});

describe('evaluateAudit: what the data can and cannot see', () => {
  const WAP = '172.16.0.10';
  const ADFS = '10.0.2.10';
  const WAP_ADFS = rule({ id: 'wap-adfs-https', from: 'wap', to: 'adfs', protocol: 'HTTPS', transports: ['tcp'], ports: { from: 443, to: 443 } });
  const farm = roles({ [CONNECT]: ['connect'], [DC1]: ['dc'], [WAP]: ['wap'], [ADFS]: ['adfs'] });

  it('a pair neither of whose hosts appears in data that shows other role hosts is not-applicable, not missing', () => {
    const data = summary({ pairs: [agg({ respH: DC1, respP: 389, completed: 2 })] });
    const f = run([LDAP, WAP_ADFS], data, farm).findings.find((x) => x.rule_id === 'wap-adfs-https')!;
    expect(f.status).toBe('not-applicable');
    expect(f.reason).toBe(`neither ${WAP} nor ${ADFS} appears anywhere in the data: the capture or logs were not taken where their traffic passes`);
  });

  it('a pair with one visible host is still missing', () => {
    const data = summary({ pairs: [agg({ origH: WAP, respH: DC1, respP: 88, completed: 1 })] });
    const f = run([WAP_ADFS], data, farm).findings[0];
    expect(f.status).toBe('missing');
  });

  it('DNS (anyDestination) is met by lookups against any one DC', () => {
    const DNS = rule({ id: 'connect-dc-dns', from: 'connect', to: 'dc', protocol: 'DNS', transports: ['tcp', 'udp'], ports: { from: 53, to: 53 }, anyDestination: true });
    const twoDcs = roles({ [CONNECT]: ['connect'], [DC1]: ['dc'], [DC2]: ['dc'] });
    const data = summary({ pairs: [agg({ respH: DC1, respP: 53, proto: 'udp', completed: 4 }), agg({ respH: DC2, respP: 389, completed: 1 })] });
    const findings = run([DNS], data, twoDcs).findings;
    expect(findings.map((f) => [f.dst, f.status])).toEqual([[DC1, 'ok']]);
  });
});

describe('evaluateAudit: conditional rules that name the same traffic as an applicable one', () => {
  it('the seamless-SSO 443 rule, condition off, defers to the sync 443 rule instead of reporting twice', () => {
    const SSO = rule({ id: 'connect-aad-sso', from: 'connect', to: 'azure-ad', protocol: 'HTTPS', transports: ['tcp'], ports: { from: 443, to: 443 }, condition: 'seamless-sso' });
    const map = roles({ [CONNECT]: ['connect'], [AAD1]: ['azure-ad'] });
    const data = summary({ pairs: [agg({ respH: AAD1, respP: 443, refused: 2 })] });
    const findings = run([HTTPS_AAD, SSO], data, map).findings;
    expect(findings.find((f) => f.rule_id === HTTPS_AAD.id)!.status).toBe('blocked');
    const sso = findings.find((f) => f.rule_id === 'connect-aad-sso')!;
    expect(sso.status).toBe('not-applicable');
    expect(sso.reason).toBe(`condition seamless-sso is off, and the same traffic is judged under ${HTTPS_AAD.id}`);
  });
});

describe('evaluateAudit: logs written on or for known hosts', () => {
  it('a pair outside what the logs observe is not-applicable; a pair with an observed host is judged', () => {
    const twoDcs = roles({ [CONNECT]: ['connect'], [DC1]: ['dc'], [DC2]: ['dc'] });
    // dc02's own firewall log: it shows dc02's traffic only
    const data = summary({ pairs: [agg({ respH: DC2, respP: 88, completed: 1 })] });
    const findings = evaluateAudit(data, twoDcs, { catalog: catalog([LDAP]), features: new Set(), observedHosts: new Set([DC2]) }).findings;
    const toDc1 = findings.find((f) => f.dst === DC1)!;
    expect(toDc1.status).toBe('not-applicable');
    expect(toDc1.reason).toBe(`neither ${CONNECT} nor ${DC1} is a host the logs observe (${DC2}): they cannot show traffic between them`);
    expect(findings.find((f) => f.dst === DC2)!.status).toBe('missing');
  });
});
