import { describe, expect, it } from 'vitest';
import { evaluateAudit } from '../../../src/audit/evaluate.js';
import { hostGroups } from '../../../src/roles/host-groups.js';
import type { InputInfo } from '../../../src/audit/types.js';
import { agg, catalog, KERBEROS, LDAP, roles, summary } from '../../support/audit-fixtures.js';

const SYNC4 = '10.0.0.20';
const SYNC6 = '2001:db8:79::20';
const DC4 = '10.0.0.11';
const DC6 = '2001:db8:77::11';

const input = (captured_on: string[], one_conversation?: boolean): InputInfo => ({
  file: 'aadc01.pcapng',
  format: 'pcapng',
  records: 100,
  bytes: 10_000,
  first_ts: 0,
  last_ts: 1,
  complete: true,
  captured_on,
  one_conversation,
});
const named = (address: string, ...names: string[]) => ({ address, names });

describe('hostGroups: the addresses of one dual-stack host', () => {
  it("a name's one IPv4 and one IPv6 address, and a capture's one capture point per family", () => {
    const g = hostGroups([named(DC4, 'dc01.contoso.com'), named(DC6, 'dc01.contoso.com', '_ldap._tcp.dc._msdcs.contoso.com')], [input([SYNC4, SYNC6])]);
    expect(g.get(DC4)).toEqual([DC4, DC6]);
    expect(g.get(DC6)).toBe(g.get(DC4));
    expect(g.get(SYNC6)).toEqual([SYNC4, SYNC6]);
  });

  it('a conversation per family: the ends names do not tie are the other host', () => {
    const g = hostGroups([named(DC4, 'dc01.contoso.com'), named(DC6, 'dc01.contoso.com')], [input([DC4, SYNC4, DC6, SYNC6])]);
    expect(g.get(SYNC4)).toEqual([SYNC4, SYNC6]);
    // Without a name to tie one end of each family, nothing is concluded.
    expect(hostGroups([], [input([DC4, SYNC4, DC6, SYNC6])]).size).toBe(0);
  });

  it('groups nothing for a name of several addresses of one family (a load-balanced service), nor for service names', () => {
    const aad = [named('20.190.1.1', 'login.microsoftonline.com'), named('20.190.1.2', 'login.microsoftonline.com'), named('2603:1026::1', 'login.microsoftonline.com')];
    expect(hostGroups(aad, []).size).toBe(0);
    expect(hostGroups([named(DC4, '_ldap._tcp.contoso.com'), named(DC6, '_ldap._tcp.contoso.com')], []).size).toBe(0);
  });
});

describe('evaluateAudit of dual-stack hosts: traffic counts whichever address it took', () => {
  const map = roles({ [SYNC4]: ['connect'], [SYNC6]: ['connect'], [DC4]: ['dc'], [DC6]: ['dc'] }, 'inventory', { [DC4]: ['dc01.contoso.com'], [DC6]: ['dc01.contoso.com'] });
  const groups = hostGroups([...map.hosts.values()], [input([SYNC4, SYNC6])]);
  const run = (pairs: ReturnType<typeof agg>[], hostGroupsOpt = groups) =>
    evaluateAudit(summary({ pairs }), map, { catalog: catalog([LDAP, KERBEROS]), features: new Set(), hostGroups: hostGroupsOpt }).findings;
  // LDAP went over IPv6 (the name resolved to both; Windows prefers IPv6), Kerberos over IPv4.
  const healthy = [agg({ origH: SYNC6, respH: DC6, respP: 389, completed: 3 }), agg({ origH: SYNC4, respH: DC4, respP: 88, completed: 2 })];

  it('a healthy sync over both families misses nothing, and no IPv4 address is judged against an IPv6 one', () => {
    const findings = run(healthy);
    expect(findings.map((f) => [f.rule_id, f.src, f.dst, f.status])).toEqual([
      ['connect-dc-ldap', SYNC6, DC6, 'ok'],
      ['connect-dc-kerberos', SYNC4, DC4, 'ok'],
    ]);
    // Without the groups, the other family's pairs read as missing (the false failure this prevents).
    expect(run(healthy, new Map()).filter((f) => f.status === 'missing').map((f) => [f.rule_id, f.src, f.dst])).toEqual([
      ['connect-dc-ldap', SYNC4, DC4],
      ['connect-dc-kerberos', SYNC6, DC6],
    ]);
  });

  it('what neither address exchanged is missing once for the pair of hosts', () => {
    const missing = run([agg({ origH: SYNC4, respH: DC4, respP: 88, completed: 2 })]).filter((f) => f.status === 'missing');
    expect(missing.map((f) => [f.rule_id, f.src, f.dst])).toEqual([['connect-dc-ldap', SYNC4, DC4]]);
  });
});
