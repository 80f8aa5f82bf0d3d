import { describe, expect, it } from 'vitest';
import { businessDate, isClosedDay } from './business-day.ts';
import { chartCsv, sha256 } from './chart-csv.ts';
import { type LineContext, type LineEvent, MemoryFanRegistry, planLine, type SaleLineRow } from './eligibility.ts';
import { type ChartRuleSet, LUMINATE_V1, rulesAt } from './rules.ts';

const UPC = '0602445789012';
let n = 0;
function event(type: LineEvent['type'], at: string, extra: Partial<LineEvent> = {}): LineEvent {
  n += 1;
  return {
    eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    type,
    occurredAt: new Date(at),
    shopDomain: 'single-demo.myshopify.com',
    orderId: '5550001001',
    orderLineId: '13001001',
    releaseId: '11111111-1111-4111-8111-111111111111',
    upc: UPC,
    isrc: null,
    quantity: 1,
    unitPriceNet: '9.99',
    currency: 'USD',
    country: 'US',
    postal: '98354',
    fanKeys: ['email:abc', 'order:single-demo.myshopify.com:5550001001'],
    ...extra,
  };
}

const ctx = (extra: Partial<LineContext> = {}): LineContext => ({
  chart: 'luminate',
  ruleSets: [LUMINATE_V1],
  testOrder: false,
  releaseInstant: null,
  releaseTerritories: [],
  ...extra,
});

/** Applies plans the way the store does: insert new rows, update only rows still pending. */
async function run(batches: LineEvent[][], context = ctx(), fans = new MemoryFanRegistry()) {
  const rows = new Map<string, SaleLineRow>();
  const events: LineEvent[] = [];
  for (const batch of batches) {
    events.push(...batch);
    const planned = await planLine(events, [...rows.values()], context, fans);
    for (const row of planned) {
      const key = `${row.kind}:${row.unitIndex}`;
      const current = rows.get(key);
      if (!current || current.eligibility === 'pending') rows.set(key, current ? { ...row, id: current.id } : row);
    }
  }
  return [...rows.values()].sort((a, b) => a.unitIndex - b.unitIndex || a.kind.localeCompare(b.kind));
}

describe('chart eligibility', () => {
  it('keeps a paid unit pending (not_redeemed) until the first redemption, then counts it on that business day', async () => {
    const recorded = event('sale.recorded', '2026-03-02T15:00:00Z');
    expect(await run([[recorded]])).toMatchObject([
      { eligibility: 'pending', reasonCode: 'not_redeemed', businessDate: null },
    ]);
    // 02:30 UTC on the 4th is still the 3rd in New York.
    const rows = await run([[recorded], [event('sale.redeemed', '2026-03-04T02:30:00Z')]]);
    expect(rows).toMatchObject([
      {
        kind: 'sale',
        eligibility: 'eligible',
        reasonCode: null,
        businessDate: '2026-03-03',
        rulesVersion: 1,
        zip: '98354',
      },
    ]);
    expect(rows[0]!.countedAt).toEqual(new Date('2026-03-04T02:30:00Z'));
  });

  it('counts a pre-order from max(release instant, redemption)', async () => {
    const release = new Date('2026-03-06T05:00:00Z'); // 00:00 New York on Friday the 6th
    const rows = await run(
      [[event('sale.recorded', '2026-02-20T12:00:00Z'), event('sale.redeemed', '2026-03-05T23:00:00Z')]],
      ctx({ releaseInstant: release }),
    );
    expect(rows[0]).toMatchObject({ eligibility: 'eligible', businessDate: '2026-03-06' });
    expect(rows[0]!.countedAt).toEqual(release);
  });

  it('handles a redemption that arrives before its sale (out-of-order producers)', async () => {
    const rows = await run([
      [event('sale.redeemed', '2026-03-04T16:00:00Z')],
      [event('sale.recorded', '2026-03-04T15:00:00Z')],
    ]);
    expect(rows).toMatchObject([{ eligibility: 'eligible', businessDate: '2026-03-04' }]);
  });

  it('counts one unit per UPC per fan, ever: the rest of a bulk buy is bulk_capped', async () => {
    const rows = await run([
      [event('sale.recorded', '2026-03-02T15:00:00Z', { quantity: 3 })],
      [event('sale.redeemed', '2026-03-02T16:00:00Z', { quantity: 3 })],
    ]);
    expect(rows.map((r) => [r.unitIndex, r.eligibility, r.reasonCode])).toEqual([
      [0, 'eligible', null],
      [1, 'excluded', 'bulk_capped'],
      [2, 'excluded', 'bulk_capped'],
    ]);
  });

  it('recognises the fan across orders by any shared strong identifier (email, checkout, order), transitively', async () => {
    const fans = new MemoryFanRegistry();
    const buy = (orderId: string, fanKeys: string[]) =>
      run(
        [
          [
            event('sale.recorded', '2026-03-02T15:00:00Z', { orderId, fanKeys }),
            event('sale.redeemed', '2026-03-02T16:00:00Z', { orderId }),
          ],
        ],
        ctx(),
        fans,
      );
    expect((await buy('1', ['p:a', 'checkout:x']))[0]).toMatchObject({ eligibility: 'eligible' });
    expect((await buy('2', ['p:b', 'checkout:x']))[0]).toMatchObject({ reasonCode: 'bulk_capped' }); // same checkout
    expect((await buy('3', ['p:b', 'checkout:y']))[0]).toMatchObject({ reasonCode: 'bulk_capped' }); // linked via p:b
    expect((await buy('4', ['p:c', 'checkout:z']))[0]).toMatchObject({ eligibility: 'eligible' }); // a new fan
    // the cap is per product: the same fan buying another release counts
    const other = await run(
      [
        [
          event('sale.recorded', '2026-03-02T15:00:00Z', { upc: '0602445789029' }),
          event('sale.redeemed', '2026-03-02T16:00:00Z'),
        ],
      ],
      ctx(),
      fans,
    );
    expect(other[0]).toMatchObject({ eligibility: 'eligible' });
  });

  it('applies price floors per format and currency', async () => {
    const cheapAlbum = await run([[event('sale.recorded', '2026-03-02T15:00:00Z', { unitPriceNet: '3.48' })]]);
    expect(cheapAlbum[0]).toMatchObject({ eligibility: 'excluded', reasonCode: 'below_floor' });
    const track = await run([
      [
        event('sale.recorded', '2026-03-02T15:00:00Z', { upc: null, isrc: 'USRC17607839', unitPriceNet: '0.39' }),
        event('sale.redeemed', '2026-03-02T16:00:00Z'),
      ],
    ]);
    expect(track[0]).toMatchObject({ eligibility: 'eligible', isrc: 'USRC17607839' });
    const euro = await run([[event('sale.recorded', '2026-03-02T15:00:00Z', { currency: 'EUR' })]]);
    expect(euro[0]).toMatchObject({ reasonCode: 'below_floor' }); // no floor for that currency: not reportable
  });

  it('judges by the rule version in force when the unit counts (versioned data with effective dates)', async () => {
    const v2: ChartRuleSet = {
      ...LUMINATE_V1,
      version: 2,
      effectiveFrom: new Date('2026-03-03T05:00:00Z'),
      rules: { ...LUMINATE_V1.rules, priceFloors: { album: { USD: '12.00' }, track: { USD: '0.39' } } },
    };
    const before = await run(
      [[event('sale.recorded', '2026-03-02T15:00:00Z'), event('sale.redeemed', '2026-03-02T16:00:00Z')]],
      ctx({ ruleSets: [LUMINATE_V1, v2] }),
    );
    expect(before[0]).toMatchObject({ eligibility: 'eligible', rulesVersion: 1 });
    const after = await run(
      [[event('sale.recorded', '2026-03-02T15:00:00Z'), event('sale.redeemed', '2026-03-03T16:00:00Z')]],
      ctx({ ruleSets: [LUMINATE_V1, v2] }),
    );
    expect(after[0]).toMatchObject({ eligibility: 'excluded', reasonCode: 'below_floor', rulesVersion: 2 });
    expect(rulesAt([LUMINATE_V1, v2], new Date('2019-01-01'))).toBeUndefined();
  });

  it('excludes test orders and units located outside the chart or the release territories, keeps unlocated ones', async () => {
    const sale = [event('sale.recorded', '2026-03-02T15:00:00Z'), event('sale.redeemed', '2026-03-02T16:00:00Z')];
    expect((await run([sale], ctx({ testOrder: true })))[0]).toMatchObject({ reasonCode: 'test_order' });
    const gb = [event('sale.recorded', '2026-03-02T15:00:00Z', { country: 'GB', postal: 'W1' })];
    expect((await run([gb]))[0]).toMatchObject({ reasonCode: 'out_of_territory' });
    expect((await run([sale], ctx({ releaseTerritories: ['CA'] })))[0]).toMatchObject({
      reasonCode: 'out_of_territory',
    });
    const nowhere = [
      event('sale.recorded', '2026-03-02T15:00:00Z', { country: null, postal: null }),
      event('sale.redeemed', '2026-03-02T16:00:00Z'),
    ];
    expect((await run([nowhere]))[0]).toMatchObject({ eligibility: 'eligible', zip: null, country: null });
  });

  it('turns a refund before counting into refunded, and a refund after counting into a return line', async () => {
    const notYet = await run([
      [event('sale.recorded', '2026-03-02T15:00:00Z'), event('sale.reversed', '2026-03-02T17:00:00Z')],
    ]);
    expect(notYet).toMatchObject([{ kind: 'sale', eligibility: 'excluded', reasonCode: 'refunded' }]);

    const counted = await run([
      [event('sale.recorded', '2026-03-02T15:00:00Z'), event('sale.redeemed', '2026-03-02T16:00:00Z')],
      [event('sale.reversed', '2026-03-05T14:00:00Z')],
    ]);
    expect(counted).toMatchObject([
      { kind: 'return', eligibility: 'eligible', businessDate: '2026-03-05' },
      { kind: 'sale', eligibility: 'eligible', businessDate: '2026-03-02' },
    ]);
  });

  it('reverses uncounted units before counted ones, and never twice', async () => {
    const rows = await run([
      [event('sale.recorded', '2026-03-02T15:00:00Z', { quantity: 2, fanKeys: [] })],
      [event('sale.redeemed', '2026-03-02T16:00:00Z')],
      [event('sale.reversed', '2026-03-03T16:00:00Z')],
      [event('sale.recorded', '2026-03-04T15:00:00Z', { fanKeys: [] })],
    ]);
    expect(rows.map((r) => [r.unitIndex, r.kind, r.eligibility, r.reasonCode])).toEqual([
      [0, 'sale', 'eligible', null],
      [1, 'sale', 'excluded', 'refunded'],
      [2, 'sale', 'pending', 'not_redeemed'],
    ]);
  });
});

describe('business days', () => {
  it('uses the chart time zone, across daylight saving changes', () => {
    expect(businessDate(new Date('2026-03-08T04:59:59Z'), 'America/New_York')).toBe('2026-03-07');
    expect(businessDate(new Date('2026-03-09T03:59:59Z'), 'America/New_York')).toBe('2026-03-08'); // EDT from the 8th
    expect(isClosedDay('2026-03-07', new Date('2026-03-08T05:00:00Z'), 'America/New_York')).toBe(true);
    expect(isClosedDay('2026-03-08', new Date('2026-03-08T23:00:00Z'), 'America/New_York')).toBe(false);
  });
});

describe('chart CSV', () => {
  const row = (extra: Partial<SaleLineRow>): SaleLineRow => ({
    id: 'x',
    chart: 'luminate',
    kind: 'sale',
    eligibility: 'eligible',
    reasonCode: null,
    shopDomain: 's',
    orderId: '5550001001',
    orderLineId: '13001001',
    unitIndex: 0,
    releaseId: 'r',
    upc: UPC,
    isrc: null,
    zip: '98354',
    country: 'US',
    quantity: 1,
    netPrice: '9.9',
    currency: 'USD',
    occurredAt: new Date('2026-03-02T15:00:00Z'),
    countedAt: new Date('2026-03-02T16:00:00Z'),
    rulesVersion: 1,
    businessDate: '2026-03-02',
    ...extra,
  });

  it('writes one line per eligible unit movement with UPC or ISRC, ZIP, S/R, quantity, net price, timestamps and our ids', () => {
    const csv = chartCsv(
      [
        row({
          kind: 'return',
          unitIndex: 0,
          occurredAt: new Date('2026-03-02T18:00:00Z'),
          countedAt: new Date('2026-03-02T18:00:00Z'),
        }),
        row({ orderLineId: '13001004', upc: null, isrc: 'USRC17607839', netPrice: '1.29', zip: null, country: null }),
        row({ unitIndex: 1, eligibility: 'excluded', reasonCode: 'bulk_capped' }),
        row({}),
      ],
      { retailerAccount: 'SINGLE, INC', businessDate: '2026-03-02' },
    ).toString('utf8');
    expect(csv.split('\r\n')).toEqual([
      'retailer_account,business_date,record_type,upc,isrc,zip,country,quantity,net_price,currency,sold_at,counted_at,order_id,order_line_id,unit_index',
      '"SINGLE, INC",2026-03-02,S,0602445789012,,98354,US,1,9.90,USD,2026-03-02T15:00:00.000Z,2026-03-02T16:00:00.000Z,5550001001,13001001,0',
      '"SINGLE, INC",2026-03-02,S,,USRC17607839,,,1,1.29,USD,2026-03-02T15:00:00.000Z,2026-03-02T16:00:00.000Z,5550001001,13001004,0',
      '"SINGLE, INC",2026-03-02,R,0602445789012,,98354,US,1,9.90,USD,2026-03-02T18:00:00.000Z,2026-03-02T18:00:00.000Z,5550001001,13001001,0',
      '',
    ]);
  });

  it('gives the same bytes whatever order the rows come in', () => {
    const rows = [row({}), row({ unitIndex: 1 }), row({ orderId: '1', countedAt: new Date('2026-03-02T16:00:00Z') })];
    const options = { retailerAccount: 'A', businessDate: '2026-03-02' };
    expect(sha256(chartCsv(rows, options))).toBe(sha256(chartCsv([...rows].reverse(), options)));
  });
});
