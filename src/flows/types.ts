import type { DnsRecord } from '../decode/types.js';

/** Zeek conn.log conn_state values (../shared/reference/formats.md). */
export type ConnState =
  | 'S0'
  | 'S1'
  | 'SF'
  | 'REJ'
  | 'S2'
  | 'S3'
  | 'RSTO'
  | 'RSTR'
  | 'RSTOS0'
  | 'RSTRH'
  | 'SH'
  | 'SHR'
  | 'OTH';

export type Transport = 'tcp' | 'udp' | 'icmp';

/**
 * The one outcome vocabulary every input format shares; the audit builds on it.
 * - completed: the far side answered (handshake done, or a UDP reply, or a log says packets came back);
 * - refused: a reset, an ICMP error, a firewall's deny;
 * - unanswered: no reply at all (S0; an allowed NSG v2 flow with no packets back);
 * - unknown: midstream, too little seen to say.
 */
export type Outcome = 'completed' | 'refused' | 'unanswered' | 'unknown';

/** Where a flow's evidence is, so a person can check it. */
export interface FlowEvidence {
  file: string;
  /**
   * Captures: 1-based frame number of the flow's first packet (as Wireshark numbers frames). A
   * pktmon text trace gives the line of the first packet's record here and in `line`.
   */
  frame?: number;
  /** Logs: 1-based line number (pfirewall, CSV, line-delimited JSON, pktmon text). */
  line?: number;
  /** NSG/VNet JSON: 0-based record index and tuple index within the file. */
  record?: number;
  tuple?: number;
}

/** What an ICMP destination unreachable said about a flow. */
export interface IcmpRefusal {
  /** 'icmp' (v4, type 3) or 'icmp6' (type 1). */
  family: 'icmp' | 'icmp6';
  type: number;
  code: number;
  /** Human name of the code: 'administratively prohibited', 'port unreachable' ... */
  codeName: string;
  /** Address of the router or host that sent the error. */
  from: string;
  /** Frame number of the ICMP error. */
  frame?: number;
}

/** Extra facts that flow logs carry (kept as evidence). */
export interface FlowLogFacts {
  /** Action as the log says it: ALLOW, DROP, A, D, ... */
  action: string;
  /** NSG/VNet rule name (or ACL id); pfirewall has none. */
  rule?: string;
  /** NSG or VNet resource id / name. */
  resource?: string;
  mac?: string;
  /** I (inbound) or O (outbound) as the log says; pfirewall SEND/RECEIVE/FORWARD. */
  direction?: string;
  /** NSG v2 / VNet flow state B, C, E (and D for VNet denied). */
  state?: string;
  /** VNet flow log encryption field (X, NX, NX_HW_NOT_SUPPORTED ...). */
  encryption?: string;
  /** Number of log records merged into this flow. */
  records?: number;
  /**
   * The log says the destination refused the flow (it reset the connection), not the firewall: its
   * rule let the flow through, so the rule is no deny rule and the refusal no firewall's.
   */
  refusedByServer?: boolean;
  /** pfirewall: id of the process that made or accepted the connection (the optional pid column). */
  pid?: number;
  /**
   * The responder is a host name the log gives instead of an address (a firewall that filters by
   * name: Azure Firewall application rules). The name is then the host's "address" (see
   * NameObservation source `log`).
   */
  dstName?: boolean;
}

/**
 * One bidirectional flow with Zeek conn.log semantics. Produced by the packet flow table and,
 * for logs, directly by flow-log sources, with the same fields and the same `outcome` vocabulary.
 * Immutable once emitted; except that a sink which asked for transient flows (ReadContext.transientFlows)
 * may get one object refilled for every flow, valid only during its call.
 */
export interface Flow {
  /** Zeek-style unique id (`C` + base62), stable for the same input. */
  uid: string;
  /** First packet time, microseconds since the epoch. */
  ts: number;
  /** Last packet time minus first, microseconds. */
  duration: number;
  proto: Transport;
  /** Originator and responder addresses (canonical text) and ports (0 for ICMP; ICMP uses type/code). */
  origH: string;
  origP: number;
  respH: string;
  respP: number;
  /**
   * The addresses again as numbers, from readers that have their bytes (captures): an IPv4
   * address as an unsigned 32-bit number; an IPv6 address as a negative hash of its bytes
   * (flows/key.ts ipv6AddressKey), equal for equal addresses but not unique. The summary finds
   * addresses by these rather than by their texts: a string-keyed map lookup per address and flow
   * was the dearest step of its fold. Absent from other readers' flows; never written out. A copy
   * of a flow with another origH or respH must drop the matching key.
   */
  origKey?: number;
  respKey?: number;
  /** Application protocol recognised in the payload (`dns`, `ssl`, `dce_rpc` ...) when any. */
  service?: string;
  connState: ConnState;
  /** Zeek history letters; uppercase = originator. Empty for flow-log flows. */
  history: string;
  origPkts: number;
  /** Payload bytes (Zeek's orig_bytes); flow logs put their byte counts here. */
  origBytes: number;
  origIpBytes: number;
  respPkts: number;
  respBytes: number;
  respIpBytes: number;
  outcome: Outcome;
  /** Short human reason: `S0: SYN sent 3 times, no reply`, `ICMP 3/13 administratively prohibited from 10.0.0.1`. */
  reason: string;
  observedBy: 'packets' | 'flowlog';
  evidence: FlowEvidence;
  /** SYNs the originator sent before any answer (retransmitted SYNs are one attempt). */
  synCount?: number;
  /** The ICMP unreachable that refused this flow, when there was one. */
  icmp?: IcmpRefusal;
  /** TLS server name from the ClientHello. */
  sni?: string;
  /** Host header of a plain-HTTP request to the server itself (not through a proxy): the server's name. */
  httpHost?: string;
  /** DNS content of the flow: first questions, the answer code and the address/alias answers (capped). */
  dns?: { queries: { name: string; type: string }[]; rcode: number | null; answers: DnsRecord[] };
  /** Ports handed out by the RPC endpoint mapper in this (port 135) flow. */
  epmPorts?: number[];
  /**
   * A connection to an explicit HTTP proxy: its first request's method (`CONNECT` for a tunnel,
   * `GET` ... for a plain-HTTP fetch), target (`host:port`) and the proxy's last status code (0:
   * none seen; a 407 answered by credentials on the same connection is followed by the real
   * answer). Its outcome is the request's (see flows/outcome.ts proxyOutcome).
   */
  proxy?: { method: string; target: string; status: number };
  /** Flow-log facts (rule, resource, MAC ...). */
  log?: FlowLogFacts;
}

/** Zeek's default inactivity timeouts (base/init-bare.zeek), microseconds; configurable. */
export interface FlowTimeouts {
  tcpInactivity: number; // 5 min
  udpInactivity: number; // 1 min
  icmpInactivity: number; // 1 min
}

export const DEFAULT_TIMEOUTS: FlowTimeouts = {
  tcpInactivity: 300_000_000,
  udpInactivity: 60_000_000,
  icmpInactivity: 60_000_000,
};
