/**
 * The `hosts` map of a RoleMap, filled on first use.
 *
 * A large capture has tens of thousands of client addresses and nearly none of them holds a role.
 * `analyze` reads only the hosts with roles (and the names of a few hundred others), yet a Map of
 * every address in address order costs a sort of every address and an object per address. This
 * map holds the hosts with roles from the start and builds the full, ordered contents the first
 * time anything reads it as a Map; {@link hostsWithRoles} and {@link peekHost} answer without that.
 */
import type { HostInfo, RoleMap } from './types.js';

export class LazyHostMap extends Map<string, HostInfo> {
  private filled = false;
  private fill: (() => Iterable<HostInfo>) | null;

  /**
   * @param withRoles the hosts holding a role, in address order (the map keeps these objects).
   * @param build every host, in address order (reusing the objects of `withRoles`); called once.
   * @param peek the host an address would map to, without building the map (undefined when none).
   */
  constructor(
    readonly withRoles: readonly HostInfo[],
    build: () => Iterable<HostInfo>,
    private readonly peek: (address: string) => HostInfo | undefined,
  ) {
    super();
    this.fill = build;
  }

  /** True once the full contents exist (something read the map as a Map). */
  get isFilled(): boolean {
    return this.filled;
  }

  private ensure(): void {
    if (this.filled) return;
    this.filled = true;
    const build = this.fill!;
    this.fill = null;
    for (const h of build()) super.set(h.address, h);
  }

  /** The host for `address` without filling the map (a fresh object for a host without roles until then). */
  peekHost(address: string): HostInfo | undefined {
    return this.filled ? super.get(address) : this.peek(address);
  }

  override get size(): number {
    this.ensure();
    return super.size;
  }
  override get(key: string): HostInfo | undefined {
    this.ensure();
    return super.get(key);
  }
  override has(key: string): boolean {
    this.ensure();
    return super.has(key);
  }
  override set(key: string, value: HostInfo): this {
    this.ensure();
    return super.set(key, value);
  }
  override delete(key: string): boolean {
    this.ensure();
    return super.delete(key);
  }
  override clear(): void {
    this.ensure();
    super.clear();
  }
  override forEach(callback: (value: HostInfo, key: string, map: Map<string, HostInfo>) => void, thisArg?: unknown): void {
    this.ensure();
    super.forEach(callback, thisArg);
  }
  override keys(): MapIterator<string> {
    this.ensure();
    return super.keys();
  }
  override values(): MapIterator<HostInfo> {
    this.ensure();
    return super.values();
  }
  override entries(): MapIterator<[string, HostInfo]> {
    this.ensure();
    return super.entries();
  }
  override [Symbol.iterator](): MapIterator<[string, HostInfo]> {
    this.ensure();
    return super[Symbol.iterator]();
  }
}

/**
 * The hosts of `map` that hold at least one role, in the map's (address) order. Reads a
 * {@link LazyHostMap} that nothing filled yet without filling it; any other map is walked.
 */
export function hostsWithRoles(map: RoleMap): HostInfo[] {
  const hosts = map.hosts;
  const list = hosts instanceof LazyHostMap && !hosts.isFilled ? hosts.withRoles : hosts.values();
  const out: HostInfo[] = [];
  for (const h of list) if (h.roles.length > 0) out.push(h);
  return out;
}

/** `map.hosts.get(address)`, without filling a {@link LazyHostMap}. */
export function peekHost(map: RoleMap, address: string): HostInfo | undefined {
  return map.hosts instanceof LazyHostMap ? map.hosts.peekHost(address) : map.hosts.get(address);
}
