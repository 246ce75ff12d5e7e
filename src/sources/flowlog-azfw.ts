/**
 * Azure Firewall logs as diagnostic settings archive them to a storage account: hourly PT1H.json
 * blobs under `resourceId=/SUBSCRIPTIONS/…/AZUREFIREWALLS/<name>/…`, `{"records":[…]}` (or one record
 * a line), each `{time, resourceId, category, operationName, properties}`. The same logs a Log
 * Analytics export gives as CSV (flowlog-csv.ts), read with the same mapping to flows (RowFlows):
 *
 * - resource-specific categories, whose properties name the fields:
 *   - AZFWNetworkRule: Protocol, SourceIp, SourcePort, DestinationIp, DestinationPort, Action,
 *     Policy, RuleCollectionGroup, RuleCollection, Rule, ActionReason;
 *   - AZFWApplicationRule: the same with Fqdn (the name the client asked for) as the destination:
 *     the name stands for the host, with the roles it gives (as in a CSV export);
 *   - AZFWNatRule: the request goes on to TranslatedIp:TranslatedPort, the host behind the firewall;
 *   - AZFWIdpsSignature and AZFWThreatIntel: the requests they denied (refused, with the signature
 *     or the threat named); their alerts are no flow;
 * - the legacy categories AzureFirewallNetworkRule, AzureFirewallApplicationRule and
 *   AzureFirewallNatRule, whose `properties.msg` is one line (azure-firewall-message.ts).
 *
 * Records of other categories (DNS proxy, threat intelligence notes, flow traces, IDPS) and legacy
 * messages that describe no request are not flows: counted (`log_record_not_a_flow`,
 * `log_message_not_a_flow`). Times are UTC. Evidence: file and 0-based record index.
 */

import { parseFirewallMessage } from './azure-firewall-message.js';
import { RowFlows, type CsvColumn } from './flowlog-csv.js';
import { parseTimezone } from './flowlog-time.js';
import { forEachJsonRecord } from './json-records.js';
import type { ByteInput, FileSummary, FlowSink, ReadContext } from './types.js';

type Props = Record<string, unknown>;

/** A property as text ('' when absent); numbers (ports) as their digits. */
function text(p: Props, name: string): string {
  const v = p[name];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

/** The logical columns of one record, or null when it holds no flow (see the module comment). */
function columnsOf(record: Props, diagCount: (name: string) => void): { cell: (k: CsvColumn) => string | undefined; dstNames: boolean } | null {
  const category = typeof record.category === 'string' ? record.category : '';
  const props = (typeof record.properties === 'object' && record.properties !== null ? record.properties : {}) as Props;
  const time = typeof record.time === 'string' ? record.time : '';
  if (typeof props.msg === 'string') {
    const m = parseFirewallMessage(props.msg);
    if (m === null) {
      diagCount('log_message_not_a_flow');
      return null;
    }
    const fields: Partial<Record<CsvColumn, string>> = { ...m, time };
    return { cell: (k) => fields[k], dstNames: /^HTTPS?$/i.test(m.proto) };
  }
  if (category === 'AZFWIdpsSignature' || category === 'AZFWThreatIntel') {
    // Intrusion prevention and threat intelligence: a request they blocked is refused (an IDPS
    // false positive on Microsoft endpoints stops a sync as surely as a rule); alerts are no flow.
    const action = text(props, 'Action');
    if (!/^(deny|drop|block)$/i.test(action)) {
      diagCount('log_record_not_a_flow');
      return null;
    }
    const idps = category === 'AZFWIdpsSignature';
    const fields: Partial<Record<CsvColumn, string>> = {
      time,
      src: text(props, 'SourceIp'),
      sport: text(props, 'SourcePort'),
      dst: text(props, 'DestinationIp'),
      dport: text(props, 'DestinationPort'),
      proto: text(props, 'Protocol'),
      action,
      rule: idps ? `IDPS signature ${text(props, 'SignatureId')}`.trim() : 'threat intelligence',
      action_reason: idps ? text(props, 'Description') : text(props, 'ThreatDescription'),
    };
    return { cell: (k) => fields[k], dstNames: false };
  }
  if (category !== 'AZFWNetworkRule' && category !== 'AZFWApplicationRule' && category !== 'AZFWNatRule') {
    diagCount('log_record_not_a_flow');
    return null;
  }
  const nat = category === 'AZFWNatRule';
  const application = category === 'AZFWApplicationRule';
  const dst = nat ? text(props, 'TranslatedIp') : application ? text(props, 'Fqdn') || text(props, 'DestinationIp') : text(props, 'DestinationIp');
  const fields: Partial<Record<CsvColumn, string>> = {
    time,
    src: text(props, 'SourceIp'),
    sport: text(props, 'SourcePort'),
    dst,
    dport: nat ? text(props, 'TranslatedPort') : text(props, 'DestinationPort'),
    proto: text(props, 'Protocol'),
    // A DNAT rule lets the request through to the host behind the firewall.
    action: nat ? text(props, 'Action') || 'Allow' : text(props, 'Action'),
    // No rule when none matched (the policy's default action): the reason then says so.
    rule: text(props, 'Rule') || text(props, 'RuleCollection'),
    action_reason: text(props, 'ActionReason'),
  };
  return { cell: (k) => fields[k], dstNames: application };
}

/**
 * Reads one Azure Firewall log file and pushes one flow per request record to `onFlow`.
 * `FileSummary.records` counts records. Records that cannot be read are reported (`json_malformed`,
 * `log_bad_line` with the record index) and skipped.
 */
export async function readAzureFirewall(input: ByteInput, ctx: ReadContext, onFlow: FlowSink): Promise<FileSummary> {
  const file = input.name;
  const diag = ctx.diag;
  const utc = parseTimezone('UTC');
  const toFlow = new RowFlows(file, diag, 'log_bad_line', onFlow);
  const count = (name: string): void => diag.count(name);
  const result = await forEachJsonRecord(input, diag, (value, meta) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      diag.report('log_bad_line', { file, offset: meta.offset, index: meta.index }, `record ${meta.index}: not an object; skipped`);
      return;
    }
    const columns = columnsOf(value as Props, count);
    if (columns === null) return;
    toFlow.add(columns.cell, utc, columns.dstNames, {
      offset: meta.offset,
      index: meta.index,
      place: `record ${meta.index}`,
      evidence: meta.topLevel ? { file, record: meta.index, line: meta.line } : { file, record: meta.index },
    });
  });
  diag.count('log_records', result.records);
  return {
    file,
    format: 'azfw',
    records: result.records,
    bytes: result.bytes,
    firstTs: toFlow.firstTs,
    lastTs: toFlow.lastTs,
    complete: result.complete,
  };
}
