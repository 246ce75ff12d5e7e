/**
 * Captures that hold one direction only (a one-way SPAN or tap, asymmetric routing past the capture
 * point, a capture filter): a TCP connection whose client acknowledged the server's unseen SYN-ACK
 * counts as completed with Zeek's S0 or SH (flows/outcome.ts replyNotCaptured), a combination
 * nothing else gives. Where the capture proves it lacks a server's answers, a UDP request to that
 * server that looks unanswered, and a DNS lookup it never saw answered, prove nothing: the audit
 * counts them as undetermined instead of failed.
 */
import type { DnsLookupStats, FlowSummaryData, PairAggregate } from '../flows/summary-types.js';
import { pairIndexFor, PROTO_TCP } from '../roles/pair-index.js';

/** True when `a` holds a TCP connection completed without one packet of its responder captured. */
export function completedOneWay(a: PairAggregate): boolean {
  return (
    a.proto === 'tcp' &&
    a.completed > 0 &&
    (a.connStates.S0 !== undefined || a.connStates.SH !== undefined) &&
    a.samples.some((s) => s.outcome === 'completed' && (s.connState === 'S0' || s.connState === 'SH'))
  );
}

/** `a` with its unanswered flows counted as undetermined (`a` itself is not changed). */
export function undetermined(a: PairAggregate): PairAggregate {
  return Object.create(a, { unanswered: { value: 0 }, unknown: { value: a.unknown + a.unanswered } }) as PairAggregate;
}

/** The DNS servers of `summary` whose answers the capture proves it lacks (to some client). */
function dnsServersSeenOneWay(summary: FlowSummaryData): Set<string> {
  const out = new Set<string>();
  const servers = new Set(summary.dns.flatMap((d) => d.servers));
  if (servers.size === 0 || summary.pairs.length === 0) return out;
  const index = pairIndexFor(summary.pairs);
  const { first, next } = index.byResp;
  for (const server of servers) {
    const id = index.idOf(server);
    if (id === undefined) continue;
    // Reading a pair's samples builds them: only its TCP pairs that completed are asked.
    for (let i = first[id]; i >= 0; i = next[i]) {
      if (index.proto[i] === PROTO_TCP && index.completed[i] > 0 && completedOneWay(summary.pairs[i])) {
        out.add(server);
        break;
      }
    }
  }
  return out;
}

/**
 * `summary` with the lookups no answer was seen to counted as neither answered nor failed when
 * every server they were sent to is one whose answers the capture lacks; the same object when there
 * is none.
 */
export function withOneWayDns(summary: FlowSummaryData): FlowSummaryData {
  if (!summary.dns.some((d) => d.unanswered > 0)) return summary;
  const oneWay = dnsServersSeenOneWay(summary);
  if (oneWay.size === 0) return summary;
  const dns = summary.dns.map((d): DnsLookupStats =>
    d.unanswered > 0 && d.servers.length > 0 && d.servers.every((s) => oneWay.has(s)) ? { ...d, unanswered: 0 } : d,
  );
  return { ...summary, dns };
}
