import type { SeededRelease } from './seed.ts';
import type { DemoOrder } from './shopify.ts';

/** Public addresses whose GeoLite2 records name a city, so each sale lands in a real territory. */
export const FANS = [
  { ip: '216.160.83.56', country: 'US' }, // Tacoma
  { ip: '81.2.69.142', country: 'GB' }, // Bracknell
  { ip: '1.128.0.1', country: 'AU' }, // Brisbane
  { ip: '62.4.1.1', country: 'FR' }, // Paris
  { ip: '99.228.0.1', country: 'CA' }, // Richmond Hill
  { ip: '2.125.160.216', country: 'GB' }, // Plymouth
  { ip: '203.2.218.214', country: 'AU' }, // Sydney
  { ip: '89.160.20.112', country: 'SE' }, // Kristinehamn
] as const;

export const FAN_ADDRESSES = FANS.map((fan) => fan.ip);

const US_BILLING = [
  { zip: '98354', province: 'WA' },
  { zip: '10001', province: 'NY' },
  { zip: '60614', province: 'IL' },
  { zip: '94110', province: 'CA' },
] as const;

export type OrderKind = 'out-now' | 'preorder' | 'both';

export interface PlannedOrder {
  order: DemoOrder;
  kind: OrderKind;
  /** Where the fan is: the billing country, else the country of the fan's address in GeoLite2. */
  country: string;
}

/**
 * The fans of the storm, one order each (a distinct fan, so none is capped as bulk buying): a third buy the
 * album out now, a third pre-order the next one, a third both. A third of the orders carry a US billing
 * address; the others arrive redacted (no protected-data approval), so the checkout's geo capture locates them.
 */
export function planOrders(count: number, outNow: SeededRelease, preorder: SeededRelease): PlannedOrder[] {
  const createdAt = new Date().toISOString();
  return Array.from({ length: count }, (_, i) => {
    const kind: OrderKind = (['both', 'out-now', 'preorder'] as const)[i % 3] as OrderKind;
    const id = 5_550_010_000 + i;
    const releases = kind === 'both' ? [outNow, preorder] : kind === 'out-now' ? [outNow] : [preorder];
    const billing =
      i % 3 === 0
        ? { ...(US_BILLING[(i / 3) % US_BILLING.length] as (typeof US_BILLING)[number]), country: 'US' }
        : null;
    const fan = FANS[i % FANS.length] as (typeof FANS)[number];
    return {
      kind,
      country: billing?.country ?? fan.country,
      order: {
        id,
        name: `#${2001 + i}`,
        email: `fan${String(i + 1).padStart(3, '0')}@example.com`,
        customerId: 7_770_100 + i,
        browserIp: fan.ip,
        checkoutToken: `demo${id.toString(36)}checkout${i}`,
        billing,
        createdAt,
        lines: releases.map((release, j) => ({ ...release.line, lineId: 13_010_000 + i * 10 + j, quantity: 1 })),
      },
    };
  });
}
