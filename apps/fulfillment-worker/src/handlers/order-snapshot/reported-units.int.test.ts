import { salesEventV1 } from '@single/contracts';
import { describe, expect, it } from 'vitest';
import { orderSnapshot } from '../../shopify/payloads.ts';
import { paidOrder, refundFixture, SHOP, shopifyFixture } from '../../test-support/fixtures.ts';
import { useOrderSnapshotTest } from '../../test-support/order-snapshots.ts';
import { applyRefund } from '../refund-create/apply-refund.ts';
import { applySnapshots } from './apply-snapshots.ts';

// What each unit of an order reports to the charts: its net price (with gross, discount and tax beside it),
// one release per unit for bundles, merch bundles flagged, product-only mappings matched, track sales by ISRC.

describe('reported units: net price, bundles, product mappings and track sales (PostgreSQL)', () => {
  const t = useOrderSnapshotTest();
  const { database, now } = t;

  const db = () => database().db;
  const sales = async () =>
    (await db().salesOutbox.findMany({ orderBy: { id: 'asc' } })).map((row) => {
      const event = salesEventV1.parse(row.payload);
      expect(event).toEqual(row.payload); // nothing the contract does not know
      return event;
    });
  const apply = (snapshot: ReturnType<typeof paidOrder>) => applySnapshots(t.ctx, [{ shopDomain: SHOP, snapshot }]);
  const fixtureOrder = (topic: string) => orderSnapshot.parse(shopifyFixture(topic));
  /** One line of the orders/paid fixture, as its only line. */
  const oneLine = (index: number, line: Record<string, unknown> = {}, order: Record<string, unknown> = {}) => {
    const fixture = paidOrder();
    return paidOrder({ ...order, line_items: [{ ...fixture.line_items[index]!, ...line }] });
  };

  it('a discount code (US, tax on top): each unit reports its own net, the 100 %-off unit nets 0.00', async () => {
    await apply(fixtureOrder('orders/paid-discounted'));
    expect(
      (await sales()).map((e) => [
        e.orderLineId,
        e.unitIndex,
        e.unitPriceNet,
        e.unitPriceGross,
        e.unitDiscount,
        e.unitTax,
        e.currency,
      ]),
    ).toEqual([
      ['13002001', 0, '7.49', '9.99', '2.50', '0.49', 'USD'],
      ['13002001', 1, '7.50', '9.99', '2.49', '0.48', 'USD'],
      ['13002002', 0, '0.00', '10.99', '10.99', '0.00', 'USD'],
    ]);
    const lines = await db().orderLine.findMany({ orderBy: { shopifyLineId: 'asc' } });
    expect(
      lines.map((l) => [String(l.price), String(l.discountTotal), String(l.taxTotal), String(l.netTotal)]),
    ).toEqual([
      ['9.99', '4.99', '0.97', '14.99'],
      ['10.99', '10.99', '0', '0'],
    ]);
    expect((await db().order.findFirstOrThrow()).taxesIncluded).toBe(false);
  });

  it('prices with VAT included (UK, GBP): the net leaves the tax out, and a refund reverses the same amounts', async () => {
    await apply(fixtureOrder('orders/paid-tax-included'));
    await applyRefund(
      t.database().db,
      SHOP,
      refundFixture({ order_id: 5550003001, refund_line_items: [{ line_item_id: 13003001, quantity: 1 }] }),
      now,
    );
    const events = await sales();
    expect(
      events.map((e) => [e.type, e.unitPriceNet, e.unitPriceGross, e.unitDiscount, e.unitTax, e.currency]),
    ).toEqual([
      ['sale.recorded', '5.82', '7.99', '1.00', '1.17', 'GBP'],
      ['sale.reversed', '5.82', '7.99', '1.00', '1.17', 'GBP'],
    ]);
    const order = await db().order.findFirstOrThrow({ include: { lines: true } });
    expect([order.taxesIncluded, String(order.lines[0]!.netTotal)]).toEqual([true, '5.82']);
  });

  it('a two-release bundle: both releases granted and emailed, one sale per unit for the reported release; a refund reverses it once', async () => {
    // The released album's variant also carries the "Tour Live" album (not the reported release).
    await db().productMapping.create({
      data: { shopDomain: SHOP, variantId: 45000001n, releaseId: t.catalogue.bundleAlbum, reportedRelease: false },
    });
    await apply(oneLine(0, { quantity: 2 }));
    const grants = await db().downloadGrant.findMany({ orderBy: [{ unitIndex: 'asc' }, { releaseId: 'asc' }] });
    expect(grants).toHaveLength(4);
    expect(new Set(grants.map((g) => g.releaseId))).toEqual(
      new Set([t.catalogue.releasedAlbum, t.catalogue.bundleAlbum]),
    );
    const email = await db().emailMessage.findFirstOrThrow();
    expect((email.payload as { items: { releaseId: string }[] }).items.map((i) => i.releaseId).sort()).toEqual(
      [t.catalogue.releasedAlbum, t.catalogue.bundleAlbum].sort(),
    );
    expect((await sales()).map((e) => [e.type, e.releaseId, e.unitIndex])).toEqual([
      ['sale.recorded', t.catalogue.releasedAlbum, 0],
      ['sale.recorded', t.catalogue.releasedAlbum, 1],
    ]);

    await applyRefund(
      t.database().db,
      SHOP,
      refundFixture({ refund_line_items: [{ line_item_id: 13001001, quantity: 1 }] }),
      now,
    );
    const revoked = await db().downloadGrant.findMany({ where: { status: 'revoked' } });
    expect(revoked.map((g) => g.unitIndex)).toEqual([1, 1]);
    expect((await sales()).filter((e) => e.type === 'sale.reversed').map((e) => [e.releaseId, e.unitIndex])).toEqual([
      [t.catalogue.releasedAlbum, 1],
    ]);
  });

  it('a bundle with no reported release marked, or two: the earliest-created mapping reports, on every snapshot', async () => {
    await db().productMapping.updateMany({ where: { variantId: 45000001n }, data: { reportedRelease: false } });
    await db().productMapping.create({
      data: { shopDomain: SHOP, variantId: 45000001n, releaseId: t.catalogue.bundleAlbum, reportedRelease: false },
    });
    await apply(oneLine(0, {}, { id: 7001 }));
    await db().productMapping.updateMany({ where: { variantId: 45000001n }, data: { reportedRelease: true } });
    await apply(oneLine(0, {}, { id: 7002 }));
    expect((await sales()).map((e) => [e.orderId, e.releaseId])).toEqual([
      ['7001', t.catalogue.releasedAlbum],
      ['7002', t.catalogue.releasedAlbum],
    ]);
  });

  it('a merch bundle (the line ships a tee with the album) is flagged, with its fan-pack approval', async () => {
    await apply(oneLine(2, {}, { id: 7101 }));
    await db().productMapping.updateMany({ where: { sku: 'NH-TEE-M-BUNDLE' }, data: { fanPack: true } });
    await apply(oneLine(2, {}, { id: 7102 }));
    await apply(oneLine(0, {}, { id: 7103 }));
    expect((await sales()).map((e) => [e.orderId, e.merchBundle, e.fanPack])).toEqual([
      ['7101', true, false],
      ['7102', true, true],
      ['7103', undefined, undefined],
    ]);
  });

  it('a product-only mapping (no variant, no SKU) grants and reports every variant of it; a variant mapping still wins', async () => {
    await db().productMapping.create({
      data: { shopDomain: SHOP, productId: 8100077n, releaseId: t.catalogue.bundleAlbum },
    });
    // Another variant and SKU of the mapped product: only the product mapping matches.
    await apply(oneLine(0, { product_id: 8100077, variant_id: 45000777, sku: 'NH-LIVE-OTHER' }, { id: 7201 }));
    // The product mapping of the released album's product does not override its variant mapping.
    await db().productMapping.create({
      data: { shopDomain: SHOP, productId: 8100001n, releaseId: t.catalogue.bundleAlbum },
    });
    await apply(oneLine(0, {}, { id: 7202 }));
    const lines = await db().orderLine.findMany({ orderBy: { shopifyLineId: 'asc' }, include: { grants: true } });
    expect(lines.map((l) => [l.unmapped, l.releaseId, l.grants.map((g) => g.releaseId)])).toEqual([
      [false, t.catalogue.bundleAlbum, [t.catalogue.bundleAlbum]],
      [false, t.catalogue.releasedAlbum, [t.catalogue.releasedAlbum]],
    ]);
    expect((await sales()).map((e) => [e.orderId, e.releaseId])).toEqual([
      ['7201', t.catalogue.bundleAlbum],
      ['7202', t.catalogue.releasedAlbum],
    ]);
    expect(await db().emailMessage.count()).toBe(2);
  });

  it('a product mapped to one track: the grant serves that track and the sale reports its ISRC, no UPC', async () => {
    const track = await db().track.create({
      data: { releaseId: t.catalogue.releasedAlbum, position: 1, title: 'Low Tide', isrc: 'USABC2600101' },
    });
    await db().productMapping.create({
      data: { shopDomain: SHOP, variantId: 45000501n, releaseId: t.catalogue.releasedAlbum, trackId: track.id },
    });
    await apply(oneLine(0, { product_id: 8100501, variant_id: 45000501, sku: null, price: '1.29' }));
    const grant = await db().downloadGrant.findFirstOrThrow();
    expect([grant.releaseId, grant.trackId]).toEqual([t.catalogue.releasedAlbum, track.id]);
    const [event] = await sales();
    expect(event).toMatchObject({ isrc: 'USABC2600101', releaseId: t.catalogue.releasedAlbum, unitPriceNet: '1.29' });
    expect(event!.upc).toBeUndefined();

    await applySnapshots(t.ctx, [
      {
        shopDomain: SHOP,
        snapshot: paidOrder({
          ...oneLine(0, { product_id: 8100501, variant_id: 45000501, sku: null, price: '1.29' }),
          cancelled_at: '2026-11-21T10:00:00-05:00',
          updated_at: '2026-11-21T10:00:01-05:00',
        }),
      },
    ]);
    const reversed = (await sales()).find((e) => e.type === 'sale.reversed');
    expect(reversed).toMatchObject({ isrc: 'USABC2600101' });
    expect(reversed!.upc).toBeUndefined();
  });

  it("a pre-order album's instant-grat track sold on its own opens at the track's instant, not the album's", async () => {
    const track = await db().track.findFirstOrThrow({ where: { isrc: 'USABC2600001' } });
    await db().productMapping.create({
      data: { shopDomain: SHOP, variantId: 45000601n, releaseId: t.catalogue.preorderAlbum, trackId: track.id },
    });
    await apply(oneLine(1, { product_id: 8100601, variant_id: 45000601, sku: null, price: '1.29' }));
    const grant = await db().downloadGrant.findFirstOrThrow();
    expect([grant.trackId, grant.status, grant.activateAt]).toEqual([track.id, 'scheduled', t.catalogue.trackInstant]);
    const [event] = await sales();
    expect(event).toMatchObject({ isrc: 'USABC2600001', releaseId: t.catalogue.preorderAlbum });
  });
});
