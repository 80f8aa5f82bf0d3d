import {
  formatIPv4,
  formatIPv6,
  type IpAddress,
  isIPv4Mapped,
  parseIPv4,
  parseIPv6,
  parseSocketAddress,
} from './ip-address.ts';

/** Shortest prefixes we accept: anything wider trusts far more than our own proxies. */
export const MIN_IPV4_PREFIX = 8;
export const MIN_IPV6_PREFIX = 32;

export type TrustedProxyConfigIssue = { readonly index: number; readonly entry: string; readonly reason: string };

/** Thrown by `compileTrustedProxies` with every rejected entry, so one start-up shows all problems at once. */
export class TrustedProxyConfigError extends Error {
  override readonly name = 'TrustedProxyConfigError';
  readonly issues: readonly TrustedProxyConfigIssue[];

  constructor(issues: readonly TrustedProxyConfigIssue[]) {
    super(
      `Invalid trusted proxy list: ${issues
        .map((issue) => `entry ${issue.index} ${JSON.stringify(issue.entry)}: ${issue.reason}`)
        .join('; ')}`,
    );
    this.issues = issues;
  }
}

type Ipv4Range = { readonly network: number; readonly mask: number };
type Ipv6Range = { readonly network: Uint16Array; readonly prefix: number };

/** A compiled, immutable set of trusted proxy ranges. Build it once at start-up with `compileTrustedProxies`. */
export class TrustedProxies {
  /** The ranges in canonical CIDR form (`10.0.0.0/8`, `2001:db8::/32`), in configuration order. */
  readonly ranges: readonly string[];
  /**
   * Start-up warnings (an empty list trusts no proxy; host bits were masked). The caller logs them: this package
   * has no logger on purpose.
   */
  readonly warnings: readonly string[];
  readonly #v4: readonly Ipv4Range[];
  readonly #v6: readonly Ipv6Range[];

  constructor(v4: Ipv4Range[], v6: Ipv6Range[], ranges: string[], warnings: string[]) {
    this.#v4 = v4;
    this.#v6 = v6;
    this.ranges = Object.freeze(ranges);
    this.warnings = Object.freeze(warnings);
    Object.freeze(this);
  }

  /** Whether a parsed address lies in a trusted range. IPv4 only matches IPv4 ranges, IPv6 only IPv6 ranges. */
  matches(ip: IpAddress): boolean {
    if (ip.kind === 4) {
      for (const range of this.#v4) {
        if ((ip.value & range.mask) >>> 0 === range.network) return true;
      }
      return false;
    }
    for (const range of this.#v6) {
      if (ipv6InRange(ip.groups, range)) return true;
    }
    return false;
  }

  /** Whether an address (IPv4, or IPv6 with optional zone id; mapped IPv6 counts as IPv4) is trusted. */
  has(address: string): boolean {
    const ip = parseSocketAddress(address);
    return ip !== null && this.matches(ip);
  }
}

function ipv6InRange(groups: Uint16Array, range: Ipv6Range): boolean {
  const whole = range.prefix >>> 4;
  for (let i = 0; i < whole; i++) {
    if (groups[i] !== range.network[i]) return false;
  }
  const bits = range.prefix & 15;
  if (bits === 0) return true;
  const mask = (0xffff << (16 - bits)) & 0xffff;
  return (groups[whole]! & mask) === range.network[whole];
}

function ipv4Mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

const PREFIX_PATTERN = /^(?:0|[1-9][0-9]{0,2})$/;

type Compiled =
  | {
      readonly ok: true;
      readonly v4?: Ipv4Range;
      readonly v6?: Ipv6Range;
      readonly cidr: string;
      readonly masked: boolean;
    }
  | { readonly ok: false; readonly reason: string };

function compileEntry(entry: string): Compiled {
  if (entry.length === 0) return { ok: false, reason: 'empty entry' };
  if (entry.includes('%')) return { ok: false, reason: 'zone ids are not allowed' };
  const slash = entry.indexOf('/');
  const addressText = slash < 0 ? entry : entry.slice(0, slash);
  let prefix: number | undefined;
  if (slash >= 0) {
    const prefixText = entry.slice(slash + 1);
    if (parseIPv4(prefixText) >= 0 || prefixText.includes('.')) {
      return { ok: false, reason: 'netmask notation is not allowed; use a prefix length' };
    }
    if (!PREFIX_PATTERN.test(prefixText)) {
      return { ok: false, reason: 'prefix length must be a decimal number without sign or leading zeros' };
    }
    prefix = Number(prefixText);
    if (prefix === 0) return { ok: false, reason: '/0 would trust every address' };
  }

  if (!addressText.includes(':')) {
    const value = parseIPv4(addressText);
    if (value < 0)
      return { ok: false, reason: 'not an IPv4 or IPv6 address (names and non-dotted forms are not allowed)' };
    return compileV4(value, prefix ?? 32, 'IPv4');
  }
  const groups = parseIPv6(addressText);
  if (groups === null) return { ok: false, reason: 'not a valid IPv6 address' };
  if (isIPv4Mapped(groups)) {
    // Mapped peers are matched as IPv4, so a mapped range is the IPv4 range it embeds.
    const mappedPrefix = prefix ?? 128;
    if (mappedPrefix > 128) return { ok: false, reason: 'IPv6 prefix length must be at most 128' };
    if (mappedPrefix < 96) {
      return {
        ok: false,
        reason: 'an IPv4-mapped range needs a prefix of at least /96 (it must stay inside ::ffff:0:0/96)',
      };
    }
    return compileV4(groups[6]! * 0x10000 + groups[7]!, mappedPrefix - 96, 'IPv4-mapped');
  }
  return compileV6(groups, prefix ?? 128);
}

function compileV4(value: number, prefix: number, label: string): Compiled {
  if (prefix > 32) return { ok: false, reason: 'IPv4 prefix length must be at most 32' };
  if (prefix < MIN_IPV4_PREFIX) {
    return { ok: false, reason: `${label} prefix is wider than /${MIN_IPV4_PREFIX} (IPv4) and would trust too much` };
  }
  const mask = ipv4Mask(prefix);
  const network = (value & mask) >>> 0;
  return { ok: true, v4: { network, mask }, cidr: `${formatIPv4(network)}/${prefix}`, masked: network !== value };
}

function compileV6(groups: Uint16Array, prefix: number): Compiled {
  if (prefix > 128) return { ok: false, reason: 'IPv6 prefix length must be at most 128' };
  if (prefix < MIN_IPV6_PREFIX) {
    return { ok: false, reason: `IPv6 prefix is wider than /${MIN_IPV6_PREFIX} and would trust too much` };
  }
  const network = new Uint16Array(8);
  let masked = false;
  for (let i = 0; i < 8; i++) {
    const bits = Math.min(16, Math.max(0, prefix - i * 16));
    const mask = bits === 0 ? 0 : (0xffff << (16 - bits)) & 0xffff;
    network[i] = groups[i]! & mask;
    if (network[i] !== groups[i]) masked = true;
  }
  return { ok: true, v6: { network, prefix }, cidr: `${formatIPv6(network)}/${prefix}`, masked };
}

/**
 * Validates and compiles the trusted proxy list (addresses and CIDRs) once, at start-up.
 * Throws `TrustedProxyConfigError` listing every rejected entry. An empty list is valid — every peer is then
 * untrusted — and is reported in `warnings`, which the caller should log.
 */
export function compileTrustedProxies(list: readonly string[]): TrustedProxies {
  const v4: Ipv4Range[] = [];
  const v6: Ipv6Range[] = [];
  const ranges: string[] = [];
  const warnings: string[] = [];
  const issues: TrustedProxyConfigIssue[] = [];
  list.forEach((entry, index) => {
    if (typeof entry !== 'string') {
      issues.push({ index, entry: String(entry), reason: 'entry is not a string' });
      return;
    }
    const compiled = compileEntry(entry);
    if (!compiled.ok) {
      issues.push({ index, entry, reason: compiled.reason });
      return;
    }
    if (compiled.v4) v4.push(compiled.v4);
    if (compiled.v6) v6.push(compiled.v6);
    ranges.push(compiled.cidr);
    if (compiled.masked)
      warnings.push(`trusted proxy entry ${JSON.stringify(entry)} has host bits set; using ${compiled.cidr}`);
  });
  if (issues.length > 0) throw new TrustedProxyConfigError(issues);
  if (list.length === 0) {
    warnings.push(
      'trusted proxy list is empty: every socket peer is treated as the client and forwarding headers are ignored',
    );
  }
  return new TrustedProxies(v4, v6, ranges, warnings);
}
