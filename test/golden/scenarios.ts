/**
 * The fixture audits the golden tests run: every bundled capture and log, with the features and
 * time zone each needs. One list, so a new fixture gets its golden reports and its pair-order
 * check together.
 */
export interface GoldenScenario {
  name: string;
  inputs: string[];
  feature?: string[];
  tz?: string;
}

import type { AnalyzeFlags } from '../../src/cli/commands.js';

/**
 * The options `analyze` gets for a scenario: one thread, quiet, the scenario's features and zone,
 * and the fixture inventory unless `inventory` is null (roles from the data alone).
 */
export function flagsFor(s: GoldenScenario, inventory: string | null = 'fixtures/inventory.yaml'): AnalyzeFlags {
  return { inventory: inventory ?? undefined, role: [], feature: s.feature ?? [], failOn: [], include: [], exclude: [], quiet: true, tz: s.tz, workers: '0' };
}

/** Console of an audit that prints nothing. */
export const quiet = { out: () => {}, err: () => {}, stderrIsTTY: false, stdoutIsTTY: false };

export const SCENARIOS: GoldenScenario[] = [
  { name: 'healthy-sync', inputs: ['fixtures/healthy-sync.pcapng'] },
  { name: 'ldap-dropped', inputs: ['fixtures/ldap-dropped.pcapng'] },
  { name: 'ldaps-rejected', inputs: ['fixtures/ldaps-rejected.pcapng'], feature: ['ldaps'] },
  { name: 'kerberos-icmp-prohibited', inputs: ['fixtures/kerberos-icmp-prohibited.pcapng'] },
  { name: 'rpc-range-blocked', inputs: ['fixtures/rpc-range-blocked.pcapng'] },
  { name: 'proxy-blocks-login', inputs: ['fixtures/proxy-blocks-login.pcapng'] },
  { name: 'tls-inspection-drops-login', inputs: ['fixtures/tls-inspection-drops-login.pcapng'] },
  { name: 'proxy-auth-required', inputs: ['fixtures/proxy-auth-required.pcapng'] },
  { name: 'entra-names-unresolved', inputs: ['fixtures/entra-names-unresolved.pcapng'] },
  { name: 'dc-firewalled', inputs: ['fixtures/dc-firewalled.pcapng'] },
  { name: 'dc-side-capture', inputs: ['fixtures/dc-side-capture.pcapng'] },
  { name: 'federation', inputs: ['fixtures/federation.pcapng'], feature: ['federation'] },
  { name: 'dc02-firewall-log', inputs: ['fixtures/logs/dc02-pfirewall.log'], tz: 'Europe/Berlin' },
  { name: 'nsg-dc-subnet', inputs: ['fixtures/logs/nsg-dc-subnet'] },
];
