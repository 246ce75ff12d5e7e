import { describe, expect, it } from 'vitest';
import { decodeSequence } from './helpers.js';
import { ethernet, hex, IPPROTO_TCP, ipv4, tcp, TCP_ACK, TCP_PSH } from '../../support/packet-builder.js';

const CONNECT = '10.0.0.20';
const LOGIN = '20.190.151.68';

const segment = (src: string, dst: string, sport: number, dport: number, payload: Uint8Array, id: number) =>
  ethernet({}, ipv4({ src, dst, proto: IPPROTO_TCP, id }, tcp({ sport, dport, flags: TCP_ACK | TCP_PSH, seq: 1, ack: 1 }, payload)));

function decodeAll(frames: Uint8Array[]) {
  const { diag } = decodeSequence(frames);
  return { diag, reported: diag.toDataQuality().diagnostics.find((d) => d.code === 'tls_alert') };
}

describe('TLS handshakes that end with a fatal alert', () => {
  it("the server refuses the client's protocol version; the client rejects a certificate: each named, with who sent it", () => {
    const { reported, diag } = decodeAll([
      segment(LOGIN, CONNECT, 443, 50000, hex('15 0301 0002 02 46'), 1), // protocol_version, in a TLS 1.0 record
      segment(CONNECT, LOGIN, 50001, 443, hex('15 0303 0002 02 30'), 2), // unknown_ca
      segment(LOGIN, CONNECT, 443, 50002, hex('15 0301 0002 02 46'), 3), // the same refusal again: counted only
    ]);
    expect(reported?.examples.map((e) => e.detail)).toEqual([
      '20.190.151.68:443 ended the TLS handshake with 10.0.0.20:50000: fatal alert protocol_version (70): the protocol version was refused (TLS 1.0 or 1.1 offered to an endpoint that requires TLS 1.2?)',
      "10.0.0.20:50001 ended the TLS handshake with 20.190.151.68:443: fatal alert unknown_ca (48): the certificate's issuer is not trusted (an inspecting proxy's CA?)",
    ]);
    expect(diag.counters.get('tls_alerts')).toBe(3);
  });

  it('warnings, encrypted alerts (after the handshake) and other records are left alone', () => {
    const { reported, diag } = decodeAll([
      segment(LOGIN, CONNECT, 443, 50000, hex('15 0303 0002 01 00'), 1), // close_notify warning
      segment(LOGIN, CONNECT, 443, 50000, hex('15 0303 001a 00000000000000011d2f8a0b6e6c1f2e3d4c5b6a79880706'), 2), // encrypted
      segment(LOGIN, CONNECT, 443, 50000, hex('17 0303 0002 02 28'), 3), // application data that looks like one
    ]);
    expect(reported).toBeUndefined();
    expect(diag.counters.get('tls_alerts')).toBeUndefined();
  });
});
