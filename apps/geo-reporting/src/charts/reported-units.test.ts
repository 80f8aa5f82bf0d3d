import { describe, expect, it } from 'vitest';
import { type LineContext, type LineEvent, MemoryFanRegistry, planLine } from './eligibility.ts';
import { type ChartRuleSet, LUMINATE_V1 } from './rules.ts';

// Which units of a line chart, by what the producer says of each unit: its net price (a unit given away
// never charts), merch bundles without fan-pack approval, and redemptions paired by unit index.

const RELEASE = '11111111-1111-4111-8111-111111111111';
const OTHER_RELEASE = '22222222-2222-4222-8222-222222222222';
let n = 0;
function event(type: LineEvent['type'], at: string, extra: Partial<LineEvent> = {}): LineEvent {
  n += 1;
  return {
    eventId: `00000000-0000-4000-9000-${String(n).padStart(12, '0')}`,
    type,
    occurredAt: new Date(at),
    shopDomain: 'single-demo.myshopify.com',
    orderId: '5550002001',
    orderLineId: '13002001',
    releaseId: RELEASE,
    upc: '0602445789012',
    isrc: null,
    quantity: 1,
    unitPriceNet: '7.49',
    unitIndex: 0,
    currency: 'USD',
    country: 'US',
    postal: '98354',
    fanKeys: [`order:${n}`],
    ...extra,
  };
}
const ctx = (ruleSets: ChartRuleSet[] = [LUMINATE_V1]): LineContext => ({
  chart: 'luminate',
  ruleSets,
  testOrder: false,
  releaseInstant: null,
  releaseTerritories: [],
});
const plan = (events: LineEvent[], context = ctx()) => planLine(events, [], context, new MemoryFanRegistry());
const RECORDED = '2026-03-02T15:00:00Z';
const REDEEMED = '2026-03-03T15:00:00Z';

describe('units judged on what the fan paid and what was sold', () => {
  it('a unit given away (net 0) is free_unit, final at once, even where the floor is 0', async () => {
    const free = event('sale.recorded', RECORDED, {
      unitPriceNet: '0.00',
      grossPrice: '10.99',
      discountAmount: '10.99',
    });
    expect(await plan([free])).toMatchObject([{ eligibility: 'excluded', reasonCode: 'free_unit' }]);
    const noFloor: ChartRuleSet = {
      ...LUMINATE_V1,
      version: 2,
      effectiveFrom: new Date('2026-01-01T05:00:00Z'),
      rules: { ...LUMINATE_V1.rules, priceFloors: { album: { USD: '0' }, track: { USD: '0' } } },
    };
    const redeemed = event('sale.redeemed', REDEEMED, { unitPriceNet: '0.00' });
    expect(await plan([free, redeemed], ctx([LUMINATE_V1, noFloor]))).toMatchObject([
      { eligibility: 'excluded', reasonCode: 'free_unit' },
    ]);
  });

  it('floors apply to the net: a discounted unit below the floor is below_floor whatever its list price', async () => {
    const cheap = event('sale.recorded', RECORDED, {
      unitPriceNet: '2.99',
      grossPrice: '9.99',
      discountAmount: '7.00',
    });
    expect(await plan([cheap])).toMatchObject([{ eligibility: 'excluded', reasonCode: 'below_floor' }]);
  });

  it('keeps gross, discount and tax beside the net on the unit', async () => {
    const unit = event('sale.recorded', RECORDED, { grossPrice: '9.99', discountAmount: '2.50', taxAmount: '0.49' });
    expect(await plan([unit, event('sale.redeemed', REDEEMED)])).toMatchObject([
      { eligibility: 'eligible', netPrice: '7.49', grossPrice: '9.99', discountAmount: '2.50', taxAmount: '0.49' },
    ]);
  });

  it('a merch bundle counts only as an approved fan pack; otherwise not_fan_pack, redeemed or not', async () => {
    const merch = event('sale.recorded', RECORDED, { merchBundle: true, fanPack: false });
    expect(await plan([merch, event('sale.redeemed', REDEEMED)])).toMatchObject([
      { eligibility: 'excluded', reasonCode: 'not_fan_pack' },
    ]);
    const fanPack = event('sale.recorded', RECORDED, { merchBundle: true, fanPack: true });
    expect(await plan([fanPack, event('sale.redeemed', REDEEMED)])).toMatchObject([
      { eligibility: 'eligible', reasonCode: null },
    ]);
  });

  it("pairs a redemption with the unit it names: unit 1's download does not count unit 0", async () => {
    const units = [
      event('sale.recorded', RECORDED, { unitIndex: 0 }),
      event('sale.recorded', RECORDED, { unitIndex: 1 }),
    ];
    const planned = await plan([...units, event('sale.redeemed', REDEEMED, { unitIndex: 1 })]);
    expect(planned.map((r) => [r.unitIndex, r.eligibility, r.reasonCode])).toEqual([
      [0, 'pending', 'not_redeemed'],
      [1, 'eligible', null],
    ]);
  });

  it("one redemption per unit: a second download of the unit, or another bundle release's, redeems nothing else", async () => {
    const units = [
      event('sale.recorded', RECORDED, { unitIndex: 0 }),
      event('sale.recorded', RECORDED, { unitIndex: 1 }),
    ];
    const planned = await plan([
      ...units,
      event('sale.redeemed', REDEEMED, { unitIndex: 0 }),
      event('sale.redeemed', '2026-03-04T15:00:00Z', { unitIndex: 0 }),
      event('sale.redeemed', REDEEMED, { unitIndex: 1, releaseId: OTHER_RELEASE }),
    ]);
    expect(planned.map((r) => [r.unitIndex, r.eligibility, r.businessDate])).toEqual([
      [0, 'eligible', '2026-03-03'],
      [1, 'pending', null],
    ]);
  });

  it('events without a unit index (older producers) still pair in order', async () => {
    const legacy = { unitIndex: undefined };
    const planned = await plan([
      event('sale.recorded', RECORDED, legacy),
      event('sale.recorded', RECORDED, legacy),
      event('sale.redeemed', REDEEMED, legacy),
    ]);
    expect(planned.map((r) => [r.unitIndex, r.eligibility])).toEqual([
      [0, 'eligible'],
      [1, 'pending'],
    ]);
  });

  it('a unit recorded under two releases (the old worker, a re-pointed mapping) is one unit: the first recorded stands', async () => {
    const A = (type: LineEvent['type'], unitIndex: number, at: string) => event(type, at, { unitIndex });
    const B = (type: LineEvent['type'], unitIndex: number, at: string) =>
      event(type, at, { unitIndex, releaseId: OTHER_RELEASE, upc: '0602445789029' });
    const rows = await plan([
      A('sale.recorded', 0, RECORDED),
      A('sale.recorded', 1, RECORDED),
      A('sale.redeemed', 0, REDEEMED),
      B('sale.recorded', 0, '2026-03-04T15:00:00Z'),
      B('sale.recorded', 1, '2026-03-04T15:00:00Z'),
      B('sale.reversed', 1, '2026-03-05T15:00:00Z'),
    ]);
    expect(rows.map((r) => [r.unitIndex, r.releaseId, r.kind, r.reasonCode ?? r.eligibility])).toEqual([
      [0, RELEASE, 'sale', 'eligible'],
      [1, RELEASE, 'sale', 'refunded'],
    ]);
  });
});
