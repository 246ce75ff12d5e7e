/**
 * Judging the traffic one rule saw between one host pair: counts, status, a one-sentence reason that
 * names the failure (conn_state, ICMP code, flow-log deny rule, unanswered UDP) and the possible causes.
 */
import type { RuleTransport } from '../catalog/types.js';
import { proxyRefusalStatus } from '../flows/outcome.js';
import type { PairAggregate } from '../flows/summary-types.js';
import type { ConnState, Transport } from '../flows/types.js';
import type { FindingStatus } from './types.js';

/** Counts folded over a set of aggregates. */
export interface Tally {
  attempts: number;
  completed: number;
  refused: number;
  unanswered: number;
  unknown: number;
  firstTs: number | null;
  lastTs: number | null;
  connStates: Partial<Record<ConnState, number>>;
  icmpReasons: string[];
  denyRules: string[];
}

/** Distinct ICMP reasons / deny rules kept per tally (each aggregate already caps its own). */
const MAX_REASONS = 5;

/** Zeek conn_state order, for stable text. */
export const CONN_STATE_ORDER: readonly ConnState[] = ['S0', 'S1', 'SF', 'REJ', 'S2', 'S3', 'RSTO', 'RSTR', 'RSTOS0', 'RSTRH', 'SH', 'SHR', 'OTH'];

/** Folds aggregates into one tally. */
export function tallyAggregates(aggs: readonly PairAggregate[]): Tally {
  const t: Tally = {
    attempts: 0,
    completed: 0,
    refused: 0,
    unanswered: 0,
    unknown: 0,
    firstTs: null,
    lastTs: null,
    connStates: {},
    icmpReasons: [],
    denyRules: [],
  };
  const icmpReasons = new Set<string>();
  const denyRules = new Set<string>();
  for (const a of aggs) {
    t.attempts += a.flows;
    t.completed += a.completed;
    t.refused += a.refused;
    t.unanswered += a.unanswered;
    t.unknown += a.unknown;
    if (a.flows > 0) {
      if (t.firstTs === null || a.firstTs < t.firstTs) t.firstTs = a.firstTs;
      if (t.lastTs === null || a.lastTs > t.lastTs) t.lastTs = a.lastTs;
    }
    for (const s of CONN_STATE_ORDER) {
      const n = a.connStates[s];
      if (n) t.connStates[s] = (t.connStates[s] ?? 0) + n;
    }
    for (const r of a.icmpReasons) icmpReasons.add(r);
    for (const r of a.denyRules) denyRules.add(r);
  }
  t.icmpReasons = smallestTexts(icmpReasons, MAX_REASONS);
  t.denyRules = smallestTexts(denyRules, MAX_REASONS);
  return t;
}

/** The `cap` smallest texts: the same whatever the order the aggregates came in. */
function smallestTexts(texts: Set<string>, cap: number): string[] {
  return [...texts].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)).slice(0, cap);
}

/** States that mean "the attempt never got an answer from the responder". */
const TCP_FAILURE_STATES: readonly ConnState[] = ['S0', 'REJ', 'RSTOS0', 'SH'];
/** States of flows whose outcome cannot be told (midstream, responder only). */
const UNDETERMINED_STATES: readonly ConnState[] = ['OTH', 'SHR', 'RSTRH'];

function stateMeaning(t: Transport, s: ConnState): string {
  if (t === 'udp') {
    if (s === 'S0') return 'request, no answer';
    if (s === 'SHR') return 'answer only, request not seen';
    return '';
  }
  switch (s) {
    case 'S0':
      return 'SYN unanswered';
    case 'REJ':
      return 'reset in reply to the SYN';
    case 'RSTOS0':
      return 'SYN, no SYN-ACK, client reset';
    case 'SH':
      return 'SYN, no SYN-ACK, client FIN';
    case 'OTH':
      return 'midstream, no SYN seen';
    case 'SHR':
    case 'RSTRH':
      return 'SYN-ACK seen, SYN not seen';
    default:
      return '';
  }
}

/** `S0×3 (SYN unanswered), REJ×1 (reset in reply to the SYN)`; meanings left out when `bare`. */
function describeStates(t: Transport, tally: Tally, states: readonly ConnState[], bare: boolean): string {
  const parts: string[] = [];
  for (const s of states) {
    const n = tally.connStates[s];
    if (!n) continue;
    const meaning = bare ? '' : stateMeaning(t, s);
    parts.push(meaning ? `${s}×${n} (${meaning})` : `${s}×${n}`);
  }
  return parts.join(', ');
}

/** RSTR flows that are failures: reset before any reply (flows/outcome.ts); the completed RSTR flows of the same pair are not, hence the min. */
function refusedResets(tally: Tally): number {
  return Math.min(tally.connStates.RSTR ?? 0, tally.refused);
}

/**
 * TCP failures that no failed handshake, reset, ICMP error or deny rule accounts for: flows whose
 * handshake completed and whose request then got no answer (flows/outcome.ts noAnswerAfterHandshake),
 * the mark of a firewall or proxy that inspects TLS or filters by name.
 */
function unansweredAfterHandshake(t: Transport, tally: Tally): number {
  if (t !== 'tcp' || tally.icmpReasons.length > 0 || tally.denyRules.length > 0) return 0;
  let handshakeFailures = 0;
  for (const s of TCP_FAILURE_STATES) handshakeFailures += tally.connStates[s] ?? 0;
  return Math.max(0, tally.refused + tally.unanswered - handshakeFailures - refusedResets(tally));
}

const AFTER_HANDSHAKE = 'established, then no answer to the request (a firewall, proxy or TLS inspection ending or dropping it after the handshake?)';

/** The failure details of one transport's tally: conn_states, ICMP errors, deny rules. */
function describeFailures(t: Transport, tally: Tally): string {
  const explained = tally.icmpReasons.length > 0 || tally.denyRules.length > 0;
  const details: string[] = [];
  // With an ICMP error or a deny rule on record, "SYN unanswered" would mislead: the state is listed bare.
  const states = describeStates(t, tally, t === 'udp' ? ['S0'] : TCP_FAILURE_STATES, explained);
  if (states) details.push(states);
  details.push(...tally.icmpReasons);
  for (const r of tally.denyRules) details.push(`denied by flow-log rule ${r}`);
  if (t === 'tcp' && !explained) {
    const rstr = refusedResets(tally);
    if (rstr > 0) details.push(`RSTR×${rstr} (handshake completed, then reset by the responder before any reply: a proxy or filter?)`);
    const silent = unansweredAfterHandshake(t, tally);
    if (silent > 0) details.push(`${silent} ${AFTER_HANDSHAKE}`);
  }
  if (details.length === 0) {
    if (tally.refused > 0) details.push(`${tally.refused} refused`);
    if (tally.unanswered > 0) details.push(t === 'udp' ? `${tally.unanswered} with no answer` : `${tally.unanswered} unanswered`);
  }
  return details.join('; ');
}

/**
 * True when every failure of the tally is an explicit proxy asking for credentials (407) and some
 * attempts went through: a Windows client behind a proxy that wants NTLM or Negotiate may answer
 * the 407 on a new connection, so the 407s are the handshake, not a refusal.
 */
function onlyProxyChallenges(t: Tally): boolean {
  return (
    t.completed > 0 &&
    t.refused > 0 &&
    t.unanswered === 0 &&
    t.denyRules.length === 0 &&
    t.icmpReasons.length > 0 &&
    t.icmpReasons.every((r) => proxyRefusalStatus(r) === 407) &&
    // A reset leaves no text: it would be a refusal the texts do not show.
    !t.connStates.RSTR &&
    TCP_FAILURE_STATES.every((s) => !t.connStates[s])
  );
}

function segment(t: Transport, tally: Tally): string {
  const failed = tally.refused + tally.unanswered;
  const parts: string[] = [];
  const noun = tally.attempts === 1 ? 'attempt' : 'attempts';
  if (onlyProxyChallenges(tally)) {
    return `${tally.completed} of ${tally.attempts} ${noun} completed; the other ${tally.refused} ${tally.refused === 1 ? 'was' : 'were'} the proxy asking for credentials (HTTP 407) before it let the client through`;
  }
  if (tally.completed > 0 || (failed === 0 && tally.unknown === 0)) parts.push(`${tally.completed} of ${tally.attempts} ${noun} completed`);
  if (failed > 0) parts.push(`${failed} of ${tally.attempts} ${noun} failed: ${describeFailures(t, tally)}`);
  if (tally.unknown > 0) {
    const states = describeStates(t, tally, UNDETERMINED_STATES, false);
    parts.push(`${tally.unknown} of ${tally.attempts} ${noun} undetermined${states ? `: ${states}` : ''}`);
  }
  return parts.join(', ');
}

/** Status from the counts: any completed and any failed → partial, and so on. */
export function statusFromTally(t: Tally): Extract<FindingStatus, 'ok' | 'blocked' | 'partial'> {
  const failed = t.refused + t.unanswered;
  if (failed === 0 || onlyProxyChallenges(t)) return 'ok';
  return t.completed > 0 ? 'partial' : 'blocked';
}

export interface Judgement {
  status: Extract<FindingStatus, 'ok' | 'blocked' | 'partial'>;
  tally: Tally;
  reason: string;
  hints: string[];
}

/**
 * Judges the aggregates one rule matched for one host pair. With several transports (the doc's
 * TCP/UDP), the rule is met by either, but a failure on either still counts: the status comes from
 * the sums (completed on TCP + unanswered on UDP → partial), and the reason names each transport.
 */
export function judgeTraffic(transports: readonly RuleTransport[], aggs: readonly PairAggregate[]): Judgement {
  const tally = tallyAggregates(aggs);
  const status = statusFromTally(tally);
  const perTransport: [RuleTransport, Tally][] = [];
  for (const t of transports) {
    const sub = tallyAggregates(aggs.filter((a) => a.proto === t));
    if (sub.attempts > 0) perTransport.push([t, sub]);
  }
  const reason =
    perTransport.length === 1 && transports.length === 1
      ? segment(perTransport[0][0], perTransport[0][1])
      : perTransport.map(([t, sub]) => `${t.toUpperCase()}: ${segment(t, sub)}`).join('; ');
  const hints: string[] = [];
  const destinations = new Set(aggs.map((a) => a.respH));
  for (const [t, sub] of perTransport) hints.push(...failureHints(t, sub, destinations));
  if (status === 'ok' && tally.completed === 0 && tally.unknown > 0) {
    hints.push(
      'traffic was seen but not whether it completed: the capture started midstream, or the log has no return counts',
    );
  }
  return { status, tally, reason, hints: [...new Set(hints)] };
}

/** What an explicit proxy's refusal of a request (HTTP status `status`) usually means. */
function proxyHint(status: number): string {
  if (status === 407) {
    return 'the proxy wants credentials the client did not send (407): let the Connect server through without authentication, or give its service account proxy credentials (machine.config defaultProxy useDefaultCredentials)';
  }
  if (status === 403) return "the proxy's policy blocks this destination (403): allow the Microsoft endpoints it names on the proxy";
  if (status >= 500) return `the proxy could not reach the destination (${status}): a firewall behind the proxy, or the proxy's own DNS`;
  return `the proxy refused the request (${status}): check the proxy's log`;
}

/** What to check for a drop pktmon recorded (sources/pktmon-text.ts), by its reason. */
function pktmonHint(reason: string): string {
  const on = /dropped by Windows on (\S+)/.exec(reason)?.[1] ?? 'that host';
  const why = /\(pktmon: ([^;)]*)/.exec(reason)?.[1] ?? '';
  if (/WFP|filter/i.test(why)) {
    return `Windows Filtering Platform on ${on} dropped it, which is where Windows Firewall's rules act: check its firewall rules (wf.msc, Get-NetFirewallRule); \`netsh wfp show state\` names the filter`;
  }
  if (/endpoint was not found|port unreachable|no (?:local )?socket/i.test(why)) {
    return `nothing listens on that port on ${on}: the service is stopped or bound elsewhere (netstat -ano, Get-NetTCPConnection -State Listen)`;
  }
  return `Windows dropped it on ${on}: pktmon's reason says why (\`pktmon list\` on that host names component and drop location)`;
}

/** The address an ICMP reason text (describeIcmpRefusal) says the error came from. */
function icmpSender(reason: string): string | null {
  return / from (\S+)$/.exec(reason)?.[1] ?? null;
}

/**
 * Possible causes for the failures in one transport's tally. `destinations`, the addresses the
 * attempts went to, tell a port unreachable the destination sent (nothing listens) from one a
 * device on the way sent (a firewall rejecting: iptables' REJECT answers so by default).
 */
export function failureHints(t: Transport, tally: Tally, destinations?: ReadonlySet<string>): string[] {
  const hints: string[] = [];
  if (tally.refused + tally.unanswered === 0 || onlyProxyChallenges(tally)) return hints;
  for (const r of tally.icmpReasons) {
    // The list holds ICMP errors, and the refusals of devices that say so in words (see PairTable.addFlow).
    const proxyStatus = proxyRefusalStatus(r);
    if (proxyStatus !== null) {
      hints.push(proxyHint(proxyStatus));
    } else if (/\(pktmon: /.test(r)) {
      hints.push(pktmonHint(r));
    } else if (/by the Linux firewall/.test(r)) {
      hints.push(
        "a Linux firewall (ufw, firewalld, iptables or nftables) on the host that wrote the log dropped it: check its rules (`ufw status verbose`, `firewall-cmd --list-all`, `nft list ruleset`); a Samba DC needs 53, 88, 135, 389, 445, 464, 636, 3268-3269 and its RPC range open",
      );
    } else if (/Windows Firewall/.test(r)) {
      hints.push("a Windows Firewall rule on that host dropped it: check the host's firewall rules (wf.msc, Get-NetFirewallRule)");
    } else if (!/^ICMP/.test(r)) {
      hints.push('a firewall deny: check the rule the log names');
    } else if (/\b3\/13\b|administratively prohibited|\b1\/1\b|\b1\/[56]\b/i.test(r)) {
      hints.push('a firewall rule rejecting with ICMP (administratively prohibited)');
    } else if (/\b3\/3\b|port unreachable|\b1\/4\b/i.test(r)) {
      const from = icmpSender(r);
      if (destinations && from !== null && !destinations.has(from)) {
        hints.push(`ICMP port unreachable from ${from}, not from the destination: a firewall on the way rejecting the traffic (iptables' REJECT answers so by default)`);
      } else hints.push('ICMP port unreachable: nothing listening on that port on the destination');
    } else if (/\b3\/4\b|fragmentation needed/i.test(r)) {
      hints.push(
        "ICMP fragmentation needed: packets larger than the path's MTU (a VPN or tunnel on the way?); when the sender does not resend them smaller, the connection stalls (an MTU black hole): let these ICMP messages through, or lower the MTU",
      );
    } else if (/\b3\/[0-2]\b|host unreachable|net(work)? unreachable|\b1\/[0-3]\b/i.test(r)) {
      hints.push('ICMP host or network unreachable: a routing problem or the host is down');
    } else {
      hints.push('an ICMP error refused it: check the device that sent it');
    }
  }
  if (tally.denyRules.length > 0) hints.push('a flow-log deny rule: check that NSG / firewall rule');
  const explained = tally.icmpReasons.length > 0 || tally.denyRules.length > 0;
  if (!explained && t === 'tcp' && (tally.connStates.S0 || tally.connStates.RSTOS0 || tally.connStates.SH)) {
    hints.push('silent drop: a firewall or NSG discarding the SYN (or the host is down)');
  }
  if (tally.connStates.REJ) hints.push('port closed or a reject rule (a reset answered the SYN)');
  if (unansweredAfterHandshake(t, tally) > 0) {
    hints.push(
      'the handshake completed but the request got no answer: a firewall or proxy that inspects TLS or filters by name let the connection open, then dropped or ended the request; exempt the Microsoft endpoints from TLS inspection and name filtering',
    );
  }
  if (!explained && t === 'udp' && tally.unanswered > 0) {
    hints.push('a UDP request with no answer: a firewall dropping it, or no service listening');
  }
  return hints;
}
