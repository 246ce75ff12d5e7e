import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { DiagnosticSink } from '../../../src/common/diagnostics.js';
import { decodeFrame } from '../../../src/decode/frame.js';
import { isMicrosoftName, looksInspected, readCertificateNames } from '../../../src/decode/tls-certificate.js';
import { Packet } from '../../../src/decode/types.js';
import { decodeSequence } from './helpers.js';
import { derCertificate, ethernet, frameOf, IPPROTO_TCP, ipv4, tcp, TCP_ACK, TCP_PSH, tlsServerFlight } from '../../support/packet-builder.js';
import { writePcap } from '../../support/pcap-writer.js';
import { mulberry32 } from '../../support/rng.js';

const T0 = 1_714_557_600_000_000;
const CONNECT = '10.0.0.20';
const LOGIN = '20.190.151.68';
const ZSCALER = { cn: 'Zscaler Intermediate Root CA (zscaler.net) (t) ', o: 'Zscaler Inc.', c: 'US' };
const MICROSOFT = { cn: 'Microsoft Azure RSA TLS Issuing CA 04', o: 'Microsoft Corporation', c: 'US' };

/** The server's flight in TCP segments of `mss` bytes, from login.microsoftonline.com's address to the Connect server. */
function segments(flight: Uint8Array, mss = 1200, sport = 443, dport = 50000, seq = 5000) {
  const out: Uint8Array[] = [];
  let id = 1;
  for (let at = 0; at < flight.length; at += mss) {
    const part = flight.subarray(at, Math.min(flight.length, at + mss));
    out.push(ethernet({}, ipv4({ src: LOGIN, dst: CONNECT, proto: IPPROTO_TCP, id: id++ }, tcp({ sport, dport, flags: TCP_ACK | TCP_PSH, seq: seq + at, ack: 777 }, part))));
  }
  return out;
}

function decodeAll(frames: Uint8Array[]) {
  const { pkt, diag } = decodeSequence(frames);
  return { pkt, diag, reported: diag.toDataQuality().diagnostics.filter((d) => d.code === 'tls_inspected') };
}

const inspected = () => tlsServerFlight([derCertificate(ZSCALER, { cn: 'login.microsoftonline.com' }, 900), derCertificate(ZSCALER, ZSCALER, 900)]);

describe('certificate names read from DER', () => {
  it("match what Node's X509Certificate reads, for every root certificate Node ships", () => {
    const last = (dn: string, key: string) => {
      const lines = dn.split('\n').filter((l) => l.startsWith(`${key}=`));
      return lines.length === 0 ? null : lines[lines.length - 1].slice(key.length + 1);
    };
    let compared = 0;
    for (const pem of rootCertificates) {
      const x = new X509Certificate(pem);
      // Names Node escapes or prints in another form are left out of the comparison.
      if (/[\\"+]|[^\x20-\x7e\n]/.test(x.subject + x.issuer)) continue;
      const der = new Uint8Array(x.raw);
      expect(readCertificateNames(der), x.subject).toEqual({ subjectCn: last(x.subject, 'CN'), issuerCn: last(x.issuer, 'CN'), issuerO: last(x.issuer, 'O') });
      compared++;
    }
    expect(compared).toBeGreaterThan(80);
  });

  it('are null for bytes that are not a certificate, or one cut short', () => {
    expect(readCertificateNames(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]))).toBeNull();
    const cert = derCertificate(ZSCALER, { cn: 'login.microsoftonline.com' });
    expect(readCertificateNames(cert.subarray(0, 60))).toBeNull();
  });

  it('tell Microsoft names and Microsoft CAs', () => {
    expect(['login.microsoftonline.com', '*.servicebus.windows.net', 'stamp2.login.microsoftonline.com', 'crl.microsoft.com'].map(isMicrosoftName)).toEqual([true, true, true, true]);
    expect(['microsoft.com.evil.example', 'notwindows.net', 'example.org'].map(isMicrosoftName)).toEqual([false, false, false]);
    const names = (issuerO: string | null, subjectCn = 'login.microsoftonline.com') => ({ subjectCn, issuerCn: 'x', issuerO });
    expect(looksInspected(names('Zscaler Inc.'))).toBe(true);
    expect(looksInspected(names(null))).toBe(true);
    expect(looksInspected(names('Microsoft Corporation'))).toBe(false);
    expect(looksInspected(names('DigiCert Inc'))).toBe(false);
    expect(looksInspected(names('Zscaler Inc.', 'www.example.org'))).toBe(false);
  });
});

describe("TLS inspection seen in a server's certificate (TLS 1.2 first flight)", () => {
  it('a certificate for login.microsoftonline.com from an inspection CA, over three segments: reported once, with the issuer', () => {
    const { reported, diag, pkt } = decodeAll(segments(inspected()));
    expect(reported).toHaveLength(1);
    expect(reported[0].examples[0].detail).toBe(
      'the certificate presented for login.microsoftonline.com in frame 2 was issued by "CN=Zscaler Intermediate Root CA (zscaler.net) (t) , O=Zscaler Inc.", ' +
        'not by a CA Microsoft uses for its endpoints: a proxy or firewall inspects this TLS traffic (Entra Connect and its agents do not support that; ' +
        'exempt the Microsoft endpoints from inspection)',
    );
    expect(diag.counters.get('tls_inspected_certificates')).toBe(1);
    expect(pkt.serverFlights?.size ?? 0).toBe(0);
  });

  it('the same issuer on another connection is counted, not reported again', () => {
    const second = segments(inspected(), 1400, 443, 50001, 90_000);
    const { reported, diag } = decodeAll([...segments(inspected()), ...second]);
    expect(reported).toHaveLength(1);
    expect(diag.counters.get('tls_inspected_certificates')).toBe(2);
  });

  it("Microsoft's own CAs, other names, TLS 1.3 (the certificate is encrypted): nothing reported", () => {
    expect(decodeAll(segments(tlsServerFlight([derCertificate(MICROSOFT, { cn: 'stamp2.login.microsoftonline.com' }, 900)]))).reported).toEqual([]);
    expect(decodeAll(segments(tlsServerFlight([derCertificate(ZSCALER, { cn: 'www.example.org' }, 900)]))).reported).toEqual([]);
    const tls13 = decodeAll(segments(tlsServerFlight([], { tls13: true })));
    expect(tls13.reported).toEqual([]);
    expect(tls13.pkt.serverFlights?.size ?? 0).toBe(0);
  });

  it('a segment missing from the flight, or the snap length, gives it up; a retransmitted segment changes nothing', () => {
    const parts = segments(inspected());
    expect(decodeAll([parts[0], parts[2]]).reported).toEqual([]);
    expect(decodeAll([parts[0], parts[1], parts[1], parts[2]]).reported).toHaveLength(1);
    const pkt = new Packet();
    const diag = new DiagnosticSink();
    decodeFrame(frameOf(1, parts[0], { tsMicros: T0, index: 1 }), pkt, diag);
    decodeFrame(frameOf(1, parts[1].subarray(0, 128), { tsMicros: T0 + 1000, index: 2, originalLen: parts[1].length }), pkt, diag);
    decodeFrame(frameOf(1, parts[2], { tsMicros: T0 + 2000, index: 3 }), pkt, diag);
    expect(diag.countOf('tls_inspected')).toBe(0);
    expect(pkt.serverFlights?.size ?? 0).toBe(0);
  });

  it('at most 64 flights wait at once: the oldest give way, a recent one still completes', () => {
    const starts = Array.from({ length: 70 }, (_, i) => segments(inspected(), 1200, 443, 51000 + i)[0]);
    const last = segments(inspected(), 1200, 443, 51069);
    const { pkt, reported } = decodeAll([...starts, ...last.slice(1)]);
    expect(reported).toHaveLength(1);
    expect(pkt.serverFlights!.size).toBe(63);
  });

  it('damaged flights (any byte changed, lengths included) never throw, and are never reported for another subject', () => {
    const flight = inspected();
    const rnd = mulberry32(20261126);
    for (let n = 0; n < 400; n++) {
      const damaged = flight.slice();
      for (let k = 0; k < 3; k++) damaged[Math.floor(rnd() * damaged.length)] = Math.floor(rnd() * 256);
      const { reported } = decodeAll(segments(damaged));
      for (const r of reported) expect(r.examples[0].detail).toMatch(/^the certificate presented for [^\x00-\x1f]+ in frame \d+ was issued by/);
    }
  });

  it('analyze says it on the terminal and in the report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowaudit-inspected-'));
    const file = join(dir, 'inspected.pcap');
    writeFileSync(file, writePcap({ byteOrder: 'le', linkType: 1, records: segments(inspected()).map((data, i) => ({ tsMicros: T0 + i * 1000, data })) }));
    const bin = join(__dirname, '../../../dist/src/cli/bin.js');
    const r = spawnSync(process.execPath, [bin, 'analyze', file, '--out', join(dir, 'out'), '--format', 'json'], { encoding: 'utf8' });
    expect(r.stderr).toMatch(/^flowaudit: answer: .*inspected\.pcap: frame 2: tls_inspected: the certificate presented for login\.microsoftonline\.com/m);
    const report = JSON.parse(readFileSync(join(dir, 'out', 'report.json'), 'utf8'));
    expect(report.verdict.summary).toMatch(/; TLS inspection of Microsoft endpoints seen \(1 certificate from another issuer, see the report\)$/);
    expect(r.stdout.split('\n')[0]).toBe(report.verdict.summary);
    expect(report.data_quality.evidence_gaps).toContain(
      'TLS inspection: 1 certificate for Microsoft names came from an issuer Microsoft does not use (see Answers that can stop a sync): ' +
        'a proxy or firewall decrypts this traffic, which Entra Connect and its agents do not support',
    );
  });
});
