/**
 * Hand-built FlowSummaryData for role tests: the aggregates a FlowSummary would produce, with
 * only the fields role assignment reads filled in meaningfully.
 */
import type { DnsLookupStats, FlowSummaryData, NameObservation, PairAggregate } from '../../../src/flows/summary-types.js';
import type { Transport } from '../../../src/flows/types.js';

export interface PairSpec {
  flows?: number;
  completed?: number;
  refused?: number;
  unanswered?: number;
}

export class SummaryBuilder {
  private readonly pairs: PairAggregate[] = [];
  private readonly names: NameObservation[] = [];
  private readonly lookups: DnsLookupStats[] = [];
  private frame = 1;

  /** One aggregate: `orig` → `resp` on `proto`/`port`; by default 1 completed flow. */
  pair(origH: string, respH: string, proto: Transport, respP: number, spec: PairSpec = {}): this {
    const flows = spec.flows ?? ((spec.completed ?? 0) + (spec.refused ?? 0) + (spec.unanswered ?? 0) || 1);
    const completed = spec.completed ?? (spec.refused || spec.unanswered ? 0 : flows);
    const refused = spec.refused ?? 0;
    const unanswered = spec.unanswered ?? 0;
    this.pairs.push({
      proto,
      origH,
      respH,
      respP,
      flows,
      completed,
      refused,
      unanswered,
      unknown: flows - completed - refused - unanswered,
      firstTs: 1_700_000_000_000_000,
      lastTs: 1_700_000_060_000_000,
      connStates: completed > 0 ? { SF: completed } : { S0: flows },
      samples: [],
      icmpReasons: [],
      denyRules: [],
      bytes: 1000 * completed,
      timeline: { width: 1_000_000, buckets: [] },
    });
    return this;
  }

  /** A DNS answer (or SNI) naming `address`. */
  name(name: string, address: string, source: 'dns' | 'sni' = 'dns', file = 'capture.pcap'): this {
    this.names.push({ name, address, source, evidence: { file, frame: this.frame++ } });
    return this;
  }

  /** Lookups of `name` by `clients` that all got NXDOMAIN from `server`. */
  nxdomain(name: string, clients: string[], server = '10.0.0.10', queries = 2): this {
    this.lookups.push({
      name,
      queries,
      answered: 0,
      nxdomain: queries,
      servfail: 0,
      otherError: 0,
      unanswered: 0,
      servers: [server],
      clients,
      firstEvidence: { file: 'capture.pcap', frame: this.frame++, ts: 1_700_000_000_000_000 },
    });
    return this;
  }

  build(): FlowSummaryData {
    return {
      flows: this.pairs.reduce((s, p) => s + p.flows, 0),
      firstTs: this.pairs.length ? 1_700_000_000_000_000 : null,
      lastTs: this.pairs.length ? 1_700_000_060_000_000 : null,
      pairs: this.pairs.slice(),
      names: this.names.slice(),
      dns: this.lookups.slice(),
      epm: [],
      overflowFlows: 0,
      outcomes: { completed: 0, refused: 0, unanswered: 0, unknown: 0 },
    };
  }
}

/** A healthy sync: connect 10.0.0.20 → DC 10.0.0.10 (and its DC traffic), → Entra ID 20.190.1.2 named by DNS. */
export function healthySync(): SummaryBuilder {
  return new SummaryBuilder()
    .pair('10.0.0.20', '10.0.0.10', 'udp', 53, { flows: 20 })
    .pair('10.0.0.20', '10.0.0.10', 'tcp', 88, { flows: 6 })
    .pair('10.0.0.20', '10.0.0.10', 'tcp', 135, { flows: 2 })
    .pair('10.0.0.20', '10.0.0.10', 'tcp', 389, { flows: 40 })
    .pair('10.0.0.20', '10.0.0.10', 'tcp', 49700, { flows: 2 })
    .name('login.microsoftonline.com', '20.190.1.2')
    .pair('10.0.0.20', '20.190.1.2', 'tcp', 443, { flows: 5 });
}
