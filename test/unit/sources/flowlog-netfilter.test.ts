import { describe, expect, it } from 'vitest';
import { DiagnosticSink } from '../../../src/common/diagnostics.js';
import type { Flow } from '../../../src/flows/types.js';
import { readNetfilter } from '../../../src/sources/flowlog-netfilter.js';
import { openInputStream, sniffFormat } from '../../../src/sources/input.js';

const NOW = new Date('2026-11-27T08:00:00Z');
const ufw = (time: string, action: string, rest: string) =>
  `Nov 20 ${time} dc1 kernel: [12345.100000] [UFW ${action}] IN=eth0 OUT= MAC=00:15:5d:01:02:11:00:15:5d:01:02:20:08:00 ${rest}\n`;
const syn = (id: number, sport: number, dport: number) =>
  `SRC=10.0.0.20 DST=10.0.0.11 LEN=52 TOS=0x00 PREC=0x00 TTL=128 ID=${id} DF PROTO=TCP SPT=${sport} DPT=${dport} WINDOW=64240 RES=0x00 SYN URGP=0`;

async function read(text: string, tz?: string, now: Date = NOW) {
  const diag = new DiagnosticSink();
  const flows: Flow[] = [];
  const input = await openInputStream('fw.log', (async function* () {
    yield new TextEncoder().encode(text);
  })());
  const summary = await readNetfilter(input, { diag, tz, now }, (f) => flows.push(f));
  return { flows, summary, diag };
}

describe('Linux firewall logs (netfilter LOG lines)', () => {
  it('are told from other text by their fields, whatever writes them (ufw.log, journalctl -o short-iso, dmesg)', () => {
    const sniff = (t: string) => sniffFormat(new TextEncoder().encode(t));
    expect(sniff(ufw('09:15:02', 'BLOCK', syn(1, 50123, 389)))).toBe('netfilter');
    expect(sniff(`2026-11-20T09:15:02.123456+01:00 gw kernel: filter_FWD_public_REJECT: IN=eth0 OUT=eth1 SRC=10.0.0.20 DST=10.0.1.11 LEN=60 PROTO=TCP SPT=1 DPT=389 RES=0x00 SYN URGP=0\n`)).toBe('netfilter');
    expect(sniff(`[12345.678901] IN=eth0 OUT= MAC= SRC=10.0.0.20 DST=10.0.0.11 LEN=60 PROTO=UDP SPT=1 DPT=88 LEN=40\n`)).toBe('netfilter');
    expect(sniff('Nov 20 09:15:02 dc1 sshd[100]: Accepted publickey for root\n')).not.toBe('netfilter');
  });

  it('make one refused flow of a dropped SYN and its retransmissions, with the rule prefix and the direction', async () => {
    const { flows, summary } = await read(
      ufw('09:15:02', 'BLOCK', syn(1, 50123, 389)) + ufw('09:15:03', 'BLOCK', syn(2, 50123, 389)) + ufw('09:15:05', 'BLOCK', syn(3, 50123, 389)) + 'Nov 20 09:15:06 dc1 kernel: [12350.0] audit: type=1400 something else\n',
    );
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({ proto: 'tcp', origH: '10.0.0.20', respH: '10.0.0.11', respP: 389, connState: 'S0', outcome: 'refused', synCount: 3, origPkts: 3 });
    expect(flows[0].reason).toBe('dropped by the Linux firewall ("[UFW BLOCK]")');
    expect(flows[0].log).toMatchObject({ action: 'DROP', direction: 'RECEIVE', records: 3 });
    expect(flows[0].evidence).toEqual({ file: 'fw.log', line: 1 });
    // Syslog stamps have no year: this one's, read in the zone given (UTC here).
    expect(summary).toMatchObject({ format: 'netfilter', records: 3, firstTs: Date.UTC(2026, 10, 20, 9, 15, 2) * 1000, timeZone: { name: 'UTC', assumed: true } });
  });

  it('reads what a prefix says: allowed, rejected, or only logged', async () => {
    const { flows, diag } = await read(
      ufw('09:15:01', 'ALLOW', syn(1, 50200, 88)) +
        ufw('09:15:02', 'AUDIT', syn(2, 50300, 445)) +
        'Nov 20 09:15:03 dc1 kernel: filter_IN_public_REJECT: IN=eth0 OUT= MAC=00 SRC=10.0.0.20 DST=10.0.0.11 LEN=60 TOS=0x00 PREC=0x00 TTL=128 ID=5 PROTO=UDP SPT=61000 DPT=464 LEN=40\n',
    );
    const by = (port: number) => flows.find((f) => f.respP === port)!;
    expect(by(88)).toMatchObject({ outcome: 'completed', log: { action: 'ALLOW' } });
    expect(by(445)).toMatchObject({ outcome: 'unknown', log: { action: 'LOG' } });
    expect(by(445).reason).toMatch(/does not say whether it let the packet through/);
    expect(by(464)).toMatchObject({ proto: 'udp', outcome: 'refused', reason: 'rejected by the Linux firewall ("filter_IN_public_REJECT:")' });
    expect(diag.counters.get('netfilter_lines_without_verdict')).toBe(1);
  });

  it('reads forwarded packets (a router between the hosts), IPv6, ICMP, and ISO stamps with their zone', async () => {
    const { flows } = await read(
      '2026-11-20T10:15:02.250000+01:00 gw kernel: DROP-FWD: IN=eth0 OUT=eth1 SRC=2001:DB8::20 DST=2001:db8:1::11 LEN=80 TC=0 HOPLIMIT=63 FLOWLBL=0 PROTO=TCP SPT=50123 DPT=636 WINDOW=64800 RES=0x00 SYN URGP=0\n' +
        '2026-11-20T09:15:03Z gw kernel: DROP-FWD: IN=eth0 OUT=eth1 SRC=10.0.0.20 DST=10.0.1.11 LEN=84 TOS=0x00 PREC=0x00 TTL=63 ID=9 PROTO=ICMP TYPE=8 CODE=0 ID=1 SEQ=1\n',
    );
    expect(flows[0]).toMatchObject({ origH: '2001:db8::20', respH: '2001:db8:1::11', respP: 636, ts: Date.UTC(2026, 10, 20, 9, 15, 2, 250) * 1000, log: { direction: 'FORWARD' } });
    expect(flows[0].reason).toBe('dropped by the Linux firewall ("DROP-FWD:"), forwarding');
    expect(flows[1]).toMatchObject({ proto: 'icmp', origP: 8, respP: 0 });
  });

  it('reads RFC 5424 syslog lines (priority, version, ISO stamp, no colon after the tag)', async () => {
    const { flows } = await read(`<4>1 2026-11-20T09:15:02.5Z dc1 kernel - - - [UFW BLOCK] IN=eth0 OUT= ${syn(1, 50123, 389)}\n`);
    expect(flows[0]).toMatchObject({ ts: Date.UTC(2026, 10, 20, 9, 15, 2, 500) * 1000, reason: 'dropped by the Linux firewall ("[UFW BLOCK]")' });
  });

  it('reads a stamp from last December in January in last year', async () => {
    const { summary } = await read(`Dec 31 23:59:59 dc1 kernel: [1.0] [UFW BLOCK] IN=eth0 OUT= ${syn(1, 50123, 389)}\n`, undefined, new Date('2027-01-02T00:00:00Z'));
    expect(summary.firstTs).toBe(Date.UTC(2026, 11, 31, 23, 59, 59) * 1000);
  });

  it("counts dmesg's seconds since boot from 1970, and says so", async () => {
    const { summary, diag } = await read(`[12345.500000] [UFW BLOCK] IN=eth0 OUT= ${syn(1, 50123, 389)}\n`);
    expect(summary.firstTs).toBe(12_345_500_000);
    expect(diag.countOf('log_bad_time')).toBe(1);
  });

  // As a Linux 6.x kernel printed an nftables `log prefix "DROP-LDAP: " drop` rule's line in a
  // network namespace (nf_log_all_netns=1), read back with `dmesg -T` and `dmesg --time-format iso`.
  const kernelLine =
    'DROP-LDAP: IN=vdc OUT= MAC=4e:41:19:82:e7:5f:16:40:86:a0:08:5c:08:00 SRC=10.77.0.20 DST=10.77.0.11 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=28450 DF PROTO=TCP SPT=49776 DPT=389 WINDOW=64240 RES=0x00 SYN URGP=0 ';

  it("reads dmesg -T's bracketed local time in --tz, and dmesg --time-format iso's stamp with its zone", async () => {
    const ctime = await read(`[Fri Nov 27 10:21:46 2026] ${kernelLine}\n`, '+01:00');
    expect(ctime.diag.countOf('log_bad_time')).toBe(0);
    expect(ctime.summary.firstTs).toBe(Date.UTC(2026, 10, 27, 9, 21, 46) * 1000);
    expect(ctime.flows).toHaveLength(1);
    expect(ctime.flows[0]).toMatchObject({ origH: '10.77.0.20', respH: '10.77.0.11', respP: 389, outcome: 'refused' });
    const iso = await read(`2026-11-27T10:21:46,823452+00:00 ${kernelLine}\n`);
    expect(iso.summary.firstTs).toBe(Date.UTC(2026, 10, 27, 10, 21, 46) * 1000 + 823_452);
    expect(iso.flows[0].reason).toContain('DROP-LDAP:');
  });
});
