/**
 * Role assignment: gives every address seen in the data (and every address the inventory lists)
 * its roles, each with the source, a confidence and a sentence saying why.
 *
 * Sources, strongest first (see docs/inventory.md, "How roles are assigned"):
 * 1. inventory and `--role` (high). A host they name gets only the roles they give: the data never
 *    adds or removes roles on it. `--role` adds to the inventory.
 * 2. dns / sni (high): a name the data shows for the address (DNS answer, TLS SNI) matches the
 *    catalog's endpoint patterns (login.microsoftonline.com → azure-ad).
 * 3. inferred (medium, or low): behaviour in the pair aggregates. Runs on private IPv4 and on IPv6 addresses
 *    (RFC 1918, ULA, link-local ...), except `users`, which may be anywhere. With an inventory,
 *    inference still runs for the hosts it does not list, but every inferred role is low.
 *
 * A public address that nothing names holds no role: the audit lists it as an unknown endpoint.
 */
import { clientRolesForHostname, rolesForHostname } from '../catalog/match.js';
import { ALL_ROLES, type Catalog, type Role } from '../catalog/types.js';
import { compareAddresses, sortAddresses } from '../common/ip.js';
import type { FlowEvidence } from '../flows/types.js';
import type { FlowSummaryData, NameObservation, PairAggregate } from '../flows/summary-types.js';
import { isPrivateAddress as isPrivateAddressUncached } from './address-scope.js';
import { InventoryMatcher, type InventoryHit } from './inventory.js';
import type { Confidence, HostInfo, Inventory, InventoryEntry, RoleEvidence, RoleMap, RoleSource } from './types.js';

/** Names kept per host in {@link HostInfo.names} (all names still count for matching). */
export const MAX_NAMES_PER_HOST = 8;

/** Completed LDAP flows a host needs before the weakest connect-server rule considers it. */
export const MIN_LDAP_FLOWS_FOR_WEAK_CONNECT = 3;

export interface AssignOptions {
  catalog: Catalog;
  inventory?: Inventory;
  /** Entries from `--role` flags (see parseRoleFlag). */
  cliRoles?: InventoryEntry[];
}

/** Ports that, answered by one host, make it a domain controller. */
const DC_SIGNATURE_PORTS = [88, 135, 389, 445, 464, 636, 3268, 3269, 9389];

const PORT_NAMES: Record<number, string> = {
  53: 'DNS 53',
  88: 'Kerberos 88',
  135: 'MS-RPC 135',
  389: 'LDAP 389',
  443: 'HTTPS 443',
  445: 'SMB 445',
  464: 'Kerberos password 464',
  636: 'LDAPS 636',
  3268: 'Global Catalog 3268',
  3269: 'Global Catalog SSL 3269',
  5671: 'AMQP 5671',
  9389: 'AD Web Services 9389',
  49443: 'certificate authentication 49443',
};

const SOURCE_ORDER: Record<RoleSource, number> = { inventory: 0, cli: 1, dns: 2, sni: 3, inferred: 4 };

/** What one host answers on one port (all transports together). */
interface ServedPort {
  flows: number;
  completed: number;
  clients: Set<string>;
}

/** A name known for an address and where it came from. */
interface KnownName {
  name: string;
  /** DNS/SNI observation, or the inventory's `hosts:` hint. */
  obs?: NameObservation;
  hint?: string;
}

/**
 * Assigns roles to every address in `summary.pairs` (originators and responders) and every address
 * the inventory lists; addresses that only appear in DNS answers are kept when a name gives them a
 * role. Hosts come out sorted by address (IPv4 first, numerically).
 */
export function assignRoles(summary: FlowSummaryData, opts: AssignOptions): RoleMap {
  const { catalog, inventory } = opts;
  const cliRoles = opts.cliRoles ?? [];
  const inferredConfidenceCap: Confidence = inventory ? 'low' : 'medium';

  // --- addresses and names -------------------------------------------------------------------
  const inPairs = new Set<string>();
  for (const p of summary.pairs) {
    inPairs.add(p.origH);
    inPairs.add(p.respH);
  }
  const names = new Map<string, KnownName[]>();
  const addName = (address: string, known: KnownName) => {
    let list = names.get(address);
    if (!list) names.set(address, (list = []));
    if (!list.some((k) => k.name === known.name)) list.push(known);
  };
  for (const h of inventory?.hosts ?? []) {
    addName(h.address, { name: h.name, hint: `${inventory!.file} hosts: ${h.name}: ${h.address}` });
  }
  for (const obs of summary.names) {
    const name = obs.name.toLowerCase().replace(/\.$/, '');
    if (name === '') continue;
    addName(obs.address, { name, obs });
  }
  const namesOf = (address: string): string[] => {
    const list = names.get(address);
    return list === undefined ? [] : list.map((k) => k.name);
  };

  const invMatcher = new InventoryMatcher(inventory?.entries ?? []);
  const cliMatcher = new InventoryMatcher(cliRoles);
  const candidates = new Set<string>(inPairs);
  for (const a of invMatcher.literalAddresses()) candidates.add(a);
  for (const a of cliMatcher.literalAddresses()) candidates.add(a);
  for (const h of inventory?.hosts ?? []) candidates.add(h.address);
  for (const a of names.keys()) candidates.add(a);

  const evidence = new Map<string, RoleEvidence[]>();
  const add = (address: string, ev: RoleEvidence) => {
    let list = evidence.get(address);
    if (!list) evidence.set(address, (list = []));
    if (!list.some((e) => e.role === ev.role && e.source === ev.source)) list.push(ev);
  };
  const rolesOf = (address: string): Role[] => {
    // Most addresses (clients) hold no role: skip the Set for them.
    const list = evidence.get(address);
    return list === undefined ? [] : [...new Set(list.map((e) => e.role))];
  };
  const hasRole = (address: string, role: Role) => (evidence.get(address) ?? []).some((e) => e.role === role);

  // --- 1. inventory and --role ---------------------------------------------------------------
  const explicit = new Set<string>();
  // Without an inventory or --role (the usual case) there is nothing to match, for any address.
  for (const address of invMatcher.empty && cliMatcher.empty ? [] : candidates) {
    const known = names.get(address) ?? [];
    for (const hit of invMatcher.match(address, namesOf(address))) {
      add(address, { role: hit.role, source: 'inventory', confidence: 'high', why: inventoryWhy(`inventory ${inventory!.file}`, hit, known) });
      explicit.add(address);
    }
    for (const hit of cliMatcher.match(address, namesOf(address))) {
      add(address, { role: hit.role, source: 'cli', confidence: 'high', why: inventoryWhy(`--role ${hit.match}=${hit.role}`, hit, known, true) });
      explicit.add(address);
    }
  }

  // --- 2. names from the data: DNS answers and TLS SNI ---------------------------------------
  for (const [address, known] of names) {
    if (explicit.has(address)) continue;
    for (const k of known) {
      if (!k.obs) continue;
      for (const role of rolesForHostname(catalog, k.name)) {
        add(address, { role, source: k.obs.source, confidence: 'high', why: observationWhy(k.obs, k.name, address) });
      }
    }
  }

  // --- 3. inference from behaviour -----------------------------------------------------------
  const served = new Map<string, Map<number, ServedPort>>(); // responder → tcp/udp port → stats
  const originated = new Map<string, PairAggregate[]>();
  for (const p of summary.pairs) {
    if (p.proto !== 'icmp') {
      let ports = served.get(p.respH);
      if (!ports) served.set(p.respH, (ports = new Map()));
      let s = ports.get(p.respP);
      if (!s) ports.set(p.respP, (s = { flows: 0, completed: 0, clients: new Set() }));
      s.flows += p.flows;
      s.completed += p.completed;
      s.clients.add(p.origH);
    }
    let list = originated.get(p.origH);
    if (!list) originated.set(p.origH, (list = []));
    list.push(p);
  }
  privateCache = new Map();
  // Behaviour names roles of internal hosts: private IPv4 and any IPv6 (enterprises number their
  // networks with global IPv6 unicast, as the real pfirewall.log in the corpus shows for its DCs).
  const canInfer = (address: string) => !explicit.has(address) && (isPrivateAddress(address) || address.includes(':'));
  const infer = (address: string, role: Role, confidence: Confidence, why: string) => {
    if (explicit.has(address) || hasRole(address, role)) return;
    const capped: Confidence = confidence === 'low' || inferredConfidenceCap === 'low' ? 'low' : confidence;
    add(address, { role, source: 'inferred', confidence: capped, why });
  };
  const sortedHosts = sortAddresses(candidates);

  inferDomainControllers(sortedHosts, served, canInfer, infer);
  inferFederation(sortedHosts, served, originated, canInfer, infer, hasRole);
  inferFromClientNames(sortedHosts, originated, canInfer, infer, (a) => names.get(a) ?? [], catalog);
  inferConnectServer(sortedHosts, originated, canInfer, infer, hasRole);
  inferHealthAgent(sortedHosts, originated, canInfer, infer, hasRole);
  inferUsers(sortedHosts, originated, explicit, infer, hasRole, rolesOf);

  // --- result ----------------------------------------------------------------------------------
  const hinted = new Set((inventory?.hosts ?? []).map((h) => h.address));
  const hosts = new Map<string, HostInfo>();
  for (const address of sortedHosts) {
    // Most addresses (clients) hold no role and no name: one empty array each, not three.
    const ev = evidence.get(address);
    const roles =
      ev === undefined
        ? []
        : ev.slice().sort((a, b) => SOURCE_ORDER[a.source] - SOURCE_ORDER[b.source] || ALL_ROLES.indexOf(a.role) - ALL_ROLES.indexOf(b.role));
    // Addresses known only from DNS answers (never contacted) are kept only when they hold a role.
    const listed = inPairs.has(address) || explicit.has(address) || hinted.has(address);
    if (!listed && roles.length === 0) continue;
    const hostNames = names.has(address) ? namesOf(address).slice(0, MAX_NAMES_PER_HOST) : [];
    hosts.set(address, { address, names: hostNames, roles });
  }
  privateCache = null;
  return { hosts };
}

/** Scope of each address, cached for one assignRoles call (parsing addresses dominated its profile). */
let privateCache: Map<string, boolean> | null = null;

function isPrivateAddress(address: string): boolean {
  if (!privateCache) return isPrivateAddressUncached(address);
  let v = privateCache.get(address);
  if (v === undefined) privateCache.set(address, (v = isPrivateAddressUncached(address)));
  return v;
}

// ---------------------------------------------------------------------------------------------
// Inference rules. Each calls `infer(address, role, confidence, why)`; `infer` refuses hosts the
// inventory or --role named, and roles a host already holds.

type InferFn = (address: string, role: Role, confidence: Confidence, why: string) => void;

/** dc: answers Kerberos 88 plus another DC port, or LDAP 389 with the GC 3268 or two other DC ports. */
function inferDomainControllers(
  hosts: string[],
  served: Map<string, Map<number, ServedPort>>,
  canInfer: (a: string) => boolean,
  infer: InferFn,
): void {
  for (const address of hosts) {
    const ports = served.get(address);
    if (!ports || !canInfer(address)) continue;
    const answered = DC_SIGNATURE_PORTS.filter((p) => (ports.get(p)?.completed ?? 0) > 0);
    const contacted = DC_SIGNATURE_PORTS.filter((p) => (ports.get(p)?.flows ?? 0) > 0);
    const has = (p: number) => answered.includes(p);
    const describe = (list: number[]) => joinWords(list.map((p) => servedText(p, ports.get(p)!)));
    if ((has(88) && answered.length >= 2) || (has(389) && (has(3268) || answered.length >= 3))) {
      infer(address, 'dc', 'medium', `answers ${describe(answered)}`);
    } else if (contacted.includes(88) && (has(88) || has(389)) && contacted.length >= 2) {
      const unanswered = contacted.filter((p) => !has(p));
      infer(
        address,
        'dc',
        'low',
        `answers ${describe(answered)}; contacted on ${joinWords(unanswered.map((p) => `${PORT_NAMES[p] ?? p} (${ports.get(p)!.flows} attempts, none answered)`))}`,
      );
    }
  }
}

/**
 * wap: answers HTTPS 443 and 49443 (certificate authentication); medium when it also forwards
 * 443 to a private host (its AD FS server), low when it answers several clients but no such leg
 * is seen (it could be an AD FS server that users reach directly).
 * adfs: contacted on 443 by a wap host (inventory, --role or inferred).
 */
function inferFederation(
  hosts: string[],
  served: Map<string, Map<number, ServedPort>>,
  originated: Map<string, PairAggregate[]>,
  canInfer: (a: string) => boolean,
  infer: InferFn,
  hasRole: (a: string, r: Role) => boolean,
): void {
  for (const address of hosts) {
    const ports = served.get(address);
    if (!ports || !canInfer(address)) continue;
    const https = ports.get(443);
    const cert = ports.get(49443);
    if (!https || !cert || https.completed === 0 || cert.completed === 0) continue;
    const clients = new Set([...https.clients, ...cert.clients]);
    const backends = backendsOf(address, originated);
    const base = `answers ${servedText(443, https)} and ${servedText(49443, cert)}`;
    if (backends.length > 0) {
      infer(address, 'wap', 'medium', `${base}; forwards HTTPS 443 to ${joinWords(backends.slice(0, 3))}`);
    } else if (clients.size >= 2) {
      infer(address, 'wap', 'low', `${base}; no forwarding to an AD FS server seen (it may be an AD FS server reached directly)`);
    }
  }
  for (const wap of hosts) {
    if (!hasRole(wap, 'wap')) continue;
    const backends = backendsOf(wap, originated);
    for (const backend of backends) {
      if (!canInfer(backend) || hasRole(backend, 'wap')) continue;
      const aggs = (originated.get(wap) ?? []).filter((p) => p.respH === backend && p.proto === 'tcp' && p.respP === 443);
      const flows = sum(aggs, (p) => p.flows);
      const completed = sum(aggs, (p) => p.completed);
      const why = `contacted on HTTPS 443 by WAP ${wap} (${plural(flows, 'flow')}, ${completed} completed)`;
      infer(backend, 'adfs', backends.length === 1 ? 'medium' : 'low', backends.length === 1 ? why : `${why}; the WAP forwards to ${backends.length} hosts`);
    }
  }
}

/** Private hosts that `address` opens HTTPS 443 to (any outcome). */
function backendsOf(address: string, originated: Map<string, PairAggregate[]>): string[] {
  const out = new Set<string>();
  for (const p of originated.get(address) ?? []) {
    if (p.proto === 'tcp' && p.respP === 443 && p.respH !== address && isPrivateAddress(p.respH)) out.add(p.respH);
  }
  return [...out].sort(compareAddresses);
}

/** A host that contacts names only one kind of client uses (catalog `clientRole` entries). */
function inferFromClientNames(
  hosts: string[],
  originated: Map<string, PairAggregate[]>,
  canInfer: (a: string) => boolean,
  infer: InferFn,
  knownNames: (a: string) => KnownName[],
  catalog: Catalog,
): void {
  const cache = new Map<string, { role: Role; name: string }[]>();
  const clientRolesOf = (resp: string) => {
    let roles = cache.get(resp);
    if (!roles) {
      roles = [];
      for (const k of knownNames(resp)) {
        if (!k.obs) continue;
        for (const role of clientRolesForHostname(catalog, k.name)) {
          if (!roles.some((r) => r.role === role)) roles.push({ role, name: k.name });
        }
      }
      cache.set(resp, roles);
    }
    return roles;
  };
  // Only responders with a name can give a client role: without any, no host needs looking at.
  let anyNamed = false;
  for (const address of hosts) {
    if (knownNames(address).some((k) => k.obs)) {
      anyNamed = true;
      break;
    }
  }
  if (!anyNamed) return;
  for (const address of hosts) {
    if (!canInfer(address)) continue;
    for (const p of originated.get(address) ?? []) {
      if (p.proto === 'icmp') continue;
      for (const { role, name } of clientRolesOf(p.respH)) {
        infer(address, role, 'medium', `contacts ${name} (${p.respH}) on ${p.proto}/${p.respP} (${plural(p.flows, 'flow')}), a name only ${role} hosts use`);
      }
    }
  }
}

/**
 * connect: talks LDAP 389 or Kerberos 88 to a dc AND HTTPS 443 to azure-ad hosts. One such host:
 * medium; several (domain members that browse to Microsoft 365 look the same): the one with the
 * most LDAP flows to DCs, low. Failing that, the weakest rule: the host with the most completed
 * LDAP flows to a dc (at least MIN_LDAP_FLOWS_FOR_WEAK_CONNECT) that also reaches 443 on public
 * addresses, low. Skipped when a connect server is already known.
 */
function inferConnectServer(
  hosts: string[],
  originated: Map<string, PairAggregate[]>,
  canInfer: (a: string) => boolean,
  infer: InferFn,
  hasRole: (a: string, r: Role) => boolean,
): void {
  if (hosts.some((h) => hasRole(h, 'connect'))) return;
  interface Candidate {
    address: string;
    ldapFlows: number;
    ldapCompleted: number;
    dcs: Set<string>;
    cloud: Set<string>;
    cloudFlows: number;
    publicHttps: Set<string>;
  }
  const strong: Candidate[] = [];
  const weak: Candidate[] = [];
  for (const address of hosts) {
    const pairs = originated.get(address);
    // Hosts with none of the pairs below (most clients) cannot qualify: skip building their candidate.
    if (pairs === undefined || !pairs.some((p) => p.respP === 389 || p.respP === 88 || p.respP === 443)) continue;
    if (!canInfer(address) || hasRole(address, 'dc')) continue;
    const c: Candidate = { address, ldapFlows: 0, ldapCompleted: 0, dcs: new Set(), cloud: new Set(), cloudFlows: 0, publicHttps: new Set() };
    for (const p of pairs) {
      if ((p.respP === 389 || p.respP === 88) && p.proto !== 'icmp' && hasRole(p.respH, 'dc')) {
        c.dcs.add(p.respH);
        if (p.respP === 389) {
          c.ldapFlows += p.flows;
          c.ldapCompleted += p.completed;
        }
      } else if (p.proto === 'tcp' && p.respP === 443) {
        if (hasRole(p.respH, 'azure-ad')) {
          c.cloud.add(p.respH);
          c.cloudFlows += p.flows;
        } else if (!isPrivateAddress(p.respH)) c.publicHttps.add(p.respH);
      }
    }
    if (c.dcs.size > 0 && c.cloud.size > 0) strong.push(c);
    else if (c.ldapCompleted >= MIN_LDAP_FLOWS_FOR_WEAK_CONNECT && c.publicHttps.size > 0) weak.push(c);
  }
  const strongWhy = (c: Candidate) =>
    `talks LDAP/Kerberos to DC ${joinWords([...c.dcs].slice(0, 3))} (${plural(c.ldapFlows, 'LDAP flow')}) and HTTPS 443 to azure-ad ${joinWords([...c.cloud].slice(0, 3))} (${plural(c.cloudFlows, 'flow')})`;
  if (strong.length === 1) {
    infer(strong[0].address, 'connect', 'medium', strongWhy(strong[0]));
    return;
  }
  if (strong.length > 1) {
    for (const c of topBy(strong, (x) => x.ldapFlows)) {
      infer(c.address, 'connect', 'low', `${strongWhy(c)}; one of ${strong.length} hosts that do both, the one with the most LDAP flows`);
    }
    return;
  }
  for (const c of topBy(weak, (x) => x.ldapCompleted)) {
    infer(
      c.address,
      'connect',
      'low',
      `most completed LDAP flows to a DC (${c.ldapCompleted}, to ${joinWords([...c.dcs].slice(0, 3))}) and HTTPS 443 to public addresses (${joinWords([...c.publicHttps].slice(0, 3))}); no Entra ID name was seen to confirm`,
    );
  }
}

/** health-agent: opens AMQP 5671 to a health-service host (medium) or to a public address (low). */
function inferHealthAgent(
  hosts: string[],
  originated: Map<string, PairAggregate[]>,
  canInfer: (a: string) => boolean,
  infer: InferFn,
  hasRole: (a: string, r: Role) => boolean,
): void {
  for (const address of hosts) {
    const pairs = originated.get(address);
    if (pairs === undefined || !pairs.some((p) => p.respP === 5671)) continue;
    if (!canInfer(address)) continue;
    const amqp = pairs.filter((p) => p.proto === 'tcp' && p.respP === 5671);
    const named = amqp.filter((p) => hasRole(p.respH, 'health-service'));
    if (named.length > 0) {
      infer(address, 'health-agent', 'medium', `opens AMQP 5671 (Azure Service Bus) to health-service ${joinWords(named.slice(0, 3).map((p) => p.respH))} (${plural(sum(named, (p) => p.flows), 'flow')})`);
      continue;
    }
    const publicAmqp = amqp.filter((p) => !isPrivateAddress(p.respH));
    if (publicAmqp.length > 0) {
      infer(address, 'health-agent', 'low', `opens AMQP 5671 to public ${joinWords(publicAmqp.slice(0, 3).map((p) => p.respH))} (${plural(sum(publicAmqp, (p) => p.flows), 'flow')}); no Connect Health name was seen to confirm`);
    }
  }
}

/** users: hosts (public ones too) that contact a wap on 443 or 49443 and hold no other role. */
function inferUsers(
  hosts: string[],
  originated: Map<string, PairAggregate[]>,
  explicit: Set<string>,
  infer: InferFn,
  hasRole: (a: string, r: Role) => boolean,
  rolesOf: (a: string) => Role[],
): void {
  // Without a wap host nobody qualifies: skip the pass over every address.
  if (!hosts.some((h) => hasRole(h, 'wap'))) return;
  for (const address of hosts) {
    if (explicit.has(address) || rolesOf(address).length > 0) continue;
    const toWap = (originated.get(address) ?? []).filter(
      (p) => p.proto === 'tcp' && (p.respP === 443 || p.respP === 49443) && hasRole(p.respH, 'wap'),
    );
    if (toWap.length === 0) continue;
    const ports = [...new Set(toWap.map((p) => p.respP))].sort((a, b) => a - b);
    const waps = [...new Set(toWap.map((p) => p.respH))];
    infer(address, 'users', 'medium', `contacts WAP ${joinWords(waps.slice(0, 3))} on ${ports.join(' and ')} (${plural(sum(toWap, (p) => p.flows), 'flow')})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function inventoryWhy(label: string, hit: InventoryHit, known: KnownName[], isCli = false): string {
  const head = isCli ? label : `${label}: ${hit.role}: ${hit.match}`;
  if (hit.kind !== 'hostname' || !hit.viaName) return head;
  const k = known.find((x) => x.name === hit.viaName);
  if (!k) return head;
  if (k.hint) return `${head} (${k.hint})`;
  return `${head} (${observationText(k.obs!, k.name, '')})`;
}

function observationWhy(obs: NameObservation, name: string, address: string): string {
  return observationText(obs, name, address);
}

function observationText(obs: NameObservation, name: string, address: string): string {
  const addr = address || obs.address;
  const where = describeEvidence(obs.evidence);
  return obs.source === 'dns'
    ? `DNS answer ${name} → ${addr}${where ? ` (${where})` : ''}`
    : `TLS SNI ${name} in a connection to ${addr}${where ? ` (${where})` : ''}`;
}

/** `capture.pcap frame 17`, `pfirewall.log line 12`, `PT1H.json record 3 tuple 5`. */
export function describeEvidence(ev: FlowEvidence | undefined): string {
  if (!ev) return '';
  const parts = [ev.file];
  if (ev.frame !== undefined) parts.push(`frame ${ev.frame}`);
  if (ev.line !== undefined) parts.push(`line ${ev.line}`);
  if (ev.record !== undefined) parts.push(`record ${ev.record}`);
  if (ev.tuple !== undefined) parts.push(`tuple ${ev.tuple}`);
  return parts.join(' ');
}

function servedText(port: number, s: ServedPort): string {
  const clients = s.clients.size === 1 ? '1 client' : `${s.clients.size} clients`;
  const flows = s.completed === s.flows ? plural(s.flows, 'flow') : `${s.completed} of ${s.flows} flows answered`;
  return `${PORT_NAMES[port] ?? `port ${port}`} (${flows} from ${clients})`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function joinWords(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function sum<T>(items: T[], f: (t: T) => number): number {
  let s = 0;
  for (const t of items) s += f(t);
  return s;
}

/** The items with the highest score (all of them on a tie); none when the best score is 0. */
function topBy<T>(items: T[], score: (t: T) => number): T[] {
  let best = 0;
  for (const t of items) best = Math.max(best, score(t));
  return best === 0 ? [] : items.filter((t) => score(t) === best);
}

// Address order: common/ip.ts (one definition for roles, audit and reports).
export { compareAddresses, sortAddresses };

// ---------------------------------------------------------------------------------------------
// Reading a RoleMap

/** The distinct roles a host holds, in the catalog's role order. */
export function hostRoles(host: HostInfo): Role[] {
  return ALL_ROLES.filter((r) => host.roles.some((e) => e.role === r));
}

/** Addresses holding `role`, sorted. */
export function hostsWithRole(map: RoleMap, role: Role): string[] {
  return [...map.hosts.values()].filter((h) => h.roles.some((e) => e.role === role)).map((h) => h.address);
}

/** The distinct sources of a host's roles, strongest first, joined by `+` (`inventory`, `dns+inferred`); `none` without roles. */
export function roleSourceSummary(host: HostInfo): string {
  const sources = [...new Set(host.roles.map((e) => e.source))].sort((a, b) => SOURCE_ORDER[a] - SOURCE_ORDER[b]);
  return sources.length === 0 ? 'none' : sources.join('+');
}

// The `roles` command's renderers live in their own modules; re-exported here so callers can take
// the whole role-assignment API from one place.
export { renderRoles, type RolesFormat } from './render.js';
export { roleMapToInventoryYaml } from './write-inventory.js';
