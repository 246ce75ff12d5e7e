import { describe, expect, it } from 'vitest';
import { DiagnosticSink } from '../../../src/common/diagnostics.js';
import type { Flow } from '../../../src/flows/types.js';
import { readAsa } from '../../../src/sources/flowlog-asa.js';
import { openInputStream, sniffFormat } from '../../../src/sources/input.js';

const NOW = new Date('2026-11-27T08:00:00Z');
const asa = (time: string, msg: string) => `<164>Nov 20 2026 ${time}: %ASA-${msg}\n`;

async function read(text: string, tz?: string) {
  const diag = new DiagnosticSink();
  const flows: Flow[] = [];
  const input = await openInputStream('asa.log', (async function* () {
    yield new TextEncoder().encode(text);
  })());
  const summary = await readAsa(input, { diag, tz, now: NOW }, (f) => flows.push(f));
  return { flows, summary, diag };
}

describe('Cisco ASA and FTD logs', () => {
  it('are told by their %ASA- and %FTD- messages', () => {
    const sniff = (t: string) => sniffFormat(new TextEncoder().encode(t));
    expect(sniff(asa('09:15:02', '4-106023: Deny tcp src inside:10.0.0.20/50123 dst outside:10.0.1.11/389 by access-group "inside_in" [0x0, 0x0]'))).toBe('asa');
    expect(sniff('Nov 20 09:15:02 fw1 : %FTD-6-302014: Teardown TCP connection 7 for outside:10.0.1.11/389 to inside:10.0.0.20/50123 duration 0:00:30 bytes 0 SYN Timeout\n')).toBe('asa');
  });

  it('make one refused flow of the denied SYNs of one attempt, naming the access group', async () => {
    const deny = '4-106023: Deny tcp src inside:10.0.0.20/50123 dst outside:10.0.1.11/389 by access-group "inside_in" [0x0, 0x0]';
    const { flows, summary } = await read(asa('09:15:02', deny) + asa('09:15:05', deny), 'Europe/Berlin');
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({ origH: '10.0.0.20', respH: '10.0.1.11', respP: 389, connState: 'S0', outcome: 'refused', synCount: 2 });
    expect(flows[0].reason).toBe('denied by the Cisco firewall (access list "inside_in")');
    expect(flows[0].log).toMatchObject({ action: 'Deny', rule: 'inside_in', records: 2 });
    // The ASA's own stamp, local time with a year, read in the zone given.
    expect(summary.firstTs).toBe(Date.UTC(2026, 10, 20, 8, 15, 2) * 1000);
  });

  it('pair Built and Teardown (the initiator of an outbound connection is its second address) and read the teardown reason', async () => {
    const built = (id: number, port: number, client: number) =>
      `6-302013: Built outbound TCP connection ${id} for outside:10.0.1.11/${port} (10.0.1.11/${port}) to inside:10.0.0.20/${client} (10.0.0.20/${client})`;
    const down = (id: number, port: number, client: number, bytes: number, why: string) =>
      `6-302014: Teardown TCP connection ${id} for outside:10.0.1.11/${port} to inside:10.0.0.20/${client} duration 0:00:30 bytes ${bytes} ${why}`;
    const { flows } = await read(
      asa('09:15:01', built(1, 88, 50200)) +
        asa('09:15:02', down(1, 88, 50200, 4521, 'TCP FINs')) +
        asa('09:15:06', built(2, 135, 50300)) +
        asa('09:15:36', down(2, 135, 50300, 0, 'SYN Timeout')) +
        asa('09:15:37', built(3, 636, 50400)) +
        asa('09:15:37', down(3, 636, 50400, 0, 'TCP Reset-O')) +
        asa('09:15:38', down(9, 445, 50500, 900, 'TCP FINs')) +
        asa('09:15:39', '6-302015: Built outbound UDP connection 4 for outside:10.0.1.11/53 (10.0.1.11/53) to inside:10.0.0.20/61000 (10.0.0.20/61000)'),
    );
    const by = (port: number) => flows.find((f) => f.respP === port)!;
    expect(by(88)).toMatchObject({ origH: '10.0.0.20', origP: 50200, connState: 'SF', outcome: 'completed', duration: 30_000_000 });
    expect(by(135)).toMatchObject({ connState: 'S0', outcome: 'unanswered' });
    expect(by(636)).toMatchObject({ connState: 'REJ', outcome: 'refused' });
    // A teardown whose Built came before the log: the server is the side on the lower port.
    expect(by(445)).toMatchObject({ origH: '10.0.0.20', respH: '10.0.1.11', outcome: 'completed' });
    expect(by(53)).toMatchObject({ proto: 'udp', outcome: 'unknown' });
  });

  it('read IPv6 endpoints and the identity firewall user after an endpoint', async () => {
    const { flows } = await read(
      asa('09:15:01', '6-302013: Built inbound TCP connection 5 for outside:2001:db8::20/50200 (2001:db8::20/50200)(LOCAL\\aadsync) to inside:2001:db8:1::11/389 (2001:db8:1::11/389)') +
        asa('09:15:31', '6-302014: Teardown TCP connection 5 for outside:2001:db8::20/50200(LOCAL\\aadsync) to inside:2001:db8:1::11/389 duration 0:00:30 bytes 0 SYN Timeout'),
    );
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({ origH: '2001:db8::20', respH: '2001:db8:1::11', respP: 389, outcome: 'unanswered' });
  });
});
