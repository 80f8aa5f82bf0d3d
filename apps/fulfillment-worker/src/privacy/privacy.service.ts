import { openSealedFan, type SealedFan } from '@single/contracts';
import {
  type Db,
  downloadsOfGrants,
  geoCapturesOfCheckouts,
  locatedSalesOfOrders,
  type Prisma,
  type PurgeScope,
  type PurgeSql,
  purgeDownloadClientIps,
  purgeFanDataKeys,
  purgeGeoPersonalData,
  purgeWebhookDeliveryPayloads,
  readFanDataKeys,
  saleLinesOfOrders,
  sqlOf,
  webhookPayloadsOf,
} from '@single/db';
import { DATA_REQUEST_EXPORT_DAYS } from '@single/db/commands/data-request-exports';
import type { CustomersDataRequest, CustomersRedact } from '../shopify/payloads.ts';
import { lockOrders, type Tx, WORKER_TRANSACTION } from '../support/db.ts';
import { redactedEmailHash } from './tombstones.ts';

// Personal data the worker holds: the order's email, customer id, browser IP, checkout token, ZIP and
// province of both addresses (names and street lines are never stored), the email outbox recipient and the
// data-request exports. Countries, prices and the sale lines stay: they identify nobody.

/**
 * app/uninstalled, at the instant Shopify says it happened (X-Shopify-Triggered-At, else when the dispatcher
 * received it), never when the message is processed: orders placed before that instant but still queued are
 * fulfilled (apply-snapshots judges them by their own created_at). An uninstall triggered before the shop's
 * current install (a late copy from before a reinstall) changes nothing.
 */
export async function markShopUninstalled(db: Db, shopDomain: string, at: Date, now: Date): Promise<void> {
  // One conditional upsert, typed SQL on Prisma: the client's upsert has no CASE in its update and no WHERE on it
  // (a late uninstall from before the current install must change nothing, a redacted shop stays redacted).
  await db.$executeRaw`
    INSERT INTO shop (domain, install_state, uninstalled_at, updated_at)
    VALUES (${shopDomain}, 'uninstalled', ${at}::timestamptz, ${now}::timestamptz)
    ON CONFLICT (domain) DO UPDATE SET
      install_state = CASE WHEN shop.install_state = 'redacted' THEN shop.install_state ELSE 'uninstalled' END,
      uninstalled_at = CASE WHEN shop.install_state = 'installed' THEN ${at}::timestamptz
                            ELSE coalesce(shop.uninstalled_at, ${at}::timestamptz) END,
      access_token = NULL, updated_at = ${now}::timestamptz
    WHERE shop.installed_at <= ${at}::timestamptz OR shop.install_state <> 'installed'`;
}

/**
 * The owners' purges (@single/db, shared with their pg callers) inside the redaction's Prisma transaction: the
 * same statements, constant text with bound values, and the rows each one wrote.
 */
function purgeSqlOf(tx: Tx): PurgeSql {
  return { query: async (text, values = []) => ({ rowCount: await tx.$executeRawUnsafe(text, ...values) }) };
}

/**
 * Every copy outside the worker's own tables, through each owner's purge (GUIDE: privacy): the dispatcher's
 * delivery log, geo-reporting's captures, located sales, sale lines and fan keys, artist-api's download IPs.
 * The worker's own copy in the sales outbox (events not yet published or kept after publishing) loses
 * its fan block.
 */
async function purgeEveryCopy(tx: Tx, scope: PurgeScope & { customerId?: string }): Promise<void> {
  const owners = purgeSqlOf(tx);
  await purgeWebhookDeliveryPayloads(owners, scope);
  await purgeGeoPersonalData(owners, scope);
  await purgeDownloadClientIps(owners, scope);
  // The outbox first: this waits for a relay round that holds these rows (FanSealer) to commit, key and all.
  // Typed SQL: jsonb_set and a condition on the payload's fields.
  await tx.$executeRaw`
    UPDATE sales_outbox SET payload = jsonb_set(payload, '{fan}', '{}'::jsonb) - 'fanSealed'
    WHERE payload->>'shopDomain' = ${scope.shopDomain}
      AND (${scope.all === true}::boolean OR key = ANY(${scope.all ? [] : scope.orderIds}::text[]))
      AND (payload->'fan' <> '{}'::jsonb OR payload ? 'fanSealed')`;
  // Then the fan data keys, so one that relay round just created is seen and deleted too (the relay makes no
  // new key once the tombstones are committed): every sales.v1 version 2 copy (Kafka, replays) goes dark.
  await purgeFanDataKeys(owners, scope);
}

/**
 * The orders' personal fields, their emails' recipients and their pre-orders' sealed links. Typed SQL with
 * `= ANY($1::uuid[])`: one statement, one parameter, any number of orders. The client binds one parameter per id
 * (`IN ($1, $2, ...)`): Prisma 7.10 splits an `updateMany` with `in` into statements of at most 32,766 ids (no
 * longer one statement for a shop's redaction), and a raw `IN (...)` stops at PostgreSQL's 65,535 parameters.
 */
async function redactOrders(tx: Tx, orderIds: readonly string[]): Promise<void> {
  if (orderIds.length === 0) return;
  // updated_at is the transaction's now() (the client's @updatedAt would write the process clock).
  await tx.$executeRaw`
    UPDATE orders SET email = NULL, browser_ip = NULL, checkout_token = NULL, billing_zip = NULL,
      billing_province = NULL, shipping_zip = NULL, shipping_province = NULL, updated_at = now()
    WHERE id = ANY(${orderIds}::uuid[])`;
  // Typed SQL: the status and error fields change by CASE on each row's own status. A `sending` one too: its
  // sender's outcome then finds the row no longer its own and writes nothing. One already `failed` keeps its
  // last_error but becomes `no_recipient` as well: with a transient or permanent class it would stay under the
  // failed-emails alarm and be taken by `cmdr outbox redrive --all`, to be sent to '' (issue 15 review).
  await tx.$executeRaw`
    UPDATE email_message SET "to" = '',
      status = CASE WHEN status IN ('pending', 'sending') THEN 'failed'::email_status ELSE status END,
      last_error = CASE WHEN status IN ('pending', 'sending') THEN 'customer_redacted' ELSE last_error END,
      error_class = CASE WHEN status IN ('pending', 'sending', 'failed') THEN 'no_recipient' ELSE error_class END
    WHERE order_id = ANY(${orderIds}::uuid[])`;
  // A pre-order's sealed link waits for an email that can no longer be sent (its recipient is gone).
  await tx.$executeRaw`
    UPDATE download_grant SET token_sealed = NULL WHERE token_sealed IS NOT NULL
      AND order_line_id IN (SELECT id FROM order_line WHERE order_id = ANY(${orderIds}::uuid[]))`;
}

/**
 * What stays redacted whatever arrives later (a late or replayed snapshot, apply-snapshots' UPSERT_ORDERS): the
 * orders the request named or we linked to the customer, and the hashes of their emails. Guest orders have no
 * customer id, so redacted_customer alone would let a late orders/updated write their email, IP and ZIP back.
 * `skipDuplicates`: ON CONFLICT DO NOTHING.
 */
async function recordTombstones(
  tx: Tx,
  shopDomain: string,
  names: { orderIds: readonly string[]; emails: readonly (string | null | undefined)[] },
): Promise<void> {
  await tx.redactedOrder.createMany({
    data: [...new Set(names.orderIds)].map((oid) => ({ shopDomain, shopifyOrderId: BigInt(oid) })),
    skipDuplicates: true,
  });
  const hashes = names.emails.flatMap((e) => (e?.trim() ? [redactedEmailHash(shopDomain, e)] : []));
  await tx.redactedEmail.createMany({
    data: [...new Set(hashes)].map((emailHash) => ({ shopDomain, emailHash })),
    skipDuplicates: true,
  });
}

/**
 * customers/redact: the customer's orders lose their personal fields; tombstones keep late snapshots clean.
 * One Prisma transaction on the worker's client; the orders' advisory locks come first, before any write, in
 * the order every writer of an order takes them.
 */
export async function redactCustomer(db: Db, shopDomain: string, request: CustomersRedact): Promise<number> {
  return db.$transaction(async (tx) => {
    // Typed SQL: the address is matched trimmed and in any case (lower(btrim(...)) on both sides). Guest orders
    // carry no customer id: the shop's orders under the customer's address are theirs.
    const rows = await tx.$queryRaw<{ id: string; oid: string; checkout_token: string | null; email: string | null }[]>`
      SELECT id::text, shopify_order_id::text AS oid, checkout_token, email FROM orders
      WHERE shop_domain = ${shopDomain} AND (customer_id = ${request.customer.id}::bigint
        OR shopify_order_id = ANY(${request.orders_to_redact}::bigint[])
        OR lower(btrim(email)) = lower(btrim(${request.customer.email?.trim() || null}::text)))`;
    const orderIds = [...rows.map((r) => r.oid), ...request.orders_to_redact];
    await lockOrders(
      tx,
      orderIds.map((oid) => ({ shopDomain, shopifyOrderId: oid })),
    );
    await tx.redactedCustomer.createMany({
      data: { shopDomain, customerId: BigInt(request.customer.id) },
      skipDuplicates: true,
    });
    await recordTombstones(tx, shopDomain, {
      orderIds,
      emails: [request.customer.email, ...rows.map((r) => r.email)],
    });
    await redactOrders(
      tx,
      rows.map((r) => r.id),
    );
    await tx.dataRequestExport.deleteMany({ where: { shopDomain, customerId: BigInt(request.customer.id) } });
    await purgeEveryCopy(tx, {
      shopDomain,
      orderIds: [...new Set(orderIds)],
      checkoutTokens: rows.flatMap((r) => (r.checkout_token ? [r.checkout_token] : [])),
      customerId: request.customer.id,
    });
    return rows.length;
  }, WORKER_TRANSACTION);
}

/** shop/redact (48 h after uninstall): every personal field of the shop, its exports and its delivery log. */
export async function redactShop(db: Db, shopDomain: string, now: Date): Promise<void> {
  await db.$transaction(async (tx) => {
    const orders = await tx.order.findMany({ where: { shopDomain }, select: { id: true } });
    await redactOrders(
      tx,
      orders.map((o) => o.id),
    );
    // Typed SQL: the client's @updatedAt would also move updated_at, which this statement leaves alone.
    await tx.$executeRaw`UPDATE orders SET customer_id = NULL WHERE shop_domain = ${shopDomain}`;
    await tx.dataRequestExport.deleteMany({ where: { shopDomain } });
    await purgeEveryCopy(tx, { shopDomain, all: true });
    // INSERT ... ON CONFLICT (domain) DO UPDATE (Prisma's native upsert: one unique field, no nested writes).
    await tx.shop.upsert({
      where: { domain: shopDomain },
      create: { domain: shopDomain, installState: 'redacted', uninstalledAt: now, redactedAt: now, updatedAt: now },
      update: { installState: 'redacted', redactedAt: now, accessToken: null, updatedAt: now },
    });
  }, WORKER_TRANSACTION);
}

/**
 * customers/data_request: everything the platform holds about the customer, as one JSON document the merchant
 * fetches (artist API GET /v1/shops/{domain}/data-requests/{id}, `cmdr shops data-request`) until it expires
 * (DATA_REQUEST_EXPORT_DAYS; the sweep nulls it). Per order: its personal fields, lines and their grants with
 * every download (time, format, client IP), the emails sent, the geo beacon's captures of its checkout, where its
 * sales were located, its chart lines (ZIP), the raw webhook payloads still held, and the fan facts of its sales
 * events, the sealed ones opened with the fan's key while it exists. Once per request (a redelivery keeps the
 * first export).
 */
export async function exportCustomerData(
  db: Db,
  shopDomain: string,
  request: CustomersDataRequest,
  now: Date = new Date(),
): Promise<Record<string, unknown>> {
  // The owners' readers (@single/db, shared with their purges) and the statements below that stay SQL run on the
  // same client through sqlOf.
  const sql = sqlOf(db);
  const found = await db.order.findMany({
    where: {
      shopDomain,
      OR: [
        { customerId: BigInt(request.customer.id) },
        { shopifyOrderId: { in: request.orders_requested.map((id) => BigInt(id)) } },
      ],
    },
    orderBy: [{ shopifyCreatedAt: 'asc' }, { id: 'asc' }],
  });
  // The document's fields, in its order, ids as decimal text (they are 64-bit).
  const orders = found.map((o) => ({
    id: o.id,
    orderId: o.shopifyOrderId.toString(),
    name: o.name,
    email: o.email,
    customerId: o.customerId?.toString() ?? null,
    financialStatus: o.financialStatus,
    cancelledAt: o.cancelledAt,
    currency: o.currency,
    browserIp: o.browserIp,
    checkoutToken: o.checkoutToken,
    billingZip: o.billingZip,
    billingCountry: o.billingCountry,
    billingProvince: o.billingProvince,
    shippingZip: o.shippingZip,
    shippingCountry: o.shippingCountry,
    shippingProvince: o.shippingProvince,
    createdAt: o.shopifyCreatedAt,
  }));
  const ids = orders.map((o) => o.id);
  // Typed SQL: the price as stored (Prisma's Decimal drops its scale: 10.00 would read 10).
  const lines = await db.$queryRaw<
    {
      id: string;
      orderId: string;
      lineItemId: string;
      quantity: number;
      price: string;
      refundedQuantity: number;
      release: string | null;
    }[]
  >`SELECT ol.id::text, ol.order_id::text AS "orderId", ol.shopify_line_id::text AS "lineItemId", ol.quantity,
           ol.price::text AS price, ol.refunded_quantity AS "refundedQuantity", r.title AS release
    FROM order_line ol LEFT JOIN release r ON r.id = ol.release_id
    WHERE ol.order_id = ANY(${ids}::uuid[]) ORDER BY ol.shopify_line_id`;
  const grants = (
    await db.downloadGrant.findMany({
      where: { orderLineId: { in: lines.map((l) => l.id) } },
      orderBy: [{ unitIndex: 'asc' }, { release: { title: 'asc' } }, { id: 'asc' }],
      select: {
        id: true,
        orderLineId: true,
        release: { select: { title: true } },
        unitIndex: true,
        status: true,
        activatedAt: true,
        expiresAt: true,
        downloadLimit: true,
        downloadsUsed: true,
      },
    })
  ).map(({ orderLineId, release, ...g }) => ({
    id: g.id,
    lineId: orderLineId,
    release: release.title,
    unitIndex: g.unitIndex,
    status: g.status,
    activatedAt: g.activatedAt,
    expiresAt: g.expiresAt,
    downloadLimit: g.downloadLimit,
    downloadsUsed: g.downloadsUsed,
  }));
  const downloads = await downloadsOfGrants(
    sql,
    grants.map((g) => g.id),
  );
  const emails = (
    await db.emailMessage.findMany({
      where: { orderId: { in: ids } },
      orderBy: { createdAt: 'asc' },
      select: { orderId: true, to: true, kind: true, status: true, sentAt: true },
    })
  ).map((e) => ({ orderId: e.orderId, to: e.to, kind: e.kind, status: e.status, sentAt: e.sentAt }));
  const captures = await geoCapturesOfCheckouts(
    sql,
    shopDomain,
    orders.flatMap((o) => (o.checkoutToken ? [o.checkoutToken] : [])),
  );
  const orderIds = orders.map((o) => o.orderId);
  const located = await locatedSalesOfOrders(sql, shopDomain, orderIds);
  const saleLines = await saleLinesOfOrders(sql, shopDomain, orderIds);
  const deliveries = await webhookPayloadsOf(sql, shopDomain, orderIds, String(request.customer.id));
  // Typed SQL: fields inside the event's jsonb payload.
  const sealedEvents = await db.$queryRaw<
    {
      orderId: string;
      eventId: string;
      type: string;
      occurredAt: string;
      fan: Record<string, unknown>;
      sealed: SealedFan | null;
    }[]
  >`SELECT key AS "orderId", event_id::text AS "eventId", payload->>'type' AS type,
            payload->>'occurredAt' AS "occurredAt", payload->'fan' AS fan, payload->'fanSealed' AS sealed
     FROM sales_outbox WHERE payload->>'shopDomain' = ${shopDomain} AND key = ANY(${orderIds}::text[]) ORDER BY id`;
  // Version 2 events carry only the countries in clear: the rest is opened with the fan's key, if not yet deleted.
  const keys = await readFanDataKeys(
    sql,
    shopDomain,
    sealedEvents.flatMap((e) => (e.sealed ? [e.sealed.keyId] : [])),
  );
  const events = sealedEvents.map(({ sealed, ...e }) => ({
    ...e,
    fan: { ...e.fan, ...(sealed ? openSealedFan(sealed, e.eventId, keys.get(sealed.keyId)) : {}) },
  }));
  const expiresAt = new Date(now.getTime() + DATA_REQUEST_EXPORT_DAYS * 86_400_000);
  const payload = {
    format: 'single.customer-data.v1',
    shopDomain,
    customerId: request.customer.id,
    dataRequestId: request.data_request?.id ?? null,
    generatedAt: now.toISOString(),
    expiresAt: expiresAt.toISOString(),
    orders: orders.map(({ id, ...order }) => ({
      ...order,
      lines: lines
        .filter((l) => l.orderId === id)
        .map(({ id: lineId, orderId: _, ...l }) => ({
          ...l,
          grants: grants
            .filter((g) => g.lineId === lineId)
            .map(({ id: grantId, lineId: __, ...g }) => ({
              ...g,
              downloads: downloads.filter((d) => d.grantId === grantId).map(({ grantId: ___, ...d }) => d),
            })),
        })),
      emails: emails.filter((e) => e.orderId === id).map(({ orderId: _, ...e }) => e),
      geoCaptures: captures
        .filter((c) => c.checkoutToken === order.checkoutToken)
        .map(({ checkoutToken: _, ...c }) => c),
      salesEvents: events.filter((e) => e.orderId === order.orderId).map(({ orderId: _, ...e }) => e),
      locatedSales: located.filter((l) => l.orderId === order.orderId).map(({ orderId: _, ...l }) => l),
      chartLines: saleLines.filter((l) => l.orderId === order.orderId).map(({ orderId: _, ...l }) => l),
    })),
    webhookPayloads: deliveries,
  };
  // ON CONFLICT DO NOTHING, as before: a redelivery keeps the first export.
  await db.dataRequestExport.createMany({
    data: {
      shopDomain,
      customerId: BigInt(request.customer.id),
      dataRequestId: request.data_request ? BigInt(request.data_request.id) : null,
      // As stored before (JSON text of the document): instants as ISO strings.
      payload: JSON.parse(JSON.stringify(payload)) as Prisma.InputJsonObject,
      createdAt: now,
      expiresAt,
    },
    skipDuplicates: true,
  });
  return payload;
}
