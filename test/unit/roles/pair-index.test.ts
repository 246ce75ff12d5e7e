import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../../src/catalog/load.js';
import { sortAddresses } from '../../../src/common/ip.js';
import { assignRoles } from '../../../src/roles/assign.js';
import { hostsWithRoles, LazyHostMap, peekHost } from '../../../src/roles/host-map.js';
import { pairIndexFor, PairIndex, PROTO_ICMP, PROTO_TCP, PROTO_UDP, type PairGroups } from '../../../src/roles/pair-index.js';
import { healthySync, SummaryBuilder } from './summary-builder.js';

const catalog = loadCatalog('hybrid-identity');

describe('PairIndex', () => {
  const pairs = new SummaryBuilder()
    .pair('10.0.0.20', '10.0.0.10', 'tcp', 389, { flows: 4, completed: 3 })
    .pair('10.0.0.20', '10.0.0.11', 'udp', 88)
    .pair('10.0.0.30', '10.0.0.10', 'icmp', 0, { unanswered: 2 })
    .pair('10.0.0.10', '10.0.0.20', 'tcp', 445)
    .build().pairs;

  it('numbers addresses in pair order and copies the columns', () => {
    const ix = new PairIndex(pairs);
    expect(ix.addresses).toEqual(['10.0.0.20', '10.0.0.10', '10.0.0.11', '10.0.0.30']);
    expect(Array.from(ix.orig)).toEqual([0, 0, 3, 1]);
    expect(Array.from(ix.resp)).toEqual([1, 2, 1, 0]);
    expect(Array.from(ix.port)).toEqual([389, 88, 0, 445]);
    expect(Array.from(ix.proto)).toEqual([PROTO_TCP, PROTO_UDP, PROTO_ICMP, PROTO_TCP]);
    expect(Array.from(ix.flows)).toEqual([4, 1, 2, 1]);
    expect(Array.from(ix.completed)).toEqual([3, 1, 0, 1]);
  });

  it('groups pair positions by originator and by responder, the latest first', () => {
    const ix = new PairIndex(pairs);
    const group = (g: PairGroups, id: number) => {
      const items: number[] = [];
      for (let i = g.first[id]; i >= 0; i = g.next[i]) items.push(i);
      expect(items).toHaveLength(g.count[id]);
      return items;
    };
    expect(group(ix.byOrig, 0)).toEqual([1, 0]);
    expect(group(ix.byOrig, 2)).toEqual([]);
    expect(group(ix.byResp, 1)).toEqual([2, 0]);
    expect(group(ix.byResp, 0)).toEqual([3]);
    expect(Array.from(ix.order, (id) => ix.addresses[id])).toEqual(['10.0.0.10', '10.0.0.11', '10.0.0.20', '10.0.0.30']);
  });

  it('finds a remembered address by its id, and ignores an id that is not its own', () => {
    const ix = new PairIndex(pairs);
    ix.remember('10.0.0.11', 2);
    ix.remember('10.0.0.30', 0); // 0 is 10.0.0.20's
    expect(ix.idOf('10.0.0.11')).toBe(2);
    expect(ix.idOf('10.0.0.30')).toBe(3);
    expect(ix.idOf('192.0.2.1')).toBeUndefined();
  });

  it('is built once per pairs array, and again when the array changed', () => {
    const list = pairs.slice();
    const first = pairIndexFor(list);
    expect(pairIndexFor(list)).toBe(first);
    list.pop();
    const second = pairIndexFor(list);
    expect(second).not.toBe(first);
    expect(second.orig.length).toBe(3);
    list[0] = { ...list[0], origH: '10.0.0.99' };
    expect(pairIndexFor(list).addresses[0]).toBe('10.0.0.99');
  });
});

describe('the hosts map of assignRoles', () => {
  it('lists hosts with roles and peeks at others without filling the map', () => {
    const map = assignRoles(healthySync().pair('10.0.0.77', '10.0.0.10', 'tcp', 80).build(), { catalog });
    expect(map.hosts).toBeInstanceOf(LazyHostMap);
    const withRoles = hostsWithRoles(map).map((h) => h.address);
    expect(withRoles).toContain('10.0.0.10');
    expect(withRoles).not.toContain('10.0.0.77');
    expect(peekHost(map, '10.0.0.77')).toEqual({ address: '10.0.0.77', names: [], roles: [] });
    expect(peekHost(map, '192.0.2.1')).toBeUndefined();
    expect((map.hosts as LazyHostMap).isFilled).toBe(false);
    // Read as a Map, it holds every address, in address order, with the same host objects.
    expect([...map.hosts.keys()]).toEqual(sortAddresses(map.hosts.keys()));
    expect(map.hosts.get('10.0.0.10')).toBe(hostsWithRoles(map).find((h) => h.address === '10.0.0.10'));
    expect(map.hosts.has('10.0.0.77')).toBe(true);
  });

  it('once filled, reflects changes to its hosts', () => {
    const map = assignRoles(healthySync().pair('10.0.0.77', '10.0.0.10', 'tcp', 80).build(), { catalog });
    map.hosts.get('10.0.0.77')!.roles.push({ role: 'users', source: 'cli', confidence: 'high', why: 'test' });
    expect(hostsWithRoles(map).map((h) => h.address)).toContain('10.0.0.77');
  });
});
