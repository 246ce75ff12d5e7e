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
import { addressOrder, compareAddresses, sortAddresses } from '../common/ip.js';
import type { FlowEvidence } from '../flows/types.js';
import { failedLookups, type DnsLookupStats, type FlowSummaryData, type NameObservation, type PairAggregate } from '../flows/summary-types.js';
import { isPrivateAddress, ON_PREMISES_ROLES, sameIpv6Site } from './address-scope.js';
import { isDcLocatorName } from './dc-locator.js';
import { InventoryMatcher, type InventoryHit } from './inventory.js';
import { hostGroups, type CapturePointInfo } from './host-groups.js';
import { LazyHostMap } from './host-map.js';
import { groupItems, pairIndexFor, PROTO_ICMP, PROTO_TCP, type PairIndex } from './pair-index.js';
import type { Confidence, ConnectCandidate, HostInfo, Inventory, InventoryEntry, RoleEvidence, RoleMap, RoleSource } from './types.js';

/** Names kept per host in {@link HostInfo.names} (all names still count for matching). */
export const MAX_NAMES_PER_HOST = 8;

/** Completed LDAP flows a host needs before the weakest connect-server rule considers it. */
export const MIN_LDAP_FLOWS_FOR_WEAK_CONNECT = 3;
/** Hosts named as the Connect server there may be, when none was found (RoleMap.connectCandidates). */
const MAX_CONNECT_CANDIDATES = 3;

export interface AssignOptions {
  catalog: Catalog;
  inventory?: Inventory;
  /** Entries from `--role` flags (see parseRoleFlag). */
  cliRoles?: InventoryEntry[];
  /** Where each capture was taken: a capture on one host names its two addresses (roles/host-groups.ts). */
  capturePoints?: readonly CapturePointInfo[];
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

/** AMQP over TLS: the Connect Health agent's channel to Azure Service Bus. */
const AMQP_PORT = 5671;

const SOURCE_ORDER: Record<RoleSource, number> = { inventory: 0, cli: 1, dns: 2, sni: 3, http: 4, proxy: 5, log: 6, inferred: 7 };

/** What one host answers on one port (all transports together). */
interface ServedPort {
  flows: number;
  completed: number;
  /** Distinct clients (originators). */
  clients: number;
}

/** A name known for an address and where it came from. */
interface KnownName {
  name: string;
  /** DNS/SNI observation, or the inventory's `hosts:` hint. */
  obs?: NameObservation;
  hint?: string;
}

/** Bit of each role in a per-address role mask. */
const ROLE_BIT = new Map<Role, number>(ALL_ROLES.map((r, i) => [r, 2 ** i]));
/** The bit of a role outside ALL_ROLES (loaders reject them; kept so a mask is never 0 for a host with roles). */
const OTHER_ROLE_BIT = 2 ** 30;
const roleBit = (role: Role) => ROLE_BIT.get(role) ?? OTHER_ROLE_BIT;
const ROLE_RANK = new Map<Role, number>(ALL_ROLES.map((r, i) => [r, i]));
const roleRank = (role: Role) => ROLE_RANK.get(role) ?? -1;
/** Confidence in order, for taking the higher of two. */
const CONFIDENCE_RANK: Readonly<Record<Confidence, number>> = { low: 0, medium: 1, high: 2 };

/** The bits of ON_PREMISES_ROLES (address-scope.ts): HTTPS to a DC is not HTTPS to a public address. */
const ON_PREMISES_ROLE_BITS = ON_PREMISES_ROLES.reduce((mask, role) => mask | roleBit(role), 0);

/** Ports the domain-controller and federation rules read, and their slot in a per-host tally. */
const DC_SLOTS = DC_SIGNATURE_PORTS.length;
const HTTPS_SLOT = DC_SLOTS;
const CERT_AUTH_SLOT = DC_SLOTS + 1;
const SERVED_SLOTS = DC_SLOTS + 2;
/** Slot per port (-1: a port these rules do not read). */
const SLOT_OF_PORT = new Int8Array(65536).fill(-1);
DC_SIGNATURE_PORTS.forEach((p, i) => (SLOT_OF_PORT[p] = i));
SLOT_OF_PORT[443] = HTTPS_SLOT;
SLOT_OF_PORT[49443] = CERT_AUTH_SLOT;

/** Ports only a DC serves, by name (see inferSilentDomainControllers). */
const DC_OWN_PORTS = new Map<number, string>([
  [88, 'Kerberos'],
  [389, 'LDAP'],
  [636, 'LDAPS'],
  [3268, 'Global Catalog'],
  [3269, 'Global Catalog over TLS'],
]);

/**
 * Assigns roles to every address in `summary.pairs` (originators and responders) and every address
 * the inventory lists; addresses that only appear in DNS answers are kept when a name gives them a
 * role. Hosts come out sorted by address (IPv4 first, numerically).
 */
export function assignRoles(summary: FlowSummaryData, opts: AssignOptions): RoleMap {
  const { catalog, inventory } = opts;
  const cliRoles = opts.cliRoles ?? [];

  // --- addresses and names -------------------------------------------------------------------
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

  const invMatcher = new InventoryMatcher(inventory?.entries ?? []);
  const cliMatcher = new InventoryMatcher(cliRoles);
  // Every address gets an id: those of the pairs first (the shared pair index), then the ones only
  // the inventory, --role or a name gives, in that order.
  const index = pairIndexFor(summary.pairs);
  const extra = new Map<string, number>();
  const extraAddresses: string[] = [];
  const addCandidate = (a: string) => {
    if (index.idOf(a) !== undefined || extra.has(a)) return;
    extra.set(a, index.size + extraAddresses.length);
    extraAddresses.push(a);
  };
  for (const a of invMatcher.literalAddresses()) addCandidate(a);
  for (const a of cliMatcher.literalAddresses()) addCandidate(a);
  for (const h of inventory?.hosts ?? []) addCandidate(h.address);
  for (const a of names.keys()) addCandidate(a);

  const a = new Assigner(index, extraAddresses, extra, names, catalog, inventory ? 'low' : 'medium', summary.dns);

  // --- 1. inventory and --role ---------------------------------------------------------------
  // Without an inventory or --role (the usual case) there is nothing to match, for any address.
  if (!invMatcher.empty || !cliMatcher.empty) {
    for (let id = 0; id < a.addresses.length; id++) {
      const address = a.addresses[id];
      const known = names.get(address) ?? [];
      const knownNames = known.map((k) => k.name);
      for (const hit of invMatcher.match(address, knownNames)) {
        a.add(id, { role: hit.role, source: 'inventory', confidence: 'high', why: inventoryWhy(`inventory ${inventory!.file}`, hit, known) });
        a.explicit[id] = 1;
      }
      for (const hit of cliMatcher.match(address, knownNames)) {
        a.add(id, { role: hit.role, source: 'cli', confidence: 'high', why: inventoryWhy(`--role ${hit.match}=${hit.role}`, hit, known, true) });
        a.explicit[id] = 1;
      }
    }
  }

  // --- 2. names from the data: DNS answers and TLS SNI ---------------------------------------
  for (const [address, known] of names) {
    const id = a.idOf(address);
    if (a.explicit[id]) continue;
    for (const k of known) {
      if (!k.obs) continue;
      const roles = rolesForHostname(catalog, k.name);
      if (k.obs.source === 'dns' && isDcLocatorName(k.name) && !roles.includes('dc')) roles.push('dc');
      for (const role of roles) {
        a.add(id, { role, source: k.obs.source, confidence: 'high', why: observationWhy(k.obs, k.name, address) });
      }
    }
  }

  // --- 3. inference from behaviour -----------------------------------------------------------
  // Each rule reads what earlier rules concluded (connect needs the dc hosts ...): the order matters.
  a.inferServers();
  a.inferAdfs();
  a.inferFromClientNames();
  a.inferConnectServer();
  a.inferFromClientLookups();
  a.inferSilentDomainControllers();
  a.inferHealthAgent();
  a.inferUsers();

  // --- 4. one host, two address families ------------------------------------------------------
  const named = [...names].map(([address, known]) => ({ address, names: known.map((k) => k.name) }));
  const groups = hostGroups(named, opts.capturePoints ?? []);
  a.shareWithinHosts(groups);

  // --- result ----------------------------------------------------------------------------------
  // The hosts with roles now; the full map of every address (mostly clients without a role) only
  // when something reads it: `analyze` never does (see host-map.ts).
  const hinted = new Set((inventory?.hosts ?? []).map((h) => h.address));
  const hostFor = (id: number, roles: RoleEvidence[]): HostInfo | undefined => {
    const address = a.addresses[id];
    // Addresses known only from DNS answers (never contacted) are kept only when they hold a role.
    const listed = id < index.size || a.explicit[id] === 1 || hinted.has(address);
    if (!listed && roles.length === 0) return undefined;
    const known = names.size > 0 ? names.get(address) : undefined;
    // A service's SRV name (`_ldap._tcp.dc._msdcs.…`) names what the host does, not the host: its why says so.
    const hostNames = known === undefined ? [] : known.filter((k) => !k.name.startsWith('_')).slice(0, MAX_NAMES_PER_HOST).map((k) => k.name);
    return { address, names: hostNames, roles };
  };
  const withRoles = new Map<number, HostInfo>();
  for (const id of a.holders()) {
    index.remember(a.addresses[id], id);
    const roles = a.evidence.get(a.addresses[id])!.slice();
    roles.sort((x, y) => SOURCE_ORDER[x.source] - SOURCE_ORDER[y.source] || roleRank(x.role) - roleRank(y.role));
    withRoles.set(id, hostFor(id, roles)!);
  }
  function* everyHost(): Iterable<HostInfo> {
    // Most addresses (clients) hold no role and no name: one empty array each, not three.
    for (const id of a.order()) {
      const h = withRoles.get(id) ?? hostFor(id, []);
      if (h) yield h;
    }
  }
  const peek = (address: string) => {
    const id = a.idOfMaybe(address);
    return id === undefined ? undefined : (withRoles.get(id) ?? hostFor(id, []));
  };
  const map: RoleMap = { hosts: new LazyHostMap([...withRoles.values()], everyHost, peek), hostGroups: groups };
  // Later rules (users ...) may have given a candidate a role since.
  const candidates = a.connectCandidates.filter((c) => !withRoles.has(c.id));
  if (candidates.length > 0) map.connectCandidates = oneEntryPerHost(candidates.map((c) => ({ address: a.addresses[c.id], flows: c.flows })), groups);
  return map;
}

/**
 * The state of one role assignment, by address id (see PairIndex): role masks, scope and the
 * inventory's hold in typed arrays, evidence only for the few addresses that get a role. The
 * inference rules walk only the pairs that can matter to them (the responders of DC ports, the
 * clients of DC and WAP hosts, port 5671 ...), never every address once per rule.
 *
 * Inference names roles of internal hosts only: private IPv4 and any IPv6 (enterprises number
 * their networks with global IPv6 unicast, as the real pfirewall.log in the corpus shows for its
 * DCs). `users` is the exception: a WAP's users may be anywhere.
 */
class Assigner {
  /** Address text per id: the pair index's, then the extra ones. */
  readonly addresses: readonly string[];
  /** Role mask per id (see ROLE_BIT). */
  readonly roleBits: Uint32Array;
  /** 1 for addresses the inventory or --role name: the data adds no role to them. */
  readonly explicit: Uint8Array;
  /** 0 not yet known, 1 private, 2 public (parsing addresses dominated this function's profile). */
  private readonly scope: Uint8Array;
  /** Roles any address holds (mask). */
  private presentRoles = 0;
  /** Set by inferConnectServer when it finds none (see RoleMap.connectCandidates), by id. */
  connectCandidates: { id: number; flows: number }[] = [];
  /** Ids holding a role, in the order they got their first one. */
  private readonly withAnyRole: number[] = [];
  /** Originators of pairs to port 5671 (AMQP), gathered by inferServers for inferHealthAgent. */
  private readonly amqpClients = new Set<number>();
  /** Marks for counting distinct clients (see distinctClients). */
  private clientMark: Int32Array | null = null;
  private clientSlots: Int32Array | null = null;
  private clientStamp = 0;
  readonly evidence = new Map<string, RoleEvidence[]>();
  private readonly pairs: readonly PairAggregate[];

  constructor(
    private readonly index: PairIndex,
    extraAddresses: readonly string[],
    private readonly extra: ReadonlyMap<string, number>,
    private readonly names: ReadonlyMap<string, KnownName[]>,
    private readonly catalog: Catalog,
    private readonly inferredConfidenceCap: Confidence,
    /** The summary's DNS lookups (who asked for which name, see inferConnectServer). */
    private readonly lookups: readonly DnsLookupStats[] = [],
  ) {
    this.addresses = extraAddresses.length === 0 ? index.addresses : index.addresses.concat(extraAddresses);
    const n = this.addresses.length;
    this.roleBits = new Uint32Array(n);
    this.explicit = new Uint8Array(n);
    this.scope = new Uint8Array(n);
    this.pairs = index.pairs;
  }

  idOf(address: string): number {
    return this.index.idOf(address) ?? this.extra.get(address)!;
  }

  idOfMaybe(address: string): number | undefined {
    return this.index.idOf(address) ?? this.extra.get(address);
  }

  /** All ids in address order. */
  order(): Int32Array {
    return this.addresses === this.index.addresses ? this.index.order : addressOrder(this.addresses);
  }

  add(id: number, ev: RoleEvidence): void {
    const address = this.addresses[id];
    let list = this.evidence.get(address);
    if (!list) this.evidence.set(address, (list = []));
    if (!list.some((e) => e.role === ev.role && e.source === ev.source)) list.push(ev);
    const bit = roleBit(ev.role);
    if (this.roleBits[id] === 0) this.withAnyRole.push(id);
    this.roleBits[id] |= bit;
    this.presentRoles |= bit;
  }

  hasRole(id: number, role: Role): boolean {
    return (this.roleBits[id] & roleBit(role)) !== 0;
  }

  private anyHas(role: Role): boolean {
    return (this.presentRoles & roleBit(role)) !== 0;
  }

  isPrivate(id: number): boolean {
    let s = this.scope[id];
    if (s === 0) this.scope[id] = s = isPrivateAddress(this.addresses[id]) ? 1 : 2;
    return s === 1;
  }

  /**
   * Internal as seen from `from`: a private address, or a global IPv6 address in `from`'s own site
   * (/48). Enterprises number hosts inside with global IPv6 addresses, which no rule can tell from
   * the internet's by the address alone.
   */
  private isInternalFrom(from: number, id: number): boolean {
    return this.isPrivate(id) || sameIpv6Site(this.addresses[from], this.addresses[id]);
  }

  /**
   * On the internet as far as the data tells, seen from `from`: not internal from there, and
   * holding no role only on-premises hosts hold (a DC at a global IPv6 address of another site:
   * see ON_PREMISES_ROLE_BITS).
   */
  private isPublicFrom(from: number, id: number): boolean {
    return !this.isInternalFrom(from, id) && (this.roleBits[id] & ON_PREMISES_ROLE_BITS) === 0;
  }

  canInfer(id: number): boolean {
    // IPv6 first: deciding it needs no parse.
    return this.explicit[id] === 0 && (this.addresses[id].includes(':') || this.isPrivate(id));
  }

  /** Adds an inferred role, unless the inventory or --role named the host or it holds the role already. */
  private infer(id: number, role: Role, confidence: Confidence, why: string): void {
    if (this.explicit[id] === 1 || this.hasRole(id, role)) return;
    const capped: Confidence = confidence === 'low' || this.inferredConfidenceCap === 'low' ? 'low' : confidence;
    this.add(id, { role, source: 'inferred', confidence: capped, why });
  }

  /** Ids holding `role` (any role when omitted), in address order. */
  holders(role?: Role): number[] {
    if (role !== undefined && !this.anyHas(role)) return [];
    const bit = role === undefined ? 0xffffffff : roleBit(role);
    // In id order, as the full address order breaks ties.
    const ids = this.withAnyRole.filter((id) => (this.roleBits[id] & bit) !== 0).sort((x, y) => x - y);
    // Few hosts hold a role: sort just those (stable, so equal addresses keep id order as the full order does).
    const order = addressOrder(ids.map((id) => this.addresses[id]));
    return Array.from(order, (k) => ids[k]);
  }

  /** Pair positions `id` originated, the latest first (none for addresses outside the pairs). */
  private originated(id: number): Int32Array {
    if (id >= this.index.size) return EMPTY;
    return groupItems(this.index.byOrig, id);
  }

  /** Pair positions `id` answered, the latest first. */
  private answered(id: number): Int32Array {
    if (id >= this.index.size) return EMPTY;
    return groupItems(this.index.byResp, id);
  }

  /** Ids of the distinct clients of `id` on TCP/UDP `port`. */
  private clientsOf(id: number, port: number): Set<number> {
    const out = new Set<number>();
    const { proto, orig } = this.index;
    for (const i of this.answered(id)) if (this.index.port[i] === port && proto[i] !== PROTO_ICMP) out.add(orig[i]);
    return out;
  }

  /** What `id` answers on TCP/UDP `port` (a slot of `tally`, its tally), for the sentence saying why. */
  private servedOn(id: number, tally: ServedTally, port: number): ServedPort {
    const slot = SLOT_OF_PORT[port];
    const clients = (tally.clients ??= this.distinctClients(id));
    return { flows: tally.flows[slot], completed: tally.completed[slot], clients: clients[slot] };
  }

  /** Distinct TCP/UDP clients of `id` per slot of SLOT_OF_PORT, in one pass over what it answers. */
  private distinctClients(id: number): Int32Array {
    const counts = new Int32Array(SERVED_SLOTS);
    // Without a set: per client, the stamp of this count and the slots it was counted in.
    const mark = (this.clientMark ??= new Int32Array(this.index.size));
    const slots = (this.clientSlots ??= new Int32Array(this.index.size));
    const stamp = ++this.clientStamp;
    const { proto, port, orig } = this.index;
    // A walk of the list, not for-of over an array of it: run once and cold, for-of allocates an
    // iterator result per pair (~100k on a large capture, a scavenge's worth).
    const { first, next } = this.index.byResp;
    for (let i = id < this.index.size ? first[id] : -1; i >= 0; i = next[i]) {
      const slot = SLOT_OF_PORT[port[i]];
      if (slot < 0 || proto[i] === PROTO_ICMP) continue;
      const o = orig[i];
      if (mark[o] !== stamp) {
        mark[o] = stamp;
        slots[o] = 0;
      }
      if ((slots[o] & (1 << slot)) === 0) {
        slots[o] |= 1 << slot;
        counts[slot]++;
      }
    }
    return counts;
  }

  /**
   * dc: answers Kerberos 88 plus another DC port, or LDAP 389 with the GC 3268 or two other DC ports.
   * wap: answers HTTPS 443 and 49443 (certificate authentication); medium when it also forwards
   * 443 to a private host (its AD FS server), low when it answers several clients but no such leg
   * is seen (it could be an AD FS server that users reach directly).
   * Both read only what a host answers, so one pass over the responders tallies both.
   */
  inferServers(): void {
    // One pass in pair order over flat columns (a cold loop on a capture's 60k pairs costs several
    // times its warm speed, so it does as little as it can): the slot tallies of each responder
    // seen on a slot port, in a row of its own.
    const { proto, port, flows, completed, orig, resp } = this.index;
    const rowOf = new Int32Array(this.index.size).fill(-1);
    const servers: number[] = [];
    let served = new Float64Array(2 * SERVED_SLOTS * 64);
    for (let i = 0; i < port.length; i++) {
      const p = port[i];
      if (p === AMQP_PORT) this.amqpClients.add(orig[i]); // for inferHealthAgent, later
      const slot = SLOT_OF_PORT[p];
      if (slot < 0 || proto[i] === PROTO_ICMP) continue;
      const r = resp[i];
      let row = rowOf[r];
      if (row < 0) {
        row = rowOf[r] = servers.length;
        servers.push(r);
        if (2 * SERVED_SLOTS * servers.length > served.length) {
          const grown = new Float64Array(2 * served.length);
          grown.set(served);
          served = grown;
        }
      }
      served[2 * SERVED_SLOTS * row + slot] += flows[i];
      served[2 * SERVED_SLOTS * row + SERVED_SLOTS + slot] += completed[i];
    }
    for (let row = 0; row < servers.length; row++) {
      const id = servers[row];
      if (!this.canInfer(id)) continue;
      const at = 2 * SERVED_SLOTS * row;
      const tally: ServedTally = { flows: served.subarray(at, at + SERVED_SLOTS), completed: served.subarray(at + SERVED_SLOTS, at + 2 * SERVED_SLOTS), clients: null };
      this.inferDomainController(id, tally);
      if (tally.completed[HTTPS_SLOT] > 0 && tally.completed[CERT_AUTH_SLOT] > 0) this.inferWap(id, tally);
    }
  }

  private inferDomainController(id: number, tally: ServedTally): void {
    const answered = DC_SIGNATURE_PORTS.filter((_, k) => tally.completed[k] > 0);
    const contacted = DC_SIGNATURE_PORTS.filter((_, k) => tally.flows[k] > 0);
    const has = (p: number) => answered.includes(p);
    const strong = (has(88) && answered.length >= 2) || (has(389) && (has(3268) || answered.length >= 3));
    const weak = !strong && contacted.includes(88) && (has(88) || has(389)) && contacted.length >= 2;
    if (!strong && !weak) return;
    const describe = (list: number[]) => joinWords(list.map((p) => servedText(p, this.servedOn(id, tally, p))));
    if (strong) {
      this.infer(id, 'dc', 'medium', `answers ${describe(answered)}`);
    } else {
      const unanswered = contacted.filter((p) => !has(p));
      this.infer(
        id,
        'dc',
        'low',
        `answers ${describe(answered)}; contacted on ${joinWords(unanswered.map((p) => `${PORT_NAMES[p] ?? p} (${tally.flows[SLOT_OF_PORT[p]]} attempts, none answered)`))}`,
      );
    }
  }

  private inferWap(id: number, tally: ServedTally): void {
    const https = this.servedOn(id, tally, 443);
    const cert = this.servedOn(id, tally, 49443);
    const clients = new Set([...this.clientsOf(id, 443), ...this.clientsOf(id, 49443)]);
    const backends = this.backendsOf(id);
    const base = `answers ${servedText(443, https)} and ${servedText(49443, cert)}`;
    if (backends.length > 0) {
      this.infer(id, 'wap', 'medium', `${base}; forwards HTTPS 443 to ${joinWords(backends.slice(0, 3).map((b) => this.addresses[b]))}`);
    } else if (clients.size >= 2) {
      this.infer(id, 'wap', 'low', `${base}; no forwarding to an AD FS server seen (it may be an AD FS server reached directly)`);
    }
  }

  /** adfs: contacted on 443 by a wap host (inventory, --role or inferred). */
  inferAdfs(): void {
    for (const wap of this.holders('wap')) {
      const backends = this.backendsOf(wap);
      for (const backend of backends) {
        if (!this.canInfer(backend) || this.hasRole(backend, 'wap')) continue;
        let flows = 0;
        let completed = 0;
        for (const i of this.originated(wap)) {
          const p = this.pairs[i];
          if (this.index.resp[i] === backend && p.proto === 'tcp' && p.respP === 443) {
            flows += p.flows;
            completed += p.completed;
          }
        }
        const why = `contacted on HTTPS 443 by WAP ${this.addresses[wap]} (${plural(flows, 'flow')}, ${completed} completed)`;
        this.infer(backend, 'adfs', backends.length === 1 ? 'medium' : 'low', backends.length === 1 ? why : `${why}; the WAP forwards to ${backends.length} hosts`);
      }
    }
  }

  /** Internal hosts (private, or in its own IPv6 site) that `id` opens HTTPS 443 to (any outcome), in address order. */
  private backendsOf(id: number): number[] {
    const out = new Set<number>();
    for (const i of this.originated(id)) {
      const p = this.pairs[i];
      const resp = this.index.resp[i];
      if (p.proto === 'tcp' && p.respP === 443 && resp !== id && this.isInternalFrom(id, resp)) out.add(resp);
    }
    const ids = [...out];
    return Array.from(addressOrder(ids.map((id) => this.addresses[id])), (k) => ids[k]);
  }

  /**
   * A host that looks up a name only one kind of client uses (catalog `clientRole` entries:
   * adminwebservice.microsoftonline.com, the sync server's) when no contact with it says more. A
   * capture on a DC (the DNS server) holds the sync server's lookups and none of its HTTPS to
   * Entra ID; a sync server whose lookups fail never makes that contact either. Low: a lookup is not
   * a contact. DNS servers are left out: one with forwarders asks upstream for its clients.
   */
  inferFromClientLookups(): void {
    let dnsServers: Set<number> | null = null;
    for (const d of this.lookups) {
      if (d.clients.length === 0) continue;
      const roles = clientRolesForHostname(this.catalog, d.name.toLowerCase().replace(/\.$/, ''));
      if (roles.length === 0) continue;
      dnsServers ??= this.answeringDns();
      for (const client of d.clients) {
        const id = this.index.idOf(client);
        if (id === undefined || dnsServers.has(id) || !this.canInfer(id)) continue;
        for (const role of roles) {
          if (this.hasRole(id, role) || (role === 'connect' && this.hasRole(id, 'dc'))) continue;
          const outcome = d.answered > 0 ? 'resolved' : 'never resolved';
          this.infer(id, role, 'low', `looks up ${d.name} (${plural(d.queries, 'lookup')} of it in the data, ${outcome}), a name only ${role} hosts use; no contact with it is in the data`);
        }
      }
    }
  }

  /** Hosts that answered a DNS query (port 53, completed): DNS servers, which look names up for others. */
  private answeringDns(): Set<number> {
    const out = new Set<number>();
    const { port, completed, resp } = this.index;
    for (let i = 0; i < port.length; i++) if (port[i] === 53 && completed[i] > 0) out.add(resp[i]);
    return out;
  }

  /** A host that contacts names only one kind of client uses (catalog `clientRole` entries). */
  inferFromClientNames(): void {
    // Only responders with a name can give a client role: without any, no host needs looking at.
    const named = new Map<number, { role: Role; name: string }[]>();
    for (const [address, known] of this.names) {
      const id = this.index.idOf(address);
      if (id === undefined) continue; // never contacted: no pair to learn from
      const roles: { role: Role; name: string }[] = [];
      for (const k of known) {
        if (!k.obs) continue;
        for (const role of clientRolesForHostname(this.catalog, k.name)) {
          if (!roles.some((r) => r.role === role)) roles.push({ role, name: k.name });
        }
      }
      if (roles.length > 0) named.set(id, roles);
    }
    if (named.size === 0) return;
    const { resp, orig } = this.index;
    const clients = new Set<number>();
    for (let i = 0; i < this.pairs.length; i++) if (named.has(resp[i]) && this.pairs[i].proto !== 'icmp') clients.add(orig[i]);
    for (const id of clients) {
      if (!this.canInfer(id)) continue;
      // Per role, the pair that says why: the busiest, then by address, transport and port (the
      // same pair whatever order the pairs come in).
      const why = new Map<Role, { p: PairAggregate; name: string }>();
      for (const i of this.originated(id)) {
        const p = this.pairs[i];
        if (p.proto === 'icmp') continue;
        for (const { role, name } of named.get(resp[i]) ?? []) {
          const best = why.get(role);
          if (best === undefined || comparePairsForWhy(p, best.p) < 0) why.set(role, { p, name });
        }
      }
      for (const [role, { p, name }] of why) {
        const where = name === p.respH ? name : `${name} (${p.respH})`; // a host known by name only
        this.infer(id, role, 'medium', `contacts ${where} on ${p.proto}/${p.respP} (${plural(p.flows, 'flow')}), a name only ${role} hosts use`);
      }
    }
  }

  /**
   * connect: talks LDAP 389 or Kerberos 88 to a dc AND tries to reach Entra ID: HTTPS 443 to
   * azure-ad hosts, or lookups of azure-ad names that never resolve (a sync server whose lookups
   * all fail, NXDOMAIN, SERVFAIL or no answer, never opens the HTTPS; its failed lookups are then
   * the finding to show, see Evaluator.dnsOfRole). One such host: medium; several (domain members that browse to
   * Microsoft 365 look the same): the one with the most LDAP flows to DCs, low. Failing that, the
   * weakest rule: the host with the most completed LDAP flows to a dc (at least
   * MIN_LDAP_FLOWS_FOR_WEAK_CONNECT) that also reaches 443 on public addresses, low. Skipped when a
   * connect server is already known.
   */
  inferConnectServer(): void {
    if (this.anyHas('connect')) return;
    // Both rules need LDAP or Kerberos to a dc. With none known, a host tried on both Kerberos 88
    // and LDAP 389 stands in for one: a DC that answers neither is what a sync server cut off from
    // every DC sees, and no answer can name it (only the strong rule applies then, at low confidence).
    const unanswering = this.anyHas('dc') ? null : this.triedOnKerberosAndLdap();
    if (unanswering !== null && unanswering.size === 0) return;
    // One walk over each originator's pairs (the pair index's groups), tallying what the rules read:
    // flows to the DCs' LDAP and Kerberos, and HTTPS to Entra ID or elsewhere; a host is judged as
    // soon as its pairs are counted. (Walking each DC's clients, and then each client's pairs, cost
    // three times as much, run once and cold, on a capture with 50k clients. Tallying every pair
    // into four per-address arrays first, and then walking the addresses, took about as long.)
    const { proto, port, flows, completed, resp } = this.index;
    const { first, next, count } = this.index.byOrig;
    const size = this.index.size;
    const dcBit = roleBit('dc');
    const cloudBit = roleBit('azure-ad');
    interface Candidate {
      id: number;
      ldapFlows: number;
      ldapCompleted: number;
    }
    const strong: Candidate[] = [];
    const weak: Candidate[] = [];
    // The clients with the most LDAP and Kerberos flows to the DCs, for the hint when no rule names
    // a Connect server (see keepBusiest).
    const busiest: { id: number; flows: number }[] = [];
    const askedCloud = this.cloudNamesAsked();
    for (let id = 0; id < size; id++) {
      if (count[id] === 0 || (this.roleBits[id] & dcBit) !== 0) continue;
      let reaches = 0; // REACHES_* bits
      let dcFlows = 0;
      let ldapFlows = 0;
      let ldapCompleted = 0;
      for (let i = first[id]; i >= 0; i = next[i]) {
        const p = port[i];
        if (p === 389 || p === 88) {
          if (proto[i] === PROTO_ICMP) continue;
          if ((this.roleBits[resp[i]] & dcBit) === 0 && (unanswering === null || !unanswering.has(resp[i]))) continue;
          reaches |= REACHES_DC;
          dcFlows += flows[i];
          if (p === 389) {
            ldapFlows += flows[i];
            ldapCompleted += completed[i];
          }
        } else if (p === 443 && proto[i] === PROTO_TCP) {
          reaches |= (this.roleBits[resp[i]] & cloudBit) !== 0 ? REACHES_CLOUD : REACHES_OTHER_HTTPS;
        }
      }
      if ((reaches & REACHES_DC) === 0) continue;
      if (unanswering !== null) {
        if (((reaches & REACHES_CLOUD) !== 0 || askedCloud.has(id)) && this.canInfer(id)) strong.push({ id, ldapFlows, ldapCompleted });
        continue;
      }
      this.keepBusiest(busiest, id, dcFlows);
      // Parsing an address (for its scope) costs more than the tally: only for hosts that qualify.
      if ((reaches & REACHES_CLOUD) !== 0 || askedCloud.has(id)) {
        if (this.canInfer(id)) strong.push({ id, ldapFlows, ldapCompleted });
      } else if (ldapCompleted >= MIN_LDAP_FLOWS_FOR_WEAK_CONNECT && (reaches & REACHES_OTHER_HTTPS) !== 0 && this.canInfer(id)) {
        if (this.connectDetail(id).publicHttps.length > 0) weak.push({ id, ldapFlows, ldapCompleted });
      }
    }
    const strongWhy = (c: Candidate) => {
      const d = this.connectDetail(c.id);
      const toDc =
        unanswering === null
          ? `talks LDAP/Kerberos to DC ${joinWords(d.dcs.slice(0, 3))} (${plural(c.ldapFlows, 'LDAP flow')})`
          : `tries Kerberos 88 and LDAP 389 on ${joinWords(this.triedOf(c.id, unanswering).slice(0, 3))} (${plural(c.ldapFlows, 'LDAP attempt')}, none answered)`;
      if (d.cloud.length > 0) return `${toDc} and HTTPS 443 to azure-ad ${joinWords(d.cloud.slice(0, 3))} (${plural(d.cloudFlows, 'flow')})`;
      const asked = askedCloud.get(c.id)!;
      return `${toDc} and looks up Entra ID names that never resolve (${joinWords(asked.slice(0, 3))}${asked.length > 3 ? ' …' : ''}), with no HTTPS to Entra ID seen`;
    };
    if (strong.length === 1) {
      this.infer(strong[0].id, 'connect', unanswering === null ? 'medium' : 'low', strongWhy(strong[0]));
      return;
    }
    if (strong.length > 1) {
      for (const c of topBy(strong, (x) => x.ldapFlows)) {
        this.infer(c.id, 'connect', 'low', `${strongWhy(c)}; one of ${strong.length} hosts that do both, the one with the most LDAP flows`);
      }
      return;
    }
    if (weak.length === 0) {
      this.connectCandidates = busiest;
      return;
    }
    for (const c of topBy(weak, (x) => x.ldapCompleted)) {
      const d = this.connectDetail(c.id);
      this.infer(
        c.id,
        'connect',
        'low',
        `most completed LDAP flows to a DC (${c.ldapCompleted}, to ${joinWords(d.dcs.slice(0, 3))}) and HTTPS 443 to public addresses (${joinWords(d.publicHttps.slice(0, 3))}); no Entra ID name was seen to confirm`,
      );
    }
  }

  /**
   * Private hosts some host tries on both Kerberos 88 and LDAP 389 (TCP or UDP), by id; only read
   * when no dc is known, so none of them answered either (an answer would have made it a dc).
   */
  private triedOnKerberosAndLdap(): Set<number> {
    const out = new Set<number>();
    for (let id = 0; id < this.index.size; id++) {
      for (const [r, t] of this.kerberosLdapTries(id)) if (t.kerberos > 0 && t.ldap > 0 && this.canInfer(r)) out.add(r);
    }
    return out;
  }

  /** The hosts of `among` that `id` tries on Kerberos or LDAP, in address order. */
  private triedOf(id: number, among: ReadonlySet<number>): string[] {
    return sortAddresses([...this.kerberosLdapTries(id).keys()].filter((r) => among.has(r)).map((r) => this.addresses[r]));
  }

  /** The hosts `id` tries on Kerberos 88 or LDAP 389 (TCP or UDP), with its flows to each port. */
  private kerberosLdapTries(id: number): Map<number, { kerberos: number; ldap: number }> {
    const { proto, port, flows, resp } = this.index;
    const tried = new Map<number, { kerberos: number; ldap: number }>();
    for (const i of this.originated(id)) {
      const p = port[i];
      if ((p !== 88 && p !== 389) || proto[i] === PROTO_ICMP) continue;
      let t = tried.get(resp[i]);
      if (t === undefined) tried.set(resp[i], (t = { kerberos: 0, ldap: 0 }));
      if (p === 88) t.kerberos += flows[i];
      else t.ldap += flows[i];
    }
    return tried;
  }

  /**
   * The azure-ad names (catalog endpoints) each host looked up and that never resolved, by address
   * id, in name order: a host asks for Entra ID's names before it opens HTTPS to them, so a failed
   * lookup shows it tried where no HTTPS could follow. Names that resolved are left out: a capture
   * on a DC (the DNS server) sees every member's lookups of login.microsoftonline.com, but none of
   * the HTTPS that follows them, and a member that resolved the name said nothing a workstation
   * would not. Only hosts of the pairs (those that also talk to someone).
   */
  private cloudNamesAsked(): Map<number, string[]> {
    const out = new Map<number, string[]>();
    for (const d of this.lookups) {
      if (d.clients.length === 0 || d.answered > 0 || failedLookups(d) === 0) continue;
      const name = d.name.toLowerCase().replace(/\.$/, '');
      if (!rolesForHostname(this.catalog, name).includes('azure-ad')) continue;
      for (const client of d.clients) {
        const id = this.index.idOf(client);
        if (id === undefined) continue;
        const list = out.get(id);
        if (list === undefined) out.set(id, [name]);
        else if (!list.includes(name)) list.push(name);
      }
    }
    for (const list of out.values()) list.sort();
    return out;
  }

  /**
   * Keeps in `top` the MAX_CONNECT_CANDIDATES hosts with the most flows seen so far, ties in the
   * text order of their addresses (a total order, so whichever thread read which file, the same
   * hosts). A DC's clients run to tens of thousands with the same few flows each: only a host that
   * beats the last one kept costs more than a comparison, and no address is parsed.
   */
  private keepBusiest(top: { id: number; flows: number }[], id: number, flows: number): void {
    if (top.length === MAX_CONNECT_CANDIDATES && !this.busierThan(id, flows, top[top.length - 1])) return;
    let at = top.length;
    while (at > 0 && this.busierThan(id, flows, top[at - 1])) at--;
    top.splice(at, 0, { id, flows });
    if (top.length > MAX_CONNECT_CANDIDATES) top.pop();
  }

  /** True when host `id` with `flows` flows goes before `x` in {@link keepBusiest}'s order (a method: a closure per call cost an allocation per client). */
  private busierThan(id: number, flows: number, x: { id: number; flows: number }): boolean {
    return flows > x.flows || (flows === x.flows && this.addresses[id] < this.addresses[x.id]);
  }

  /** The hosts a connect-server candidate talks to, distinct, in address order (for the sentence saying why). */
  private connectDetail(id: number): { dcs: string[]; cloud: string[]; cloudFlows: number; publicHttps: string[] } {
    const dcs = new Set<string>();
    const cloud = new Set<string>();
    const publicHttps = new Set<string>();
    let cloudFlows = 0;
    const { proto, port, resp, flows } = this.index;
    const dcBit = roleBit('dc');
    const cloudBit = roleBit('azure-ad');
    for (const i of this.originated(id)) {
      const p = port[i];
      const r = resp[i];
      if ((p === 389 || p === 88) && proto[i] !== PROTO_ICMP && (this.roleBits[r] & dcBit) !== 0) dcs.add(this.addresses[r]);
      else if (proto[i] === PROTO_TCP && p === 443) {
        if ((this.roleBits[r] & cloudBit) !== 0) {
          cloud.add(this.addresses[r]);
          cloudFlows += flows[i];
        } else if (this.isPublicFrom(id, r)) publicHttps.add(this.addresses[r]);
      }
    }
    return { dcs: sortAddresses(dcs), cloud: sortAddresses(cloud), cloudFlows, publicHttps: sortAddresses(publicHttps) };
  }

  /**
   * dc, low: a host the Connect server tries on two or more of a DC's own ports (Kerberos 88, LDAP
   * 389, LDAPS 636, the Global Catalog's 3268 and 3269) and that answers none of them, to anyone.
   * A DC behind a firewall that drops them (its own, or one on the way) looks exactly like this
   * from the sync server, whatever else it answers (the endpoint mapper on 135 ...), and no answer
   * can say more: without this rule it held no role, its failed attempts judged nothing, and the
   * audit passed. A firewall log that holds only its denials (ufw's default) shows the LDAP and
   * LDAPS it dropped and not the Kerberos it let through, hence any two of the ports. Only the
   * Connect server's attempts count: it tries these on the DCs its locator names, where a scanner
   * tries every host; one port alone says too little.
   */
  inferSilentDomainControllers(): void {
    if (!this.anyHas('connect')) return;
    const { proto, port, completed } = this.index;
    for (const c of this.holders('connect')) {
      for (const [r, tries] of this.dcPortTries(c)) {
        if (tries.size < 2 || this.roleBits[r] !== 0 || !this.canInfer(r)) continue;
        let answered = false;
        for (const i of this.answered(r)) if (DC_OWN_PORTS.has(port[i]) && proto[i] !== PROTO_ICMP && completed[i] > 0) answered = true;
        if (answered) continue;
        const tried = [...tries].sort((x, y) => x[0] - y[0]).map(([p, n]) => `${DC_OWN_PORTS.get(p)} ${p} (${plural(n, 'attempt')})`);
        this.infer(
          r,
          'dc',
          'low',
          `the Connect server ${this.addresses[c]} tries it on ${joinWords(tried)}, and it answers ${tried.length === 2 ? 'neither' : 'none of them'}: a DC behind a firewall that drops them, or one that is down`,
        );
      }
    }
  }

  /** The hosts `id` tries on a DC's own ports (DC_OWN_PORTS, TCP or UDP): its flows per port to each. */
  private dcPortTries(id: number): Map<number, Map<number, number>> {
    const { proto, port, flows, resp } = this.index;
    const tried = new Map<number, Map<number, number>>();
    for (const i of this.originated(id)) {
      const p = port[i];
      if (!DC_OWN_PORTS.has(p) || proto[i] === PROTO_ICMP) continue;
      let t = tried.get(resp[i]);
      if (t === undefined) tried.set(resp[i], (t = new Map()));
      t.set(p, (t.get(p) ?? 0) + flows[i]);
    }
    return tried;
  }

  /**
   * The addresses of one dual-stack host (roles/host-groups.ts: a name's A and AAAA answers, a
   * capture taken on it) hold each other's roles. A DC's Kerberos and LDAP over IPv6 (Windows
   * prefers it) make its IPv6 address a dc, and its IPv4 address, which answered only DNS and SMB
   * by literal address, is the same DC. The audit counts a host's traffic over either address,
   * which needs both to hold the role, at the higher confidence of the two.
   */
  shareWithinHosts(groups: ReadonlyMap<string, readonly string[]>): void {
    const shares: { to: number; ev: RoleEvidence }[] = [];
    // A role both addresses hold, inferred at a lower confidence on this one: a dual-stack sync
    // server reaches its DCs over IPv6 and Entra ID over IPv4, so its IPv6 address alone only
    // looked the cloud's names up (low) while its IPv4 address made the contact (medium). One host,
    // one confidence: the inferred evidence is replaced, keeping what this address did itself.
    const raises = new Map<RoleEvidence, { to: string; ev: RoleEvidence }>(); // what replaces each
    for (const [to, group] of groups) {
      const toId = this.idOfMaybe(to);
      if (toId === undefined || this.explicit[toId] === 1) continue;
      for (const from of group) {
        if (from === to) continue;
        for (const ev of this.evidence.get(from) ?? []) {
          const why = `${sameHostWhy(this.names.get(to), this.names.get(from), from)}, which is ${ev.role} (${ev.source}): one dual-stack host`;
          if ((this.roleBits[toId] & roleBit(ev.role)) !== 0) {
            const held = this.evidence.get(to)!.filter((e) => e.role === ev.role);
            const mine = held.length === 1 && held[0].source === 'inferred' ? held[0] : undefined;
            if (mine !== undefined && CONFIDENCE_RANK[ev.confidence] > CONFIDENCE_RANK[(raises.get(mine)?.ev ?? mine).confidence]) {
              raises.set(mine, { to, ev: { role: ev.role, source: 'inferred', confidence: ev.confidence, why: `${why}; on its own: ${mine.why}` } });
            }
            continue;
          }
          if (shares.some((x) => x.to === toId && x.ev.role === ev.role)) continue;
          shares.push({ to: toId, ev: { role: ev.role, source: 'inferred', confidence: ev.confidence, why } });
        }
      }
    }
    // Added after the walk: a role shared once is not shared on from its new holder.
    for (const { to, ev } of shares) this.add(to, ev);
    for (const [mine, { to, ev }] of raises) {
      const list = this.evidence.get(to)!;
      list[list.indexOf(mine)] = ev;
    }
  }

  /** health-agent: opens AMQP 5671 to a health-service host (medium) or to a public address (low). */
  inferHealthAgent(): void {
    for (const id of this.amqpClients) {
      if (!this.canInfer(id)) continue;
      const amqp: number[] = [];
      for (const i of this.originated(id)) if (this.pairs[i].proto === 'tcp' && this.pairs[i].respP === 5671) amqp.push(i);
      const named = amqp.filter((i) => this.hasRole(this.index.resp[i], 'health-service')).map((i) => this.pairs[i]);
      if (named.length > 0) {
        this.infer(id, 'health-agent', 'medium', `opens AMQP 5671 (Azure Service Bus) to health-service ${joinWords(firstAddresses(named))} (${plural(sum(named, (p) => p.flows), 'flow')})`);
        continue;
      }
      const publicAmqp = amqp.filter((i) => this.isPublicFrom(id, this.index.resp[i])).map((i) => this.pairs[i]);
      if (publicAmqp.length > 0) {
        this.infer(id, 'health-agent', 'low', `opens AMQP 5671 to public ${joinWords(firstAddresses(publicAmqp))} (${plural(sum(publicAmqp, (p) => p.flows), 'flow')}); no Connect Health name was seen to confirm`);
      }
    }
  }

  /** users: hosts (public ones too) that contact a wap on 443 or 49443 and hold no other role. */
  inferUsers(): void {
    // Only the clients of wap hosts can qualify.
    const clients = new Set<number>();
    for (const wap of this.holders('wap')) {
      for (const i of this.answered(wap)) {
        const p = this.pairs[i];
        if (p.proto === 'tcp' && (p.respP === 443 || p.respP === 49443)) clients.add(this.index.orig[i]);
      }
    }
    for (const id of clients) {
      if (this.explicit[id] === 1 || this.roleBits[id] !== 0) continue;
      const toWap: PairAggregate[] = [];
      for (const i of this.originated(id)) {
        const p = this.pairs[i];
        if (p.proto === 'tcp' && (p.respP === 443 || p.respP === 49443) && this.hasRole(this.index.resp[i], 'wap')) toWap.push(p);
      }
      if (toWap.length === 0) continue;
      const ports = [...new Set(toWap.map((p) => p.respP))].sort((x, y) => x - y);
      this.infer(id, 'users', 'medium', `contacts WAP ${joinWords(firstAddresses(toWap))} on ${ports.join(' and ')} (${plural(sum(toWap, (p) => p.flows), 'flow')})`);
    }
  }
}

const EMPTY = new Int32Array(0);

/** What a host reaches, in Assigner.inferConnectServer's tally: a DC's LDAP or Kerberos, Entra ID's HTTPS, other HTTPS. */
const REACHES_DC = 1;
const REACHES_CLOUD = 2;
const REACHES_OTHER_HTTPS = 4;

/** What one host answers on each slot of SLOT_OF_PORT (all transports together). */
interface ServedTally {
  flows: Float64Array;
  completed: Float64Array;
  /** Distinct clients per slot, counted when first asked for (see Assigner.servedOn). */
  clients: Int32Array | null;
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
  if (obs.source === 'dns' && isDcLocatorName(name)) return `DNS answer ${name} → ${addr}, a DC locator record${where ? ` (${where})` : ''}`;
  if (obs.source === 'dns') return `DNS answer ${name} → ${addr}${where ? ` (${where})` : ''}`;
  if (obs.source === 'proxy') return `asked the proxy ${obs.via ?? '(unknown)'} for ${name}${where ? ` (${where})` : ''}`;
  if (obs.source === 'log') return `a firewall log names ${name} as the destination${where ? ` (${where})` : ''}`;
  if (obs.source === 'http') return `HTTP Host ${name} in a request to ${addr}${where ? ` (${where})` : ''}`;
  return `TLS SNI ${name} in a connection to ${addr}${where ? ` (${where})` : ''}`;
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
  const clients = s.clients === 1 ? '1 client' : `${s.clients} clients`;
  const flows = s.completed === s.flows ? plural(s.flows, 'flow') : `${s.completed} of ${s.flows} flows answered`;
  return `${PORT_NAMES[port] ?? `port ${port}`} (${flows} from ${clients})`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * Candidates that are addresses of one dual-stack host (roles/host-groups.ts) as one entry: the
 * busiest address, its flows summed with the others', which it names (`alsoAt`).
 */
function oneEntryPerHost(candidates: ConnectCandidate[], groups: ReadonlyMap<string, readonly string[]>): ConnectCandidate[] {
  const out: ConnectCandidate[] = [];
  for (const c of candidates) {
    const group = groups.get(c.address);
    const same = group === undefined ? undefined : out.find((o) => group.includes(o.address));
    if (same === undefined) out.push({ ...c });
    else {
      same.flows += c.flows;
      (same.alsoAt ??= []).push(c.address);
    }
  }
  return out.sort((x, y) => y.flows - x.flows);
}

/** Why two addresses are one host: a name both carry, or else the capture taken on it. */
function sameHostWhy(toNames: readonly KnownName[] | undefined, fromNames: readonly KnownName[] | undefined, from: string): string {
  const shared = (toNames ?? []).find((k) => !k.name.startsWith('_') && (fromNames ?? []).some((f) => f.name === k.name));
  return shared !== undefined ? `${shared.name} resolves to it and to ${from}` : `a capture taken on it has ${from} as its other address`;
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
/** Busiest first, then by responder address, transport and port. */
function comparePairsForWhy(a: PairAggregate, b: PairAggregate): number {
  return b.flows - a.flows || compareAddresses(a.respH, b.respH) || (a.proto < b.proto ? -1 : a.proto > b.proto ? 1 : 0) || a.respP - b.respP;
}

/** The first three distinct responders of `pairs` in address order (examples in a sentence saying why). */
function firstAddresses(pairs: readonly PairAggregate[]): string[] {
  return sortAddresses(new Set(pairs.map((p) => p.respH))).slice(0, 3);
}

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
