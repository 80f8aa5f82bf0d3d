import type { Sql } from '../support/db.ts';

/**
 * The webhook dispatcher keeps delivery payloads (personal data) for replay. Privacy reaches every copy by
 * design (GUIDE: each owner exports a purge for its tables, the privacy handlers call all of them); until
 * the dispatcher's purge is exported from @single/db, this is that purge, limited to the payload columns.
 */
export async function purgeDeliveryPayloads(
  client: Sql,
  shopDomain: string,
  scope: 'all' | { orderIds: readonly string[]; customerId: string },
): Promise<void> {
  if (scope === 'all') {
    await client.query('UPDATE webhook_delivery SET payload = NULL WHERE shop_domain = $1 AND payload IS NOT NULL', [
      shopDomain,
    ]);
    return;
  }
  await client.query(
    `UPDATE webhook_delivery SET payload = NULL
     WHERE shop_domain = $1 AND payload IS NOT NULL
       AND (payload->>'id' = ANY($2::text[]) OR payload->>'order_id' = ANY($2::text[])
            OR payload->'customer'->>'id' = $3)`,
    [shopDomain, scope.orderIds, scope.customerId],
  );
}
