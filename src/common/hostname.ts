/**
 * DNS host names as the data names them (a proxy request's target, a firewall log's FQDN column):
 * checked strictly, since the text is untrusted and may end up as a host's "address" in reports.
 */

const HOST_NAME = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/;

/**
 * `text` as a host name (lowercased, without a trailing dot), or null unless it is one: labels of
 * letters, digits, `-` and `_` (not at a label's ends), at most 253 characters, and at least one
 * letter, `-` or `_` (a run of digits and dots is an IPv4 address or a mistake, not a name).
 */
export function hostNameOf(text: string): string | null {
  let host = text.toLowerCase();
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host.length === 0 || host.length > 253 || !HOST_NAME.test(host) || /^[\d.]+$/.test(host)) return null;
  return host;
}
