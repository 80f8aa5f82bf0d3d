import { type AccountDb, Prisma } from '@single/db';
import type { z } from 'zod';
import { isUuid } from '../support/db.ts';
import { decodeCursor, toPage } from '../support/pagination.ts';
import type { listOrdersQuery, orderDetail } from './orders.schemas.ts';

export const ORDER_FIELDS = {
  id: true,
  shopDomain: true,
  shopifyOrderId: true,
  name: true,
  financialStatus: true,
  cancelledAt: true,
  test: true,
  currency: true,
  billingCountry: true,
  shippingCountry: true,
  shopifyCreatedAt: true,
  updatedAt: true,
} as const satisfies Prisma.OrderSelect;
type OrderSummary = Prisma.OrderGetPayload<{ select: typeof ORDER_FIELDS }>;

const iso = (d: Date | null) => d?.toISOString() ?? null;
export const toSummary = (o: OrderSummary) => ({
  ...o,
  shopifyOrderId: o.shopifyOrderId.toString(),
  cancelledAt: iso(o.cancelledAt),
  shopifyCreatedAt: iso(o.shopifyCreatedAt),
  updatedAt: o.updatedAt.toISOString(),
});

type Detail = z.output<typeof orderDetail>;

const DETAIL_FIELDS = {
  ...ORDER_FIELDS,
  lines: {
    orderBy: { shopifyLineId: 'asc' },
    select: {
      id: true,
      shopifyLineId: true,
      productId: true,
      variantId: true,
      sku: true,
      quantity: true,
      refundedQuantity: true,
      price: true,
      requiresShipping: true,
      releaseId: true,
      unmapped: true,
      release: { select: { title: true, upc: true } },
      grants: {
        orderBy: [{ releaseId: 'asc' }, { unitIndex: 'asc' }],
        select: {
          id: true,
          releaseId: true,
          unitIndex: true,
          status: true,
          activateAt: true,
          expiresAt: true,
          downloadLimit: true,
          downloadsUsed: true,
          revokedAt: true,
          release: { select: { releaseInstant: true } },
          track: { select: { releaseInstant: true } },
          downloads: { select: { at: true }, orderBy: { at: 'asc' }, take: 1 },
        },
      },
    },
  },
  emailMessages: {
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    select: { id: true, kind: true, status: true, attempts: true, sentAt: true },
  },
  fulfillments: {
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    select: { id: true, status: true, shopifyFulfillmentId: true, lineItemIds: true, attempts: true, updatedAt: true },
  },
} as const satisfies Prisma.OrderSelect;

/**
 * Orders are written by the fulfillment worker; the account sees the orders of its own shops. Lists are
 * newest first by Shopify order id (ids grow over time), which the unique index (shop_domain,
 * shopify_order_id) serves directly: one backward index scan per shop, merged.
 */
export class OrderRepository {
  /**
   * Typed SQL, measured (bench/artist-api, orders list): the per-shop LATERAL merge has no client form, and
   * `shop_domain IN (...) ORDER BY shopify_order_id DESC` reads and sorts every order of the account's shops.
   * `domains` are the account's (ShopRepository.domains on the scoped client).
   */
  async list(db: AccountDb, domains: string[], q: z.output<typeof listOrdersQuery>) {
    const cursor = decodeCursor(q.cursor, ['bigint', 'uuid']);
    const shops = q.shopDomain === undefined ? domains : domains.filter((d) => d === q.shopDomain);
    if (shops.length === 0) return { items: [], nextCursor: null };
    const filters = [
      Prisma.sql`o.shop_domain = s.domain`,
      ...(q.financialStatus === undefined ? [] : [Prisma.sql`o.financial_status = ${q.financialStatus}`]),
      ...(q.test === undefined ? [] : [Prisma.sql`o.test = ${q.test === 'true'}`]),
      ...(q.releaseId === undefined
        ? []
        : [
            Prisma.sql`EXISTS (SELECT 1 FROM order_line ol WHERE ol.order_id = o.id AND ol.release_id = ${q.releaseId}::uuid)`,
          ]),
      ...(cursor
        ? [
            Prisma.sql`(o.shopify_order_id < ${cursor[0]}::bigint OR (o.shopify_order_id = ${cursor[0]}::bigint AND o.id < ${cursor[1]}::uuid))`,
          ]
        : []),
    ];
    const limit = q.limit + 1;
    const rows = await db.$queryRaw<OrderSummary[]>`
      SELECT o.* FROM unnest(${shops}::text[]) AS s(domain)
      CROSS JOIN LATERAL (
        SELECT o.id::text, o.shop_domain AS "shopDomain", o.shopify_order_id AS "shopifyOrderId", o.name,
               o.financial_status AS "financialStatus", o.cancelled_at AS "cancelledAt", o.test, o.currency,
               o.billing_country AS "billingCountry", o.shipping_country AS "shippingCountry",
               o.shopify_created_at AS "shopifyCreatedAt", o.updated_at AS "updatedAt"
        FROM orders o WHERE ${Prisma.join(filters, ' AND ')}
        ORDER BY o.shopify_order_id DESC, o.id DESC LIMIT ${limit}
      ) o
      ORDER BY o."shopifyOrderId" DESC, o.id DESC LIMIT ${limit}`;
    return toPage(rows, q.limit, (o) => [o.shopifyOrderId.toString(), o.id], toSummary);
  }

  async get(db: AccountDb, id: string): Promise<Detail | undefined> {
    if (!isUuid(id)) return undefined;
    const order = await db.order.findFirst({ where: { id }, select: DETAIL_FIELDS });
    if (!order) return undefined;
    const { lines, emailMessages, fulfillments, ...summary } = order;
    const records = fulfillments.map((f) => ({
      ...f,
      shopifyFulfillmentId: f.shopifyFulfillmentId?.toString() ?? null,
      lineItemIds: f.lineItemIds.map(String),
      updatedAt: f.updatedAt.toISOString(),
    }));
    const digitalLines = lines.filter((l) => !l.requiresShipping && l.releaseId);
    return {
      ...toSummary(summary),
      lines: lines.map(({ release, grants, ...l }) => ({
        ...l,
        shopifyLineId: l.shopifyLineId.toString(),
        productId: l.productId?.toString() ?? null,
        variantId: l.variantId?.toString() ?? null,
        price: l.price.toString(),
        releaseTitle: release?.title ?? null,
        upc: release?.upc ?? null,
        grants: grants.map((g) => ({
          id: g.id,
          releaseId: g.releaseId,
          unitIndex: g.unitIndex,
          status: g.status,
          // A scheduled grant opens at its release's (or its track's) instant as the catalogue has it now: the
          // worker's scheduler derives it the same way, so a re-timed release shows its new date here.
          activateAt: (g.status === 'scheduled'
            ? (g.track?.releaseInstant ?? g.release.releaseInstant)
            : g.activateAt
          ).toISOString(),
          expiresAt: iso(g.expiresAt),
          downloadLimit: g.downloadLimit,
          downloadsUsed: g.downloadsUsed,
          firstDownloadAt: iso(g.downloads[0]?.at ?? null),
          revokedAt: iso(g.revokedAt),
        })),
      })),
      emails: emailMessages.map((e) => ({ ...e, sentAt: iso(e.sentAt) })),
      fulfillments: records,
      fulfillmentState: fulfillmentState(
        digitalLines.map((l) => l.shopifyLineId.toString()),
        records,
      ),
    };
  }
}

/** Summarises the Shopify digital fulfilment of an order from its fulfilment records. */
export function fulfillmentState(
  digitalLineIds: string[],
  fulfillments: { status: 'pending' | 'sending' | 'created' | 'failed'; lineItemIds: string[] }[],
): Detail['fulfillmentState'] {
  if (digitalLineIds.length === 0 && fulfillments.length === 0) return 'not_required';
  const covered = new Set(fulfillments.filter((f) => f.status === 'created').flatMap((f) => f.lineItemIds));
  const done = digitalLineIds.filter((id) => covered.has(id)).length;
  if (done > 0 && done >= digitalLineIds.length) return 'fulfilled';
  if (done > 0) return 'partially_fulfilled';
  if (fulfillments.some((f) => f.status === 'failed')) return 'failed';
  return 'pending';
}
