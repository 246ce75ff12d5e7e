import type { ConnState, Flow, Outcome } from '../../src/flows/types.js';

/** A complete DNS flow as `flows` prints it (the formatter tests' reference row). */
export const SAMPLE_DNS_FLOW: Readonly<Flow> = {
  uid: 'CAbc123def456',
  ts: 1_517_336_042_279_652,
  duration: 69_982,
  proto: 'udp',
  origH: '192.168.88.2',
  origP: 55638,
  respH: '165.227.88.15',
  respP: 53,
  service: 'dns',
  connState: 'SF',
  history: 'Dd',
  origPkts: 1,
  origBytes: 61,
  origIpBytes: 89,
  respPkts: 1,
  respBytes: 81,
  respIpBytes: 109,
  outcome: 'completed',
  reason: 'SF: 1 packet sent, 1 back',
  observedBy: 'packets',
  evidence: { file: 'dns.pcap', frame: 3 },
};

/** conn_states with the outcome each implies, for generated flows. */
export const STATES_WITH_OUTCOMES: readonly [ConnState, Outcome][] = [
  ['SF', 'completed'],
  ['S0', 'unanswered'],
  ['REJ', 'refused'],
  ['OTH', 'unknown'],
  ['RSTO', 'completed'],
];
