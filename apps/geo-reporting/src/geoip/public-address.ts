import { isIP } from 'node:net';

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

/** IPv6 ranges as their first six hextets and a prefix (none is longer than /96). */
const ipv6Ranges = IPV6_SPECIAL.map(([network, prefix]) => [ipv6Hextets(network)!, prefix] as const);

export type AddressKind = 'public' | 'special' | 'invalid';

/** A strict dotted quad (no leading zeros) as an unsigned integer, or null. A char loop: runs per capture. */
function ipv4ToInt(address: string): number | null {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < address.length; i++) {
    const c = address.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return null;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && octet === 0) return null; // leading zero
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return null;
    } else return null;
  }
  if (dots !== 3 || digits === 0) return null;
  return value * 256 + octet;
}

/** The first six hextets of a valid IPv6 text (checked by the caller), or null when it does not parse. */
export function ipv6Hextets(address: string): number[] | null {
  const [head = '', tail] = address.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  // A trailing dotted quad stands for the last two hextets, which the ranges never reach.
  const last = right.length > 0 ? right : left;
  if (last.length > 0 && last[last.length - 1]!.includes('.')) last.splice(-1, 1, '0', '0');
  const zeros = tail === undefined ? 0 : 8 - left.length - right.length;
  const all = [...left, ...Array<string>(zeros).fill('0'), ...right];
  if (all.length !== 8) return null;
  return all.slice(0, 6).map((group) => Number.parseInt(group, 16));
}

function inIpv6Range(hextets: readonly number[], network: readonly number[], prefix: number): boolean {
  for (let i = 0, bits = prefix; bits > 0; i++, bits -= 16) {
    const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    if ((hextets[i]! & mask) !== network[i]) return false;
  }
  return true;
}

/** Classifies a canonical address (IPv4-mapped IPv6 is expected to be converted to dotted quad already). */
export function classifyAddress(address: string): { kind: AddressKind; family: 4 | 6 | null } {
  const v4 = ipv4ToInt(address);
  if (v4 !== null) {
    const isSpecial = ipv4Ranges.some(([network, mask]) => (v4 & mask) >>> 0 === network);
    return { kind: isSpecial ? 'special' : 'public', family: 4 };
  }
  if (isIP(address) !== 6) return { kind: 'invalid', family: null };
  const hextets = ipv6Hextets(address);
  if (hextets === null) return { kind: 'invalid', family: null };
  const isSpecial = ipv6Ranges.some(([network, prefix]) => inIpv6Range(hextets, network, prefix));
  return { kind: isSpecial ? 'special' : 'public', family: 6 };
}
