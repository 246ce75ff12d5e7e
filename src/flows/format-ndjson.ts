/**
 * Newline-delimited JSON, one object per flow, with Zeek's JSON field names (`ts` as seconds,
 * `id.orig_h` ...) so that tools reading Zeek's JSON conn.log read ours, plus flowaudit's own fields
 * in snake_case: `file`, `frame` (captures) or `line` / `record` + `tuple` (logs), `outcome`,
 * `reason`, `observed_by`, and when present `syn_count`, `icmp`, `sni`, `http_host` (the Host header of
 * a plain-HTTP request to the server itself), `dns`, `epm_ports`, `proxy`
 * (a request to an explicit HTTP proxy: `method`, `target`, `status`, 0 when it never answered), `log`.
 *
 * Unlike Zeek, duration, orig_bytes and resp_bytes are always present (0 rather than absent).
 * Strings from the data are JSON-escaped by JSON.stringify; consumers must still treat them as untrusted.
 */

import type { Flow } from './types.js';

/** The JSON object written for one flow (field order is the output order). */
export function flowToJsonObject(flow: Flow): Record<string, unknown> {
  const o: Record<string, unknown> = {
    ts: flow.ts / 1_000_000,
    uid: flow.uid,
    'id.orig_h': flow.origH,
    'id.orig_p': flow.origP,
    'id.resp_h': flow.respH,
    'id.resp_p': flow.respP,
    proto: flow.proto,
  };
  if (flow.service) o.service = flow.service;
  o.duration = flow.duration / 1_000_000;
  o.orig_bytes = flow.origBytes;
  o.resp_bytes = flow.respBytes;
  o.conn_state = flow.connState;
  if (flow.observedBy === 'packets') o.missed_bytes = 0;
  if (flow.history) o.history = flow.history;
  o.orig_pkts = flow.origPkts;
  o.orig_ip_bytes = flow.origIpBytes;
  o.resp_pkts = flow.respPkts;
  o.resp_ip_bytes = flow.respIpBytes;
  o.file = flow.evidence.file;
  if (flow.evidence.frame !== undefined) o.frame = flow.evidence.frame;
  if (flow.evidence.line !== undefined) o.line = flow.evidence.line;
  if (flow.evidence.record !== undefined) o.record = flow.evidence.record;
  if (flow.evidence.tuple !== undefined) o.tuple = flow.evidence.tuple;
  o.outcome = flow.outcome;
  o.reason = flow.reason;
  o.observed_by = flow.observedBy;
  if (flow.synCount !== undefined) o.syn_count = flow.synCount;
  if (flow.icmp) {
    o.icmp = {
      family: flow.icmp.family,
      type: flow.icmp.type,
      code: flow.icmp.code,
      code_name: flow.icmp.codeName,
      from: flow.icmp.from,
      ...(flow.icmp.frame !== undefined ? { frame: flow.icmp.frame } : {}),
    };
  }
  if (flow.sni !== undefined) o.sni = flow.sni;
  if (flow.httpHost !== undefined) o.http_host = flow.httpHost;
  if (flow.dns) o.dns = flow.dns;
  if (flow.epmPorts) o.epm_ports = flow.epmPorts;
  if (flow.proxy) o.proxy = { method: flow.proxy.method, target: flow.proxy.target, status: flow.proxy.status };
  if (flow.log) o.log = flow.log;
  return o;
}

/** One NDJSON line for a flow (with its newline). */
export function formatNdjsonRow(flow: Flow): string {
  return `${JSON.stringify(flowToJsonObject(flow))}\n`;
}
