import { describe, expect, it } from 'vitest';
import { type LineContext, type LineEvent, MemoryFanRegistry, planLine } from './eligibility.ts';
import { LUMINATE_V1 } from './rules.ts';

// Issue 14 (review F2 D2): whether a release's UPC is under review depends on another account's data (a
// rival's claim of the same UPC). Every reason that does not depend on it is decided first, so account B's
// answer for a unit that never charts anyway (a free test order, a free unit, a unit outside the territory,
// ...) is the same whether or not account A holds the UPC: no free probe tells B that A holds it.
let n = 0;
function event(type: LineEvent['type'], at: string, extra: Partial<LineEvent> = {}): LineEvent {
  n += 1;
  return {
    eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    type,
    occurredAt: new Date(at),
    shopDomain: 'rival.myshopify.com',
    orderId: '5550001001',
    orderLineId: '13001001',
    releaseId: '22222222-2222-4222-8222-222222222222',
    upc: '0602445789012',
    isrc: null,
    quantity: 1,
    unitPriceNet: '9.99',
    currency: 'USD',
    country: 'US',
    postal: '98354',
    fanKeys: ['email:abc'],
    ...extra,
  };
}

const context = (upcReview: LineContext['upcReview'], extra: Partial<LineContext> = {}): LineContext => ({
  chart: 'luminate',
  ruleSets: [LUMINATE_V1],
  testOrder: false,
  releaseInstant: null,
  releaseTerritories: [],
  upcReview,
  ...extra,
});

const sold = '2026-03-02T15:00:00Z';
const redeemed = '2026-03-02T16:00:00Z';
const refunded = '2026-03-02T17:00:00Z';
const paidAndRedeemed = (extra: Partial<LineEvent> = {}) => [
  event('sale.recorded', sold, extra),
  event('sale.redeemed', redeemed),
];

/** Units that never chart, for reasons of B's own data only, with what B must see for each. */
const cases: { name: string; events: LineEvent[]; ctx?: Partial<LineContext>; reason: string }[] = [
  { name: 'a test order', events: paidAndRedeemed(), ctx: { testOrder: true }, reason: 'test_order' },
  { name: 'a free unit', events: paidAndRedeemed({ unitPriceNet: '0.00' }), reason: 'free_unit' },
  {
    name: 'a free test order',
    events: paidAndRedeemed({ unitPriceNet: '0.00' }),
    ctx: { testOrder: true },
    reason: 'test_order',
  },
  {
    name: 'a refunded unit',
    events: [...paidAndRedeemed(), event('sale.reversed', refunded)],
    reason: 'refunded',
  },
  {
    name: 'a unit outside the chart territory',
    events: paidAndRedeemed({ country: 'FR' }),
    reason: 'out_of_territory',
  },
  {
    name: 'a unit outside the release territory',
    events: paidAndRedeemed(),
    ctx: { releaseTerritories: ['CA'] },
    reason: 'out_of_territory',
  },
  { name: 'a unit below the floor', events: paidAndRedeemed({ unitPriceNet: '0.10' }), reason: 'below_floor' },
  {
    name: 'a merch bundle that is not a fan pack',
    events: paidAndRedeemed({ merchBundle: true }),
    reason: 'not_fan_pack',
  },
  { name: 'a unit not downloaded yet', events: [event('sale.recorded', sold)], reason: 'not_redeemed' },
];

const answer = async (events: LineEvent[], ctx: LineContext) =>
  (await planLine(events, [], ctx, new MemoryFanRegistry())).map((r) => ({
    kind: r.kind,
    eligibility: r.eligibility,
    reasonCode: r.reasonCode,
    countedAt: r.countedAt,
    rulesVersion: r.rulesVersion,
    businessDate: r.businessDate,
  }));

describe('UPC review never decides before B’s own reasons', () => {
  for (const c of cases) {
    it(`answers B alike for ${c.name} whether or not another account claims the UPC`, async () => {
      const alone = await answer(c.events, context(null, c.ctx));
      expect(alone.map((r) => r.reasonCode)).toEqual([c.reason]);
      for (const review of ['under_review', 'rejected'] as const)
        expect(await answer(c.events, context(review, c.ctx))).toEqual(alone);
    });
  }

  it('still holds a real, redeemed sale pending while under review, and never charts it once rejected', async () => {
    expect((await answer(paidAndRedeemed(), context('under_review'))).map((r) => r.reasonCode)).toEqual([
      'upc_under_review',
    ]);
    expect((await answer(paidAndRedeemed(), context('rejected'))).map((r) => r.reasonCode)).toEqual(['upc_not_owned']);
    expect(await answer(paidAndRedeemed(), context(null))).toMatchObject([{ eligibility: 'eligible' }]);
    expect(await answer(paidAndRedeemed(), context('confirmed'))).toMatchObject([{ eligibility: 'eligible' }]);
  });
});
