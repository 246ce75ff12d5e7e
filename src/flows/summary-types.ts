import type { ConnState, FlowEvidence, Outcome, Transport } from './types.js';

/**
 * A sample flow kept as evidence for an aggregate. Small and serialisable.
 */
export interface FlowSample extends FlowEvidence {
  uid: string;
  ts: number;
  origP: number;
  connState: ConnState;
  outcome: Outcome;
  reason: string;
  /** Flow-log rule name, when the sample came from a log. */
  rule?: string;
}

/**
 * All flows between one originator and one responder on one transport and responder port,
 * folded together. The audit works on these, never on raw flows, so memory is bounded by the
 * number of distinct (orig, resp, transport, resp port) combinations, not by the number of flows.
 */
export interface PairAggregate {
  proto: Transport;
  origH: string;
  respH: string;
  /** Responder port (for ICMP: 0). */
  respP: number;
  flows: number;
  completed: number;
  refused: number;
  unanswered: number;
  unknown: number;
  firstTs: number;
  lastTs: number;
  /** Count per conn_state. */
  connStates: Partial<Record<ConnState, number>>;
  /** Up to SAMPLES_PER_AGGREGATE samples: the first flow of each outcome first, then the earliest others. */
  samples: FlowSample[];
  /**
   * Distinct refusal descriptions seen, capped: ICMP errors (`ICMP 3/13 administratively prohibited
   * from 10.0.0.1`) and flow-log denials that name no rule (`DROP by the Windows Firewall ...`).
   */
  icmpReasons: string[];
  /** Flow-log rule names seen on refused flows, capped. */
  denyRules: string[];
  /** Sum of bytes both ways. */
  bytes: number;
  /** Attempts over time, for the timeline chart (see {@link Timeline}). */
  timeline: Timeline;
}

/**
 * A bounded histogram of attempts over time. Buckets start at multiples of `width` since the epoch,
 * so two timelines merge exactly once brought to the same width. When there would be more than
 * {@link MAX_TIMELINE_BUCKETS} buckets, the width doubles and neighbours merge: memory stays bounded
 * whether the data covers a minute or a year.
 */
export interface Timeline {
  /** Bucket width, microseconds (starts at 1 s, doubles as needed). */
  width: number;
  /** [bucket start (µs), completed, failed (refused or unanswered)], sorted by start. */
  buckets: [number, number, number][];
}

export const MAX_TIMELINE_BUCKETS = 64;

export const SAMPLES_PER_AGGREGATE = 5;

/**
 * A name learned from the data: a DNS answer, a TLS SNI, the target of a request through an
 * explicit proxy (`proxy`: `address` is the name itself, since the client never learns the
 * target's address, and `via` is the proxy's), or a host name a firewall log gives in place of an
 * address (`log`: `address` is the name too).
 */
export interface NameObservation {
  name: string;
  address: string;
  source: 'dns' | 'sni' | 'http' | 'proxy' | 'log';
  /** `proxy` only: the proxy's address. */
  via?: string;
  /** Where it was seen first. */
  evidence: FlowEvidence;
  /** When it was seen first (start of that flow, microseconds); decides "first" when summaries merge. */
  ts?: number;
}

/** What happened to the lookups of one name. */
export interface DnsLookupStats {
  name: string;
  queries: number;
  answered: number;
  nxdomain: number;
  servfail: number;
  /** Other non-zero RCODEs (REFUSED ...). */
  otherError: number;
  /** Queries whose flow got no response at all. */
  unanswered: number;
  /** Servers asked. */
  servers: string[];
  /**
   * Hosts that asked (the smallest MAX_DNS_CLIENTS in text order): who tried to reach the name. A
   * host that looks up Entra ID names and talks LDAP to a DC is a Connect server even when every
   * lookup failed and no HTTPS followed (roles/assign.ts).
   */
  clients: string[];
  firstEvidence: FlowEvidence & { ts: number };
}

/** Lookups of a name that did not get an address: NXDOMAIN, SERVFAIL, other errors, no answer. */
export function failedLookups(s: DnsLookupStats): number {
  return s.nxdomain + s.servfail + s.otherError + s.unanswered;
}

/** Serialisable form of a FlowSummary (workers send it to the main thread). */
export interface FlowSummaryData {
  flows: number;
  firstTs: number | null;
  lastTs: number | null;
  /**
   * Sorted by (transport, originator, responder, port), except in a summary's shared data
   * (FlowSummary.toData with `share`): what reads pairs must not depend on their order.
   */
  pairs: PairAggregate[];
  names: NameObservation[];
  dns: DnsLookupStats[];
  /** Endpoint-mapper handouts: server address → ports handed to clients, with the client. */
  epm: { client: string; server: string; ports: number[]; ts: number }[];
  /** Pair aggregates that did not fit under the cap were folded into this count. */
  overflowFlows: number;
  /** Distinct outcomes per transport, for the data-quality summary. */
  outcomes: Record<Outcome, number>;
}
