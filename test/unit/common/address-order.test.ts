import { describe, expect, it } from 'vitest';
import { addressOrder, compareAddresses, sortAddresses } from '../../../src/common/ip.js';
import { mulberry32 } from '../../support/rng.js';

/** The reference: a stable sort by compareAddresses, as positions. */
function referenceOrder(list: readonly string[]): number[] {
  return list.map((_, i) => i).sort((x, y) => compareAddresses(list[x], list[y]) || x - y);
}

/** Addresses of every kind the order must place: IPv4 in both spellings, IPv6 in several forms, non-addresses. */
function randomAddresses(count: number, seed: number): string[] {
  const rnd = mulberry32(seed);
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const byte = () => Math.floor(rnd() * 256);
  const word = () => Math.floor(rnd() * 65536).toString(16);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    switch (pick(['v4', 'v4', 'v4zero', 'v6', 'v6', 'v6short', 'v6upper', 'mapped', 'junk'] as const)) {
      case 'v4':
        out.push(`${pick([10, 172, 192, 20])}.${byte()}.${pick([0, 1])}.${byte()}`);
        break;
      case 'v4zero': // leading zeros: parseIp reads it, ipv4Number does not
        out.push(`010.0.${pick([0, 1])}.${String(byte()).padStart(3, '0')}`);
        break;
      case 'v6':
        out.push(`fd00::${pick(['', '1:'])}${word()}:${word()}`);
        break;
      case 'v6short':
        out.push(pick(['::1', '::', `2001:db8::${word()}`, `fe80::${word()}%eth0`]));
        break;
      case 'v6upper':
        out.push(`FD00::${word().toUpperCase()}`);
        break;
      case 'mapped':
        out.push(`::ffff:10.0.0.${byte()}`);
        break;
      case 'junk':
        out.push(pick(['host-a', 'abc', '', '10.0.0', '1:2:3', 'zz::1']));
        break;
    }
  }
  return out;
}

describe('addressOrder', () => {
  it('matches a stable sort by compareAddresses, duplicates and equal spellings included', () => {
    // Small lists sort IPv6 by comparison, large ones by radix passes: both paths.
    for (const [count, seed] of [[50, 1], [3000, 2], [20_000, 3]] as const) {
      const list = randomAddresses(count, seed);
      expect(Array.from(addressOrder(list))).toEqual(referenceOrder(list));
    }
  });

  it('with a limit, gives the first positions of the full order', () => {
    const list = randomAddresses(5000, 4);
    const full = Array.from(addressOrder(list));
    for (const limit of [0, 1, 10, 1000, 5000, 9999]) {
      expect(Array.from(addressOrder(list, limit))).toEqual(full.slice(0, limit));
    }
  });

  it('puts IPv4 first, then IPv6, then text that is not an address', () => {
    const list = ['host-a', '2001:db8::1', '10.0.0.10', '::1', '9.9.9.9', '10.0.0.9'];
    expect(Array.from(addressOrder(list), (i) => list[i])).toEqual(['9.9.9.9', '10.0.0.9', '10.0.0.10', '::1', '2001:db8::1', 'host-a']);
    expect(sortAddresses(list)).toEqual(['9.9.9.9', '10.0.0.9', '10.0.0.10', '::1', '2001:db8::1', 'host-a']);
  });

  it('puts one address written two ways in text order, whatever the input order (IPv4 and IPv6, both IPv4 paths)', () => {
    const v4 = ['10.0.0.1', '010.0.0.1', '9.0.0.1'];
    const v6 = ['2001:db8::1', '2001:DB8::1', '2001:db8:0::1', '::1'];
    for (const list of [v4, v4.slice().reverse(), v6, v6.slice().reverse()]) {
      const sorted = sortAddresses(list);
      expect(sorted).toEqual(list.includes('9.0.0.1') ? ['9.0.0.1', '010.0.0.1', '10.0.0.1'] : ['::1', '2001:DB8::1', '2001:db8:0::1', '2001:db8::1']);
    }
    // Past 2^21 addresses IPv4 sorts by comparison, not packed keys.
    const many = Array.from({ length: 2 ** 21 + 2 }, (_, i) => (i === 5 ? '10.0.0.1' : i === 6 ? '010.0.0.1' : '11.0.0.1'));
    const order = addressOrder(many, 2);
    expect(Array.from(order, (i) => many[i])).toEqual(['010.0.0.1', '10.0.0.1']);
  });
});
