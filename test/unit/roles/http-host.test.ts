import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ethernet, IPPROTO_TCP, ipv4, tcp, TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN } from '../../support/packet-builder.js';
import { writePcap } from '../../support/pcap-writer.js';

/**
 * A CRL download whose DNS lookup is not in the capture (Windows had the name cached): the Host
 * header of the plain-HTTP request names the server, as SNI does for HTTPS, so the address gets
 * the crl role and the catalog's HTTP 80 rule is judged instead of the flow being unexpected.
 */
const CONNECT = '10.0.0.20';
const DC = '10.0.0.10';
const CRL = '23.46.210.19';
const T0 = 1_714_557_600_000_000;
const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

function conversation(server: string, port: number, sport: number, request: Uint8Array<ArrayBuffer>, answer: Uint8Array<ArrayBuffer>, at: number) {
  const seg = (fromClient: boolean, flags: number, seq: number, ack: number, payload: Uint8Array<ArrayBuffer> = new Uint8Array(0)) =>
    ethernet({}, ipv4({ src: fromClient ? CONNECT : server, dst: fromClient ? server : CONNECT, proto: IPPROTO_TCP }, tcp({ sport: fromClient ? sport : port, dport: fromClient ? port : sport, flags, seq, ack }, payload)));
  const c = 1000;
  const s = 5000;
  const frames = [
    seg(true, TCP_SYN, c, 0),
    seg(false, TCP_SYN | TCP_ACK, s, c + 1),
    seg(true, TCP_ACK, c + 1, s + 1),
    seg(true, TCP_PSH | TCP_ACK, c + 1, s + 1, request),
    seg(false, TCP_PSH | TCP_ACK, s + 1, c + 1 + request.length, answer),
    seg(true, TCP_FIN | TCP_ACK, c + 1 + request.length, s + 1 + answer.length),
    seg(false, TCP_FIN | TCP_ACK, s + 1 + answer.length, c + 2 + request.length),
    seg(true, TCP_ACK, c + 2 + request.length, s + 2 + answer.length),
  ];
  return frames.map((data, i) => ({ tsMicros: T0 + at + i * 1000, data }));
}

describe('the Host header of a plain-HTTP request names the server', () => {
  it('a CRL download with no DNS in the capture: the address is crl (source http) and HTTP 80 is judged ok', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowaudit-http-host-'));
    const file = join(dir, 'crl.pcap');
    const records = [
      ...conversation(DC, 389, 50000, new Uint8Array(120).fill(0x30), new Uint8Array(300).fill(0x30), 0),
      ...conversation(CRL, 80, 50001, ascii('GET /pki/crl/products/MicRooCerAut2011_2011_03_22.crl HTTP/1.1\r\nUser-Agent: Microsoft-CryptoAPI/10.0\r\nHost: crl.microsoft.com\r\n\r\n'), ascii('HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\nContent-Length: 0\r\n\r\n'), 100_000),
    ];
    writeFileSync(file, writePcap({ byteOrder: 'le', linkType: 1, records }));
    const bin = join(__dirname, '../../../dist/src/cli/bin.js');

    const flows = spawnSync(process.execPath, [bin, 'flows', file, '--format', 'ndjson'], { encoding: 'utf8' });
    const crlFlow = flows.stdout.trim().split('\n').map((l) => JSON.parse(l)).find((f) => f['id.resp_h'] === CRL);
    expect(crlFlow).toMatchObject({ http_host: 'crl.microsoft.com', service: 'http', conn_state: 'SF', outcome: 'completed' });

    const out = join(dir, 'out');
    const r = spawnSync(process.execPath, [bin, 'analyze', file, '--role', `${CONNECT}=connect`, '--role', `${DC}=dc`, '--out', out, '--format', 'json'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const host = report.hosts.find((h: { address: string }) => h.address === CRL);
    expect(host).toMatchObject({ names: ['crl.microsoft.com'], role_source: 'http' });
    expect(host.roles[0]).toMatchObject({ role: 'crl', source: 'http', confidence: 'high' });
    expect(host.roles[0].why).toMatch(/^HTTP Host crl\.microsoft\.com in a request to 23\.46\.210\.19 \(.*crl\.pcap frame 9\)$/);
    const finding = report.findings.find((f: { rule_id: string }) => f.rule_id === 'connect-crl-http');
    expect(finding).toMatchObject({ status: 'ok', src: CONNECT, dst: CRL });
    expect(report.unexpected.some((u: { dst: string }) => u.dst === CRL)).toBe(false);
  });
});
