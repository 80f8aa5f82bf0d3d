import { BlockList, isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { classifyAddress, IPV4_SPECIAL, IPV6_SPECIAL } from './public-address.ts';

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

  it('refuses what is not a strict dotted quad', () => {
    for (const address of ['1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.256', '1..2.3', '1.2.3.', ' 1.2.3.4', '1.2.3.4a']) {
      expect(classifyAddress(address).family, address).not.toBe(4);
    }
  });
});

describe('classifyAddress (IPv6)', () => {
  it('agrees with node:net BlockList on the same ranges, compressed or not, upper or lower case', () => {
    const reference = new BlockList();
    for (const [network, prefix] of IPV6_SPECIAL) reference.addSubnet(network, prefix, 'ipv6');
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) >>> 0;
      return seed >>> 16;
    };
    // Random hextets, some of them forced into or next to the special ranges' leading groups.
    const leads = [0, 0x64, 0x100, 0x2001, 0xfc00, 0xfdff, 0xfe80, 0xfebf, 0xfec0, 0xff00, 0x2002, 0x1ff];
    const addresses: string[] = ['::', '::1', '::1.2.3.4', '64:ff9b:1::1', '64:ff9b:2::1', '2001:db8::1', '2001:1ff::'];
    for (let i = 0; i < 20_000; i++) {
      const groups = Array.from({ length: 8 }, () => next());
      if (i % 2 === 0) groups[0] = leads[i % leads.length]!;
      if (i % 3 === 0) groups.fill(0, 1, 1 + (i % 7));
      const text = groups.map((g) => g.toString(16)).join(':');
      addresses.push(i % 5 === 0 ? text.toUpperCase() : text);
      addresses.push(new URL(`http://[${text}]/`).hostname.slice(1, -1)); // compressed form
    }
    for (const address of addresses) {
      const expected = reference.check(address, 'ipv6') ? 'special' : 'public';
      expect(classifyAddress(address), address).toEqual({ kind: expected, family: 6 });
    }
  });

  it('takes as IPv6 exactly what node:net takes, except zone ids, which never name a fan', () => {
    const samples = [
      '::',
      '::1',
      '1::',
      '1:2:3:4:5:6:7:8',
      '1:2:3:4:5:6:7::',
      '::2:3:4:5:6:7:8',
      '1:2:3:4:5:6::8',
      '1::2::3',
      ':::',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7',
      '12345::',
      'g::1',
      ':1::',
      '1::2:',
      '::ffff:1.2.3.4',
      '::1.2.3.4',
      '1:2:3:4:5:6:1.2.3.4',
      '1:2:3:4:5:6:7:1.2.3.4',
      '::1.2.3',
      '::1.2.3.04',
      '::256.1.1.1',
      'FE80::ABCD',
      '2001:DB8::',
      ' ::1',
      '::1 ',
      '[::1]',
      '2001:db8::/32',
      '1.2.3.4',
    ];
    for (const address of samples) {
      expect(classifyAddress(address).family === 6, address).toBe(isIP(address) === 6);
    }
    for (const zoned of ['fe80::1%eth0', '::1%1']) {
      expect(isIP(zoned)).toBe(6);
      expect(classifyAddress(zoned), zoned).toEqual({ kind: 'invalid', family: null });
    }
  });
});
