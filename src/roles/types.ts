import type { Role } from '../catalog/types.js';

/** Where a role assignment came from, strongest first. */
export type RoleSource = 'inventory' | 'cli' | 'dns' | 'sni' | 'http' | 'proxy' | 'log' | 'inferred';

export type Confidence = 'high' | 'medium' | 'low';

export interface RoleEvidence {
  role: Role;
  source: RoleSource;
  confidence: Confidence;
  /** Why, in words a person checks: `answers Kerberos 88 (12 flows) and LDAP 389 (40 flows)`,
   *  `DNS answer login.microsoftonline.com → 20.190.1.2 (file a.pcap frame 17)`, `inventory: dc: 10.0.0.0/24`. */
  why: string;
}

export interface HostInfo {
  /** Canonical address text. */
  address: string;
  /** Names seen for it (DNS answers, SNI, inventory), lowercase, deduplicated, capped. */
  names: string[];
  roles: RoleEvidence[];
}

/** The result of role assignment: every address seen (or listed in the inventory) with its roles. */
export interface RoleMap {
  hosts: Map<string, HostInfo>;
  /**
   * When domain controllers were found but no Connect server: the hosts without a role that talk
   * LDAP or Kerberos to them, busiest first (at most three), with those flows. A hint for the user
   * to confirm (every domain member talks to its DCs), not a role: the flow logs of a DC subnet
   * and a DC's own firewall log never show the Connect server's HTTPS to Entra ID.
   */
  connectCandidates?: ConnectCandidate[];
  /**
   * The addresses of one dual-stack host, each mapped to all of its host's (roles/host-groups.ts),
   * as the roles were shared by them: the audit judges by the same groups.
   */
  hostGroups?: ReadonlyMap<string, readonly string[]>;
}

/** A host that may be the Connect server (see RoleMap.connectCandidates). */
export interface ConnectCandidate {
  address: string;
  /** Its LDAP and Kerberos flows to the dc hosts (over all its addresses). */
  flows: number;
  /** The host's other addresses (a dual-stack host: roles/host-groups.ts); a role given to one holds for all. */
  alsoAt?: string[];
}

/** An inventory entry: a role and what matches it. */
export interface InventoryEntry {
  role: Role;
  /** IPs, CIDRs, hostnames and wildcards (`*.microsoftonline.com`). */
  match: string[];
}

export interface Inventory {
  file: string;
  entries: InventoryEntry[];
  /** Hostname → address hints the inventory gives (`hosts:` section). */
  hosts: { name: string; address: string }[];
}
