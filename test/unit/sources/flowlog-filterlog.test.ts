import { describe, expect, it } from 'vitest';
import { DiagnosticSink } from '../../../src/common/diagnostics.js';
import type { Flow } from '../../../src/flows/types.js';
import { readFilterlog } from '../../../src/sources/flowlog-filterlog.js';
import { openInputStream, sniffFormat } from '../../../src/sources/input.js';

const NOW = new Date('2026-11-27T08:00:00Z');
// Netgate's raw filter log format: rule, sub-rule, anchor, tracker, interface, reason, action, direction, IP version, ...
const tcp4 = (time: string, action: string, id: number, sport: number, dport: number, flags = 'S') =>
  `Nov 20 ${time} fw filterlog[12345]: 5,,,1000000103,igb1,match,${action},in,4,0x0,,127,${id},0,DF,6,tcp,52,10.0.0.20,10.0.1.11,${sport},${dport},0,${flags},1000,,64240,,mss;nop;wscale;nop;nop;sackOK\n`;

async function read(text: string, tz?: string) {
  const diag = new DiagnosticSink();
  const flows: Flow[] = [];
  const input = await openInputStream('filter.log', (async function* () {
    yield new TextEncoder().encode(text);
  })());
  const summary = await readFilterlog(input, { diag, tz, now: NOW }, (f) => flows.push(f));
  return { flows, summary, diag };
}

describe('pfSense and OPNsense firewall logs (filterlog)', () => {
  it('are told by filterlog and its fields, in the firewall\'s own log and as sent to a syslog server (RFC 5424)', () => {
    const sniff = (t: string) => sniffFormat(new TextEncoder().encode(t));
    expect(sniff(tcp4('09:15:02', 'block', 1, 50123, 389))).toBe('filterlog');
    expect(
      sniff('<134>1 2026-11-20T09:15:05.123456+01:00 fw filterlog 12345 - [meta sequenceId="7"] 9,,,1000000110,igb1,match,reject,in,6,0x00,0x00000,64,udp,17,60,2001:db8::20,2001:db8:1::11,61000,88,40\n'),
    ).toBe('filterlog');
    expect(sniff('Nov 20 09:15:04 fw dhcpd[400]: DHCPACK on 10.0.0.50 to 00:11:22:33:44:55 via igb1\n')).not.toBe('filterlog');
  });

  it('make one refused flow of a blocked SYN and its retransmissions, with the rule, and a passed one completed', async () => {
    const { flows, summary } = await read(
      tcp4('09:15:01', 'pass', 1, 50200, 88) + tcp4('09:15:02', 'block', 2, 50123, 389) + tcp4('09:15:03', 'block', 3, 50123, 389) + 'Nov 20 09:15:04 fw dhcpd[400]: DHCPACK on 10.0.0.50\n',
    );
    expect(flows).toHaveLength(2);
    const ldap = flows.find((f) => f.respP === 389)!;
    expect(ldap).toMatchObject({ proto: 'tcp', origH: '10.0.0.20', respH: '10.0.1.11', connState: 'S0', outcome: 'refused', synCount: 2, origPkts: 2 });
    expect(ldap.reason).toBe('blocked by the pfSense/OPNsense firewall (rule 1000000103)');
    expect(ldap.log).toMatchObject({ action: 'block', rule: '1000000103', records: 2 });
    expect(ldap.evidence).toEqual({ file: 'filter.log', line: 2 });
    expect(flows.find((f) => f.respP === 88)).toMatchObject({ outcome: 'completed', log: { action: 'pass' } });
    expect(summary).toMatchObject({ format: 'filterlog', records: 3, firstTs: Date.UTC(2026, 10, 20, 9, 15, 1) * 1000 });
  });

  it('reads IPv6, rejects, ICMP, a blocked packet of an open connection, and the zone of an RFC 5424 stamp', async () => {
    const { flows } = await read(
      '<134>1 2026-11-20T10:15:05.5+01:00 fw filterlog 12345 - [meta sequenceId="7"] 9,,,1000000110,igb1,match,reject,in,6,0x00,0x00000,64,udp,17,60,2001:DB8::20,2001:db8:1::11,61000,88,40\n' +
        'Nov 20 09:15:06 fw filterlog[12345]: 5,,,1000000103,igb1,match,block,in,4,0x0,,127,4670,0,none,1,icmp,84,10.0.0.20,10.0.1.11,request,1,1\n' +
        tcp4('09:15:07', 'block', 9, 50400, 636, 'PA'),
    );
    expect(flows.find((f) => f.proto === 'udp')).toMatchObject({ origH: '2001:db8::20', respP: 88, outcome: 'refused', ts: Date.UTC(2026, 10, 20, 9, 15, 5, 500) * 1000 });
    expect(flows.find((f) => f.proto === 'udp')!.reason).toMatch(/^rejected by/);
    expect(flows.find((f) => f.proto === 'icmp')).toMatchObject({ origP: 8, outcome: 'refused' });
    expect(flows.find((f) => f.respP === 636)).toMatchObject({ connState: 'OTH', outcome: 'refused' });
  });
});
