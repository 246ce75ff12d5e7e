import { describe, expect, it } from 'vitest';
import { isDcLocatorName } from '../../../src/roles/dc-locator.js';

describe("the DC locator's SRV names (MS-ADTS 6.3.2.3)", () => {
  it('are the _msdcs records every DC registers, and the global catalog records', () => {
    for (const name of [
      '_ldap._tcp.dc._msdcs.contoso.local',
      '_kerberos._tcp.dc._msdcs.contoso.local',
      '_kerberos._udp.dc._msdcs.corp.contoso.com',
      '_ldap._tcp.default-first-site-name._sites.dc._msdcs.contoso.local',
      '_ldap._tcp.pdc._msdcs.contoso.local',
      '_ldap._tcp.gc._msdcs.contoso.local',
      '_gc._tcp.contoso.local',
      '_gc._tcp.hq._sites.contoso.local',
      '_ldap._tcp.6f8c1a2e-0b3d-4c5e-9f10-2a3b4c5d6e7f.domains._msdcs.contoso.local',
    ]) {
      expect(isDcLocatorName(name), name).toBe(true);
    }
  });

  it('are not the generic records any LDAP server or Kerberos realm may register, nor host names', () => {
    for (const name of ['_ldap._tcp.contoso.local', '_kerberos._tcp.example.org', '_ldap._tcp.dc._msdcs', 'dc01.contoso.local', '_http._tcp.dc._msdcs.contoso.local', 'login.microsoftonline.com']) {
      expect(isDcLocatorName(name), name).toBe(false);
    }
  });
});
