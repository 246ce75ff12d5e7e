import { describe, expect, it } from 'vitest';
import { parseConnectAuthority } from '../../../src/decode/http-proxy.js';
import { ethernet, IPPROTO_TCP, ipv4, tcp, TCP_ACK, TCP_PSH } from '../../support/packet-builder.js';
import { decode } from './helpers.js';

const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
/** The first segment of a connection to (or, `back`, from) the proxy 10.0.0.30:8080. */
const segment = (text: string | Uint8Array, back = false) => {
  const payload = typeof text === 'string' ? ascii(text) : text;
  const [src, dst, sport, dport] = back ? ['10.0.0.30', '10.0.0.20', 8080, 50000] : ['10.0.0.20', '10.0.0.30', 50000, 8080];
  return decode(1, ethernet({}, ipv4({ src, dst, proto: IPPROTO_TCP }, tcp({ sport, dport, flags: TCP_PSH | TCP_ACK }, payload)))).pkt;
};

describe('requests to an explicit HTTP proxy', () => {
  it('reads a CONNECT request: the tunnel target, host lowercased', () => {
    const pkt = segment('CONNECT Login.MicrosoftOnline.com:443 HTTP/1.1\r\nHost: login.microsoftonline.com:443\r\n\r\n');
    expect(pkt.http).toEqual({ method: 'CONNECT', target: 'login.microsoftonline.com:443', status: 0, statusText: '' });
  });

  it('reads plain-HTTP requests in absolute form (GET, HEAD, POST), port 80 unless named', () => {
    expect(segment('GET http://crl.microsoft.com/pki/crl/products/x.crl HTTP/1.1\r\n\r\n').http?.target).toBe('crl.microsoft.com:80');
    expect(segment('HEAD http://ocsp.digicert.com:8080/ HTTP/1.0\r\n\r\n').http).toMatchObject({ method: 'HEAD', target: 'ocsp.digicert.com:8080' });
    expect(segment('POST http://10.1.2.3?x=1 HTTP/1.1\r\n\r\n').http?.target).toBe('10.1.2.3:80');
    expect(segment('CONNECT [2001:db8::1]:443 HTTP/1.1\r\n\r\n').http?.target).toBe('[2001:db8::1]:443');
    // An OCSP request in the path of a GET.
    expect(segment(`GET http://ocsp.digicert.com/${'MFEwTzBNMEswSTAJBgUrDgMCGgUABBQ'.repeat(12)} HTTP/1.1\r\n\r\n`).http?.target).toBe('ocsp.digicert.com:80');
  });

  it("reads the proxy's status line, code and reason", () => {
    expect(segment('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Negotiate\r\n\r\n', true).http).toEqual({
      method: '',
      target: null,
      status: 407,
      statusText: 'Proxy Authentication Required',
    });
    expect(segment('HTTP/1.0 200\r\n\r\n', true).http).toMatchObject({ status: 200, statusText: '' });
  });

  it('leaves alone what is not a proxy request or a status line', () => {
    for (const text of [
      'GET /index.html HTTP/1.1\r\n\r\n', // origin form: a request to the server itself
      'CONNECT login.microsoftonline.com HTTP/1.1\r\n\r\n', // no port
      'CONNECT login.microsoftonline.com:99999 HTTP/1.1\r\n\r\n',
      'CONNECT bad_host!:443 HTTP/1.1\r\n\r\n',
      'CONNECT login.microsoftonline.com:443 HTTP/2\r\n\r\n',
      'GET http://user@host/ HTTP/1.1\r\n\r\n',
      'GET ftp://host/ HTTP/1.1\r\n\r\n',
      'CONNECT login.microsoftonline.com:443 HTTP/1.1', // no line end
      `CONNECT ${'a'.repeat(400)}.com:443 HTTP/1.1\r\n\r\n`, // not a host name (labels of at most 253)
      `GET http://x.example/${'a'.repeat(2100)} HTTP/1.1\r\n\r\n`, // no line end within 2,048 bytes
      'HTTP/1.1 999 Nope\r\n\r\n',
      'Hello',
      'PUT http://host/ HTTP/1.1\r\n\r\n',
    ]) {
      expect(segment(text).http, text).toBeNull();
    }
    expect(segment(Uint8Array.of(0x43, 0x4f, 0x4e, 0x4e, 0x45, 0x43, 0x54, 0x20, 0xff, 0x0d, 0x0a)).http).toBeNull();
  });

  it('parses an authority strictly', () => {
    expect(parseConnectAuthority('Example.COM.:443')).toEqual({ host: 'example.com', port: 443 });
    expect(parseConnectAuthority(':443')).toBeNull();
    expect(parseConnectAuthority('host:0')).toBeNull();
    expect(parseConnectAuthority('[zz]:443')).toBeNull();
  });
});

describe('requests to the server itself (origin form): the Host header names the server', () => {
  it('reads Host, lowercased, without its port, in any letter case of the field name', () => {
    const get = segment('GET /pki/crl/products/MicRooCerAut2011_2011_03_22.crl HTTP/1.1\r\nAccept: */*\r\nUser-Agent: Microsoft-CryptoAPI/10.0\r\nHost: CRL.Microsoft.com\r\n\r\n');
    expect(get.http).toEqual({ method: 'GET', target: null, status: 0, statusText: '', host: 'crl.microsoft.com' });
    expect(segment('POST /wsman HTTP/1.1\r\nhost: dc01.contoso.com:5985\r\nContent-Length: 0\r\n\r\n').http?.host).toBe('dc01.contoso.com');
    expect(segment('HEAD / HTTP/1.0\r\nHOST: oneocsp.microsoft.com\r\n\r\n').http?.host).toBe('oneocsp.microsoft.com');
  });

  it('names nothing for an address, a missing or damaged Host, or a Host past the end of the headers', () => {
    for (const text of [
      'GET / HTTP/1.1\r\nHost: 20.190.151.68\r\n\r\n', // an address, not a name
      'GET / HTTP/1.1\r\nHost: [2001:db8::1]:80\r\n\r\n',
      'GET / HTTP/1.1\r\nAccept: */*\r\n\r\nHost: after.example\r\n\r\n', // a body, not a header
      'GET / HTTP/1.1\r\nHost: bad_host!\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: crl.microsoft.com', // cut before its line end
      `GET / HTTP/1.1\r\nX-Pad: ${'a'.repeat(2100)}\r\nHost: late.example\r\n\r\n`, // beyond 2,048 header bytes
    ]) {
      expect(segment(text).http, text.slice(0, 60)).toBeNull();
    }
  });
});
