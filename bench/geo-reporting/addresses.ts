/** Public client addresses spread over the address space, IPv4 and IPv6, none private or reserved. */
export function publicAddresses(count: number): { v4: string[]; v6: string[] } {
  const v4: string[] = [];
  const v6: string[] = [];
  let seed = 12345;
  const next = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed;
  };
  while (v4.length < count) {
    const a = 1 + (next() % 223);
    if ([10, 100, 127, 169, 172, 192, 198, 203].includes(a)) continue;
    v4.push(`${a}.${next() % 256}.${next() % 256}.${1 + (next() % 254)}`);
  }
  const prefixes = ['2001:480:10', '2a02:cf40', '2600:1700', '2a00:1450', '2607:f8b0', '2804:14c', '2400:cb00'];
  while (v6.length < count) {
    const prefix = prefixes[next() % prefixes.length];
    v6.push(`${prefix}:${(next() % 65536).toString(16)}::${(next() % 65536).toString(16)}`);
  }
  return { v4, v6 };
}
