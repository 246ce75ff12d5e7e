import { describe, expect, it } from 'vitest';
import { parseFirewallMessage } from '../../../src/sources/azure-firewall-message.js';
import { readCsv } from '../../../src/sources/flowlog-csv.js';
import { byteInputFrom, collect, csvText } from '../../support/flowlog-builder.js';

describe('Azure Firewall diagnostic messages (AzureDiagnostics msg_s)', () => {
  it('reads network, application, NAT and ICMP rule messages', () => {
    expect(parseFirewallMessage('TCP request from 10.0.0.20:50000 to 10.0.0.10:389. Action: Deny. Rule Collection: dc-rules. Rule: deny-ldap')).toEqual({
      src: '10.0.0.20', sport: '50000', dst: '10.0.0.10', dport: '389', proto: 'TCP', action: 'Deny', rule: 'deny-ldap', action_reason: '',
    });
    expect(parseFirewallMessage('HTTPS request from 10.0.0.20:50001 to login.microsoftonline.com:443. Action: Deny. No rule matched. Proceeding with default action')).toMatchObject({
      dst: 'login.microsoftonline.com', dport: '443', proto: 'HTTPS', action: 'Deny', rule: '', action_reason: 'No rule matched. Proceeding with default action',
    });
    expect(parseFirewallMessage('HTTP  request from 10.1.0.5:55640 to mcr.microsoft.com:80. Url: mcr.microsoft.com/v2. Action: Allow. Policy: p. Rule Collection Group: g. Rule Collection: c. Rule: allow-mcr')).toMatchObject({
      dst: 'mcr.microsoft.com', dport: '80', action: 'Allow', rule: 'allow-mcr',
    });
    // DNAT: the request goes on to the translated (private) address.
    expect(parseFirewallMessage("TCP request from 203.0.113.25:41000 to 52.1.2.3:443 was DNAT'ed to 172.16.0.10:443")).toMatchObject({
      src: '203.0.113.25', dst: '172.16.0.10', dport: '443', action: 'Allow',
    });
    expect(parseFirewallMessage('ICMP Type=8 request from 10.0.0.20 to 10.0.0.10. Action: Allow. ')).toMatchObject({ src: '10.0.0.20', dst: '10.0.0.10', proto: 'ICMP', action: 'Allow' });
    expect(parseFirewallMessage('UDP request from 10.1.0.5:123 to 40.119.6.228:123. Action: Allow.')).toMatchObject({ proto: 'UDP', dport: '123', action: 'Allow' });
  });

  it('gives null for messages that are no request (DNS proxy, notices)', () => {
    for (const m of ['DNS Request: 10.0.0.20:55000 - 1234 A IN login.microsoftonline.com. udp 40 false 512 NOERROR - 0 2.000s', '', 'TCP request from somewhere']) {
      expect(parseFirewallMessage(m), m).toBeNull();
    }
  });

  it('a CSV export of the AzureDiagnostics table: flows from the messages, other messages counted', async () => {
    const header = ['TenantId', 'TimeGenerated [UTC]', 'Category', 'OperationName', 'msg_s'];
    const rows = [
      ['t', '5/1/2024, 10:00:00.000 AM', 'AzureFirewallNetworkRule', 'AzureFirewallNetworkRuleLog', 'TCP request from 10.0.0.20:50000 to 10.0.0.10:389. Action: Deny. Rule Collection: dc. Rule: deny-ldap'],
      ['t', '5/1/2024, 10:00:01.000 AM', 'AzureFirewallApplicationRule', 'AzureFirewallApplicationRuleLog', 'HTTPS request from 10.0.0.20:50001 to Login.MicrosoftOnline.com:443. Action: Deny. No rule matched. Proceeding with default action'],
      ['t', '5/1/2024, 10:00:02.000 AM', 'AzureFirewallDnsProxy', 'AzureFirewallDnsProxyLog', 'DNS Request: 10.0.0.20:55000 - 1234 A IN x. udp 40 false 512 NOERROR - 0 2.000s'],
    ];
    const { flows, diag } = await collect(readCsv, byteInputFrom('azdiag.csv', csvText(header, rows)));
    expect(flows.map((f) => [f.origH, f.respH, f.respP, f.proto, f.outcome, f.log?.rule, f.log?.dstName])).toEqual([
      ['10.0.0.20', '10.0.0.10', 389, 'tcp', 'refused', 'deny-ldap', undefined],
      ['10.0.0.20', 'login.microsoftonline.com', 443, 'tcp', 'refused', undefined, true],
    ]);
    expect(flows[1].reason).toBe('denied (Deny: No rule matched. Proceeding with default action)');
    expect(flows[0].ts).toBe(Date.UTC(2024, 4, 1, 10) * 1000);
    expect(diag.counters.get('log_message_not_a_flow')).toBe(1);
  });
});
