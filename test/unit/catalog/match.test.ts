import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../../src/catalog/load.js';
import {
  clientRolesForHostname,
  exampleNamesForRole,
  formatPorts,
  hostnameMatches,
  isIgnoredHostname,
  ruleApplies,
  ruleConditions,
  ruleMatchesPort,
  rolesForHostname,
} from '../../../src/catalog/match.js';
import type { Condition } from '../../../src/catalog/types.js';

const current = loadCatalog('hybrid-identity');
const old = loadCatalog('hybrid-identity-2016');
const byId = (id: string, c = current) => c.rules.find((r) => r.id === id)!;

describe('hostnameMatches', () => {
  it('a leading *. matches any subdomain depth but not the bare name', () => {
    expect(hostnameMatches('*.microsoftonline.com', 'login.microsoftonline.com')).toBe(true);
    expect(hostnameMatches('*.microsoftonline.com', 'a.b.microsoftonline.com')).toBe(true);
    expect(hostnameMatches('*.microsoftonline.com', 'microsoftonline.com')).toBe(false);
    expect(hostnameMatches('*.microsoftonline.com', 'evilmicrosoftonline.com')).toBe(false);
    expect(hostnameMatches('*.microsoftonline.com', 'login.microsoftonline.com.evil.net')).toBe(false);
  });
  it('is case-insensitive, ignores a trailing dot, and treats dots literally', () => {
    expect(hostnameMatches('login.windows.net', 'LOGIN.Windows.NET.')).toBe(true);
    expect(hostnameMatches('login.windows.net', 'loginxwindows.net')).toBe(false);
    expect(hostnameMatches('*.crl.microsoft.com', 'x.crlxmicrosoft.com')).toBe(false);
  });
  it('a * inside a label stays within that label', () => {
    expect(hostnameMatches('aadc*.contoso.local', 'aadc01.contoso.local')).toBe(true);
    expect(hostnameMatches('aadc*.contoso.local', 'aadc.contoso.local')).toBe(true);
    expect(hostnameMatches('aadc*.contoso.local', 'aadc01.sub.contoso.local')).toBe(false);
  });
});

describe('rolesForHostname', () => {
  it('gives every role whose names match (one name, several roles)', () => {
    expect(rolesForHostname(current, 'login.microsoftonline.com')).toEqual(['azure-ad', 'health-service']);
    expect(rolesForHostname(current, 'adminwebservice.microsoftonline.com')).toEqual(['azure-ad']);
    expect(rolesForHostname(current, 'crl.microsoft.com')).toEqual(['crl']);
    expect(rolesForHostname(current, 'eu.aadconnecthealth.azure.com')).toEqual(['health-service']);
    expect(rolesForHostname(current, 'x.servicebus.windows.net')).toEqual(['azure-ad', 'health-service']);
    expect(rolesForHostname(current, 'login.microsoftonline.us')).toEqual(['azure-ad']);
    expect(rolesForHostname(current, 'www.example.com')).toEqual([]);
  });
  it('telemetry names give no role', () => {
    expect(isIgnoredHostname(current, 'dc.services.visualstudio.com')).toBe(true);
    expect(rolesForHostname(current, 'dc.services.visualstudio.com')).toEqual([]);
    expect(rolesForHostname(old, 'v10.events.data.nsatc.net')).toEqual([]);
  });
  it('names only one kind of client uses reveal the client role', () => {
    expect(clientRolesForHostname(current, 'adminwebservice.microsoftonline.com')).toEqual(['connect']);
    expect(clientRolesForHostname(current, 'policykeyservice.dc.ad.msft.net')).toEqual(['health-agent']);
    expect(clientRolesForHostname(current, 'login.microsoftonline.com')).toEqual([]);
  });
  it('gives example names for a role, exact names first', () => {
    expect(exampleNamesForRole(current, 'azure-ad', 2)).toEqual(['login.windows.net', 'secure.aadcdn.microsoftonline-p.com']);
  });
});

describe('rules', () => {
  it('ruleMatchesPort checks transport and port range', () => {
    const rpc = byId('connect-dc-rpc-dynamic');
    expect(ruleMatchesPort(rpc, 'tcp', 49152)).toBe(true);
    expect(ruleMatchesPort(rpc, 'tcp', 65535)).toBe(true);
    expect(ruleMatchesPort(rpc, 'tcp', 49151)).toBe(false);
    expect(ruleMatchesPort(rpc, 'udp', 50000)).toBe(false);
    const old135 = byId('connect-dc-msrpc', old);
    expect(ruleMatchesPort(old135, 'udp', 135)).toBe(true);
    expect(ruleMatchesPort(byId('connect-dc-msrpc'), 'udp', 135)).toBe(false);
    expect(ruleMatchesPort(byId('connect-dc-rpc-dynamic', old), 'udp', 65353)).toBe(true);
    expect(ruleMatchesPort(byId('connect-dc-rpc-dynamic', old), 'udp', 65354)).toBe(false);
  });
  it('ruleApplies: no condition always, any listed condition turns a rule on', () => {
    const none = new Set<Condition>();
    expect(ruleApplies(byId('connect-dc-ldap'), none)).toBe(true);
    expect(ruleApplies(byId('connect-dc-ldaps'), none)).toBe(false);
    expect(ruleApplies(byId('connect-dc-ldaps'), new Set<Condition>(['ldaps']))).toBe(true);
    const smb = byId('connect-dc-smb');
    expect(ruleConditions(smb)).toEqual(['seamless-sso', 'password-writeback']);
    expect(ruleApplies(smb, new Set<Condition>(['password-writeback']))).toBe(true);
    expect(ruleApplies(smb, new Set<Condition>(['ldaps']))).toBe(false);
  });
  it('formats ports', () => {
    expect(formatPorts(byId('connect-dc-rpc-dynamic').ports)).toBe('49152-65535');
    expect(formatPorts(byId('connect-dc-ldap').ports)).toBe('389');
  });
});
