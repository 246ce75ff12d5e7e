import type { Catalog, Condition, Role } from '../catalog/types.js';
import type { DataQuality } from '../common/diagnostics.js';
import type { ConnState, Outcome, Transport } from '../flows/types.js';
import type { DnsLookupStats, Timeline } from '../flows/summary-types.js';
import type { HostInfo } from '../roles/types.js';

export type FindingStatus = 'ok' | 'blocked' | 'partial' | 'missing' | 'not-applicable' | 'unexpected';

/** One piece of evidence a person can open: file and frame (or line), time and state. */
export interface EvidenceRef {
  file: string;
  frame?: number;
  line?: number;
  record?: number;
  tuple?: number;
  /** Microseconds since the epoch. */
  ts: number;
  conn_state: ConnState;
  outcome: Outcome;
  reason: string;
  src_port: number;
  dst_port: number;
  transport: Transport;
  uid: string;
}

/** One catalog rule judged for one concrete host pair (or a role when no host is known). */
export interface Finding {
  rule_id: string;
  table: string;
  protocol: string;
  /** `tcp`, `udp` or `tcp/udp` (the rule's transports). */
  transport: string;
  /** `389` or `49152-65535`. */
  ports: string;
  src_role: Role;
  dst_role: Role;
  /** Concrete addresses; null when no host of that role is known (then the reason says why). */
  src: string | null;
  dst: string | null;
  status: FindingStatus;
  required: boolean;
  condition?: Condition;
  /** All conditions when the rule has several (any turns it on); `condition` is the first (added). */
  conditions?: Condition[];
  /** One sentence: `S0: SYN sent 3 times, no reply (4 of 4 attempts)`, `never attempted ...`. */
  reason: string;
  attempts: number;
  completed: number;
  refused: number;
  unanswered: number;
  /** Microseconds; null when never attempted. */
  first_ts: number | null;
  last_ts: number | null;
  /** conn_state counts over the attempts. */
  conn_states: Partial<Record<ConnState, number>>;
  evidence: EvidenceRef[];
  /** Wireshark display filter that shows exactly these packets. */
  display_filter: string;
  /** Possible causes worth checking (capture-point blind spot, failed DNS lookups ...). */
  hints: string[];
  /**
   * What the server answered on this traffic that can stop a sync although the port works (a
   * Kerberos error, a refused bind, a fatal TLS alert, an inspecting proxy's certificate); only
   * when there are some. Each is also listed under "Answers that can stop a sync".
   */
  answers?: FindingAnswer[];
  /** Attempts over time (sum of the matching aggregates), for the HTML timeline. */
  timeline: Timeline;
}

/** A server's answer beside the finding of the traffic that carried it (see audit/answers.ts). */
export interface FindingAnswer {
  /** The answer's diagnostic code: kerberos_error, ldap_bind_error, tls_alert, tls_inspected. */
  code: string;
  detail: string;
  file: string;
  frame: number;
}

/** Traffic between role hosts (or from them to unknown hosts) on ports that no rule names. */
export interface UnexpectedFlow {
  src: string;
  dst: string;
  src_roles: Role[];
  dst_roles: Role[];
  transport: Transport;
  port: number;
  attempts: number;
  completed: number;
  refused: number;
  unanswered: number;
  first_ts: number;
  last_ts: number;
  evidence: EvidenceRef[];
  display_filter: string;
}

/** An address seen in the data that holds no role. */
export interface UnknownEndpoint {
  address: string;
  names: string[];
  flows: number;
  /** Ports it was contacted on (as responder) or contacted (as originator), capped. */
  ports: number[];
}

export interface InputInfo {
  file: string;
  format: string;
  records: number;
  bytes: number;
  first_ts: number | null;
  last_ts: number | null;
  complete: boolean;
  /** A file of a rotating capture read as one: the file before it, whose connections went on into this one. */
  continues?: string;
  /** pcapng: the capture filters the file was captured with (if_filter); what they left out was never captured. */
  capture_filters?: string[];
  /** pcapng: packets the capturing machine dropped, by the file's own interface statistics (ISB); absent when none. */
  dropped_at_capture?: number;
  /** A log that holds only denied or dropped traffic (every flow in it refused); absent otherwise. */
  denied_only?: boolean;
  /** A Windows Firewall log without a DROP line (its "Log dropped packets" setting may be off); absent otherwise. */
  no_drops_logged?: boolean;
  /**
   * A capture taken on one host: the address on a side of every host-to-host flow in it, one per
   * address family (IPv4, IPv6), or the two ends of its only conversation (`one_conversation`).
   * Traffic between other hosts cannot be in it. Absent for logs, and for captures that see
   * traffic of many hosts (a mirror port).
   */
  captured_on?: string[];
  /**
   * `captured_on` holds the two ends of the only conversation in the capture (taken on either
   * side, or filtered to them); absent otherwise.
   */
  one_conversation?: boolean;
  /**
   * Other captures that hold the same connections as this one (both ends captured at once, or one
   * host captured twice): each such connection is counted once per file. Absent when none.
   */
  same_connections?: { file: string; connections: number }[];
}

/** A connection of one capture, looked up in the others (AuditOptions.crossCheck). */
export interface CrossCheckQuery {
  file: string;
  proto: string;
  origH: string;
  origP: number;
  respH: string;
  respP: number;
  ts: number;
}

/** What another capture holds of a connection: absent, or present and answered or not. */
export interface CrossCheckAnswer {
  /** The other capture. */
  file: string;
  seen: boolean;
  answered: boolean;
}

export type CrossCheck = (q: CrossCheckQuery) => CrossCheckAnswer | undefined;

/** The kinds of inputs that observe from known hosts (AuditOptions.observedHosts). */
export type ObservedFrom = 'logs' | 'capture' | 'captures' | 'captures and logs';

export interface AuditOptions {
  catalog: Catalog;
  /** Conditions turned on by `--feature`. */
  features: Set<Condition>;
  /**
   * The hosts the inputs observe from, when every input is a log written on or for known hosts
   * (a Windows Firewall log: its own host; an NSG or VNet flow log: the addresses behind it) or a
   * capture taken on one host (cli/capture-point.ts: the address on a side of its every
   * host-to-host flow). Traffic between two other hosts cannot appear in such inputs, so its
   * absence proves nothing. Undefined when any input is a log without direction or a capture that
   * no one address takes part in throughout (a mirror port's): then any host may be seen.
   */
  observedHosts?: ReadonlySet<string>;
  /**
   * The two hosts of the only conversation the inputs hold, when every input is a capture whose
   * every flow between two hosts is between these two (InputInfo.captured_on of two): taken on
   * either of them, or filtered to them, which missing findings between other hosts say.
   */
  onlyConversation?: readonly [string, string];
  /**
   * Every packet input is a pktmon trace, which records the drops of its host's own stack and
   * firewall: a required flow missing from it was not dropped there unseen, as it may be from a
   * capture (the blind spot a missing finding names otherwise).
   */
  dropsTraced?: boolean;
  /**
   * What another capture of the same time says about a failed connection (both ends captured at
   * once: InputInfo.same_connections): whether the connection is in it, and answered there.
   * Undefined when no other capture could have held it (cli/connection-prints.ts).
   */
  crossCheck?: CrossCheck;
  /**
   * The addresses of one dual-stack host, each address mapped to all of its host's (see
   * audit/host-groups.ts): traffic between two hosts counts whichever of their addresses it took.
   */
  hostGroups?: ReadonlyMap<string, readonly string[]>;
  /**
   * KDCs that told a client over UDP to ask again over TCP (KRB_ERR_RESPONSE_TOO_BIG), by
   * `client kdc`, each with the words and the place of that answer: between them Kerberos needs
   * TCP 88, and a finding whose TCP attempts all failed is blocked, whatever UDP did.
   */
  kerberosOverTcp?: ReadonlyMap<string, string>;
  /** What {@link observedHosts} came from, for the reasons that name it (default: logs). */
  observedFrom?: ObservedFrom;
  /**
   * Frames the capture kept only in part (its snap length; data quality counter `frames_snapped`):
   * names past the cut were not read, which a finding about a role no name identified says.
   */
  snappedFrames?: number;
  /**
   * The capture filters the captures among the inputs were taken with (InputInfo.capture_filters):
   * a required flow missing from such a capture may simply lie outside the filter.
   */
  captureFilters?: readonly string[];
  /**
   * The capture filters of each input, when every input is a pcapng capture whose every interface
   * was captured with a filter (FileSummary.everyInterfaceFiltered): a rule's traffic that every
   * filter of every input left out (audit/capture-filter.ts) could not be captured, and its absence
   * proves nothing. Undefined otherwise.
   */
  captureFilterSets?: readonly (readonly string[])[];
  /**
   * Every input is a log of denials only (InputInfo.denied_only): what its firewalls let through is
   * in none of them, so no allowed flow can be judged missing.
   */
  deniedOnly?: boolean;
  /**
   * Windows Firewall logs without a DROP line (InputInfo.no_drops_logged), with the hosts each
   * observes (null: not known): if a log does not record dropped packets, an attempt its firewall
   * dropped left no trace, and reads as never made.
   */
  logsWithoutDrops?: readonly LogWithoutDrops[];
}

/** A Windows Firewall log without a DROP line, and its own host(s) (AuditOptions.logsWithoutDrops). */
export interface LogWithoutDrops {
  file: string;
  /** The hosts the log is written on or for; null when not known (the log is then taken to see any). */
  hosts: readonly string[] | null;
}

/** Everything the renderers need; `report.json` is this object (plus the schema tag). */
export interface AuditResult {
  schema: 'flowaudit/report@1';
  generated_at: string; // ISO time; removed from goldens
  tool: { name: 'flowaudit'; version: string };
  verdict: {
    /** `FAIL: 2 required flows blocked, 1 missing` / `PASS: all 14 required flows seen and completed`. */
    summary: string;
    status: 'pass' | 'fail';
    counts: Record<FindingStatus, number>;
  };
  inputs: InputInfo[];
  window: { first_ts: number | null; last_ts: number | null };
  /** Timezone assumed for logs with local times (pfirewall), when any. */
  assumed_timezone?: string;
  catalog: { name: string; title: string; source: string; rules: number; file: string };
  features: Condition[];
  hosts: (HostInfo & { role_source: string })[];
  findings: Finding[];
  unexpected: UnexpectedFlow[];
  /** Unexpected flows found before the cap on `unexpected[]` (added; absent in older results). */
  unexpected_total?: number;
  /**
   * Flows of role hosts to multicast and broadcast addresses (LLMNR, mDNS, SSDP, NetBIOS, DHCP ...),
   * left out of `unexpected[]` and `unknown_endpoints[]`: they address no host (added; absent in older results).
   */
  group_flows?: number;
  unknown_endpoints: UnknownEndpoint[];
  /** Unknown endpoints found before the cap on `unknown_endpoints[]` (added; absent in older results). */
  unknown_endpoints_total?: number;
  dns_failures: DnsLookupStats[];
  data_quality: DataQuality & { flows: number; evidence_gaps: string[] };
}
