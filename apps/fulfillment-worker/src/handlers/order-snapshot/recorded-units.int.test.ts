import { salesEventV1 } from '@single/contracts';
import { describe, expect, it } from 'vitest';
import { paidOrder, refundFixture, SHOP } from '../../test-support/fixtures.ts';
import { useOrderSnapshotTest } from '../../test-support/order-snapshots.ts';
import { applyRefund } from '../refund-create/apply-refund.ts';
import { applySnapshots } from './apply-snapshots.ts';

// A unit keeps, for life, what it was recorded under: its release (the reported one of a bundle), its amounts,
// its merch-bundle flag and fan pack. A mapping changed, re-pointed or deleted after the order, or an order edit,
// must neither move nor reprice a sale already in the stream, nor grant and chart the unit a second time.

describe('recorded units: mappings and order edits after the order (PostgreSQL)', () => {
  const t = useOrderSnapshotTest();
  const { database, now } = t;

  const db = () => database().db;
  const sales = async () =>
    (await db().salesOutbox.findMany({ orderBy: { id: 'asc' } })).map((row) => salesEventV1.parse(row.payload));
  const apply = (snapshot: ReturnType<typeof paidOrder>) => applySnapshots(t.ctx, [{ shopDomain: SHOP, snapshot }]);
  let edits = 0;
  /** The released album's line (variant 45000001) as the only line, an edit later each time it is sent again. */
  const albumLine = (line: Record<string, unknown> = {}, order: Record<string, unknown> = {}) => {
    edits += 1;
    const fixture = paidOrder();
    return paidOrder({
      updated_at: new Date(Date.parse('2026-11-20T05:03:20Z') + edits * 60_000).toISOString(),
      ...order,
      line_items: [{ ...fixture.line_items[0]!, ...line }],
    });
  };
  const refundOne = () =>
    applyRefund(
      t.database().db,
      SHOP,
      refundFixture({ refund_line_items: [{ line_item_id: 13001001, quantity: 1 }] }),
      now,
    );
  const reversals = async () =>
    (await sales())
      .filter((e) => e.type === 'sale.reversed')
      .map((e) => [e.releaseId, e.unitIndex, e.unitPriceNet, e.unitDiscount]);

  /** A bundle line: the released album (reported) and the live album, 2 units. */
  async function bundleOrder() {
    await db().productMapping.create({
      data: { shopDomain: SHOP, variantId: 45000001n, releaseId: t.catalogue.bundleAlbum, reportedRelease: false },
    });
    await apply(albumLine({ quantity: 2 }));
    expect(await db().downloadGrant.count()).toBe(4);
  }

  it('the reported release moved to the other release of the bundle after the order: the refund reverses the recorded one', async () => {
    await bundleOrder();
    await db().productMapping.updateMany({ where: { variantId: 45000001n }, data: { reportedRelease: false } });
    await db().productMapping.updateMany({
      where: { variantId: 45000001n, releaseId: t.catalogue.bundleAlbum },
      data: { reportedRelease: true },
    });
    await apply(albumLine({ quantity: 2 }));
    await refundOne();
    expect(await reversals()).toEqual([[t.catalogue.releasedAlbum, 1, '9.99', '0.00']]);
    const grants = await db().downloadGrant.findMany({ orderBy: [{ unitIndex: 'asc' }, { releaseId: 'asc' }] });
    expect(grants.filter((g) => g.reported).map((g) => [g.releaseId, g.unitIndex])).toEqual([
      [t.catalogue.releasedAlbum, 0],
      [t.catalogue.releasedAlbum, 1],
    ]);
    expect((await db().orderLine.findFirstOrThrow()).releaseId).toBe(t.catalogue.releasedAlbum);
  });

  it('the mapping deleted after the order: the line stays mapped and a refund still reverses its sale', async () => {
    await apply(albumLine({ quantity: 2 }));
    await db().productMapping.deleteMany({ where: { variantId: 45000001n } });
    await apply(albumLine({ quantity: 2 }));
    const line = await db().orderLine.findFirstOrThrow();
    expect([line.unmapped, line.releaseId]).toEqual([false, t.catalogue.releasedAlbum]);
    await refundOne();
    expect(await reversals()).toEqual([[t.catalogue.releasedAlbum, 1, '9.99', '0.00']]);
  });

  it('the mapping pointed at another release after the order: no second grant, email or sale; a new unit keeps the recorded release', async () => {
    await apply(albumLine({ quantity: 2 }));
    await db().productMapping.updateMany({
      where: { variantId: 45000001n },
      data: { releaseId: t.catalogue.bundleAlbum },
    });
    await apply(albumLine({ quantity: 2 }));
    expect(await db().downloadGrant.count()).toBe(2);
    expect(await db().emailMessage.count()).toBe(1);
    expect((await sales()).map((e) => [e.type, e.releaseId, e.unitIndex])).toEqual([
      ['sale.recorded', t.catalogue.releasedAlbum, 0],
      ['sale.recorded', t.catalogue.releasedAlbum, 1],
    ]);

    // The order edited to 3 units: the third is granted and recorded under the release the line was granted.
    await apply(albumLine({ quantity: 3 }));
    const grants = await db().downloadGrant.findMany({ orderBy: { unitIndex: 'asc' } });
    expect(grants.map((g) => [g.releaseId, g.unitIndex, g.reported])).toEqual([
      [t.catalogue.releasedAlbum, 0, true],
      [t.catalogue.releasedAlbum, 1, true],
      [t.catalogue.releasedAlbum, 2, true],
    ]);
    expect((await sales()).map((e) => [e.type, e.releaseId, e.unitIndex]).at(-1)).toEqual([
      'sale.recorded',
      t.catalogue.releasedAlbum,
      2,
    ]);
  });

  it('a line unmapped when ordered is granted and recorded once a mapping for it appears (the next snapshot)', async () => {
    const unmapped = { product_id: 8100999, variant_id: 45000999, sku: 'NH-UNMAPPED' };
    await apply(albumLine(unmapped));
    expect([(await db().orderLine.findFirstOrThrow()).unmapped, await db().downloadGrant.count()]).toEqual([true, 0]);
    await db().productMapping.create({
      data: { shopDomain: SHOP, variantId: 45000999n, releaseId: t.catalogue.bundleAlbum },
    });
    await apply(albumLine(unmapped));
    expect((await sales()).map((e) => [e.type, e.releaseId, e.unitIndex])).toEqual([
      ['sale.recorded', t.catalogue.bundleAlbum, 0],
    ]);
    expect((await db().orderLine.findFirstOrThrow()).unmapped).toBe(false);
  });

  it('an order edit after the sale (a bigger discount) does not reprice the reversal: it carries the recorded unit', async () => {
    const line = (discount: string) => ({
      quantity: 3,
      price: '10.00',
      tax_lines: [],
      discount_allocations: [{ amount: discount }],
    });
    await apply(albumLine(line('1.00')));
    expect((await sales()).map((e) => e.unitPriceNet)).toEqual(['9.66', '9.67', '9.67']);
    await apply(albumLine(line('3.00')));
    await refundOne();
    expect(await reversals()).toEqual([[t.catalogue.releasedAlbum, 2, '9.67', '0.33']]);
    const grant = await db().downloadGrant.findFirstOrThrow({ where: { unitIndex: 2 } });
    expect([String(grant.unitNet), String(grant.unitGross), String(grant.unitDiscount)]).toEqual([
      '9.67',
      '10',
      '0.33',
    ]);
  });

  it('fan-pack approval revoked after the order: the merch bundle unit is reversed as recorded (a fan pack)', async () => {
    await db().productMapping.updateMany({ where: { sku: 'NH-TEE-M-BUNDLE' }, data: { fanPack: true } });
    const fixture = paidOrder();
    const tee = (n: number) =>
      paidOrder({
        updated_at: new Date(Date.parse('2026-11-20T05:03:20Z') + n * 60_000).toISOString(),
        line_items: [{ ...fixture.line_items[2]!, quantity: 2 }],
      });
    await apply(tee(1));
    await db().productMapping.updateMany({ where: { sku: 'NH-TEE-M-BUNDLE' }, data: { fanPack: false } });
    await apply(tee(2));
    await applyRefund(
      t.database().db,
      SHOP,
      refundFixture({ refund_line_items: [{ line_item_id: 13001003, quantity: 1 }] }),
      now,
    );
    expect((await sales()).map((e) => [e.type, e.unitIndex, e.merchBundle, e.fanPack])).toEqual([
      ['sale.recorded', 0, true, true],
      ['sale.recorded', 1, true, true],
      ['sale.reversed', 1, true, true],
    ]);
  });
});
