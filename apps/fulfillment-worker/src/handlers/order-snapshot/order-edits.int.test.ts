import { salesEventV1 } from '@single/contracts';
import { describe, expect, it } from 'vitest';
import { paidOrder, refundFixture, SHOP } from '../../test-support/fixtures.ts';
import { useOrderSnapshotTest } from '../../test-support/order-snapshots.ts';
import { applyRefund } from '../refund-create/apply-refund.ts';
import { applySnapshots } from './apply-snapshots.ts';

// An order edit that lowers a line's quantity takes units away like a refund does: the units above what the line
// still owes (quantity - refunded) are revoked and their sales reversed when the edit arrives. A refund then takes
// exactly the refunded units. Units owed again (the quantity rose again) are new units: new indexes, new links, a
// new email and their own sale.recorded (a unit index is never reused).

describe('order edits that change a line quantity (PostgreSQL)', () => {
  const t = useOrderSnapshotTest();
  const { database, now } = t;

  const db = () => database().db;
  const sales = async () =>
    (await db().salesOutbox.findMany({ orderBy: { id: 'asc' } })).map((row) => salesEventV1.parse(row.payload));
  let edits = 0;
  /** The released album's line (variant 45000001, line 13001001) as the only line, an edit later each time. */
  const albumLine = (quantity: number) => {
    edits += 1;
    const fixture = paidOrder();
    return paidOrder({
      updated_at: new Date(Date.parse('2026-11-20T05:03:20Z') + edits * 60_000).toISOString(),
      line_items: [{ ...fixture.line_items[0]!, quantity, price: '10.00', tax_lines: [] }],
    });
  };
  const apply = (quantity: number) => applySnapshots(t.ctx, [{ shopDomain: SHOP, snapshot: albumLine(quantity) }]);
  const refund = (id: number, quantity: number) =>
    applyRefund(
      t.database().db,
      SHOP,
      refundFixture({ id, refund_line_items: [{ line_item_id: 13001001, quantity }] }),
      now,
    );
  const grants = async () =>
    (await db().downloadGrant.findMany({ orderBy: { unitIndex: 'asc' } })).map((g) => [g.unitIndex, g.status]);
  const events = async () => (await sales()).map((e) => [e.type, e.unitIndex]);

  it('3 units edited to 1: units 1 and 2 are revoked and reversed; a refund of 1 then reverses exactly unit 0', async () => {
    await apply(3);
    const edited = await apply(1);
    expect(edited).toEqual([expect.objectContaining({ status: 'applied', grantsCreated: 0, grantsRevoked: 2 })]);
    expect(await grants()).toEqual([
      [0, 'active'],
      [1, 'revoked'],
      [2, 'revoked'],
    ]);
    expect(await events()).toEqual([
      ['sale.recorded', 0],
      ['sale.recorded', 1],
      ['sale.recorded', 2],
      ['sale.reversed', 1],
      ['sale.reversed', 2],
    ]);

    expect(await refund(9001, 1)).toEqual({ status: 'applied', grantsRevoked: 1 });
    expect((await events()).slice(5)).toEqual([['sale.reversed', 0]]);
    // A replay of the edit changes nothing more.
    await applySnapshots(t.ctx, [{ shopDomain: SHOP, snapshot: albumLine(1) }]);
    expect(await events()).toHaveLength(6);
  });

  it('the quantity raised again: the units owed again are new units with working links, a new email and their sales', async () => {
    await apply(3);
    await apply(1);
    await refund(9001, 1);
    const firstIds = new Set((await db().downloadGrant.findMany()).map((g) => g.id));

    // 3 ordered, 1 refunded: the fan paid for 2 and holds 2 working links.
    const raised = await apply(3);
    expect(raised).toEqual([expect.objectContaining({ grantsCreated: 2, grantsRevoked: 0 })]);
    expect(await grants()).toEqual([
      [0, 'revoked'],
      [1, 'revoked'],
      [2, 'revoked'],
      [3, 'active'],
      [4, 'active'],
    ]);
    const fresh = await db().downloadGrant.findMany({ where: { status: 'active' } });
    expect(fresh.some((g) => firstIds.has(g.id))).toBe(false);
    // The new units' amounts are two of the line's three shares, each recorded once.
    expect(fresh.map((g) => [g.unitIndex, String(g.unitNet), g.reported])).toEqual([
      [3, '10', true],
      [4, '10', true],
    ]);
    expect((await events()).slice(6)).toEqual([
      ['sale.recorded', 3],
      ['sale.recorded', 4],
    ]);
    // A second email, with the new links only.
    const emails = (await db().emailMessage.findMany()).map((e) =>
      (e.payload as { items: { grantIds: string[] }[] }).items.flatMap((i) => i.grantIds).sort(),
    );
    expect(emails).toHaveLength(2);
    expect(emails).toContainEqual(fresh.map((g) => g.id).sort());

    // Replayed, the raised snapshot grants nothing more.
    await applySnapshots(t.ctx, [{ shopDomain: SHOP, snapshot: albumLine(3) }]);
    expect(await db().downloadGrant.count()).toBe(5);
  });

  it('a refund of more units than the line has refunds the line: refunded_quantity is clamped to the quantity', async () => {
    // Before the order (the snapshot applies it) and after it (the refund handler applies it).
    await refund(9001, 5);
    await apply(2);
    expect((await db().orderLine.findFirstOrThrow()).refundedQuantity).toBe(2);
    expect(await db().downloadGrant.count()).toBe(0);

    await apply(3);
    expect((await db().orderLine.findFirstOrThrow()).refundedQuantity).toBe(3);
    await refund(9002, 4);
    expect((await db().orderLine.findFirstOrThrow()).refundedQuantity).toBe(3);
  });

  it('refund sums never overflow: quantities stored before the bound (2147483647 twice) refund the line', async () => {
    await apply(2);
    await db().refundLine.createMany({
      data: [9001n, 9002n].map((id) => ({
        shopDomain: SHOP,
        shopifyOrderId: BigInt(paidOrder().id),
        shopifyRefundId: id,
        shopifyLineId: 13001001n,
        quantity: 2147483647,
      })),
    });
    await apply(2);
    expect((await db().orderLine.findFirstOrThrow()).refundedQuantity).toBe(2);
    expect(await refund(9003, 1)).toEqual({ status: 'applied', grantsRevoked: 0 });
    expect(await grants()).toEqual([
      [0, 'revoked'],
      [1, 'revoked'],
    ]);
  });
});
