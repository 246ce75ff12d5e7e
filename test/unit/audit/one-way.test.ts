import { describe, expect, it } from 'vitest';
import { withOneWayDns } from '../../../src/audit/one-way.js';
import { agg, DNS_SERVER, dnsStats, summary } from '../../support/audit-fixtures.js';

/** TCP connections to `server` completed though none of its packets was captured (Zeek's SH). */
function oneWayTo(server: string) {
  const a = agg({ respH: server, respP: 88, completed: 1, connStates: { SH: 1 } });
  for (const s of a.samples) s.connState = 'SH';
  return a;
}

describe('withOneWayDns', () => {
  const lookups = [
    dnsStats({ name: 'login.microsoftonline.com', queries: 4, unanswered: 4 }),
    dnsStats({ name: 'nosuch.contoso.local', queries: 2, nxdomain: 2 }),
    dnsStats({ name: 'elsewhere.contoso.com', queries: 1, unanswered: 1, servers: ['10.9.9.9'] }),
  ];

  it('counts lookups sent only to servers whose answers the capture lacks as neither answered nor failed', () => {
    const s = withOneWayDns(summary({ pairs: [oneWayTo(DNS_SERVER)], dns: lookups }));
    expect(s.dns.map((d) => [d.name, d.unanswered, d.nxdomain])).toEqual([
      ['login.microsoftonline.com', 0, 0],
      // An NXDOMAIN was captured: a failure still.
      ['nosuch.contoso.local', 0, 2],
      // Another server, whose answers nothing says are missing.
      ['elsewhere.contoso.com', 1, 0],
    ]);
  });

  it("leaves the summary as it is when the capture holds the servers' answers", () => {
    const whole = summary({ pairs: [agg({ respH: DNS_SERVER, respP: 88, completed: 1 })], dns: lookups });
    expect(withOneWayDns(whole)).toBe(whole);
  });
});
