// Read-only query module over the fulfillment worker's fan_data_key (GUIDE: others read an owner's table only
// through a query module of packages/db). geo-reporting opens the sealed fan facts of sales.v1 version 2 with it.

/** Anything with pg's `query` (a Pool, a PoolClient). */
interface Queryable {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[] }>;
}

/**
 * The data keys by id, of one shop. A key missing from the answer was deleted by a redaction (or never
 * existed): its events' fan facts are gone for good, which the consumer must take in its stride.
 */
export async function readFanDataKeys(
  db: Queryable,
  shopDomain: string,
  ids: readonly string[],
): Promise<Map<string, Buffer>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; key: Buffer }>(
    'SELECT id::text, key FROM fan_data_key WHERE shop_domain = $1 AND id = ANY($2::uuid[])',
    [shopDomain, [...new Set(ids)]],
  );
  return new Map(rows.map((r) => [r.id, r.key]));
}
