/**
 * The DC locator's DNS names. Every domain controller registers SRV records under `_msdcs` that
 * name it as a DC of its domain or forest ([MS-ADTS] section 6.3.2.3, "SRV Records"; a Samba AD DC
 * registers the same): `_ldap._tcp.dc._msdcs.<domain>`, `_kerberos._tcp.dc._msdcs.<domain>`, their
 * per-site forms `_ldap._tcp.<site>._sites.dc._msdcs.<domain>`, the PDC's `_ldap._tcp.pdc._msdcs.`,
 * the global catalogs' `_ldap._tcp.gc._msdcs.<forest>` and `_gc._tcp.<forest>`, and
 * `_ldap._tcp.<domain GUID>.domains._msdcs.<forest>`. A client (the Connect server among them) finds
 * its DCs by looking these up, so an answer names the DCs whatever their host names.
 *
 * The generic `_ldap._tcp.<domain>` and `_kerberos._tcp.<domain>` are left out: any LDAP server or
 * Kerberos KDC (an MIT realm) may register those.
 */
const DC_LOCATOR = [
  /^_(ldap|kerberos|kpasswd)\._(tcp|udp)\.([^.]+\._sites\.)?(dc|pdc|gc)\._msdcs\.[^.]+(\.[^.]+)*$/,
  /^_gc\._tcp\.([^.]+\._sites\.)?[^.]+(\.[^.]+)*$/,
  /^_ldap\._tcp\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.domains\._msdcs\.[^.]+(\.[^.]+)*$/,
];

/** True for a DC locator SRV name (lowercase, no trailing dot): the addresses it names are DCs. */
export function isDcLocatorName(name: string): boolean {
  return name.startsWith('_') && DC_LOCATOR.some((re) => re.test(name));
}
