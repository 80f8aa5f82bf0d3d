import { createHash } from 'node:crypto';
import { formatIp, fromIPv6, parseIPv4, parseIPv6 } from '@single/trusted-proxy';
import { isSpecialIPv4, isSpecialIPv6 } from '../geoip/public-address.ts';

// Who is "one fan" for "one unit per UPC/ISRC per fan, ever".
//
// Strong keys identify one buyer on their own and link units for ever: the order, the checkout and the (keyed)
// email hash. A public IP does not: a carrier-grade NAT, a campus or a relay puts thousands of fans behind one
// address. So an IP is only ever a weak key, composed with a second, non-IP signal (the billing or shipping
// ZIP and country), and a weak key links two units only when their purchases are at most the chart rule's
// `ipMatchWindowHours` apart, and only when neither carries an email: two different emails are two fans, the
// same email already matched as a strong key, and a purchase without an email says nothing about who of the
// emailed fans behind that address it was (else one guest checkout would cap every emailed fan behind one NAT
// and ZIP). A ZIP alone is never a key: thousands of fans share one.
//
// Keys are stored hashed in located_sale.fan_keys, tagged with their kind:
//   <sha256 hex>     strong (order, checkout; also every key registered before kinds existed)
//   p:<sha256 hex>   strong, and a person identifier (the email hash): the unit is "identified"
//   w:<sha256 hex>   weak (IP + ZIP + country)
// chart_fan_key stores the bare hash with its kind, so strong keys match the rows registered before.

const hash = (value: string) => createHash('sha256').update(value).digest('hex');

const PERSON = 'p:';
const WEAK = 'w:';

/** The fan facts of a sales.v1 event that identify a buyer. */
export interface FanFacts {
  emailHash?: string | undefined;
  billingZip?: string | undefined;
  billingCountry?: string | undefined;
  shippingZip?: string | undefined;
  shippingCountry?: string | undefined;
  browserIp?: string | undefined;
  checkoutToken?: string | undefined;
}

/**
 * The IP as a fan signal: a public IPv4 address as is; an IPv6 address by its /64, the one network a household
 * or a phone is given (its privacy addresses rotate inside it). Proxies, private and special addresses: none.
 */
export function ipSignal(text: string | null | undefined): string | null {
  if (!text) return null;
  const v4 = parseIPv4(text);
  if (v4 >= 0) return isSpecialIPv4(v4) ? null : formatIp({ kind: 4, value: v4 });
  const groups = parseIPv6(text);
  if (groups === null) return null;
  const ip = fromIPv6(groups);
  if (ip.kind === 4) return isSpecialIPv4(ip.value) ? null : formatIp(ip);
  if (isSpecialIPv6(groups)) return null;
  const network = new Uint16Array(8);
  network.set(groups.subarray(0, 4));
  return `${formatIp({ kind: 6, groups: network })}/64`;
}

/** ZIP and country as one signal: letters and digits only, upper case; a US ZIP+4 by its five digits. */
export function addressSignal(zip: string | null | undefined, country: string | null | undefined): string | null {
  const c = (country ?? '').trim().toUpperCase();
  let z = (zip ?? '').toUpperCase().replace(/[^0-9A-Z]/g, '');
  if (c === 'US') z = z.slice(0, 5);
  return z === '' ? null : `${c}|${z}`;
}

/** The tagged, hashed keys of a sale (see the top of this file); the order itself is always one. */
export function fanKeys(
  sale: { shopDomain: string; orderId: string; fan: FanFacts },
  captureIp: string | null,
): string[] {
  const { fan } = sale;
  const keys = [hash(`order:${sale.shopDomain}:${sale.orderId}`)];
  if (fan.checkoutToken) keys.push(hash(`checkout:${sale.shopDomain}:${fan.checkoutToken}`));
  // The same preimage as before kinds existed, so a fan's earlier units still match.
  if (fan.emailHash) keys.push(PERSON + hash(`email:${fan.emailHash}`));
  const ips = [captureIp, fan.browserIp].map(ipSignal).filter((ip) => ip !== null);
  const places = [
    addressSignal(fan.billingZip, fan.billingCountry),
    addressSignal(fan.shippingZip, fan.shippingCountry),
  ].filter((place) => place !== null);
  for (const ip of new Set(ips)) {
    for (const place of new Set(places)) keys.push(WEAK + hash(`ip+zip:${ip}|${place}`));
  }
  return [...new Set(keys)];
}

export interface SplitFanKeys {
  strong: string[];
  weak: string[];
  /** The unit carries a person identifier (an email): a weak key never links it to any other unit. */
  identified: boolean;
}

export function splitFanKeys(tagged: readonly string[]): SplitFanKeys {
  const out: SplitFanKeys = { strong: [], weak: [], identified: false };
  for (const key of tagged) {
    if (key.startsWith(WEAK)) out.weak.push(key.slice(WEAK.length));
    else if (key.startsWith(PERSON)) {
      out.strong.push(key.slice(PERSON.length));
      out.identified = true;
    } else out.strong.push(key);
  }
  return out;
}

/** A unit about to count, and what recognises its fan. */
export interface FanClaim {
  chart: string;
  /** "upc:<13 digits>" or "isrc:<ISRC>" */
  product: string;
  /** Tagged keys, as stored in located_sale.fan_keys. */
  fanKeys: readonly string[];
  saleLineId: string;
  /** When the sale happened (the moment its IP was seen): weak keys match within the window around it. */
  seenAt: Date;
  /** The chart rule in force: 0 = an IP never links two units, even with a ZIP. */
  ipMatchWindowHours: number;
}

/**
 * "One unit per UPC/ISRC per fan, ever": registers the unit's keys and answers whether no earlier unit of the
 * product shares a strong key with it, nor a weak one within the window (see the top of this file). Claims of
 * one (chart, product) must be serialised, or two units of one fan could both count.
 */
export interface FanRegistry {
  claim(claim: FanClaim): Promise<boolean>;
}

interface Sighting {
  kind: 'strong' | 'weak';
  seenAt: number;
  identified: boolean;
}

/** In memory, for tests and the demo; the Postgres one is chart_fan_key (sales.repository.ts). */
export class MemoryFanRegistry implements FanRegistry {
  private readonly seen = new Map<string, Sighting[]>();

  async claim(claim: FanClaim): Promise<boolean> {
    const { strong, weak, identified } = splitFanKeys(claim.fanKeys);
    const at = claim.seenAt.getTime();
    const windowMs = claim.ipMatchWindowHours * 3_600_000;
    const slot = (key: string) => `${claim.chart}|${claim.product}|${key}`;
    const sightings = (key: string) => this.seen.get(slot(key)) ?? [];
    const known =
      strong.some((key) => sightings(key).some((s) => s.kind === 'strong')) ||
      (windowMs > 0 &&
        !identified &&
        weak.some((key) =>
          sightings(key).some((s) => s.kind === 'weak' && Math.abs(s.seenAt - at) <= windowMs && !s.identified),
        ));
    for (const [kind, keys] of [
      ['strong', strong],
      ['weak', weak],
    ] as const) {
      for (const key of keys) this.seen.set(slot(key), [...sightings(key), { kind, seenAt: at, identified }]);
    }
    return !known;
  }
}
