import { describe, expect, it } from 'vitest';
import { flowFilter } from '../../../src/cli/flow-filter.js';
import { UsageError } from '../../../src/common/diagnostics.js';
import type { Flow } from '../../../src/flows/types.js';

const flow = (p: Partial<Flow>): Flow =>
  ({ proto: 'tcp', origH: '10.0.0.20', origP: 50000, respH: '10.0.0.10', respP: 389, ...p }) as Flow;

describe('flowFilter (flows --host, --port)', () => {
  it('is absent without options', () => {
    expect(flowFilter([], [])).toBeNull();
  });

  it('matches an address at either end, in any spelling, or inside a CIDR block', () => {
    const f = flowFilter(['10.0.0.10', 'FD00:0::5', '192.168.1.0/24'], [])!;
    expect(f(flow({}))).toBe(true);
    expect(f(flow({ origH: '10.0.0.10', respH: '10.9.9.9' }))).toBe(true);
    expect(f(flow({ respH: 'fd00::5' }))).toBe(true);
    expect(f(flow({ respH: '192.168.1.77' }))).toBe(true);
    expect(f(flow({ respH: '10.0.0.11' }))).toBe(false);
  });

  it('matches a name where a log or proxy gives it, and as the TLS server name, HTTP Host or DNS question', () => {
    const f = flowFilter(['Login.MicrosoftOnline.com.'], [])!;
    expect(f(flow({ respH: 'login.microsoftonline.com' }))).toBe(true);
    expect(f(flow({ respH: '20.190.151.68', sni: 'login.microsoftonline.com' }))).toBe(true);
    expect(f(flow({ respH: '10.0.0.10', proto: 'udp', respP: 53, dns: { queries: [{ name: 'login.microsoftonline.com', type: 'A' }], rcode: 0, answers: [] } }))).toBe(true);
    expect(f(flow({ respH: '10.0.0.99', proxy: { method: 'CONNECT', target: 'login.microsoftonline.com:443', status: 407 } }))).toBe(true);
    expect(f(flow({ respH: '20.190.151.68', sni: 'graph.microsoft.com' }))).toBe(false);
  });

  it('matches a port at either end, never an ICMP type or code, and needs host and port both', () => {
    const f = flowFilter(['10.0.0.10'], ['389', '88'])!;
    expect(f(flow({}))).toBe(true);
    expect(f(flow({ respP: 88, proto: 'udp' }))).toBe(true);
    expect(f(flow({ respP: 445 }))).toBe(false);
    expect(f(flow({ respH: '10.0.0.11' }))).toBe(false);
    expect(flowFilter([], ['8'])!(flow({ proto: 'icmp', origP: 8, respP: 0 }))).toBe(false);
  });

  it('refuses what is none of these, naming the option', () => {
    expect(() => flowFilter(['10.0.0.0/33'], [])).toThrow(UsageError);
    expect(() => flowFilter(['10.0.0.0/33'], [])).toThrow(/--host "10.0.0.0\/33": not a valid CIDR block/);
    expect(() => flowFilter(['a host'], [])).toThrow(/--host "a host": expected an IP address, a CIDR block or a host name/);
    expect(() => flowFilter([], ['http'])).toThrow(/--port "http": expected a port number/);
    expect(() => flowFilter([], ['70000'])).toThrow(UsageError);
  });
});
