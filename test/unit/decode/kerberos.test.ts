import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSequence } from './helpers.js';
import { ascii, concat, der, ethernet, IPPROTO_TCP, IPPROTO_UDP, ipv4, tcp, TCP_ACK, TCP_PSH, udp } from '../../support/packet-builder.js';
import { writePcap } from '../../support/pcap-writer.js';
import { mulberry32 } from '../../support/rng.js';

const T0 = 1_714_557_600_000_000;
const CONNECT = '10.0.0.20';
const DC = '10.0.0.10';

const int = (v: number) => der(0x02, v < 0x80 ? Uint8Array.of(v) : Uint8Array.of(v >> 8, v & 0xff));
const kstr = (s: string) => der(0x1b, ascii(s));
const principal = (type: number, ...parts: string[]) => der(0x30, der(0xa0, int(type)), der(0xa1, der(0x30, ...parts.map(kstr))));

/** A KRB-ERROR (RFC 4120 section 5.9.1) as a KDC sends it. */
function krbError(code: number, opts: { msgType?: number; cname?: string } = {}): Uint8Array {
  const time = der(0x18, ascii('20240501100000Z'));
  const fields = [
    der(0xa0, int(5)),
    der(0xa1, int(opts.msgType ?? 30)),
    der(0xa4, time),
    der(0xa5, int(123)),
    der(0xa6, int(code)),
    der(0xa7, kstr('CONTOSO.COM')),
    der(0xa8, principal(1, opts.cname ?? 'MSOL_1a2b3c4d5e6f')),
    der(0xa9, kstr('CONTOSO.COM')),
    der(0xaa, principal(2, 'krbtgt', 'CONTOSO.COM')),
    der(0xac, der(0x04, new Uint8Array(40).fill(0x30))), // e-data (PA-DATA hints)
  ];
  return der(0x7e, der(0x30, ...fields));
}

const overUdp = (msg: Uint8Array, id = 1) => ethernet({}, ipv4({ src: DC, dst: CONNECT, proto: IPPROTO_UDP, id }, udp({ sport: 88, dport: 52000 }, msg)));
const overTcp = (msg: Uint8Array) => {
  const len = Uint8Array.of(0, 0, msg.length >> 8, msg.length & 0xff);
  return ethernet({}, ipv4({ src: DC, dst: CONNECT, proto: IPPROTO_TCP, id: 2 }, tcp({ sport: 88, dport: 52001, flags: TCP_ACK | TCP_PSH, seq: 1, ack: 1 }, concat(len, msg))));
};

function decodeAll(frames: Uint8Array[], originalLen?: number) {
  const { diag } = decodeSequence(frames, originalLen);
  return { diag, reported: diag.toDataQuality().diagnostics.filter((d) => d.code === 'kerberos_error') };
}

describe('Kerberos errors that stop a logon', () => {
  it('a wrong password over UDP: reported with the KDC, the client, the account and what it means', () => {
    const { reported, diag } = decodeAll([overUdp(krbError(24))]);
    expect(reported).toHaveLength(1);
    expect(reported[0].examples[0].detail).toBe(
      'the KDC 10.0.0.10 answered 10.0.0.20 with KDC_ERR_PREAUTH_FAILED (24) for MSOL_1a2b3c4d5e6f@CONTOSO.COM (service krbtgt/CONTOSO.COM): ' +
        "the password is wrong (the connector account's password changed?)",
    );
    expect(diag.counters.get('kerberos_errors')).toBe(1);
  });

  it('over TCP (a 4-byte length first), and the same error again is counted, not reported again', () => {
    const { reported, diag } = decodeAll([overTcp(krbError(37)), overUdp(krbError(37), 3), overUdp(krbError(18, { cname: 'svc-aadc' }), 4)]);
    expect(reported).toHaveLength(1);
    expect(reported[0].examples.map((e) => e.detail.match(/with (\S+)/)![1])).toEqual(['KRB_AP_ERR_SKEW', 'KDC_ERR_CLIENT_REVOKED']);
    expect(diag.counters.get('kerberos_errors')).toBe(3);
  });

  it('errors of a normal exchange (pre-authentication required, response too big) and other messages are left alone', () => {
    const asRep = der(0x6b, der(0x30, der(0xa0, int(5)), der(0xa1, int(11))));
    const { reported, diag } = decodeAll([overUdp(krbError(25)), overUdp(krbError(52), 2), overUdp(asRep, 3), overUdp(krbError(24, { msgType: 31 }), 4)]);
    expect(reported).toEqual([]);
    expect(diag.counters.get('kerberos_errors')).toBeUndefined();
  });

  it('response too big over UDP is noted once per KDC and client (the answer must come over TCP); over TCP it means nothing', () => {
    const { diag } = decodeAll([overUdp(krbError(52)), overUdp(krbError(52), 2), overTcp(krbError(52))]);
    const noted = diag.toDataQuality().diagnostics.filter((d) => d.code === 'kerberos_udp_too_big');
    expect(noted).toHaveLength(1);
    expect(noted[0].count).toBe(1);
    expect(noted[0].examples[0]).toMatchObject({
      detail: 'the KDC 10.0.0.10 answered 10.0.0.20 over UDP with KRB_ERR_RESPONSE_TOO_BIG (52): its answer must come over TCP 88',
      subject: { client: '10.0.0.20', server: '10.0.0.10', transport: 'udp', port: 88 },
    });
    expect(diag.counters.get('kerberos_udp_too_big')).toBe(2);
  });

  it("pktmon's default 128 bytes still hold the error code", () => {
    const frame = overUdp(krbError(23));
    const { reported } = decodeAll([frame.subarray(0, 128)], frame.length);
    // The account's name comes after the cut; the code and what it means do not.
    expect(reported[0].examples[0].detail).toBe("the KDC 10.0.0.10 answered 10.0.0.20 with KDC_ERR_KEY_EXPIRED (23): the account's password has expired");
  });

  it('damaged messages never throw', () => {
    const msg = krbError(24);
    const rnd = mulberry32(88);
    for (let n = 0; n < 400; n++) {
      const damaged = msg.slice();
      for (let k = 0; k < 3; k++) damaged[Math.floor(rnd() * damaged.length)] = Math.floor(rnd() * 256);
      expect(() => decodeAll([overUdp(damaged)])).not.toThrow();
    }
  });

  it('analyze names it in the verdict line and the report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowaudit-krb-'));
    const file = join(dir, 'krb.pcap');
    const request = ethernet({}, ipv4({ src: CONNECT, dst: DC, proto: IPPROTO_UDP, id: 9 }, udp({ sport: 52000, dport: 88 }, new Uint8Array(200).fill(0x6a))));
    writeFileSync(file, writePcap({ byteOrder: 'le', linkType: 1, records: [request, overUdp(krbError(24))].map((data, i) => ({ tsMicros: T0 + i * 500, data })) }));
    const bin = join(__dirname, '../../../dist/src/cli/bin.js');
    const r = spawnSync(process.execPath, [bin, 'analyze', file, '--out', join(dir, 'out'), '--format', 'json', '--role', `${CONNECT}=connect`, '--role', `${DC}=dc`], { encoding: 'utf8' });
    const report = JSON.parse(readFileSync(join(dir, 'out', 'report.json'), 'utf8'));
    expect(report.verdict.summary).toMatch(/; Kerberos errors that stop a logon: 1 \(see the report\)$/);
    // Printed while reading as what it is, a server's answer at a frame, not damage to the file.
    expect(r.stderr).toMatch(/^flowaudit: answer: .*krb\.pcap: frame 2: kerberos_error: the KDC 10\.0\.0\.10 answered 10\.0\.0\.20 with KDC_ERR_PREAUTH_FAILED/m);
    expect(r.stderr).not.toMatch(/warning/);
    // The terminal names it under the finding whose port works.
    expect(r.stdout).toMatch(/ {2}ANSWERED connect 10\.0\.0\.20 -> dc 10\.0\.0\.10 Kerberos 88\/tcp\/udp \(ok\)\n {11}the KDC 10\.0\.0\.10 answered 10\.0\.0\.20 with KDC_ERR_PREAUTH_FAILED \(24\).* frame 2\)\n/);
    expect(report.data_quality.evidence_gaps).toContain(
      'Kerberos: 1 request got an error that stops a logon (see Answers that can stop a sync): port 88 is open, but the account could not authenticate',
    );
    // The port itself was answered: the finding for Kerberos is ok, and names the KDC's answer.
    const kerberos = report.findings.find((f: { rule_id: string; protocol: string }) => /kerberos/i.test(f.protocol));
    expect(kerberos.status).toBe('ok');
    expect(kerberos.answers).toEqual([
      { code: 'kerberos_error', detail: expect.stringMatching(/^the KDC 10\.0\.0\.10 answered 10\.0\.0\.20 with KDC_ERR_PREAUTH_FAILED \(24\)/), file, frame: 2 },
    ]);
    // Other findings of the pair (LDAP, missing here) carry none.
    expect(report.findings.filter((f: { answers?: unknown[] }) => f.answers !== undefined)).toHaveLength(1);
  });
});
