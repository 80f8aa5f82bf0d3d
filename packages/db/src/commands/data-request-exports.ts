// Owned by the fulfillment worker (data_request_export: it builds the export of a customers/data_request);
// exported here so that the artist API's route and cmdr hand the merchant the same export, and so that the
// worker's sweep and both readers agree on when one has expired.
//
// An export holds everything the platform keeps about a customer: it lives 30 days, then the sweep nulls its
// payload and keeps the row, so that a late fetch is told 410 (gone), not 404 (never was).

/** Anything with pg's `query` (a Pool, a PoolClient). */
interface Queryable {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }>;
}

export const DATA_REQUEST_EXPORT_DAYS = 30;

export type DataRequestExportRead =
  | {
      status: 'ready';
      id: string;
      shopDomain: string;
      customerId: string;
      dataRequestId: string | null;
      createdAt: Date;
      expiresAt: Date;
      export: Record<string, unknown>;
    }
  | { status: 'expired'; id: string; expiresAt: Date }
  | { status: 'not_found' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DIGITS = /^\d{1,19}$/;

/**
 * One export of the shop, by its id (uuid) or by Shopify's data request id (digits). Expired (past expires_at,
 * swept or not yet): `expired`, never the data.
 */
export async function readDataRequestExport(
  db: Queryable,
  input: { shopDomain: string; id: string; now: Date },
): Promise<DataRequestExportRead> {
  const byUuid = UUID.test(input.id);
  if (!byUuid && !DIGITS.test(input.id)) return { status: 'not_found' };
  const { rows } = await db.query<{
    id: string;
    shop_domain: string;
    customer_id: string;
    data_request_id: string | null;
    created_at: Date;
    expires_at: Date;
    payload: Record<string, unknown> | null;
  }>(
    `SELECT id::text, shop_domain, customer_id::text, data_request_id::text, created_at, expires_at, payload
     FROM data_request_export
     WHERE shop_domain = $1 AND ${byUuid ? 'id = $2::uuid' : 'data_request_id = $2::bigint'}`,
    [input.shopDomain, input.id],
  );
  const row = rows[0];
  if (!row) return { status: 'not_found' };
  if (row.payload === null || row.expires_at.getTime() <= input.now.getTime()) {
    return { status: 'expired', id: row.id, expiresAt: row.expires_at };
  }
  return {
    status: 'ready',
    id: row.id,
    shopDomain: row.shop_domain,
    customerId: row.customer_id,
    dataRequestId: row.data_request_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    export: row.payload,
  };
}

/**
 * The document the merchant gets (JSON): the artist API's route answers it and cmdr writes it to a file, so the
 * two cannot drift apart.
 */
export function dataRequestExportDocument(found: Extract<DataRequestExportRead, { status: 'ready' }>) {
  return {
    id: found.id,
    shopDomain: found.shopDomain,
    customerId: found.customerId,
    dataRequestId: found.dataRequestId,
    createdAt: found.createdAt.toISOString(),
    expiresAt: found.expiresAt.toISOString(),
    export: found.export,
  };
}

/** Nulls the payload of exports past their expiry (at most `limit` a call); returns how many. */
export async function sweepExpiredDataRequestExports(db: Queryable, now: Date, limit = 500): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE data_request_export SET payload = NULL
     WHERE id IN (SELECT id FROM data_request_export WHERE expires_at <= $1 AND payload IS NOT NULL
                  ORDER BY expires_at LIMIT $2)`,
    [now, limit],
  );
  return rowCount ?? 0;
}
