import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { writePcap } from '../support/pcap-writer.js';
import { dnsResponse, ethernet, IPPROTO_TCP, IPPROTO_UDP, ipv4, tcp, TCP_SYN, udp } from '../support/packet-builder.js';
import { PcapngWriter } from '../support/pcapng-writer.js';
import { compileScenario } from '../scenarios/compile.js';
import { SCENARIOS as HYBRID_SCENARIOS } from '../scenarios/hybrid.js';
import type { Exchange } from '../scenarios/model.js';

/**
 * The installed command, run as a user runs it: `node dist/src/cli/bin.js` (npm test builds first).
 * Asserts exit codes, what reaches stdout and stderr, and the files written.
 */
const root = resolve(__dirname, '../..');
const bin = join(root, 'dist/src/cli/bin.js');
const fixture = (name: string) => join(root, 'fixtures', name);

function run(args: string[], opts: { input?: Buffer | string; cwd?: string; env?: Record<string, string> } = {}) {
  const env = opts.env ? { ...process.env, ...opts.env } : process.env;
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: opts.cwd ?? root, input: opts.input, encoding: 'utf8', maxBuffer: 1 << 26, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'flowaudit-e2e-'));

describe('flowaudit analyze', () => {
  it('FLOWAUDIT_TIMING=1 adds one line on stderr saying where the time went, and changes nothing else', () => {
    const plain = tmp();
    const timedOut = tmp();
    const args = ['analyze', fixture('ldap-dropped.pcapng'), '--inventory', fixture('inventory.yaml'), '--format', 'json,md,csv'];
    const a = run([...args, '--out', plain], { env: { SOURCE_DATE_EPOCH: '0', FLOWAUDIT_TIMING: '' } });
    const b = run([...args, '--out', timedOut], { env: { SOURCE_DATE_EPOCH: '0', FLOWAUDIT_TIMING: '1' } });
    expect(b.code).toBe(a.code);
    expect(b.stdout.split(timedOut).join('OUT')).toBe(a.stdout.split(plain).join('OUT'));
    expect(a.stderr).toBe('');
    expect(b.stderr).toMatch(
      /^flowaudit: timing: read [\d,]+ ms \(fold [\d,]+ ms, 40 calls\) · summary [\d,]+ ms · roles [\d,]+ ms · audit [\d,]+ ms · write [\d,]+ ms · total [\d,]+ ms\n$/,
    );
    for (const name of ['report.json', 'report.md', 'report.csv']) {
      expect(readFileSync(join(timedOut, name), 'utf8')).toBe(readFileSync(join(plain, name), 'utf8'));
    }
  });

  it('passes a healthy sync: exit 0, all four reports written', () => {
    const out = tmp();
    const r = run(['analyze', fixture('healthy-sync.pcapng'), '--inventory', fixture('inventory.yaml'), '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^PASS: /);
    expect(readdirSync(out).sort()).toEqual(['report.csv', 'report.html', 'report.json', 'report.md']);
  });

  it("a DC's own logs without an inventory: nothing judged, and the verdict names the likely Connect server and the --role to give", () => {
    const out = tmp();
    const r = run(['analyze', fixture('logs'), '--out', out, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(
      'PASS (nothing judged): 2 domain controllers found, but no Connect server, from which the required rules start; ' +
        'if it is 10.0.0.20 (16 LDAP and Kerberos flows to the DCs), say so: --role 10.0.0.20=connect (or in an inventory)',
    );
    // Given that way, it is audited.
    const again = run(['analyze', fixture('logs'), '--role', '10.0.0.20=connect', '--out', out, '--format', 'json']);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/^FAIL: /);
  });

  it('fails when LDAP is dropped: exit 1, the blocked flow named first with its evidence', () => {
    const out = tmp();
    const r = run(['analyze', fixture('ldap-dropped.pcapng'), '--inventory', fixture('inventory.yaml'), '--out', out, '--format', 'json,md']);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^FAIL: 1 required flow blocked/);
    expect(lines[2]).toMatch(/BLOCKED\s+connect 10\.0\.0\.20 -> dc 10\.0\.0\.11 LDAP 389/);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.schema).toBe('flowaudit/report@1');
    const ldap = report.findings.find((f: { rule_id: string; dst: string }) => f.rule_id === 'connect-dc-ldap' && f.dst === '10.0.0.11');
    expect(ldap.status).toBe('blocked');
    expect(ldap.evidence[0].conn_state).toBe('S0');
    expect(ldap.evidence[0].frame).toBeGreaterThan(0);
    expect(ldap.display_filter).toContain('ip.addr==10.0.0.11');
    expect(existsSync(join(out, 'report.csv'))).toBe(false);
  });

  it("fails when Entra ID's names do not resolve, with no inventory: the Connect server is known by what it looked up", () => {
    // Its lookups all got NXDOMAIN, so it never opened HTTPS to Entra ID: no flow names it as the
    // sync server but its lookups and its LDAP to the DCs. The failed lookups are the finding.
    const out = tmp();
    const r = run(['analyze', fixture('entra-names-unresolved.pcapng'), '--out', out, '--format', 'json']);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')[0]).toMatch(/^FAIL: 2 required flows missing \(.*connect 10\.0\.0\.20 → azure-ad \(no host\) HTTPS 443\/tcp missing\)$/);
    expect(r.stdout).toMatch(/MISSING\s+connect 10\.0\.0\.20 -> azure-ad \(no azure-ad host\) HTTPS 443\/tcp: .*login\.microsoftonline\.com: 2 lookups, 2 NXDOMAIN from 10\.0\.0\.10/);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const connect = report.hosts.find((h: { address: string }) => h.address === '10.0.0.20');
    expect(connect.roles).toEqual([expect.objectContaining({ role: 'connect', source: 'inferred', why: expect.stringMatching(/looks up Entra ID names that never resolve \(adminwebservice\.microsoftonline\.com and login\.microsoftonline\.com\)/) })]);
    const login = report.dns_failures.find((d: { name: string }) => d.name === 'login.microsoftonline.com');
    expect(login).toMatchObject({ queries: 2, nxdomain: 2, clients: ['10.0.0.20'], servers: ['10.0.0.10'] });
  });

  it('fails when a DC answers nothing, with no inventory: the DC is known by what the Connect server tries on it', () => {
    const out = tmp();
    const r = run(['analyze', fixture('dc-firewalled.pcapng'), '--out', out, '--format', 'json']);
    const withInventory = run(['analyze', fixture('dc-firewalled.pcapng'), '--inventory', fixture('inventory.yaml'), '--out', tmp(), '--format', 'json']);
    expect(r.code).toBe(1);
    // The same verdict as with the inventory that names dc02.
    expect(r.stdout.split('\n')[0]).toBe(withInventory.stdout.split('\n')[0]);
    expect(r.stdout.split('\n')[0]).toMatch(/^FAIL: 3 required flows blocked \(connect 10\.0\.0\.20 → dc 10\.0\.0\.11 Kerberos 88\/tcp\/udp blocked; /);
    // The terminal says which roles of the failing findings are guesses; with the inventory, none is.
    expect(r.stdout).toContain(
      '\n  roles:   connect 10.0.0.20 (medium), dc 10.0.0.11 (low) inferred from the data, not given: check them (flowaudit roles), or give them (--inventory, --role)\n',
    );
    expect(withInventory.stdout).not.toContain('  roles: ');
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const dc2 = report.hosts.find((h: { address: string }) => h.address === '10.0.0.11');
    expect(dc2.roles).toEqual([expect.objectContaining({ role: 'dc', source: 'inferred', confidence: 'low', why: expect.stringMatching(/^the Connect server 10\.0\.0\.20 tries it on Kerberos 88/) })]);
  });

  it("names a DC from the DC locator's answer in a capture: the SRV record and its target's address in the additional section", () => {
    // The sync server asks for its domain's DCs, then tries LDAP on the one named: no answer.
    const locator = dnsResponse({
      name: '_ldap._tcp.dc._msdcs.contoso.local',
      qtype: 'SRV',
      answers: [{ type: 'SRV', data: 'dc02.contoso.local' }],
      additionals: [{ type: 'A', name: 'dc02.contoso.local', data: '10.0.0.11' }],
    });
    const frames = [
      ethernet({}, ipv4({ src: '10.0.0.10', dst: '10.0.0.20', proto: IPPROTO_UDP }, udp({ sport: 53, dport: 53001 }, locator))),
      ethernet({}, ipv4({ src: '10.0.0.20', dst: '10.0.0.11', proto: IPPROTO_TCP }, tcp({ sport: 50000, dport: 389, flags: TCP_SYN }))),
      ethernet({}, ipv4({ src: '10.0.0.20', dst: '10.0.0.11', proto: IPPROTO_TCP }, tcp({ sport: 50000, dport: 389, flags: TCP_SYN }))),
    ];
    const dir = tmp();
    const file = join(dir, 'locator.pcap');
    writeFileSync(file, writePcap({ byteOrder: 'le', linkType: 1, records: frames.map((data, i) => ({ tsMicros: 1_714_557_600_000_000 + i * 1_000_000, data })) }));
    const r = run(['analyze', file, '--role', '10.0.0.20=connect', '--out', join(dir, 'out'), '--format', 'json']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/BLOCKED\s+connect 10\.0\.0\.20 -> dc 10\.0\.0\.11 LDAP 389/);
    const report = JSON.parse(readFileSync(join(dir, 'out', 'report.json'), 'utf8'));
    const dc = report.hosts.find((h: { address: string }) => h.address === '10.0.0.11');
    expect(dc.names).toEqual(['dc02.contoso.local']);
    expect(dc.roles).toEqual([
      { role: 'dc', source: 'dns', confidence: 'high', why: `DNS answer _ldap._tcp.dc._msdcs.contoso.local → 10.0.0.11, a DC locator record (${file} frame 1)` },
    ]);
  });

  it("reads a Palo Alto export: the firewall's reset names its rule, a server's reset does not blame the rule that allowed it", () => {
    const dir = tmp();
    const csv = join(dir, 'panos-traffic.csv');
    const header = 'Receive Time,Type,Source address,Destination address,Rule Name,Source Port,Destination Port,Protocol,Action,Start Time,Packets Sent,Packets Received,Session End Reason';
    const rows = [
      '2024/05/01 10:00:09,TRAFFIC,10.1.0.4,10.1.0.10,DC-Access,50000,88,tcp,allow,2024/05/01 10:00:00,6,5,tcp-fin',
      '2024/05/01 10:00:09,TRAFFIC,10.1.0.4,10.1.0.10,DC-Access,50001,389,tcp,allow,2024/05/01 10:00:01,1,1,tcp-rst-from-server',
      '2024/05/01 10:00:09,TRAFFIC,10.1.0.4,10.1.0.10,Block-RPC,50002,135,tcp,reset-both,2024/05/01 10:00:02,3,0,policy-deny',
    ];
    writeFileSync(csv, [header, ...rows].join('\r\n') + '\r\n');
    const out = join(dir, 'out');
    const r = run(['analyze', csv, '--role', '10.1.0.4=connect', '--role', '10.1.0.10=dc', '--out', out, '--format', 'json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const finding = (rule: string) => report.findings.find((f: { rule_id: string }) => f.rule_id === rule);
    expect(finding('connect-dc-kerberos').status).toBe('ok');
    const ldap = finding('connect-dc-ldap');
    expect(ldap).toMatchObject({ status: 'blocked', refused: 1, conn_states: { REJ: 1 } });
    expect(ldap.hints.join('\n')).toMatch(/port closed or a reject rule/);
    expect(ldap.hints.join('\n')).not.toMatch(/deny rule|firewall deny/);
    const rpc = finding('connect-dc-msrpc');
    expect(rpc).toMatchObject({ status: 'blocked', refused: 1, conn_states: { REJ: 1 } });
    expect(rpc.reason).toMatch(/Block-RPC/);
    expect(rpc.hints.join('\n')).toMatch(/deny rule/);
  });

  it('a bad catalog, inventory, --role or --feature fails at once, before any input is opened', () => {
    // The input is a named pipe nobody writes to: opening it would block, so exit 2 with the
    // option's message proves the options were checked before reading began.
    const dir = tmp();
    const fifo = join(dir, 'never.pcap');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'rules: [ {id: x} ]\n');
    for (const [args, message] of [
      [['--catalog', bad], /bad\.yaml/],
      [['--inventory', join(dir, 'missing.yaml')], /missing\.yaml/],
      [['--role', '10.0.0.5=nosuchrole'], /nosuchrole/],
      [['--feature', 'nosuchfeature'], /nosuchfeature/],
    ] as const) {
      const r = spawnSync(process.execPath, [bin, 'analyze', fifo, '--out', join(dir, 'out'), ...args], { cwd: root, encoding: 'utf8', timeout: 20_000 });
      expect(r.signal).toBeNull();
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('a damaged installation (its catalogs/ folder gone) fails at once with exit 2 and says to reinstall, not "this is a bug"', () => {
    // A copy of the built package without catalogs/; the input is a named pipe nobody writes to,
    // so a run that began reading before it looked for the built-in catalog would hang.
    const dir = tmp();
    const install = join(dir, 'install');
    cpSync(join(root, 'dist'), join(install, 'dist'), { recursive: true });
    cpSync(join(root, 'package.json'), join(install, 'package.json'));
    symlinkSync(join(root, 'node_modules'), join(install, 'node_modules'), 'dir');
    const fifo = join(dir, 'never.pcap');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const message = `flowaudit: cannot find its built-in catalog ${join(install, 'catalogs', 'hybrid-identity.yaml')}: the installation is damaged; reinstall flowaudit (in a clone: npm ci)\n`;
    for (const args of [['analyze', fifo, '--out', join(dir, 'out')], ['roles', fifo], ['catalog']]) {
      const r = spawnSync(process.execPath, [join(install, 'dist/src/cli/bin.js'), ...args], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
      expect(r.signal).toBeNull();
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(message);
      expect(r.stdout).toBe('');
    }
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('--fail-on none turns findings into exit 0', () => {
    const r = run(['analyze', fixture('ldap-dropped.pcapng'), '--inventory', fixture('inventory.yaml'), '--out', tmp(), '--format', 'json', '--fail-on', 'none']);
    expect(r.code).toBe(0);
  });

  it('writes to reports/<input>-<time>/ by default', () => {
    const cwd = tmp();
    const r = run(['analyze', fixture('healthy-sync.pcapng'), '--format', 'md', '--quiet'], { cwd });
    expect([0, 1]).toContain(r.code);
    const dirs = readdirSync(join(cwd, 'reports'));
    expect(dirs).toHaveLength(1);
    expect(dirs[0]).toMatch(/^healthy-sync-\d{8}T\d{6}Z$/);
  });

  it('exit 2 with a one-line error for a file that is not a capture or log', () => {
    const dir = tmp();
    const junk = join(dir, 'notes.pcap');
    writeFileSync(junk, Buffer.from([0x00, 0x01, 0x02, 0x03, 0xff, 0xfe, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60]));
    const r = run(['analyze', junk, '--out', join(dir, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/notes\.pcap: not a format flowaudit reads \(expected a pcap or pcapng capture/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('a bad file among good ones is reported and the rest go on', () => {
    const dir = tmp();
    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00])); // an ELF header
    const out = join(dir, 'out');
    const r = run(['analyze', fixture('healthy-sync.pcapng'), junk, '--inventory', fixture('inventory.yaml'), '--out', out, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/junk\.bin: not a format flowaudit reads/);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.data_quality.failedFiles.map((f: { file: string }) => f.file)).toEqual([junk]);
  });

  it('a report folder that cannot be made fails at once with its reason, and never hangs', () => {
    const under = run(['analyze', fixture('healthy-sync.pcapng'), '--out', join(root, 'README.md', 'out')]);
    expect(under.code).toBe(2);
    expect(under.stderr).toMatch(/cannot create .*README\.md\/out: .*README\.md is not a folder/);
    // Node's own recursive mkdir loops forever here (the kernel answers ENOENT under /proc).
    const r = spawnSync(process.execPath, [bin, 'analyze', fixture('healthy-sync.pcapng'), '--out', '/proc/flowaudit-x/y'], { cwd: root, encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot create \/proc\/flowaudit-x\/y: E[A-Z]+/);
  });

  it('roles --write to a folder that does not exist: a one-line error, exit 2', () => {
    const r = run(['roles', fixture('healthy-sync.pcapng'), '--write', '/no/such/folder/inventory.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot write \/no\/such\/folder\/inventory\.yaml: ENOENT/);
    expect(r.stderr).not.toMatch(/internal error/);
  });

  it('when nothing can be read, the report folder it made is removed again', () => {
    const dir = tmp();
    const junk = join(dir, 'notes.pcap');
    writeFileSync(junk, 'not a capture\n');
    const r = run(['analyze', junk, '--out', join(dir, 'a', 'b')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nothing could be read; no report written/);
    expect(existsSync(join(dir, 'a'))).toBe(false);
  });

  it('notes a log\'s lines of other protocols (IGMP) once per file, not as warnings, and counts them all in the report', () => {
    const dir = tmp();
    const log = join(dir, 'pfirewall.log');
    const lines = readFileSync(fixture('logs/dc02-pfirewall.log'), 'utf8').split('\n').slice(0, 4);
    for (let i = 0; i < 5; i++) lines.push(`2024-05-01 13:00:0${i} ALLOW 2 10.0.0.20 224.0.0.22 - - 40 - - - - - - - SEND`);
    lines.push('2024-05-01 13:00:09 ALLOW TCP 10.0.0.20 10.0.0.11 50000 389 0 - - - - - - - SEND');
    writeFileSync(log, lines.join('\n') + '\n');
    const out = join(dir, 'out');
    const r = run(['analyze', log, '--out', out, '--format', 'json']);
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(
        /^flowaudit: note: .*pfirewall\.log: byte \d+: log_unsupported_protocol: line 5: protocol "2" \(IGMP\) is not TCP, UDP or ICMP; not a flow \(and 4 more like it\)$/,
      ),
    ]);
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(json.data_quality.diagnostics.find((d: { code: string }) => d.code === 'log_unsupported_protocol').count).toBe(5);
  });

  it('usage errors exit 2: unknown option, unknown feature, missing file', () => {
    expect(run(['analyze', fixture('healthy-sync.pcapng'), '--no-such-flag']).code).toBe(2);
    const bad = run(['analyze', fixture('healthy-sync.pcapng'), '--feature', 'ldapz', '--out', tmp()]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--feature "ldapz": expected one of/);
    const missing = run(['analyze', '/no/such/file.pcap']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/\/no\/such\/file\.pcap: no such file/);
  });

  it('a capture taken on a DC judges what passes it, and not the sync server\'s traffic elsewhere (to dc02, to Entra ID)', () => {
    const out = tmp();
    const r = run(['analyze', fixture('dc-side-capture.pcapng'), '--inventory', fixture('inventory.yaml'), '--out', out, '--format', 'json,md']);
    expect(r.code).toBe(0);
    // The verdict says the pass covers only what the capture can show.
    expect(r.stdout.split('\n')[0]).toBe('PASS: all 7 required flows seen and completed; 9 more not judged: outside what the capture can show');
    expect(r.stdout.split('\n')[1]).toMatch(/^  data: 1 file\(s\), 36 flows, .*, captured on 10\.0\.0\.10$/);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.inputs[0].captured_on).toEqual(['10.0.0.10']);
    type F = { rule_id: string; dst: string | null; dst_role: string; status: string; reason: string };
    const toDc2 = report.findings.filter((f: F) => f.rule_id === 'connect-dc-ldap' && f.dst === '10.0.0.11');
    expect(toDc2).toEqual([
      expect.objectContaining({ status: 'not-applicable', reason: 'neither 10.0.0.20 nor 10.0.0.11 is the host whose traffic the capture holds (10.0.0.10): it cannot show traffic between them' }),
    ]);
    const toEntra = report.findings.filter((f: F) => f.rule_id === 'connect-azure-ad-https');
    expect(toEntra).toHaveLength(1);
    for (const f of toEntra) expect(f).toMatchObject({ status: 'not-applicable', reason: expect.stringMatching(/^the capture holds only the traffic of 10\.0\.0\.10: not 10\.0\.0\.20/) });
    // What passes dc01 is judged as usual.
    expect(report.findings.find((f: F) => f.rule_id === 'connect-dc-ldap' && f.dst === '10.0.0.10').status).toBe('ok');
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('every flow between two hosts in it has `10.0.0.10` on one side: it was taken on that host (or filtered to its traffic)');
    // With no inventory: dc01 by what it answers, the sync server by its lookups of the name only
    // Connect servers use (its HTTPS never passes dc01), and the same verdict.
    const bare = tmp();
    const inferred = run(['analyze', fixture('dc-side-capture.pcapng'), '--out', bare, '--format', 'json']);
    expect(inferred.code).toBe(0);
    expect(inferred.stdout.split('\n')[0]).toMatch(/^PASS: all 7 required flows seen and completed; \d+ more not judged: outside what the capture can show$/);
    const hosts = JSON.parse(readFileSync(join(bare, 'report.json'), 'utf8')).hosts;
    expect(hosts.find((h: { address: string }) => h.address === '10.0.0.20').roles).toEqual([
      expect.objectContaining({ role: 'connect', source: 'inferred', confidence: 'low', why: expect.stringMatching(/^looks up adminwebservice\.microsoftonline\.com /) }),
    ]);
  });

  it('a capture filtered to one DC (dumpcap -f "host 10.0.0.10") does not call what the filter left out missing', () => {
    // Two sync cycles as the sync server's own capture holds them, filtered to dc01's traffic.
    const healthy = HYBRID_SCENARIOS.find((s) => s.name === 'healthy-sync')!;
    const dc1 = [10, 0, 0, 10];
    const ipv4At = (data: Uint8Array, at: number) => data.subarray(at, at + 4).every((b, i) => b === dc1[i]);
    const packets = compileScenario(healthy).packets.filter((p) => ipv4At(p.data, 26) || ipv4At(p.data, 30));
    const write = (filter: string | undefined) => {
      const w = new PcapngWriter().shb('le').idb({ linkType: 1, filter });
      for (const p of packets) w.epb({ interfaceId: 0, tsMicros: p.tsMicros, data: p.data });
      const file = join(tmp(), 'aadc01-dc01.pcapng');
      writeFileSync(file, w.finish());
      return file;
    };
    const audit = (file: string) => {
      const out = tmp();
      const r = run(['analyze', file, '--inventory', fixture('inventory.yaml'), '--out', out, '--format', 'json']);
      return { ...r, report: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) };
    };
    const filtered = audit(write('host 10.0.0.10'));
    expect(filtered.stdout.split('\n')[0]).toMatch(/^PASS: all \d+ required flows seen and completed; \d+ more not judged: outside what the capture can show$/);
    expect(filtered.code).toBe(0);
    type F = { rule_id: string; dst: string | null; status: string; reason: string };
    const ldapToDc2 = filtered.report.findings.find((f: F) => f.rule_id === 'connect-dc-ldap' && f.dst === '10.0.0.11');
    expect(ldapToDc2).toMatchObject({
      status: 'not-applicable',
      reason: 'the capture filter "host 10.0.0.10" lets no packet of LDAP 389/tcp/udp between 10.0.0.20 and 10.0.0.11 through: the capture could not hold it',
    });
    const entra = filtered.report.findings.find((f: F) => f.rule_id === 'connect-azure-ad-https');
    expect(entra.status).toBe('not-applicable');
    expect(entra.reason).toMatch(/^the capture filter "host 10\.0\.0\.10" lets no packet of HTTPS 443\/tcp from 10\.0\.0\.20 through/);
    // The same packets with no filter recorded: nothing says what was left out, so it is missing.
    const unfiltered = audit(write(undefined));
    expect(unfiltered.code).toBe(1);
    const unfilteredLdap = unfiltered.report.findings.find((f: F) => f.rule_id === 'connect-dc-ldap' && f.dst === '10.0.0.11');
    expect(unfilteredLdap.status).toBe('missing');
    // It holds one conversation, and this is not it: the first possible cause says so.
    expect(unfiltered.report.inputs[0].captured_on).toEqual(['10.0.0.10', '10.0.0.20']);
    expect(unfilteredLdap.hints[0]).toBe('every flow in the capture is between 10.0.0.10 and 10.0.0.20: taken on 10.0.0.10, or filtered to these two hosts, it could not show this traffic');
    // What runs between the two is judged as usual.
    const kerberosDc1 = unfiltered.report.findings.find((f: F) => f.rule_id === 'connect-dc-kerberos' && f.dst === '10.0.0.10');
    expect(kerberosDc1.status).toBe('ok');
    // A filter this reader does not know (a host name) concludes nothing either.
    expect(audit(write('host dc01.contoso.local')).code).toBe(1);
    // Which end it was taken on, the user can say: on dc01, it could not show the sync server's other traffic.
    const file = write(undefined);
    const onDc1 = tmp();
    const given = run(['analyze', file, '--inventory', fixture('inventory.yaml'), '--captured-on', '10.0.0.10', '--out', onDc1, '--format', 'json']);
    expect(given.stderr).toBe('');
    expect(given.code).toBe(0);
    const givenReport = JSON.parse(readFileSync(join(onDc1, 'report.json'), 'utf8'));
    expect(givenReport.inputs[0]).toMatchObject({ captured_on: ['10.0.0.10'] });
    expect(givenReport.inputs[0].one_conversation).toBeUndefined();
    expect(givenReport.findings.find((f: F) => f.rule_id === 'connect-dc-ldap' && f.dst === '10.0.0.11').status).toBe('not-applicable');
    // An address the capture's flows do not all involve is not applied, and said so; a non-address is a usage error.
    const wrong = run(['analyze', fixture('healthy-sync.pcapng'), '--captured-on', '10.0.0.10', '--out', tmp(), '--format', 'json']);
    expect(wrong.stderr).toContain('flowaudit: warning: --captured-on 10.0.0.10: ');
    expect(wrong.stderr).toContain('healthy-sync.pcapng holds flows that do not involve 10.0.0.10, so it was not taken there; not applied to it');
    const bad = run(['analyze', file, '--captured-on', 'dc01', '--out', tmp()]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--captured-on "dc01": expected an IPv4 or IPv6 address');
  });

  it('a capture taken on the DC that lacks the sync server\'s LDAP says the attempt never reached it: the DC\'s own firewall would not hide it', () => {
    const dcSide = HYBRID_SCENARIOS.find((s) => s.name === 'dc-side-capture')!;
    const noLdap = (e: Exchange) => !((e.kind === 'tcp' || e.kind === 'udp') && e.from === 'aadc' && e.port === 389);
    const { packets } = compileScenario({ ...dcSide, exchanges: dcSide.exchanges.filter(noLdap) });
    const w = new PcapngWriter().shb('le').idb({ linkType: 1 });
    for (const p of packets) w.epb({ interfaceId: 0, tsMicros: p.tsMicros, data: p.data });
    const file = join(tmp(), 'dc01.pcapng');
    writeFileSync(file, w.finish());
    const out = tmp();
    const r = run(['analyze', file, '--inventory', fixture('inventory.yaml'), '--out', out, '--format', 'json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const ldap = report.findings.find((f: { rule_id: string; dst: string }) => f.rule_id === 'connect-dc-ldap' && f.dst === '10.0.0.10');
    expect(ldap.status).toBe('missing');
    expect(ldap.hints).toContain(
      'the capture was taken on 10.0.0.10, the server: an attempt that reached it would show, even one its own firewall then dropped ' +
        '(a capture sees arriving packets before Windows Filtering Platform does); none arrived, so 10.0.0.20 never made one, ' +
        "or it was stopped on the way (by 10.0.0.20's own firewall, or a firewall between them)",
    );
    expect(ldap.hints.join('\n')).not.toContain("capturing host's own firewall");
  });

  it("a capture taken on the sync server of a federation farm: WAP-to-AD FS and the users' traffic never pass it, so none is missing", () => {
    // The federation scenario as the Connect server's own capture holds it: its traffic only.
    const fed = HYBRID_SCENARIOS.find((s) => s.name === 'federation')!;
    const own = (e: Exchange) => (e.kind === 'dns' || e.kind === 'rpc' ? [e.client, e.server] : [e.from, e.to]).includes('aadc');
    const { packets } = compileScenario({ ...fed, exchanges: fed.exchanges.filter(own) });
    const w = new PcapngWriter().shb('le').idb({ linkType: 1 });
    for (const p of packets) w.epb({ interfaceId: 0, tsMicros: p.tsMicros, data: p.data });
    const dir = tmp();
    const file = join(dir, 'aadc01.pcapng');
    writeFileSync(file, w.finish());
    const out = tmp();
    const r = run(['analyze', file, '--inventory', fixture('inventory.yaml'), '--feature', 'federation', '--out', out, '--format', 'json']);
    expect(r.stdout.split('\n')[0]).toMatch(/^PASS: all \d+ required flows seen and completed; 3 more not judged: outside what the capture can show$/);
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const wapAdfs = report.findings.find((f: { rule_id: string }) => f.rule_id === 'wap-adfs-https');
    expect(wapAdfs).toMatchObject({ status: 'not-applicable', reason: 'neither 172.16.0.10 nor 10.0.2.10 is the host whose traffic the capture holds (10.0.0.20): it cannot show traffic between them' });
    // The whole farm's capture (a mirror port's: WAP, AD FS and users too) has no capture point, and judges them.
    const whole = tmp();
    run(['analyze', fixture('federation.pcapng'), '--inventory', fixture('inventory.yaml'), '--feature', 'federation', '--out', whole, '--format', 'json']);
    const all = JSON.parse(readFileSync(join(whole, 'report.json'), 'utf8'));
    expect(all.inputs[0].captured_on).toBeUndefined();
    expect(all.findings.find((f: { rule_id: string }) => f.rule_id === 'wap-adfs-https').status).toBe('ok');
  });
});

describe('flowaudit flows', () => {
  it('--host and --port keep the flows a support engineer asks for, as ip.addr and tcp.port filters would', () => {
    const r = run(['flows', fixture('ldap-dropped.pcapng'), '--format', 'ndjson', '--host', '10.0.0.11', '--port', '389']);
    expect(r.code).toBe(0);
    const flows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(flows.map((f) => [f['id.resp_h'], f['id.resp_p'], f.conn_state])).toEqual([
      ['10.0.0.11', 389, 'S0'],
      ['10.0.0.11', 389, 'S0'],
    ]);
    const bad = run(['flows', fixture('ldap-dropped.pcapng'), '--host', '10.0.0.0/33']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/--host "10\.0\.0\.0\/33": not a valid CIDR block/);
  });

  it('writes a Zeek conn.log that names every field zeek-cut needs', () => {
    const r = run(['flows', fixture('ldap-dropped.pcapng'), '--format', 'zeek']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('#separator \\x09');
    const fields = lines.find((l) => l.startsWith('#fields'))!.split('\t').slice(1);
    expect(fields.slice(0, 12)).toEqual(['ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'service', 'duration', 'orig_bytes', 'resp_bytes', 'conn_state']);
    const rows = lines.filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t'));
    const col = (name: string) => fields.indexOf(name);
    const ldap = rows.filter((row) => row[col('id.resp_h')] === '10.0.0.11' && row[col('id.resp_p')] === '389' && row[col('proto')] === 'tcp');
    expect(ldap).toHaveLength(2);
    expect(ldap.every((row) => row[col('conn_state')] === 'S0')).toBe(true);
    expect(lines.at(-2)).toMatch(/^#close\t/);
  });

  it('ndjson names a request to an explicit proxy: method, target and the proxy\'s answer', () => {
    const r = run(['flows', fixture('proxy-auth-required.pcapng'), '--format', 'ndjson']);
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const tunnel = rows.find((x) => x.proxy?.method === 'CONNECT');
    expect(tunnel.proxy).toEqual({ method: 'CONNECT', target: expect.stringMatching(/^[a-z0-9.-]+:443$/), status: 407 });
    expect(tunnel.outcome).toBe('refused');
    expect(rows.find((x) => x.proxy?.method === 'GET')?.proxy.status).toBe(200);
    expect(rows.filter((x) => x.proxy === undefined).length).toBeGreaterThan(0);
  });

  it('ndjson carries outcome, reason, file and frame', () => {
    const r = run(['flows', fixture('kerberos-icmp-prohibited.pcapng'), '--format', 'ndjson']);
    expect(r.code).toBe(0);
    const flows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const krb = flows.filter((f) => f['id.resp_p'] === 88 && f['id.resp_h'] === '10.0.0.10');
    expect(krb.length).toBeGreaterThan(0);
    for (const f of krb) {
      expect(f.outcome).toBe('refused');
      expect(f.reason).toMatch(/ICMP 3\/13 administratively prohibited from 10\.0\.0\.1/);
      expect(f.file).toBe(fixture('kerberos-icmp-prohibited.pcapng'));
      expect(f.frame).toBeGreaterThan(0);
    }
    // the ICMP errors are outcomes of those flows, not flows of their own
    expect(flows.filter((f) => f.proto === 'icmp')).toHaveLength(0);
  });

  it('reads standard input and gzip, sniffing the format from the bytes', () => {
    const bytes = readFileSync(fixture('ldap-dropped.pcapng'));
    const plain = run(['flows', fixture('ldap-dropped.pcapng'), '--format', 'ndjson']);
    const fromStdin = run(['flows', '-', '--format', 'ndjson'], { input: gzipSync(bytes) });
    expect(fromStdin.code).toBe(0);
    // the uid hashes the file name in, and `file` is `-`: everything else must be the same
    const strip = (s: string) => s.trim().split('\n').map((l) => { const o = JSON.parse(l); delete o.file; delete o.uid; return JSON.stringify(o); });
    expect(strip(fromStdin.stdout)).toEqual(strip(plain.stdout));
  });

  it('an unreadable input writes nothing to stdout; a readable capture with no packets gives an empty conn.log', () => {
    const dir = tmp();
    const junk = join(dir, 'notes.pcap');
    writeFileSync(junk, 'not a capture\n');
    const bad = run(['flows', junk, '--format', 'zeek']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/notes\.pcap: not a format flowaudit reads/);
    // A classic pcap header (microseconds, little-endian, Ethernet) and no records.
    const empty = join(dir, 'empty.pcap');
    writeFileSync(empty, writePcap({ byteOrder: 'le', linkType: 1, records: [] }));
    const ok = run(['flows', empty, '--format', 'zeek']);
    expect(ok.code).toBe(0);
    const lines = ok.stdout.trim().split('\n');
    expect(lines[0]).toBe('#separator \\x09');
    expect(lines.at(-1)).toMatch(/^#close\t/);
    expect(lines.filter((l) => !l.startsWith('#'))).toEqual([]);
  });

  it('reads standard input in this thread even with --workers, wherever `-` is among the inputs', () => {
    // A log big enough that this thread is still reading it when the worker thread claims its first files.
    const dir = tmp();
    const log = join(dir, 'pfirewall.log');
    const lines = readFileSync(fixture('logs/dc02-pfirewall.log'), 'utf8').split('\n').slice(0, 4);
    for (let i = 0; i < 100_000; i++) {
      lines.push(`2024-05-01 13:${String(Math.floor(i / 1000) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} ALLOW TCP 10.0.0.20 10.0.0.11 ${1024 + i} 389 0 - - - - - - - RECEIVE 4`);
    }
    writeFileSync(log, lines.join('\n') + '\n');
    const stdin = readFileSync(fixture('ldap-dropped.pcapng'));
    const report = (workers: string) => {
      const out = join(dir, `out-${workers}`);
      const r = run(['analyze', log, fixture('kerberos-icmp-prohibited.pcapng'), '-', '--workers', workers, '--out', out, '--format', 'json', '--quiet'], { input: stdin });
      expect(r.stderr).toBe('');
      const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
      delete json.generated_at;
      return json;
    };
    const one = report('0');
    expect(one.data_quality.failedFiles).toEqual([]);
    expect(report('2')).toEqual(one);
  });

  it('--output writes a file', () => {
    const out = join(tmp(), 'conn.log');
    const r = run(['flows', fixture('healthy-sync.pcapng'), '--output', out]);
    expect(r.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^#separator/);
  });
});

describe('flowaudit roles and catalog', () => {
  it('roles --write saves an inventory that analyze accepts', () => {
    const dir = tmp();
    const inv = join(dir, 'inventory.yaml');
    const r = run(['roles', fixture('healthy-sync.pcapng'), '--write', inv]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/10\.0\.0\.10/);
    expect(r.stdout).toMatch(/dc/);
    const a = run(['analyze', fixture('healthy-sync.pcapng'), '--inventory', inv, '--out', join(dir, 'out'), '--format', 'json']);
    expect([0, 1]).toContain(a.code);
  });

  it('catalog --format md prints the 2016 table with the 65353 typo noted', () => {
    const r = run(['catalog', 'hybrid-identity-2016', '--format', 'md']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/1024-65353/);
    expect(r.stdout).toMatch(/typo/i);
  });

  it('--help lists the commands; --version prints the version', () => {
    const h = run(['--help']);
    expect(h.code).toBe(0);
    for (const c of ['analyze', 'flows', 'roles', 'catalog']) expect(h.stdout).toContain(c);
    const v = run(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
  });

  it("each command's --help states real defaults only (no empty lists)", () => {
    for (const c of ['analyze', 'flows', 'roles', 'catalog']) {
      const h = run([c, '--help']);
      expect(h.code).toBe(0);
      expect(h.stdout).not.toContain('(default: [])');
    }
    expect(run(['analyze', '--help']).stdout).toMatch(/--fail-on <list>[^]*\(default: blocked,missing\)/);
  });
});
