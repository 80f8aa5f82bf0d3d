import { parseIPv4, parseIPv6 } from '@single/trusted-proxy';

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

/** IPv4 ranges as [network, mask] integers: a parsed address is checked with a few integer ops. */
const ipv4Ranges = IPV4_SPECIAL.map(([network, prefix]) => {
  const mask = (0xffffffff << (32 - prefix)) >>> 0;
  return [(parseIPv4(network) & mask) >>> 0, mask] as const;
});

export const IPV6_SPECIAL = [
  ['::', 96], // unspecified, loopback and the deprecated IPv4-compatible range
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const;

/** IPv6 ranges as their eight groups and a prefix. */
const ipv6Ranges = IPV6_SPECIAL.map(([network, prefix]) => [parseIPv6(network)!, prefix] as const);

export type AddressKind = 'public' | 'special' | 'invalid';

function inIpv6Range(groups: Uint16Array, network: Uint16Array, prefix: number): boolean {
  for (let i = 0, bits = prefix; bits > 0; i++, bits -= 16) {
    const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    if ((groups[i]! & mask) !== network[i]) return false;
  }
  return true;
}

/** A parsed IPv4 address (unsigned 32-bit) in a special-purpose range. */
export function isSpecialIPv4(value: number): boolean {
  return ipv4Ranges.some(([network, mask]) => (value & mask) >>> 0 === network);
}

/** A parsed IPv6 address in a special-purpose range. */
export function isSpecialIPv6(groups: Uint16Array): boolean {
  return ipv6Ranges.some(([network, prefix]) => inIpv6Range(groups, network, prefix));
}

/**
 * Classifies a canonical address (IPv4-mapped IPv6 is expected to be converted to dotted quad already), with
 * @single/trusted-proxy's strict parsers: char loops that run on every capture, no regex, no zone ids.
 */
export function classifyAddress(address: string): { kind: AddressKind; family: 4 | 6 | null } {
  const v4 = parseIPv4(address);
  if (v4 >= 0) return { kind: isSpecialIPv4(v4) ? 'special' : 'public', family: 4 };
  const groups = parseIPv6(address);
  if (groups === null) return { kind: 'invalid', family: null };
  return { kind: isSpecialIPv6(groups) ? 'special' : 'public', family: 6 };
}
