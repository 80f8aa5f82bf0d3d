import { randomUUID } from 'node:crypto';
import { type LineAmounts, lineNet, type UnitAmounts, unitAmounts } from '@single/contracts';
import type { Order } from '@single/db';
import type { TraceHeaders } from '@single/tracing';
import type { Pool } from 'pg';
import { type DownloadEmailPayload, type NewEmail, queueEmails } from '../../email/outbox.ts';
import {
  type LineRelease,
  type MappingRow,
  type ReportedRelease,
  releasesForLine,
} from '../../grants/line-releases.ts';
import { newUnitIndexes, planGrants, type ReleaseTerms } from '../../grants/plan.ts';
import { revokeGrants } from '../../grants/revoke.ts';
import type { DownloadTokens } from '../../grants/tokens.ts';
import { purgeLateCopies } from '../../privacy/late-copies.ts';
import { redactedEmailHash } from '../../privacy/tombstones.ts';
import { appendSalesEvents, buildSalesEvent, type SalesEvent, type TraceOf } from '../../sales/sales-events.ts';
import { lineAmounts } from '../../shopify/line-amounts.ts';
import { type OrderSnapshot, PAID_STATUSES } from '../../shopify/payloads.ts';
import { queueDigitalFulfillments } from '../../shopify-admin/fulfillment-outbox.ts';
import { inTransaction, lockOrders, type Sql } from '../../support/db.ts';
import { placedWhileInstalled } from '../install-window.ts';

export interface SnapshotWork {
  shopDomain: string;
  snapshot: OrderSnapshot;
  /** Trace context of the message that brought it: its sales events continue that trace. */
  trace?: TraceHeaders | null;
}

export type SnapshotOutcome =
  /** Stored (and granted, revoked or left alone as its state says). */
  | { status: 'applied'; orderId: string; grantsCreated: number; grantsRevoked: number }
  /** Older than the stored snapshot: nothing to do. */
  | { status: 'stale' }
  /** The shop uninstalled the app: acknowledged and dropped. */
  | { status: 'shop_uninstalled' };

export interface ApplyContext {
  pool: Pool;
  tokens: DownloadTokens;
  now: () => Date;
}

/**
 * An order as UPSERT_ORDERS returns it: the model's fields (RETURNING aliases the columns to their names),
 * except two.
 */
type StoredOrder = Pick<
  Order,
  | 'id'
  | 'shopDomain'
  | 'name'
  | 'financialStatus'
  | 'test'
  | 'currency'
  | 'taxesIncluded'
  | 'email'
  | 'browserIp'
  | 'checkoutToken'
  | 'billingZip'
  | 'billingCountry'
  | 'shippingZip'
  | 'shippingCountry'
> & {
  /** The model's BigInt, read `::text`: pg returns int8 as a string, and it keys maps beside the snapshot's id. */
  shopifyOrderId: string;
  /** Computed, `cancelled_at IS NOT NULL`: the instant itself is not needed. */
  cancelled: boolean;
};

const orderKey = (shopDomain: string, shopifyOrderId: string) => `${shopDomain}\0${shopifyOrderId}`;

// Newest snapshot wins (an equal one is re-applied, harmlessly); a cancellation is never undone; the
// personal fields (email, IP, checkout token, ZIP, province) of a redacted customer are never stored again from
// a late or replayed snapshot: redacted by customer id, by order id (orders_to_redact: guest orders have no
// customer) or by email hash (privacy/tombstones.ts).
export const UPSERT_ORDERS = `
INSERT INTO orders (shop_domain, shopify_order_id, name, financial_status, cancelled_at, test, currency, email,
  customer_id, browser_ip, checkout_token, billing_zip, billing_country, billing_province, shipping_zip,
  shipping_country, shipping_province, shopify_created_at, shopify_updated_at, updated_at, taxes_included)
SELECT i.shop, i.oid, i.name, i.fin, i.cancelled_at, i.test, i.currency,
  CASE WHEN NOT r.redacted THEN i.email END, i.customer_id,
  CASE WHEN NOT r.redacted THEN i.browser_ip END, CASE WHEN NOT r.redacted THEN i.checkout_token END,
  CASE WHEN NOT r.redacted THEN i.billing_zip END, i.billing_country,
  CASE WHEN NOT r.redacted THEN i.billing_province END,
  CASE WHEN NOT r.redacted THEN i.shipping_zip END, i.shipping_country,
  CASE WHEN NOT r.redacted THEN i.shipping_province END,
  i.created_at, i.updated_at, $20, i.taxes_included
FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::timestamptz[], $6::boolean[], $7::text[],
            $8::text[], $9::bigint[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[],
            $16::text[], $17::text[], $18::timestamptz[], $19::timestamptz[], $21::boolean[], $22::text[])
  AS i(shop, oid, name, fin, cancelled_at, test, currency, email, customer_id, browser_ip, checkout_token,
       billing_zip, billing_country, billing_province, shipping_zip, shipping_country, shipping_province,
       created_at, updated_at, taxes_included, email_hash)
CROSS JOIN LATERAL (SELECT
  EXISTS (SELECT 1 FROM redacted_customer rc WHERE rc.shop_domain = i.shop AND rc.customer_id = i.customer_id)
  OR EXISTS (SELECT 1 FROM redacted_order ro WHERE ro.shop_domain = i.shop AND ro.shopify_order_id = i.oid)
  OR EXISTS (SELECT 1 FROM redacted_email re WHERE re.shop_domain = i.shop AND re.email_hash = i.email_hash)
  AS redacted) r
ON CONFLICT (shop_domain, shopify_order_id) DO UPDATE SET
  name = EXCLUDED.name, financial_status = EXCLUDED.financial_status,
  cancelled_at = coalesce(orders.cancelled_at, EXCLUDED.cancelled_at), test = EXCLUDED.test,
  currency = EXCLUDED.currency, email = EXCLUDED.email, customer_id = EXCLUDED.customer_id,
  browser_ip = EXCLUDED.browser_ip, checkout_token = EXCLUDED.checkout_token, billing_zip = EXCLUDED.billing_zip,
  billing_country = EXCLUDED.billing_country, billing_province = EXCLUDED.billing_province,
  shipping_zip = EXCLUDED.shipping_zip, shipping_country = EXCLUDED.shipping_country,
  shipping_province = EXCLUDED.shipping_province, shopify_created_at = EXCLUDED.shopify_created_at,
  shopify_updated_at = EXCLUDED.shopify_updated_at, updated_at = EXCLUDED.updated_at,
  taxes_included = EXCLUDED.taxes_included
WHERE orders.shopify_updated_at <= EXCLUDED.shopify_updated_at
RETURNING id, shop_domain AS "shopDomain", shopify_order_id::text AS "shopifyOrderId", name,
  financial_status AS "financialStatus", cancelled_at IS NOT NULL AS cancelled, test, currency,
  taxes_included AS "taxesIncluded", email, browser_ip AS "browserIp", checkout_token AS "checkoutToken",
  billing_zip AS "billingZip", billing_country AS "billingCountry", shipping_zip AS "shippingZip",
  shipping_country AS "shippingCountry"`;

const LINE_GRANTED = 'EXISTS (SELECT 1 FROM download_grant g WHERE g.order_line_id = order_line.id)';

// A line that has grants keeps the release, unmapped flag and fan-pack approval it was granted under: its
// units are recorded (see recordedReleases), and a mapping changed or deleted later must not move them.
export const UPSERT_LINES = `
INSERT INTO order_line (order_id, shopify_line_id, product_id, variant_id, sku, quantity, price, requires_shipping,
  release_id, unmapped, refunded_quantity, discount_total, tax_total, net_total, fan_pack)
SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::int[], $7::numeric[],
                     $8::boolean[], $9::uuid[], $10::boolean[], $11::int[], $12::numeric[], $13::numeric[],
                     $14::numeric[], $15::boolean[])
ON CONFLICT (order_id, shopify_line_id) DO UPDATE SET
  product_id = EXCLUDED.product_id, variant_id = EXCLUDED.variant_id, sku = EXCLUDED.sku,
  quantity = EXCLUDED.quantity, price = EXCLUDED.price, requires_shipping = EXCLUDED.requires_shipping,
  release_id = CASE WHEN ${LINE_GRANTED} THEN order_line.release_id ELSE EXCLUDED.release_id END,
  unmapped = CASE WHEN ${LINE_GRANTED} THEN order_line.unmapped ELSE EXCLUDED.unmapped END,
  refunded_quantity = least(EXCLUDED.quantity, greatest(order_line.refunded_quantity, EXCLUDED.refunded_quantity)),
  discount_total = EXCLUDED.discount_total, tax_total = EXCLUDED.tax_total, net_total = EXCLUDED.net_total,
  fan_pack = CASE WHEN ${LINE_GRANTED} THEN order_line.fan_pack ELSE EXCLUDED.fan_pack END
RETURNING id, order_id, shopify_line_id::text, quantity, refunded_quantity`;

// In creation order: releasesForLine's choice of a reported release among equals relies on it. A mapping
// that names only a product (no variant, no SKU) matches every line of that product.
const SELECT_MAPPINGS = `
SELECT pm.shop_domain, pm.product_id::text AS product_id, pm.variant_id::text AS variant_id, pm.sku,
  pm.reported_release, pm.fan_pack, pm.track_id, tr.isrc AS track_isrc, tr.release_instant AS track_instant,
  r.id AS release_id, r.title,
  r.upc, r.release_instant, r.download_limit, r.download_expiry_days,
  (SELECT min(t.release_instant) FROM track t WHERE t.release_id = r.id) AS first_track_instant
FROM product_mapping pm JOIN release r ON r.id = pm.release_id LEFT JOIN track tr ON tr.id = pm.track_id
WHERE pm.shop_domain = ANY($1::text[]) AND (pm.variant_id = ANY($2::bigint[]) OR pm.sku = ANY($3::text[])
  OR (pm.product_id = ANY($4::bigint[]) AND pm.variant_id IS NULL AND pm.sku IS NULL))
ORDER BY pm.created_at, pm.id`;

// The releases a line was granted under, once it has grants: new units of the line (its quantity grew) use
// these, never the current mappings, and the reported one stays the reported one (a release is reported when any of
// its grants is: grants backfilled from the recorded events may mark only the units an event named).
// Driven from the batch's line ids (unnest) into the grants' (order_line_id, ...) key: with `= ANY($1)` a
// grant table whose statistics lag a burst was planned as a parallel scan of every grant, per batch.
const SELECT_RECORDED_RELEASES = `
SELECT DISTINCT ON (g.order_line_id, g.release_id) g.order_line_id, g.release_id, g.track_id, g.reported,
  g.merch_bundle, coalesce(g.fan_pack, ol.fan_pack) AS fan_pack, tr.isrc AS track_isrc,
  tr.release_instant AS track_instant, r.title, r.upc, r.release_instant, r.download_limit, r.download_expiry_days,
  (SELECT min(t.release_instant) FROM track t WHERE t.release_id = r.id) AS first_track_instant
FROM unnest($1::uuid[]) AS l(id) JOIN download_grant g ON g.order_line_id = l.id
JOIN order_line ol ON ol.id = g.order_line_id JOIN release r ON r.id = g.release_id
LEFT JOIN track tr ON tr.id = g.track_id
ORDER BY g.order_line_id, g.release_id, g.reported DESC, g.unit_index`;

const INSERT_GRANTS = `
INSERT INTO download_grant (id, token_hash, order_line_id, release_id, unit_index, status, activate_at, expires_at,
  download_limit, activated_at, track_id, reported, unit_gross, unit_discount, unit_tax, unit_net, merch_bundle,
  fan_pack, token_sealed)
SELECT id, h, l, r, u, s::grant_status, a, e, lim, CASE WHEN s = 'active' THEN a END, tr, rep, ug, ud, ut, un, mb, fp, ts
FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::int[], $6::text[], $7::timestamptz[],
            $8::timestamptz[], $9::int[], $10::uuid[], $11::boolean[], $12::numeric[], $13::numeric[],
            $14::numeric[], $15::numeric[], $16::boolean[], $17::boolean[], $18::text[])
  AS g(id, h, l, r, u, s, a, e, lim, tr, rep, ug, ud, ut, un, mb, fp, ts)
ON CONFLICT (order_line_id, release_id, unit_index) DO NOTHING
RETURNING id`;

/**
 * Applies a batch of order snapshots (distinct orders) in one transaction: the order and its lines, the
 * grants owed (net of refunds, also those that arrived first), revocations for a cancellation, and in the
 * same transaction the outbox rows for the sales events, the emails and the Shopify fulfilments. Every
 * effect is keyed on a unique constraint (order, line, grant unit, email key), so a redelivered or
 * replayed snapshot changes nothing.
 */
export async function applySnapshots(ctx: ApplyContext, work: readonly SnapshotWork[]): Promise<SnapshotOutcome[]> {
  return inTransaction(ctx.pool, async (client) => {
    const now = ctx.now();
    await lockOrders(
      client,
      work.map((w) => ({ shopDomain: w.shopDomain, shopifyOrderId: w.snapshot.id })),
    );
    const outcomes = new Map<string, SnapshotOutcome>();
    const gone = await uninstalledShops(client, [...new Set(work.map((w) => w.shopDomain))]);
    const live = work.filter((w) => {
      if (placedWhileInstalled(gone.get(w.shopDomain), w.snapshot.created_at)) return true;
      outcomes.set(orderKey(w.shopDomain, w.snapshot.id), { status: 'shop_uninstalled' });
      return false;
    });

    const stored = await upsertOrders(client, live, now);
    // A redacted customer's late snapshot: erase the copies the redaction could not link (captures, payload).
    await purgeLateCopies(client, work);
    const storedByKey = new Map(stored.map((o) => [orderKey(o.shopDomain, o.shopifyOrderId), o]));
    const fresh = live.filter((w) => storedByKey.has(orderKey(w.shopDomain, w.snapshot.id)));

    const mappings = await loadMappings(client, fresh);
    const refunded = await refundedQuantities(client, fresh);
    const lines = await useRecordedReleases(client, await upsertLines(client, fresh, storedByKey, mappings, refunded));

    const cancelled = stored.filter((o) => o.cancelled).map((o) => o.id);
    // A batch holds several messages' orders: each event continues its own order's trace.
    const traces = new Map(work.map((w) => [orderKey(w.shopDomain, w.snapshot.id), w.trace ?? null]));
    const traceOf: TraceOf = (event) => traces.get(orderKey(event.shopDomain, event.orderId)) ?? null;
    const revokedForCancel = await revokeGrants(client, cancelled, { wholeOrder: true, now, traceOf });
    // Every other order: units above what each line still owes (quantity - refunded) are revoked and their sales
    // reversed, whether a refund or an order edit that lowered the quantity took them.
    const owing = stored.filter((o) => !o.cancelled).map((o) => o.id);
    const revokedAboveOwed = await revokeGrants(client, owing, { wholeOrder: false, now, traceOf });

    const created = await grantOwedUnits(client, ctx, stored, lines, now, traceOf);
    await queueDigitalFulfillments(client, [...new Set(created.activeOrderIds)], now);

    for (const order of stored) {
      outcomes.set(orderKey(order.shopDomain, order.shopifyOrderId), {
        status: 'applied',
        orderId: order.id,
        grantsCreated: created.countByOrder.get(order.id) ?? 0,
        grantsRevoked: (order.cancelled ? revokedForCancel : revokedAboveOwed).get(order.id) ?? 0,
      });
    }
    return work.map((w) => outcomes.get(orderKey(w.shopDomain, w.snapshot.id)) ?? { status: 'stale' });
  });
}

/** Shops not installed now, with the instant they uninstalled (null once redacted, or if never recorded). */
async function uninstalledShops(client: Sql, domains: string[]): Promise<Map<string, Date | null>> {
  const { rows } = await client.query<{ domain: string; uninstalled_at: Date | null }>(
    `SELECT domain, CASE WHEN install_state = 'uninstalled' THEN uninstalled_at END AS uninstalled_at
     FROM shop WHERE domain = ANY($1::text[]) AND install_state <> 'installed'`,
    [domains],
  );
  return new Map(rows.map((r) => [r.domain, r.uninstalled_at]));
}

async function upsertOrders(client: Sql, work: readonly SnapshotWork[], now: Date): Promise<StoredOrder[]> {
  if (work.length === 0) return [];
  const col = <T>(pick: (s: OrderSnapshot, shop: string) => T) => work.map((w) => pick(w.snapshot, w.shopDomain));
  const { rows } = await client.query<StoredOrder>(UPSERT_ORDERS, [
    col((_, shop) => shop),
    col((s) => s.id),
    col((s) => s.name),
    col((s) => s.financial_status ?? 'pending'),
    col((s) => s.cancelled_at ?? null),
    col((s) => s.test),
    col((s) => s.currency),
    col((s) => s.email ?? s.contact_email ?? s.customer?.email ?? null),
    col((s) => s.customer?.id ?? null),
    col((s) => s.browser_ip ?? s.client_details?.browser_ip ?? null),
    col((s) => s.checkout_token ?? null),
    col((s) => s.billing_address?.zip ?? null),
    col((s) => s.billing_address?.country_code ?? null),
    col((s) => s.billing_address?.province_code ?? null),
    col((s) => s.shipping_address?.zip ?? null),
    col((s) => s.shipping_address?.country_code ?? null),
    col((s) => s.shipping_address?.province_code ?? null),
    col((s) => s.created_at ?? null),
    col((s) => s.updated_at),
    now,
    col((s) => s.taxes_included),
    col((s, shop) => {
      const email = s.email ?? s.contact_email ?? s.customer?.email;
      return email ? redactedEmailHash(shop, email) : null;
    }),
  ]);
  return rows;
}

/** The release columns SELECT_MAPPINGS and SELECT_RECORDED_RELEASES both read. */
interface ReleaseTermsRow {
  release_id: string;
  title: string;
  upc: string;
  release_instant: Date;
  download_limit: number;
  download_expiry_days: number;
  first_track_instant: Date | null;
}

function releaseTerms(r: ReleaseTermsRow): ReleaseTerms {
  return {
    releaseId: r.release_id,
    title: r.title,
    upc: r.upc,
    releaseInstant: r.release_instant,
    firstTrackInstant: r.first_track_instant,
    downloadLimit: r.download_limit,
    downloadExpiryDays: r.download_expiry_days,
  };
}

type Mappings = Map<string, MappingRow[]>;

async function loadMappings(client: Sql, work: readonly SnapshotWork[]): Promise<Mappings> {
  const variants = new Set<string>();
  const skus = new Set<string>();
  const products = new Set<string>();
  for (const w of work) {
    for (const line of w.snapshot.line_items) {
      if (line.variant_id) variants.add(line.variant_id);
      if (line.sku) skus.add(line.sku);
      if (line.product_id) products.add(line.product_id);
    }
  }
  const byShop: Mappings = new Map();
  if (work.length === 0 || (variants.size === 0 && skus.size === 0 && products.size === 0)) return byShop;
  const { rows } = await client.query<
    ReleaseTermsRow & {
      shop_domain: string;
      product_id: string | null;
      variant_id: string | null;
      sku: string | null;
      reported_release: boolean;
      fan_pack: boolean;
      track_id: string | null;
      track_isrc: string | null;
      track_instant: Date | null;
    }
  >(SELECT_MAPPINGS, [[...new Set(work.map((w) => w.shopDomain))], [...variants], [...skus], [...products]]);
  for (const r of rows) {
    const list = byShop.get(r.shop_domain) ?? [];
    list.push({
      productId: r.product_id,
      variantId: r.variant_id,
      sku: r.sku,
      reportedRelease: r.reported_release,
      fanPack: r.fan_pack,
      track:
        r.track_id && r.track_isrc ? { id: r.track_id, isrc: r.track_isrc, releaseInstant: r.track_instant } : null,
      terms: releaseTerms(r),
    });
    byShop.set(r.shop_domain, list);
  }
  return byShop;
}

/** Refunded quantity per order line from the refund log (refunds may have arrived before the order). */
async function refundedQuantities(client: Sql, work: readonly SnapshotWork[]): Promise<Map<string, number>> {
  const result = new Map<string, number>();
  if (work.length === 0) return result;
  const { rows } = await client.query<{ shop_domain: string; oid: string; lid: string; refunded: number }>(
    `SELECT shop_domain, shopify_order_id::text AS oid, shopify_line_id::text AS lid, least(sum(quantity), 2147483647)::int AS refunded
     FROM refund_line WHERE (shop_domain, shopify_order_id) IN (SELECT * FROM unnest($1::text[], $2::bigint[]))
     GROUP BY 1, 2, 3`,
    [work.map((w) => w.shopDomain), work.map((w) => w.snapshot.id)],
  );
  for (const r of rows) result.set(`${orderKey(r.shop_domain, r.oid)}\0${r.lid}`, r.refunded);
  return result;
}

interface StoredLine {
  id: string;
  orderId: string;
  shopifyLineId: string;
  order: StoredOrder;
  quantity: number;
  refunded: number;
  releases: LineRelease[];
  /** What each unit reports to charts (one release per unit, also for bundles). */
  reported: ReportedRelease | null;
  amounts: LineAmounts;
  /** Physical goods on the line beside the music: a merch bundle. */
  merchBundle: boolean;
}

async function upsertLines(
  client: Sql,
  work: readonly SnapshotWork[],
  stored: Map<string, StoredOrder>,
  mappings: Mappings,
  refunded: Map<string, number>,
): Promise<StoredLine[]> {
  const rows: (string | number | boolean | null)[][] = Array.from({ length: 15 }, () => []);
  const facts = new Map<string, Pick<StoredLine, 'releases' | 'reported' | 'amounts' | 'merchBundle'>>();
  for (const w of work) {
    const key = orderKey(w.shopDomain, w.snapshot.id);
    const order = stored.get(key)!;
    for (const line of w.snapshot.line_items) {
      const { releases, reported } = releasesForLine(
        { productId: line.product_id ?? null, variantId: line.variant_id ?? null, sku: line.sku ?? null },
        mappings.get(w.shopDomain) ?? [],
      );
      const amounts = lineAmounts(w.snapshot, line);
      facts.set(`${order.id}\0${line.id}`, { releases, reported, amounts, merchBundle: line.requires_shipping });
      const values = [
        order.id,
        line.id,
        line.product_id ?? null,
        line.variant_id ?? null,
        line.sku ?? null,
        line.quantity,
        line.price,
        line.requires_shipping,
        reported?.releaseId ?? null,
        releases.length === 0,
        // A refund never takes more units than the line has (a refund of 5 on a 2-unit line refunds 2).
        Math.min(line.quantity, refunded.get(`${key}\0${line.id}`) ?? 0),
        amounts.discount,
        amounts.tax,
        lineNet(amounts),
        reported?.fanPack ?? false,
      ];
      for (const [i, v] of values.entries()) rows[i]!.push(v);
    }
  }
  if (rows[0]!.length === 0) return [];
  const byId = new Map([...stored.values()].map((o) => [o.id, o]));
  const result = await client.query<{
    id: string;
    order_id: string;
    shopify_line_id: string;
    quantity: number;
    refunded_quantity: number;
  }>(UPSERT_LINES, rows);
  return result.rows.map((r) => ({
    id: r.id,
    orderId: r.order_id,
    order: byId.get(r.order_id)!,
    quantity: r.quantity,
    refunded: r.refunded_quantity,
    shopifyLineId: r.shopify_line_id,
    ...facts.get(`${r.order_id}\0${r.shopify_line_id}`)!,
  }));
}

/**
 * Lines that already have grants keep the releases they were granted under (and the reported one among them):
 * once a unit is recorded, its sale is in the stream, so a mapping changed, re-pointed or deleted afterwards must
 * neither grant (and report) the unit again under another release nor leave it without one. Later snapshots only
 * change what is owed (refunds, cancellation), and new units of a line whose quantity grew get the same releases.
 * A line without grants (unmapped, or not paid yet) still follows the current mappings, so a mapping added after
 * the order grants it on the next snapshot.
 */
async function useRecordedReleases(client: Sql, lines: StoredLine[]): Promise<StoredLine[]> {
  if (lines.length === 0) return lines;
  const { rows } = await client.query<
    ReleaseTermsRow & {
      order_line_id: string;
      track_id: string | null;
      reported: boolean;
      merch_bundle: boolean | null;
      fan_pack: boolean;
      track_isrc: string | null;
      track_instant: Date | null;
    }
  >(SELECT_RECORDED_RELEASES, [lines.map((l) => l.id)]);
  const recorded = new Map<string, typeof rows>();
  for (const r of rows) recorded.set(r.order_line_id, [...(recorded.get(r.order_line_id) ?? []), r]);
  return lines.map((line) => {
    const granted = recorded.get(line.id);
    if (!granted) return line;
    const reported = granted.find((r) => r.reported);
    return {
      ...line,
      releases: granted.map((r) => ({
        terms: releaseTerms(r),
        track: r.track_id ? { id: r.track_id, releaseInstant: r.track_instant } : null,
      })),
      reported: reported
        ? { releaseId: reported.release_id, upc: reported.upc, isrc: reported.track_isrc, fanPack: reported.fan_pack }
        : null,
      merchBundle: reported?.merch_bundle ?? line.merchBundle,
    };
  });
}

/** Per line: how many units are not revoked, and the highest unit index it ever had (-1 without grants). */
async function grantedUnits(client: Sql, lineIds: string[]): Promise<Map<string, { live: number; maxIndex: number }>> {
  const result = new Map<string, { live: number; maxIndex: number }>();
  if (lineIds.length === 0) return result;
  const { rows } = await client.query<{ order_line_id: string; live: number; max_index: number }>(
    `SELECT order_line_id, count(DISTINCT unit_index) FILTER (WHERE status <> 'revoked')::int AS live,
       max(unit_index) AS max_index
     FROM download_grant WHERE order_line_id = ANY($1::uuid[]) GROUP BY order_line_id`,
    [lineIds],
  );
  for (const r of rows) result.set(r.order_line_id, { live: r.live, maxIndex: r.max_index });
  return result;
}

function owesGrants(order: StoredOrder): boolean {
  return PAID_STATUSES.has(order.financialStatus) && !order.test && !order.cancelled;
}

async function grantOwedUnits(
  client: Sql,
  ctx: ApplyContext,
  orders: readonly StoredOrder[],
  lines: readonly StoredLine[],
  now: Date,
  traceOf: TraceOf,
): Promise<{ countByOrder: Map<string, number>; activeOrderIds: string[] }> {
  const payable = new Set(orders.filter(owesGrants).map((o) => o.id));
  const units = await grantedUnits(
    client,
    lines.filter((l) => payable.has(l.orderId)).map((l) => l.id),
  );
  const cols: unknown[][] = Array.from({ length: 18 }, () => []);
  const planned: {
    id: string;
    line: StoredLine;
    terms: StoredLine['releases'][number]['terms'];
    unitIndex: number;
    status: string;
    activateAt: Date;
    amounts: UnitAmounts;
  }[] = [];
  for (const line of lines) {
    if (!payable.has(line.orderId)) continue;
    const { live, maxIndex } = units.get(line.id) ?? { live: 0, maxIndex: -1 };
    const indexes = newUnitIndexes(Math.max(0, line.quantity - line.refunded), live, maxIndex);
    for (const { terms, track } of line.releases) {
      // A track sale opens at its track's own instant (an "instant grat" single before its album).
      for (const [k, grant] of planGrants(terms, indexes, now, track).entries()) {
        const id = randomUUID();
        // What the unit is recorded under, kept on its grant for life (its later events carry these): the line's
        // amounts spread over its units, this one taking the place after the units still live.
        const amounts = unitAmounts(line.amounts, live + k);
        // A random token: stored as its hash, and sealed until its emails are sent (grants/tokens.ts).
        const token = ctx.tokens.issue();
        const values = [
          id,
          token.hash,
          line.id,
          grant.releaseId,
          grant.unitIndex,
          grant.status,
          grant.activateAt,
          grant.expiresAt,
          grant.downloadLimit,
          track?.id ?? null,
          line.reported?.releaseId === terms.releaseId,
          amounts.gross,
          amounts.discount,
          amounts.tax,
          amounts.net,
          line.merchBundle,
          line.reported?.fanPack ?? false,
          token.sealed,
        ];
        for (const [i, v] of values.entries()) cols[i]!.push(v);
        planned.push({
          id,
          line,
          terms,
          unitIndex: grant.unitIndex,
          status: grant.status,
          activateAt: grant.activateAt,
          amounts,
        });
      }
    }
  }
  const countByOrder = new Map<string, number>();
  if (planned.length === 0) return { countByOrder, activeOrderIds: [] };
  const { rows } = await client.query<{ id: string }>(INSERT_GRANTS, cols);
  const inserted = new Set(rows.map((r) => r.id));
  const created = planned.filter((p) => inserted.has(p.id));

  const events: SalesEvent[] = [];
  const emails = new Map<string, { order: StoredOrder; items: Map<string, DownloadEmailPayload['items'][number]> }>();
  const activeOrderIds: string[] = [];
  for (const grant of created) {
    const order = grant.line.order;
    countByOrder.set(order.id, (countByOrder.get(order.id) ?? 0) + 1);
    if (grant.status === 'active') activeOrderIds.push(order.id);
    // Every release of a bundle is granted and delivered, but each unit reports one release: a second
    // release's sale.recorded would chart the bundle twice.
    const reported = grant.line.reported;
    if (reported?.releaseId === grant.terms.releaseId) {
      events.push(
        buildSalesEvent(
          'sale.recorded',
          {
            shopDomain: order.shopDomain,
            shopifyOrderId: order.shopifyOrderId,
            shopifyLineId: grant.line.shopifyLineId,
            unitIndex: grant.unitIndex,
            releaseId: reported.releaseId,
            // A track sale reports its ISRC, not the album's UPC.
            upc: reported.isrc ? null : reported.upc,
            isrc: reported.isrc,
            unitPrice: grant.line.amounts.price,
            lineQuantity: grant.line.amounts.quantity,
            lineDiscount: grant.line.amounts.discount,
            lineTax: grant.line.amounts.tax,
            taxesIncluded: grant.line.amounts.taxesIncluded,
            recordedGross: grant.amounts.gross,
            recordedDiscount: grant.amounts.discount,
            recordedTax: grant.amounts.tax,
            recordedNet: grant.amounts.net,
            merchBundle: grant.line.merchBundle,
            fanPack: reported.fanPack,
            currency: order.currency,
            email: order.email,
            billingZip: order.billingZip,
            billingCountry: order.billingCountry,
            shippingZip: order.shippingZip,
            shippingCountry: order.shippingCountry,
            browserIp: order.browserIp,
            checkoutToken: order.checkoutToken,
          },
          now,
        ),
      );
    }
    const email = emails.get(order.id) ?? { order, items: new Map() };
    const itemKey = `${grant.terms.releaseId}\0${grant.activateAt.toISOString()}`;
    const item = email.items.get(itemKey) ?? {
      releaseId: grant.terms.releaseId,
      title: grant.terms.title,
      grantIds: [],
      availableAt: grant.activateAt.toISOString(),
    };
    item.grantIds.push(grant.id);
    email.items.set(itemKey, item);
    emails.set(order.id, email);
  }
  await appendSalesEvents(client, events, traceOf);
  await queueEmails(
    client,
    [...emails.values()].map(({ order, items }): NewEmail => {
      const list = [...items.values()];
      // The first grant of the set names the email: these grants were inserted once, so is the email.
      const first = list.flatMap((i) => i.grantIds).sort()[0];
      return {
        idempotencyKey: `order_downloads:${order.id}:${first}`,
        orderId: order.id,
        to: order.email,
        kind: 'order_downloads',
        payload: { orderName: order.name, items: list },
      };
    }),
    now,
  );
  return { countByOrder, activeOrderIds };
}
