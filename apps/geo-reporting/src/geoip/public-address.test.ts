import { BlockList } from 'node:net';
import { describe, expect, it } from 'vitest';
import { classifyAddress, IPV4_SPECIAL } from './public-address.ts';

describe('classifyAddress (IPv4 fast path)', () => {
  it('agrees with node:net BlockList on the same ranges for random and boundary addresses', () => {
    const reference = new BlockList();
    for (const [network, prefix] of IPV4_SPECIAL) reference.addSubnet(network, prefix, 'ipv4');
    const addresses: string[] = [];
    let seed = 42;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) >>> 0;
      return seed;
    };
    for (let i = 0; i < 20_000; i++) {
      const n = next();
      addresses.push([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.'));
    }
    addresses.push('0.0.0.0', '255.255.255.255', '9.255.255.255', '11.0.0.0', '100.63.255.255', '100.128.0.0');
    for (const address of addresses) {
      const expected = reference.check(address, 'ipv4') ? 'special' : 'public';
      expect(classifyAddress(address), address).toEqual({ kind: expected, family: 4 });
    }
  });
});
