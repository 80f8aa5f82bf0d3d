import { BlockList, isIP } from 'node:net';

// Addresses that never identify a fan's place: private, shared (CGNAT), loopback, link-local, documentation,
// multicast and other special-purpose ranges (IANA special-purpose registries). Such an address reaching the
// geo pipeline is a proxy or an internal caller, so it is flagged and never looked up.
export const IPV4_SPECIAL = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const;

/** IPv4 ranges as [network, mask] integers: canonical dotted quads are checked with a few integer ops. */
const ipv4Ranges = IPV4_SPECIAL.map(([network, prefix]) => {
  const mask = (0xffffffff << (32 - prefix)) >>> 0;
  return [((ipv4ToInt(network) ?? 0) & mask) >>> 0, mask] as const;
});

const special = new BlockList();
for (const [network, prefix] of [
  ['::', 96], // unspecified, loopback and the deprecated IPv4-compatible range
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  special.addSubnet(network, prefix, 'ipv6');
}

export type AddressKind = 'public' | 'special' | 'invalid';

/** Classifies a canonical address (IPv4-mapped IPv6 is expected to be converted to dotted quad already). */
/** A strict dotted quad as an unsigned integer, or null. */
function ipv4ToInt(address: string): number | null {
  const parts = address.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

export function classifyAddress(address: string): { kind: AddressKind; family: 4 | 6 | null } {
  const v4 = ipv4ToInt(address);
  if (v4 !== null) {
    const isSpecial = ipv4Ranges.some(([network, mask]) => (v4 & mask) >>> 0 === network);
    return { kind: isSpecial ? 'special' : 'public', family: 4 };
  }
  const family = isIP(address);
  if (family === 0) return { kind: 'invalid', family: null };
  const type = family === 4 ? 'ipv4' : 'ipv6';
  return { kind: special.check(address, type) ? 'special' : 'public', family: family as 4 | 6 };
}
