import { describe, expect, it } from 'vitest';
import type { LineEvent, SaleLineRow } from './eligibility.ts';
import { planLine } from './eligibility.ts';
import { addressSignal, type FanFacts, fanKeys, ipSignal, MemoryFanRegistry, splitFanKeys } from './fan-identity.ts';
import { LUMINATE_V1, LUMINATE_V2 } from './rules.ts';

const SHOP = 'single-demo.myshopify.com';
const UPC = '0602445789012';
const NAT = '216.160.83.56'; // one public address: a carrier-grade NAT, a campus, a relay
const T0 = Date.parse('2027-01-08T15:00:00Z'); // under Luminate v2 (24-hour IP + ZIP window)
const HOUR = 3_600_000;

let n = 0;
/** One paid and redeemed unit of its own order, with the fan keys the consumer derives from the event's facts. */
function purchase(orderId: string, fan: FanFacts, at: number): LineEvent[] {
  n += 1;
  const common = {
    shopDomain: SHOP,
    orderId,
    orderLineId: `line-${orderId}`,
    releaseId: '11111111-1111-4111-8111-111111111111',
    upc: UPC,
    isrc: null,
    quantity: 1,
    unitPriceNet: '9.99',
    currency: 'USD',
    country: 'US',
    postal: '98354',
    fanKeys: fanKeys({ shopDomain: SHOP, orderId, fan }, null),
  };
  return [
    {
      ...common,
      eventId: `00000000-0000-4000-8000-${String(2 * n).padStart(12, '0')}`,
      type: 'sale.recorded',
      occurredAt: new Date(at),
    },
    {
      ...common,
      eventId: `00000000-0000-4000-8000-${String(2 * n + 1).padStart(12, '0')}`,
      type: 'sale.redeemed',
      occurredAt: new Date(at + 60_000),
    },
  ];
}

/** Plans each purchase as the consumer does (one order line at a time, one registry) and returns its unit. */
async function chart(purchases: LineEvent[][], ruleSets = [LUMINATE_V1, LUMINATE_V2]) {
  const fans = new MemoryFanRegistry();
  const out: SaleLineRow[] = [];
  for (const events of purchases) {
    const ctx = { chart: 'luminate', ruleSets, testOrder: false, releaseInstant: null, releaseTerritories: [] };
    out.push(...(await planLine(events, [], ctx, fans)));
  }
  return out.map((row) => row.reasonCode ?? row.eligibility);
}

const times = (count: number, make: (i: number) => LineEvent[]) => Array.from({ length: count }, (_, i) => make(i));
const tally = (outcomes: string[]) => {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o] = (counts[o] ?? 0) + 1;
  return counts;
};

describe('fan identity: an IP never merges two fans on its own', () => {
  it('50 fans behind one address (distinct emails, same ZIP, same hour) each chart once', async () => {
    const outcomes = await chart(
      times(50, (i) =>
        purchase(
          `o${i}`,
          { emailHash: `fan-${i}`, browserIp: NAT, billingZip: '98354', billingCountry: 'US' },
          T0 + i * 60_000,
        ),
      ),
    );
    expect(tally(outcomes)).toEqual({ eligible: 50 });
  });

  it('one fan buying 50 times with one email charts once, whatever the IP', async () => {
    const outcomes = await chart(
      times(50, (i) => purchase(`o${i}`, { emailHash: 'same', browserIp: `81.2.69.${i + 1}` }, T0 + i * 7 * 24 * HOUR)),
    );
    expect(tally(outcomes)).toEqual({ eligible: 1, bulk_capped: 49 });
  });

  it('one fan without an email (redacted) buying 50 times from one IP and ZIP within the window charts once', async () => {
    const fan = { browserIp: NAT, billingZip: '98354-1234', billingCountry: 'US' };
    const outcomes = await chart(times(50, (i) => purchase(`o${i}`, fan, T0 + i * 20 * 60_000)));
    expect(tally(outcomes)).toEqual({ eligible: 1, bulk_capped: 49 });
  });

  it('the same IP and ZIP outside the window is a new fan; inside it, in either order, the same one', async () => {
    const fan = { browserIp: NAT, shippingZip: '98354', shippingCountry: 'US' };
    expect(await chart([purchase('a', fan, T0), purchase('b', fan, T0 + 25 * HOUR)])).toEqual(['eligible', 'eligible']);
    // Judged at redemption, in any order: the window is around each sale, not only after the first one judged.
    expect(await chart([purchase('a', fan, T0 + 23 * HOUR), purchase('b', fan, T0)])).toEqual([
      'eligible',
      'bulk_capped',
    ]);
  });

  it('an IP alone, or a ZIP alone, never links two units', async () => {
    expect(await chart([purchase('a', { browserIp: NAT }, T0), purchase('b', { browserIp: NAT }, T0 + HOUR)])).toEqual([
      'eligible',
      'eligible',
    ]);
    const zipOnly = { billingZip: '98354', billingCountry: 'US' };
    expect(await chart([purchase('a', zipOnly, T0), purchase('b', zipOnly, T0 + HOUR)])).toEqual([
      'eligible',
      'eligible',
    ]);
  });

  it('IP + ZIP links only purchases without an email: one guest checkout does not cap the emailed fans behind it', async () => {
    const place = { browserIp: NAT, billingZip: '98354', billingCountry: 'US' };
    // The purchase without an email could be any of the fans behind the address: it links none of the emailed ones.
    const emailed = Array.from({ length: 49 }, (_, i) =>
      purchase(`e${i}`, { ...place, emailHash: `fan-${i}` }, T0 + i),
    );
    expect(await chart([purchase('guest', place, T0 - HOUR), ...emailed])).toEqual(Array(50).fill('eligible'));
    expect(await chart([purchase('a', { ...place, emailHash: 'x' }, T0), purchase('b', place, T0 + 2 * HOUR)])).toEqual(
      ['eligible', 'eligible'],
    );
    // Two purchases without an email from one address and ZIP within the window: one fan buying twice.
    expect(await chart([purchase('a', place, T0), purchase('b', place, T0 + 2 * HOUR)])).toEqual([
      'eligible',
      'bulk_capped',
    ]);
  });

  it('the window is a versioned rule: under Luminate v1 (no window) IP + ZIP links nothing', async () => {
    const fan = { browserIp: NAT, billingZip: '98354', billingCountry: 'US' };
    expect(await chart([purchase('a', fan, T0), purchase('b', fan, T0 + HOUR)], [LUMINATE_V1])).toEqual([
      'eligible',
      'eligible',
    ]);
    const narrow = { ...LUMINATE_V2, version: 3, rules: { ...LUMINATE_V2.rules, ipMatchWindowHours: 1 } };
    expect(await chart([purchase('a', fan, T0), purchase('b', fan, T0 + 2 * HOUR)], [narrow])).toEqual([
      'eligible',
      'eligible',
    ]);
  });
});

describe('fan keys', () => {
  const keysOf = (fan: FanFacts, captureIp: string | null = null) =>
    splitFanKeys(fanKeys({ shopDomain: SHOP, orderId: '1001', fan }, captureIp));

  it('are strong for the order, the checkout and the email, and weak only for an IP with a ZIP', () => {
    expect(keysOf({ browserIp: NAT })).toMatchObject({ weak: [], identified: false });
    expect(keysOf({ browserIp: NAT }).strong).toHaveLength(1); // the order
    const full = keysOf({
      emailHash: 'e',
      checkoutToken: 'c',
      browserIp: NAT,
      billingZip: '98354',
      billingCountry: 'US',
    });
    expect(full).toMatchObject({ identified: true });
    expect([full.strong.length, full.weak.length]).toEqual([3, 1]);
    // capture IP x browser IP x billing and shipping ZIP, without duplicates
    const both = keysOf(
      {
        browserIp: '81.2.69.142',
        billingZip: '98354',
        billingCountry: 'US',
        shippingZip: '10001',
        shippingCountry: 'US',
      },
      NAT,
    );
    expect(both.weak).toHaveLength(4);
  });

  it('never take a private, shared or special address as a fan signal', () => {
    for (const ip of ['10.0.0.7', '100.64.1.2', '192.168.1.1', '127.0.0.1', 'fe80::1', 'not-an-ip', '']) {
      expect(ipSignal(ip)).toBeNull();
      expect(keysOf({ browserIp: ip, billingZip: '98354', billingCountry: 'US' }).weak).toEqual([]);
    }
  });

  it('read an IPv6 address by its /64 and IPv4-mapped IPv6 as IPv4; a US ZIP+4 by its five digits', () => {
    expect(ipSignal('2a02:cf40:1:2:aaaa::1')).toBe(ipSignal('2a02:cf40:1:2:bbbb:cccc:dddd:eeee'));
    expect(ipSignal('2a02:cf40:1:2:aaaa::1')).toBe('2a02:cf40:1:2::/64');
    expect(ipSignal('::ffff:216.160.83.56')).toBe(NAT);
    expect(addressSignal('98354-1234', 'us')).toBe(addressSignal('98354', 'US'));
    expect(addressSignal('sw1a 1aa', 'GB')).toBe('GB|SW1A1AA');
    expect(addressSignal('  ', 'US')).toBeNull();
  });

  it('carry no raw identifier (hashes only)', () => {
    const keys = fanKeys(
      { shopDomain: SHOP, orderId: '1001', fan: { emailHash: 'e', browserIp: NAT, billingZip: '98354' } },
      null,
    );
    for (const key of keys) expect(key).toMatch(/^(p:|w:)?[0-9a-f]{64}$/);
  });
});
