/**
 * Requests through an explicit HTTP proxy. `CONNECT login.microsoftonline.com:443 HTTP/1.1` (RFC
 * 9110 section 9.3.6) asks for a tunnel to that host and port; a plain-HTTP request in absolute form,
 * `GET http://crl.microsoft.com/pki/... HTTP/1.1` (RFC 9112 section 3.2.2), asks the proxy to fetch it.
 * Only proxies get either. The proxy's status line answers (`HTTP/1.1 200 Connection established`,
 * `407 Proxy Authentication Required`, `403 Forbidden` ...). A Connect server set up with a proxy
 * (machine.config) reaches Entra ID only this way: its capture shows no DNS lookup and no flow to a
 * Microsoft address, only flows to the proxy, and the proxy's refusal is why sync fails.
 *
 * A request sent to the server itself (origin form, `GET /pki/crl/... HTTP/1.1`) names that
 * server in its Host header: like a TLS ClientHello's SNI, that names the far side of the flow when
 * the capture holds no DNS answer for it (Windows had the name cached), as it does for the CRL and
 * OCSP downloads of the catalog's HTTP 80 rule.
 *
 * Only the first line of a segment is read (and, for a request in origin form, its headers up to
 * MAX_HEADERS bytes), and only when the segment starts with one of these methods or with `HTTP/1.`:
 * the cheap first-byte tests keep this off the hot path.
 */
import { hostNameOf } from '../common/hostname.js';
import type { HttpProxyFacts, Packet } from './types.js';

const HTTP1 = 'HTTP/1.';
/**
 * Request methods read: CONNECT (authority form) and GET, HEAD, POST (absolute form). Their first
 * letters C, G, H and P are the cheap test in tcp.ts.
 */
const METHODS = ['CONNECT ', 'GET ', 'HEAD ', 'POST '];
/** Longest request or status line read: an absolute URL carries a path and a query (an OCSP GET puts its whole request in the path). */
const MAX_LINE = 2048;
/** Header bytes read after a request line in origin form, looking for Host. */
const MAX_HEADERS = 2048;

function startsWith(b: Uint8Array, off: number, end: number, text: string): boolean {
  if (off + text.length > end) return false;
  for (let i = 0; i < text.length; i++) if (b[off + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** Printable ASCII from b[from .. to) as text, or null for any other byte. */
function asciiText(b: Uint8Array, from: number, to: number): string | null {
  let s = '';
  for (let i = from; i < to; i++) {
    const c = b[i];
    if (c < 0x20 || c > 0x7e) return null;
    s += String.fromCharCode(c);
  }
  return s;
}

/** Index of the CR of the first CRLF in b[off .. end), or -1 within MAX_LINE bytes. */
function lineEnd(b: Uint8Array, off: number, end: number): number {
  const stop = Math.min(end - 1, off + MAX_LINE);
  for (let i = off; i < stop; i++) if (b[i] === 0x0d && b[i + 1] === 0x0a) return i;
  return -1;
}

/**
 * `host:port` of a CONNECT target, the host lowercased; null unless the authority is a DNS name or
 * an IPv4 address with a port (an IPv6 literal in brackets is kept as written).
 */
export function parseConnectAuthority(authority: string): { host: string; port: number } | null {
  const colon = authority.lastIndexOf(':');
  if (colon <= 0 || colon === authority.length - 1) return null;
  const portText = authority.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText)) return null;
  const port = Number(portText);
  if (port === 0 || port > 65535) return null;
  const text = authority.slice(0, colon).toLowerCase();
  if (text.startsWith('[')) return /^\[[0-9a-f:.]+\]$/.test(text) ? { host: text, port } : null;
  // A dotted quad (CONNECT 20.190.151.68:443) is an address; anything else must be a host name.
  const host = /^\d{1,3}(\.\d{1,3}){3}$/.test(text) ? text : hostNameOf(text);
  return host === null ? null : { host, port };
}

/**
 * Reads a proxy request line (CONNECT, or GET / HEAD / POST in absolute form) or an HTTP/1.x status
 * line at the start of the TCP payload b[off .. end) (`end`: the captured end) into `pkt.http`.
 * Anything else is left alone, quietly: most payloads that start with these letters are not HTTP.
 */
export function decodeHttpProxyLine(b: Uint8Array, off: number, end: number, pkt: Packet): void {
  if (startsWith(b, off, end, HTTP1)) {
    const line = firstLine(b, off, end);
    const m = line === null ? null : /^HTTP\/1\.[01] ([1-5]\d\d)(?: (.*))?$/.exec(line);
    if (m) pkt.http = { method: '', target: null, status: Number(m[1]), statusText: (m[2] ?? '').trim().slice(0, 80) } satisfies HttpProxyFacts;
    return;
  }
  const method = METHODS.find((m) => startsWith(b, off, end, m));
  if (method === undefined) return;
  const lineStart = off + method.length;
  const eol = lineEnd(b, lineStart, end);
  const line = eol < 0 ? null : asciiText(b, lineStart, eol);
  const m = line === null ? null : /^(\S+) HTTP\/1\.[01]$/.exec(line);
  if (!m) return;
  if (method !== 'CONNECT ' && m[1].startsWith('/')) {
    const host = hostHeader(b, eol + 2, end);
    if (host !== null) pkt.http = { method: method.trim(), target: null, status: 0, statusText: '', host };
    return;
  }
  const target = method === 'CONNECT ' ? parseConnectAuthority(m[1]) : absoluteTarget(m[1]);
  if (target === null) return;
  pkt.http = { method: method.trim(), target: `${target.host}:${target.port}`, status: 0, statusText: '' };
}

/**
 * The host name of the Host header among the header lines from `off` (RFC 9112 section 3.2: one
 * per request), within MAX_HEADERS bytes and before the empty line that ends them; null when there
 * is none, or it is an address rather than a name.
 */
function hostHeader(b: Uint8Array, off: number, end: number): string | null {
  const stop = Math.min(end, off + MAX_HEADERS);
  for (let at = off; at < stop; ) {
    const eol = lineEnd(b, at, stop);
    if (eol <= at) return null; // the empty line (end of the headers), or a line cut short
    if (eol - at > 5 && (b[at] | 0x20) === 0x68 && (b[at + 1] | 0x20) === 0x6f && (b[at + 2] | 0x20) === 0x73 && (b[at + 3] | 0x20) === 0x74 && b[at + 4] === 0x3a) {
      const value = asciiText(b, at + 5, eol);
      if (value === null) return null;
      const text = value.trim();
      // host[:port]; an IPv6 literal in brackets is an address, not a name.
      return text.startsWith('[') ? null : hostNameOf(text.replace(/:\d{1,5}$/, ''));
    }
    at = eol + 2;
  }
  return null;
}

/** The printable first line of b[off .. end), without its CRLF; null when there is none within MAX_LINE bytes. */
function firstLine(b: Uint8Array, off: number, end: number): string | null {
  const eol = lineEnd(b, off, end);
  return eol < 0 ? null : asciiText(b, off, eol);
}

/** Host and port of an absolute-form `http://host[:port]/...` target (port 80 by default); null for anything else. */
function absoluteTarget(uri: string): { host: string; port: number } | null {
  const m = /^http:\/\/([^/?#@]+)(?:[/?#]|$)/i.exec(uri);
  if (!m) return null;
  const authority = m[1];
  return parseConnectAuthority(/:\d+$/.test(authority) && !authority.endsWith(']') ? authority : `${authority}:80`);
}
