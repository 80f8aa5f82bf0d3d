import { purgeGeoPersonalData, purgeWebhookDeliveryPayloads } from '@single/db';
import type { OrderSnapshot } from '../shopify/payloads.ts';
import type { Sql } from '../support/db.ts';
import { redactedEmailHash } from './tombstones.ts';

// The snapshots whose customer, order or email a customers/redact named (the tombstones), with the checkout
// token each carries. Same test as apply-snapshots' UPSERT_ORDERS.
const TOMBSTONED = `
SELECT i.shop, i.oid::text AS oid, i.token
FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[]) AS i(shop, oid, customer_id, email_hash, token)
WHERE EXISTS (SELECT 1 FROM redacted_customer rc WHERE rc.shop_domain = i.shop AND rc.customer_id = i.customer_id)
  OR EXISTS (SELECT 1 FROM redacted_order ro WHERE ro.shop_domain = i.shop AND ro.shopify_order_id = i.oid)
  OR EXISTS (SELECT 1 FROM redacted_email re WHERE re.shop_domain = i.shop AND re.email_hash = i.email_hash)`;

/**
 * A snapshot of a redacted customer that arrives after the redaction (a late orders/paid or orders/updated)
 * brings copies the redaction could not reach: the order was not stored then, so nothing linked the geo
 * beacon's captures of its checkout to the customer, and the delivery that carried it keeps the raw payload
 * for replay. Both are erased here, by the snapshot's own checkout token and order id.
 */
export async function purgeLateCopies(
  client: Sql,
  work: readonly { shopDomain: string; snapshot: OrderSnapshot }[],
): Promise<number> {
  if (work.length === 0) return 0;
  const { rows } = await client.query<{ shop: string; oid: string; token: string | null }>(TOMBSTONED, [
    work.map((w) => w.shopDomain),
    work.map((w) => w.snapshot.id),
    work.map((w) => w.snapshot.customer?.id ?? null),
    work.map((w) => {
      const email = w.snapshot.email ?? w.snapshot.contact_email ?? w.snapshot.customer?.email;
      return email ? redactedEmailHash(w.shopDomain, email) : null;
    }),
    work.map((w) => w.snapshot.checkout_token ?? null),
  ]);
  for (const r of rows) {
    const scope = { shopDomain: r.shop, orderIds: [r.oid], checkoutTokens: r.token ? [r.token] : [] };
    await purgeGeoPersonalData(client, scope);
    await purgeWebhookDeliveryPayloads(client, scope);
  }
  return rows.length;
}
