import { describe, expect, it } from 'vitest';
import { readAzureFirewall } from '../../../src/sources/flowlog-azfw.js';
import { sniffFormat } from '../../../src/sources/input.js';
import { byteInputFrom, collect } from '../../support/flowlog-builder.js';

const FW = '/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/RG-HUB/PROVIDERS/MICROSOFT.NETWORK/AZUREFIREWALLS/FW-HUB';
const CONNECT = '10.1.0.4';
const T = '2024-05-01T10:00:00.1234567Z';
const TS = Date.UTC(2024, 4, 1, 10, 0, 0) * 1000 + 123_456; // to the microsecond, as CSV exports are read

const record = (category: string, properties: object, time = T) => ({ time, resourceId: FW, category, operationName: category, properties });

describe('Azure Firewall logs archived to a storage account (PT1H.json)', () => {
  const records = [
    record('AZFWNetworkRule', {
      Protocol: 'TCP', SourceIp: CONNECT, SourcePort: 50000, DestinationIp: '10.2.0.10', DestinationPort: 389,
      Action: 'Deny', Policy: 'fw-policy', RuleCollectionGroup: 'dc', RuleCollection: 'deny-dc', Rule: 'deny-ldap', ActionReason: '',
    }),
    record('AZFWApplicationRule', {
      Protocol: 'HTTPS', SourceIp: CONNECT, SourcePort: 50001, Fqdn: 'Login.MicrosoftOnline.com', TargetUrl: '', DestinationPort: 443,
      Action: 'Deny', Policy: 'fw-policy', RuleCollectionGroup: '', RuleCollection: '', Rule: '', ActionReason: 'No rule matched. Proceeding with default action',
    }),
    record('AZFWNatRule', {
      Protocol: 'TCP', SourceIp: '203.0.113.25', SourcePort: 41000, DestinationIp: '52.1.2.3', DestinationPort: 443,
      TranslatedIp: '10.3.0.10', TranslatedPort: 443, Policy: 'fw-policy', RuleCollectionGroup: 'dnat', RuleCollection: 'wap', Rule: 'to-wap',
    }),
    // Legacy categories carry one message line.
    record('AzureFirewallNetworkRule', { msg: `UDP request from ${CONNECT}:50002 to 10.2.0.10:88. Action: Allow. Rule Collection: dc. Rule: allow-kerberos` }),
    record('AzureFirewallNetworkRule', { msg: 'DNS Request: 10.1.0.4:50003 - 1 A login.microsoftonline.com. udp 60 false 512 NOERROR - 0.001s' }),
    // Other categories hold no flow, nor do IDPS alerts.
    record('AZFWDnsQuery', { SourceIp: CONNECT, QueryName: 'login.microsoftonline.com' }),
    record('AZFWIdpsSignature', { Protocol: 'TCP', SourceIp: CONNECT, SourcePort: 50005, DestinationIp: '20.190.151.68', DestinationPort: 443, Action: 'Alert', SignatureId: '2030', Description: 'x' }),
    // A record whose address is not one is reported and skipped.
    record('AZFWNetworkRule', { Protocol: 'TCP', SourceIp: 'nowhere', SourcePort: 1, DestinationIp: '10.2.0.10', DestinationPort: 88, Action: 'Allow' }),
    // Intrusion prevention denying a request (a false positive on an Entra endpoint stops a sync).
    record('AZFWIdpsSignature', {
      Protocol: 'TCP', SourceIp: CONNECT, SourcePort: 50006, DestinationIp: '20.190.151.68', DestinationPort: 443,
      Action: 'Deny', SignatureId: '2030001', Description: 'ET POLICY suspicious TLS', Category: 'Policy', Severity: 2,
    }),
  ];

  it('reads network, application, NAT and legacy rule records as flows; other records are counted, bad ones reported', async () => {
    const text = JSON.stringify({ records });
    expect(sniffFormat(new TextEncoder().encode(text))).toBe('azfw');
    const { flows, summary, diag } = await collect(readAzureFirewall, byteInputFrom('PT1H.json', text, 300));
    expect(summary).toMatchObject({ format: 'azfw', records: 9, complete: true, firstTs: TS, lastTs: TS });
    expect(flows.map((f) => [f.proto, f.origH, f.origP, f.respH, f.respP, f.outcome, f.connState, f.log?.rule, f.evidence.record])).toEqual([
      ['tcp', CONNECT, 50000, '10.2.0.10', 389, 'refused', 'S0', 'deny-ldap', 0],
      // The application rule's FQDN stands for the host.
      ['tcp', CONNECT, 50001, 'login.microsoftonline.com', 443, 'refused', 'S0', undefined, 1],
      // DNAT: on to the host behind the firewall.
      ['tcp', '203.0.113.25', 41000, '10.3.0.10', 443, 'completed', 'OTH', 'to-wap', 2],
      ['udp', CONNECT, 50002, '10.2.0.10', 88, 'completed', 'OTH', 'allow-kerberos', 3],
      ['tcp', CONNECT, 50006, '20.190.151.68', 443, 'refused', 'S0', 'IDPS signature 2030001', 8],
    ]);
    expect(flows[4].reason).toBe('denied by rule IDPS signature 2030001 (Deny: ET POLICY suspicious TLS)');
    expect(flows[0].reason).toBe('denied by rule deny-ldap (Deny)');
    expect(flows[1].reason).toBe('denied (Deny: No rule matched. Proceeding with default action)');
    expect(flows[1].log?.dstName).toBe(true);
    expect(flows[0].ts).toBe(TS);
    expect(diag.counters.get('log_message_not_a_flow')).toBe(1);
    expect(diag.counters.get('log_record_not_a_flow')).toBe(2);
    const bad = diag.toDataQuality().diagnostics.find((d) => d.code === 'log_bad_line')!;
    expect(bad.examples[0]).toMatchObject({ origin: { index: 7 }, detail: 'record 7: bad address "nowhere"; skipped' });
  });

  it('reads one record a line too, with the line as evidence', async () => {
    const text = records.slice(0, 2).map((r) => JSON.stringify(r)).join('\n') + '\n';
    expect(sniffFormat(new TextEncoder().encode(text))).toBe('azfw');
    const { flows } = await collect(readAzureFirewall, byteInputFrom('fw.json', text));
    expect(flows.map((f) => f.evidence)).toEqual([
      { file: 'fw.json', record: 0, line: 1 },
      { file: 'fw.json', record: 1, line: 2 },
    ]);
  });
});
