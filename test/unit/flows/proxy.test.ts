import { describe, expect, it } from 'vitest';
import { failureHints, judgeTraffic, type Tally } from '../../../src/audit/judge.js';
import { filterForPorts } from '../../../src/audit/display-filter.js';
import { auditInputs } from '../../../src/cli/commands.js';
import { FlowSummary } from '../../../src/flows/summary.js';
import type { Flow } from '../../../src/flows/types.js';
import { runPackets, TcpTalk } from './packet-helper.js';

const CLIENT = '10.0.0.20';
const PROXY = '10.0.0.30';

/** One connection to the proxy: the request, the proxy's answer (status 0: none), then a close. */
function throughProxy(method: string, target: string, status: number, statusText = ''): Flow {
  const t = new TcpTalk(CLIENT, 50000, PROXY, 8080).handshake();
  t.data('c', 120, { http: { method, target, status: 0, statusText: '' } });
  if (status > 0) t.data('s', 90, { http: { method: '', target: null, status, statusText } });
  t.fin('c').fin('s').ack('c');
  const { flows } = runPackets(t.specs);
  expect(flows).toHaveLength(1);
  return flows[0];
}

describe('flows through an explicit HTTP proxy', () => {
  it("a refused CONNECT: the tunnel's outcome, the proxy's words", () => {
    const f = throughProxy('CONNECT', 'login.microsoftonline.com:443', 407, 'Proxy Authentication Required');
    expect(f.connState).toBe('SF');
    expect(f.outcome).toBe('refused');
    expect(f.reason).toBe('proxy refused CONNECT login.microsoftonline.com:443: HTTP 407 Proxy Authentication Required');
    expect(f.proxy).toEqual({ method: 'CONNECT', target: 'login.microsoftonline.com:443', status: 407 });
    expect(f.service).toBe('http');
  });

  it('an opened tunnel completes; no answer yet when the capture ends is unknown; closed with no answer is refused', () => {
    expect(throughProxy('CONNECT', 'login.microsoftonline.com:443', 200, 'Connection established').outcome).toBe('completed');
    // Still open: the answer may have come after the capture stopped.
    const open = new TcpTalk(CLIENT, 50000, PROXY, 8080).handshake();
    open.data('c', 120, { http: { method: 'CONNECT', target: 'login.microsoftonline.com:443', status: 0, statusText: '' } });
    const [pending] = runPackets(open.specs).flows;
    expect([pending.connState, pending.outcome, pending.reason]).toEqual(['S1', 'unknown', 'CONNECT login.microsoftonline.com:443 sent to the proxy, no answer seen']);
    // Closed on both sides and never answered: the proxy ended the request.
    const closed = throughProxy('CONNECT', 'login.microsoftonline.com:443', 0);
    expect([closed.connState, closed.outcome]).toEqual(['SF', 'refused']);
    expect(closed.reason).toBe(
      'SF: established, then closed with no answer to the 120 bytes sent (a proxy or filter ending the request after the handshake?): CONNECT login.microsoftonline.com:443 to the proxy',
    );
  });

  it('a 407 answered with credentials on the same connection, then 200: the tunnel opened (NTLM / Negotiate)', () => {
    const t = new TcpTalk(CLIENT, 50000, PROXY, 8080).handshake();
    const connect = { method: 'CONNECT', target: 'login.microsoftonline.com:443', status: 0, statusText: '' };
    t.data('c', 120, { http: connect }).data('s', 300, { http: { method: '', target: null, status: 407, statusText: 'Proxy Authentication Required' } });
    t.data('c', 400, { http: connect }).data('s', 300, { http: { method: '', target: null, status: 407, statusText: 'Proxy Authentication Required' } });
    t.data('c', 600, { http: connect }).data('s', 60, { http: { method: '', target: null, status: 200, statusText: 'Connection established' } });
    t.data('c', 1500).data('s', 4000).fin('c').fin('s').ack('c');
    const [f] = runPackets(t.specs).flows;
    expect([f.outcome, f.reason]).toEqual(['completed', 'proxy opened a tunnel to login.microsoftonline.com:443 (HTTP 200 Connection established)']);
    expect(f.proxy?.status).toBe(200);
  });

  it('a proxy that resets the connection after the request: refused by the reset, which the tunnel pair shows as such', () => {
    const t = new TcpTalk(CLIENT, 50000, PROXY, 8080).handshake();
    t.data('c', 120, { http: { method: 'CONNECT', target: 'login.microsoftonline.com:443', status: 0, statusText: '' } }).rst('s');
    const [f] = runPackets(t.specs).flows;
    expect([f.connState, f.outcome, f.proxy?.status]).toEqual(['RSTR', 'refused', 0]);
    const s = new FlowSummary();
    s.add(f);
    const tunnel = s.toData().pairs.find((p) => p.respH === 'login.microsoftonline.com')!;
    expect([tunnel.refused, tunnel.icmpReasons, tunnel.connStates]).toEqual([1, [], { RSTR: 1 }]);
  });

  it("a fetch (GET http://...) is refused only by the proxy's own refusals", () => {
    expect(throughProxy('GET', 'crl.microsoft.com:80', 404, 'Not Found').outcome).toBe('completed');
    expect(throughProxy('GET', 'crl.microsoft.com:80', 502, 'Bad Gateway').outcome).toBe('refused');
    expect(throughProxy('GET', 'crl.microsoft.com:80', 407).outcome).toBe('refused');
  });

  it('the summary holds the request as the pair the client meant, named by the request, not as a pair to the proxy; the SNI inside does not name the proxy', () => {
    const f = { ...throughProxy('CONNECT', 'login.microsoftonline.com:443', 407, 'Proxy Authentication Required'), sni: 'login.microsoftonline.com' };
    const s = new FlowSummary();
    s.add(f);
    const d = s.toData();
    expect(d.flows).toBe(1);
    expect(d.pairs.map((p) => [p.origH, p.respH, p.respP, p.refused])).toEqual([[CLIENT, 'login.microsoftonline.com', 443, 1]]);
    expect(d.pairs[0].icmpReasons).toEqual(['proxy refused CONNECT login.microsoftonline.com:443: HTTP 407 Proxy Authentication Required']);
    expect(d.names.map((n) => [n.source, n.name, n.address, n.via])).toEqual([['proxy', 'login.microsoftonline.com', 'login.microsoftonline.com', PROXY]]);
  });

  it('findings on a tunnel: display filter on the request and the answer, and what the status means', () => {
    expect(filterForPorts(CLIENT, 'login.microsoftonline.com', ['tcp'], [{ from: 443, to: 443 }])).toBe(
      'ip.addr==10.0.0.20 && (tls.handshake.extensions_server_name == "login.microsoftonline.com" || http.host == "login.microsoftonline.com" || ' +
        'http.request.uri contains "login.microsoftonline.com" || http.response_for.uri contains "login.microsoftonline.com")',
    );
    const tally = (reason: string): Tally => ({ attempts: 1, completed: 0, refused: 1, unanswered: 0, unknown: 0, firstTs: null, lastTs: null, connStates: { SF: 1 }, icmpReasons: [reason], denyRules: [] });
    expect(failureHints('tcp', tally('proxy refused CONNECT x:443: HTTP 407 Proxy Authentication Required'))[0]).toMatch(/credentials/);
    expect(failureHints('tcp', tally('proxy refused CONNECT x:443: HTTP 403 Forbidden'))[0]).toMatch(/policy blocks/);
    expect(failureHints('tcp', tally('proxy refused GET x:80: HTTP 504 Gateway Timeout'))[0]).toMatch(/could not reach/);
    expect(failureHints('tcp', tally('DROP by the Windows Firewall of the receiving host (RECEIVE)'))[0]).toMatch(/Windows Firewall rule/);
  });

  it('a host name a firewall log gives as the destination names that host (source log)', () => {
    const s = new FlowSummary();
    const f = throughProxy('CONNECT', 'x:443', 200);
    s.add({ ...f, proxy: undefined, observedBy: 'flowlog', respH: 'login.microsoftonline.com', respP: 443, evidence: { file: 'azfw.csv', line: 2 }, log: { action: 'Deny', dstName: true } });
    expect(s.toData().names.map((n) => [n.source, n.name, n.address])).toEqual([['log', 'login.microsoftonline.com', 'login.microsoftonline.com']]);
  });

  it('407s answered on new connections, then tunnels that open: the handshake of proxy authentication, not a refusal', () => {
    const s = new FlowSummary();
    s.add(throughProxy('CONNECT', 'login.microsoftonline.com:443', 407, 'Proxy Authentication Required'));
    s.add(throughProxy('CONNECT', 'login.microsoftonline.com:443', 200, 'Connection established'));
    const tunnel = s.toData().pairs.filter((p) => p.respH === 'login.microsoftonline.com');
    const j = judgeTraffic(['tcp'], tunnel);
    expect(j.status).toBe('ok');
    expect(j.reason).toBe('1 of 2 attempts completed; the other 1 was the proxy asking for credentials (HTTP 407) before it let the client through');
    expect(j.hints).toEqual([]);
    // Any other refusal keeps it partial.
    const s2 = new FlowSummary();
    s2.add(throughProxy('CONNECT', 'login.microsoftonline.com:443', 403, 'Forbidden'));
    s2.add(throughProxy('CONNECT', 'login.microsoftonline.com:443', 200, 'Connection established'));
    expect(judgeTraffic(['tcp'], s2.toData().pairs.filter((p) => p.respH === 'login.microsoftonline.com')).status).toBe('partial');
  });

  it('the proxy fixture without an inventory: every role inferred or named, the Entra ID rules blocked by the proxy', async () => {
    const quiet = { out: () => {}, err: () => {}, stderrIsTTY: false, stdoutIsTTY: false };
    const flags = { role: [], feature: [], failOn: [], include: [], exclude: [], quiet: true, workers: '0' };
    const r = (await auditInputs(['fixtures/proxy-auth-required.pcapng'], flags, quiet, new Date(0)))!;
    const roles = Object.fromEntries(r.hosts.map((h) => [h.address, h.roles.map((x) => `${x.role}/${x.source}`).join(',')]));
    expect(roles).toMatchObject({
      '10.0.0.20': 'connect/inferred',
      'login.microsoftonline.com': 'azure-ad/proxy,health-service/proxy',
      'adminwebservice.microsoftonline.com': 'azure-ad/proxy',
      'crl.microsoft.com': 'crl/proxy',
    });
    expect(r.hosts.find((h) => h.address === '10.0.0.20')!.roles[0].why).toBe(
      'contacts adminwebservice.microsoftonline.com on tcp/443 (2 flows), a name only connect hosts use',
    );
    const blocked = r.findings.filter((f) => f.status === 'blocked').map((f) => [f.rule_id, f.dst, f.reason]);
    expect(blocked).toEqual([
      ['connect-azure-ad-https', 'adminwebservice.microsoftonline.com', '2 of 2 attempts failed: proxy refused CONNECT adminwebservice.microsoftonline.com:443: HTTP 407 Proxy Authentication Required'],
      ['connect-azure-ad-https', 'login.microsoftonline.com', '2 of 2 attempts failed: proxy refused CONNECT login.microsoftonline.com:443: HTTP 407 Proxy Authentication Required'],
    ]);
    expect(r.unexpected).toEqual([]);
  });
});
