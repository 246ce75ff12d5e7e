import { PcapngWriter } from '../support/pcapng-writer.js';
import { compileScenario } from './compile.js';
import { SCENARIOS, HOSTS, FEDERATION_HOSTS } from './hybrid.js';
import { renderNsgV2, renderPfirewall } from './logs.js';

const LINKTYPE_ETHERNET = 1;
const NSG_ID =
  '/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/RG-IDENTITY/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/NSG-DC-SUBNET';
const NSG_MAC = '000D3A2B4C5D';

/** Every fixture file, by path relative to the repo root. Pure: same bytes on every run. */
export function renderFixtures(): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const text = (s: string) => new TextEncoder().encode(s);
  for (const s of SCENARIOS) {
    const { packets } = compileScenario(s);
    const w = new PcapngWriter().shb('le', { comment: `flowaudit fixture: ${s.title}. ${s.description}` });
    w.idb({ linkType: LINKTYPE_ETHERNET, snaplen: 262144, tsresol: 6, name: 'Ethernet0' });
    for (const p of packets) w.epb({ interfaceId: 0, tsMicros: p.tsMicros, data: p.data });
    out.set(`fixtures/${s.name}.pcapng`, w.finish());
  }

  // dc02's own firewall log for the LDAP-dropped scenario (its clock is on CEST, UTC+2).
  const ldap = SCENARIOS.find((s) => s.name === 'ldap-dropped')!;
  out.set('fixtures/logs/dc02-pfirewall.log', text(renderPfirewall(ldap, compileScenario(ldap).flows, HOSTS.dc2.ip, 120, [389])));

  // The NSG in front of the DC subnet, denying the dynamic RPC port (an hour of PT1H.json).
  const rpc = SCENARIOS.find((s) => s.name === 'rpc-range-blocked')!;
  const dcFlows = compileScenario(rpc).flows.filter((f) => f.dst === HOSTS.dc1.ip || f.dst === HOSTS.dc2.ip);
  out.set(
    `fixtures/logs/nsg-dc-subnet/y=2024/m=05/d=01/h=14/m=00/macAddress=${NSG_MAC}/PT1H.json`,
    text(renderNsgV2(rpc, dcFlows, NSG_ID, NSG_MAC, [49668, 49671], 'UserRule_Deny-HighPorts')),
  );

  out.set('fixtures/inventory.yaml', text(renderInventory()));
  return out;
}

/** The fixtures' inventory: the on-premises hosts by role; cloud roles come from DNS and SNI. */
function renderInventory(): string {
  const byRole = new Map<string, string[]>();
  for (const h of Object.values({ ...HOSTS, ...FEDERATION_HOSTS })) {
    for (const r of h.roles ?? []) {
      const list = byRole.get(r) ?? [];
      list.push(h.ip);
      byRole.set(r, list);
    }
  }
  const lines = [
    '# flowaudit inventory for the bundled fixtures (see docs/inventory.md).',
    '# On-premises hosts by role; cloud endpoints are named by DNS answers and TLS SNI in the data.',
    'roles:',
  ];
  for (const [role, ips] of byRole) {
    lines.push(`  ${role}:`);
    for (const ip of ips) lines.push(`    - ${ip}`);
  }
  lines.push('hosts:');
  for (const h of Object.values({ ...HOSTS, ...FEDERATION_HOSTS })) {
    if (h.name && h.roles) lines.push(`  ${h.name}: ${h.ip}`);
  }
  return lines.join('\n') + '\n';
}
