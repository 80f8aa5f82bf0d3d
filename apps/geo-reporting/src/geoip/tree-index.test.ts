import { readFileSync } from 'node:fs';
import { silentLogger } from '@single/logger';
import { Reader, type Response } from 'maxmind';
import { describe, expect, it } from 'vitest';
import { geoipFixture, shippedGeoLite2 } from '../test-support/fixtures.ts';
import { GeoIp } from './geoip.ts';
import { placeFromRecord } from './record.ts';
import { recordReader, TreeIndex } from './tree-index.ts';

/** A deterministic pseudo-random sequence, so that a failure can be replayed. */
function randoms(seed: number) {
  let state = seed >>> 0;
  return (limit: number) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % limit;
  };
}

/** Encodes node records exactly as the MaxMind DB spec lays them out (an independent writer for the reader). */
function encodeTree(nodes: readonly (readonly [number, number])[], recordSize: 24 | 28 | 32): Uint8Array {
  const nodeBytes = (recordSize * 2) / 8;
  const bytes = new Uint8Array(nodes.length * nodeBytes);
  nodes.forEach(([left, right], n) => {
    const o = n * nodeBytes;
    if (recordSize === 24) {
      bytes.set([left >>> 16, (left >>> 8) & 255, left & 255, right >>> 16, (right >>> 8) & 255, right & 255], o);
    } else if (recordSize === 28) {
      const middle = ((left >>> 24) << 4) | (right >>> 24);
      bytes.set([(left >>> 16) & 255, (left >>> 8) & 255, left & 255, middle], o);
      bytes.set([(right >>> 16) & 255, (right >>> 8) & 255, right & 255], o + 4);
    } else {
      new DataView(bytes.buffer).setUint32(o, left);
      new DataView(bytes.buffer).setUint32(o + 4, right);
    }
  });
  return bytes;
}

/** A random tree of `count` nodes: each record is a deeper node, "no data" (= count) or a data pointer. */
function randomTree(count: number, recordSize: 24 | 28 | 32, random: (limit: number) => number) {
  const max = 2 ** recordSize - 1;
  const nodes: [number, number][] = [];
  const record = (n: number) => {
    const kind = random(10);
    if (kind < 6 && n + 1 < count) return n + 1 + random(Math.min(count - n - 1, 50)); // deeper node
    if (kind < 7) return count; // no data
    return count + 1 + random(max - count); // data pointer, up to the largest the size can hold
  };
  for (let n = 0; n < count; n++) nodes.push([record(n), record(n)]);
  return nodes;
}

/** The plain walk from a start node, one bit at a time: what the index must agree with. */
function naiveWalk(
  nodes: readonly (readonly [number, number])[],
  start: number,
  bitsOf: (i: number) => number,
  depth: number,
) {
  let node = start;
  for (let bit = 0; bit < depth && node < nodes.length; bit++) node = nodes[node]![bitsOf(bit)]!;
  return node;
}

describe('recordReader', () => {
  for (const size of [24, 28, 32] as const) {
    it(`reads ${size}-bit records as the spec lays them out, up to the largest value`, () => {
      const max = 2 ** size - 1;
      const nodes: [number, number][] = [
        [0, max],
        [max, 0],
        [0x123456 % max, 0xabcdef % max],
        [max - 1, 2 ** (size - 1)],
      ];
      const read = recordReader(encodeTree(nodes, size), size);
      nodes.forEach(([left, right], n) => {
        expect([read(n, 0), read(n, 1)], `node ${n}`).toEqual([left, right]);
      });
    });
  }

  it('refuses a record size the format does not have', () => {
    expect(() => recordReader(new Uint8Array(16), 20)).toThrow(/unsupported mmdb record size 20/);
  });
});

describe('TreeIndex', () => {
  for (const size of [24, 28, 32] as const) {
    it(`ends on the same record as a plain walk, for any table width (${size}-bit records)`, () => {
      const random = randoms(size);
      const nodes = randomTree(3_000, size, random);
      const read = recordReader(encodeTree(nodes, size), size);
      for (const bits of [1, 4, 9, 16]) {
        const v4 = new TreeIndex({ read, nodeCount: nodes.length, startNode: 7, bits });
        const v6 = new TreeIndex({ read, nodeCount: nodes.length, startNode: 0, bits });
        for (let i = 0; i < 2_000; i++) {
          const address = (random(0x10000) * 0x10000 + random(0x10000)) >>> 0;
          const expected = naiveWalk(nodes, 7, (bit) => (address >>> (31 - bit)) & 1, 32);
          expect(v4.lookupIPv4(address), `bits ${bits}, ${address}`).toBe(expected);
          const groups = Uint16Array.from({ length: 8 }, () => random(0x10000));
          const expected6 = naiveWalk(nodes, 0, (bit) => (groups[bit >>> 4]! >>> (15 - (bit & 15))) & 1, 128);
          expect(v6.lookupIPv6(groups), `bits ${bits}, ${groups.join(':')}`).toBe(expected6);
        }
      }
    });
  }

  it('answers from the table alone when the tree ends above its width', () => {
    // Root: left is "no data", right a data pointer; nothing deeper.
    const nodes: [number, number][] = [[1, 42]];
    const index = new TreeIndex({ read: recordReader(encodeTree(nodes, 24), 24), nodeCount: 1, startNode: 0, bits: 8 });
    expect(index.lookupIPv4(0x7fffffff)).toBe(1);
    expect(index.lookupIPv4(0x80000000)).toBe(42);
  });
});

describe('GeoIp through the index agrees with mmdb-lib walking the tree itself', () => {
  const random = randoms(2026);
  const ipv4 = () => `${random(256)}.${random(256)}.${random(256)}.${random(256)}`;
  // Under prefixes that regional registries have handed out, so that the files do locate many of them.
  const allocated = [
    '2001',
    '2003',
    '2400',
    '2405',
    '2600',
    '2601',
    '2605',
    '2607',
    '2800',
    '2804',
    '2a00',
    '2a02',
    '2a05',
  ];
  const ipv6 = () =>
    `${allocated[random(allocated.length)]}:${Array.from({ length: 7 }, () => random(0x10000).toString(16)).join(':')}`;
  const files = [
    ['GeoIP2-City-Test (28-bit records, IPv6 tree with IPv4 inside)', geoipFixture('GeoIP2-City-Test')],
    ['GeoLite2-Country-Test', geoipFixture('GeoLite2-Country-Test')],
    ['shipped GeoLite2 IPv4 file', shippedGeoLite2('ipv4')],
    ['shipped GeoLite2 IPv6 file', shippedGeoLite2('ipv6')],
  ] as const;

  for (const [name, path] of files) {
    it(`finds the record mmdb-lib finds for random and fixture addresses: ${name}`, async () => {
      const reader = new Reader<Response>(readFileSync(path));
      const geo = new GeoIp([path], { logger: silentLogger() });
      await geo.load();
      const fixtureAddresses = ['216.160.83.56', '81.2.69.160', '2001:480:10::1', '2a02:cf40::1', '8.8.8.8'];
      const addresses = [
        ...fixtureAddresses,
        ...Array.from({ length: 3_000 }, () => (random(2) === 0 ? ipv6() : ipv4())),
      ];
      let located = 0;
      for (const address of addresses) {
        const result = geo.lookup(address);
        if (result.flags.includes('ip_special') || result.flags.includes('ipv6_no_db')) continue;
        const record = reader.get(address);
        const expected = record === null ? null : placeFromRecord(record).place;
        if (expected === null || expected.precision === 'none') {
          expect(result.place.precision, address).toBe('none');
        } else {
          expect(result.place, address).toEqual(expected);
          located++;
        }
      }
      // Guards the comparison itself: the files do locate many of these addresses.
      expect(located).toBeGreaterThan(name.startsWith('shipped') ? 100 : 3);
    });
  }
});
