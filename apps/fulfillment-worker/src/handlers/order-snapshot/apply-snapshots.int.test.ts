import { salesEventV1 } from '@single/contracts';
import { describe, expect, it } from 'vitest';
import { hashToken } from '../../grants/tokens.ts';
import { paidOrder, refundFixture, SHOP } from '../../test-support/fixtures.ts';
import { useOrderSnapshotTest } from '../../test-support/order-snapshots.ts';
import { applyRefund } from '../refund-create/apply-refund.ts';
import { applySnapshots } from './apply-snapshots.ts';

describe('order snapshots and refunds (PostgreSQL)', () => {
  const t = useOrderSnapshotTest();
  const { database, now } = t;

  const grants = () =>
    database().db.downloadGrant.findMany({
      include: { orderLine: true },
      orderBy: [{ orderLine: { shopifyLineId: 'asc' } }, { unitIndex: 'asc' }],
    });
  const events = async () =>
    (await database().db.salesOutbox.findMany({ orderBy: { id: 'asc' } })).map(
      (row) => row.payload as Record<string, unknown>,
    );

  it('grants a paid order: released lines active, the pre-order scheduled at its release instant; one email; one sale per unit', async () => {
    const [outcome] = await applySnapshots(t.ctx, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
    expect(outcome).toMatchObject({ status: 'applied', grantsCreated: 3 });

    const stored = await grants();
    expect(stored.map((g) => [g.orderLine.shopifyLineId, g.releaseId, g.status])).toEqual([
      [13001001n, t.catalogue.releasedAlbum, 'active'],
      [13001002n, t.catalogue.preorderAlbum, 'scheduled'],
      [13001003n, t.catalogue.bundleAlbum, 'active'],
    ]);
    const preorder = stored[1]!;
    // Scheduled for the release instant, not its instant-grat track's (the link serves that track already).
    expect(preorder.activateAt).toEqual(t.catalogue.preorderInstant);
    expect(preorder.downloadLimit).toBe(3);
    expect(stored[0]!.expiresAt?.getTime()).toBe(now.getTime() + 30 * 86_400_000);
    // Random token, stored as its hash; sealed until its email is sent (grants/tokens.ts).
    expect(hashToken(t.tokens.open(stored[0]!.tokenSealed!)!)).toBe(stored[0]!.tokenHash);

    const emails = await database().db.emailMessage.findMany();
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({ to: 'riley.fan@example.com', kind: 'order_downloads', status: 'pending' });

    const sales = await events();
    expect(sales).toHaveLength(3);
    for (const event of sales) expect(salesEventV1.safeParse(event).success).toBe(true);
    expect(sales.map((e) => [e.type, e.orderId, e.quantity])).toEqual(
      Array(3).fill(['sale.recorded', '5550001001', 1]),
    );

    // Only the released digital line is ready for Shopify; the tee ships and the pre-order waits.
    const fulfillments = await database().db.fulfillment.findMany();
    expect(fulfillments.map((f) => f.lineItemIds)).toEqual([[13001001n]]);
  });

  it('the same snapshot twice, then orders/updated: exactly one grant per unit, one email, one sale each', async () => {
    const paid = paidOrder();
    await applySnapshots(t.ctx, [{ shopDomain: SHOP, snapshot: paid }]);
    await applySnapshots(t.ctx, [{ shopDomain: SHOP, snapshot: paid }]);
    const updated = paidOrder({ updated_at: '2026-11-20T00:05:00-05:00', note: 'gift' });
    const [outcome] = await applySnapshots(t.ctx, [{ shopDomain: SHOP, snapshot: updated }]);
    expect(outcome).toMatchObject({ status: 'applied', grantsCreated: 0 });

    expect(await grants()).toHaveLength(3);
    expect(await database().db.emailMessage.count()).toBe(1);
    expect(await events()).toHaveLength(3);
    expect(await database().db.fulfillment.count()).toBe(1);
  });

  it('orders/create before payment stores the order and grants nothing; payment later grants', async () => {
    const created = paidOrder({ financial_status: 'pending', updated_at: '2026-11-20T00:03:12-05:00' });
    await applySnapshots(t.ctx, [{ shopDomain: SHOP, snapshot: created }]);
    const order = await database().db.order.findFirstOrThrow({ include: { lines: true } });
    expect(order.financialStatus).toBe('pending');
    expect(order.lines).toHaveLength(3);
    expect(await grants()).toHaveLength(0);

    await applySnapshots(t.ctx, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
    expect(await grants()).toHaveLength(3);
  });

  it('ignores a snapshot older than the stored one', async () => {
    await applySnapshots(t.ctx, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
    const older = paidOrder({ financial_status: 'pending', updated_at: '2026-11-20T00:03:00-05:00', name: '#old' });
    const [outcome] = await applySnapshots(t.ctx, [{ shopDomain: SHOP, snapshot: older }]);
    expect(outcome).toEqual({ status: 'stale' });
    const order = await database().db.order.findFirstOrThrow();
    expect([order.name, order.financialStatus]).toEqual(['#1042', 'paid']);
  });

  it('skips test orders and records unmapped lines without granting them', async () => {
    const fixture = paidOrder();
    const unmappedLine = { ...fixture.line_items[0]!, id: '13009999', variant_id: '1', sku: 'NOPE' };
    await applySnapshots(t.ctx, [
      { shopDomain: SHOP, snapshot: { ...fixture, id: '1001', test: true } },
      { shopDomain: SHOP, snapshot: { ...fixture, id: '1002', line_items: [unmappedLine] } },
    ]);
    expect(await grants()).toHaveLength(0);
    const lines = await database().db.orderLine.findMany({ orderBy: { shopifyLineId: 'asc' } });
    expect(lines.map((l) => [l.shopifyLineId, l.unmapped])).toEqual([
      [13001001n, false],
      [13001002n, false],
      [13001003n, false],
      [13009999n, true],
    ]);
    expect(await events()).toHaveLength(0);
  });

  it('a refund that arrives before the paid order still wins: the refunded unit is never granted nor sold', async () => {
    expect(await applyRefund(t.database().db, SHOP, refundFixture(), now)).toEqual({ status: 'pending_order' });
    await applySnapshots(t.ctx, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
    const stored = await grants();
    expect(stored.map((g) => g.orderLine.shopifyLineId)).toEqual([13001002n, 13001003n]);
    const line = await database().db.orderLine.findFirstOrThrow({ where: { shopifyLineId: 13001001n } });
    expect(line.refundedQuantity).toBe(1);
    expect((await events()).map((e) => e.type)).toEqual(['sale.recorded', 'sale.recorded']);
  });

  it('a refund after payment revokes that unit once and reverses its sale; redelivery changes nothing', async () => {
    const fixture = paidOrder();
    const threeCopies = {
      ...fixture,
      line_items: fixture.line_items.map((l, i) => (i === 0 ? { ...l, quantity: 3 } : l)),
    };
    await applySnapshots(t.ctx, [{ shopDomain: SHOP, snapshot: threeCopies }]);
    expect(await applyRefund(t.database().db, SHOP, refundFixture(), now)).toEqual({
      status: 'applied',
      grantsRevoked: 1,
    });
    expect(await applyRefund(t.database().db, SHOP, refundFixture(), now)).toEqual({
      status: 'applied',
      grantsRevoked: 0,
    });

    const album = (await grants()).filter((g) => g.orderLine.shopifyLineId === 13001001n);
    expect(album.map((g) => [g.unitIndex, g.status])).toEqual([
      [0, 'active'],
      [1, 'active'],
      [2, 'revoked'],
    ]);
    const reversals = (await events()).filter((e) => e.type === 'sale.reversed');
    expect(reversals).toEqual([expect.objectContaining({ orderLineId: '13001001', unitIndex: 2 })]);
  });

  it('a cancellation revokes every grant (the scheduled pre-order too) and later snapshots never re-grant', async () => {
    await applySnapshots(t.ctx, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
    const cancelled = paidOrder({ cancelled_at: '2026-11-21T10:00:00-05:00', updated_at: '2026-11-21T10:00:01-05:00' });
    const [outcome] = await applySnapshots(t.ctx, [{ shopDomain: SHOP, snapshot: cancelled }]);
    expect(outcome).toMatchObject({ status: 'applied', grantsRevoked: 3 });
    const later = paidOrder({ updated_at: '2026-11-22T10:00:00-05:00' });
    await applySnapshots(t.ctx, [{ shopDomain: SHOP, snapshot: later }]);

    expect((await grants()).map((g) => g.status)).toEqual(['revoked', 'revoked', 'revoked']);
    expect((await events()).filter((e) => e.type === 'sale.reversed')).toHaveLength(3);
  });

  it('drops messages of a shop that uninstalled the app', async () => {
    await database().db.shop.create({ data: { domain: SHOP, installState: 'uninstalled' } });
    const [outcome] = await applySnapshots(t.ctx, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
    expect(outcome).toEqual({ status: 'shop_uninstalled' });
    expect(await database().db.order.count()).toBe(0);
    expect(await applyRefund(t.database().db, SHOP, refundFixture(), now)).toEqual({ status: 'shop_uninstalled' });
  });

  it('processes many orders in one batch, each once', async () => {
    const batch = Array.from({ length: 50 }, (_, i) => ({ shopDomain: SHOP, snapshot: paidOrder({ id: 9000 + i }) }));
    const outcomes = await applySnapshots(t.ctx, batch);
    expect(outcomes.every((o) => o.status === 'applied' && o.grantsCreated === 3)).toBe(true);
    await applySnapshots(t.ctx, batch);
    expect(await database().db.downloadGrant.count()).toBe(150);
    expect(await database().db.emailMessage.count()).toBe(50);
    expect(await database().db.salesOutbox.count()).toBe(150);
  });

  it("keeps each order's own message trace on its sales events, in a batch of several messages", async () => {
    // Trace contexts as the handler stores them (Datadog propagation headers of each message's span).
    const trace = (id: string) => ({ 'x-datadog-trace-id': id, 'x-datadog-parent-id': `${id}1` });
    await applySnapshots(t.ctx, [
      { shopDomain: SHOP, snapshot: paidOrder({ id: 5550001001 }), trace: trace('111') },
      { shopDomain: SHOP, snapshot: paidOrder({ id: 5550001002 }), trace: trace('222') },
      { shopDomain: SHOP, snapshot: paidOrder({ id: 5550001003 }) },
    ]);
    // The cancellation comes in another message: its reversals continue that message's trace.
    const cancelled = paidOrder({
      id: 5550001002,
      cancelled_at: '2026-11-21T10:00:00-05:00',
      updated_at: '2026-11-21T10:00:01-05:00',
    });
    await applySnapshots(t.ctx, [{ shopDomain: SHOP, snapshot: cancelled, trace: trace('333') }]);
    const rows = await database().db.salesOutbox.findMany({ orderBy: { id: 'asc' } });
    const traced = rows.map((r) => {
      const event = r.payload as { type: string; orderId: string };
      const headers = r.traceHeaders as Record<string, string> | null;
      return `${event.type} ${event.orderId} ${headers?.['x-datadog-trace-id'] ?? 'none'}`;
    });
    expect(new Set(traced)).toEqual(
      new Set([
        'sale.recorded 5550001001 111',
        'sale.recorded 5550001002 222',
        'sale.recorded 5550001003 none',
        'sale.reversed 5550001002 333',
      ]),
    );
    expect(rows.filter((r) => r.traceHeaders === null)).toHaveLength(3);
  });
});
