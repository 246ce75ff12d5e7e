/**
 * The one-line messages of Azure Firewall's legacy diagnostic logs (the AzureDiagnostics table,
 * column msg_s, categories AzureFirewallNetworkRule and AzureFirewallApplicationRule), which a CSV
 * export carries instead of address and port columns:
 *
 *   TCP request from 10.0.0.20:50000 to 20.190.151.68:443. Action: Deny. Rule Collection: rc. Rule: r
 *   HTTPS request from 10.0.0.20:50001 to login.microsoftonline.com:443. Action: Deny. No rule matched. Proceeding with default action
 *   TCP request from 203.0.113.25:41000 to 52.1.2.3:443 was DNAT'ed to 172.16.0.10:443
 *   ICMP Type=8 request from 10.0.0.20 to 10.0.0.10. Action: Allow.
 *
 * Messages of other kinds in the same table (DNS proxy, threat intelligence notices without a
 * request) are not flows: null.
 */

/** The flow fields a message gives, as the CSV reader's logical columns. */
export interface FirewallMessageFields {
  src: string;
  sport: string;
  dst: string;
  dport: string;
  proto: string;
  action: string;
  rule: string;
  action_reason: string;
}

const REQUEST = /^(TCP|UDP|HTTPS?|MSSQL)\s+request from (\S+?):(\d{1,5}) to (\S+?):(\d{1,5})(?: was DNAT'ed to (\S+?):(\d{1,5}))?(?:\.|$)\s*(.*)$/i;
const ICMP_REQUEST = /^ICMP(?: Type=\d+)? request from (\S+) to (\S+?)(?:\.\s|\.?$)\s*(.*)$/i;
const ACTION = /(?:^|\.\s*)(?:Url: [^\s]*\.\s*)?Action: (\w+)\.?/i;
const RULE = /(?:^|\.\s*)Rule: ([^.]+)/;

/** The flow a message describes, or null when it describes none. */
export function parseFirewallMessage(message: string): FirewallMessageFields | null {
  const text = message.trim();
  const m = REQUEST.exec(text);
  if (m) {
    // A DNAT sends the request on to the translated address: the host behind the firewall.
    const dnat = m[6] !== undefined;
    return withOutcome(
      {
        src: m[2],
        sport: m[3],
        dst: dnat ? m[6] : m[4],
        dport: dnat ? m[7] : m[5],
        proto: m[1],
        action: dnat ? 'Allow' : '',
        rule: '',
        action_reason: '',
      },
      m[8],
    );
  }
  const icmp = ICMP_REQUEST.exec(text);
  if (icmp) {
    return withOutcome({ src: icmp[1], sport: '', dst: icmp[2], dport: '', proto: 'ICMP', action: '', rule: '', action_reason: '' }, icmp[3]);
  }
  return null;
}

/** Fills action, rule and reason from the rest of the message (`Action: Deny. Rule Collection: x. Rule: y`). */
function withOutcome(f: FirewallMessageFields, rest: string): FirewallMessageFields {
  const action = ACTION.exec(rest);
  if (action) f.action = action[1];
  const rule = RULE.exec(rest);
  if (rule) f.rule = rule[1].trim();
  const after = action ? rest.slice(action.index + action[0].length).trim() : rest.trim();
  if (!rule && after) f.action_reason = after.replace(/\.$/, '');
  return f;
}
