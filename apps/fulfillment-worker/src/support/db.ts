import { createHash } from 'node:crypto';
import type { Pool, PoolClient, QueryResultRow } from 'pg';

export type Sql = Pick<PoolClient, 'query'>;

/**
 * Checks a connection out of the pool for `work`, with an error listener while it is out: pg's pool only
 * listens to idle connections, so a server that goes away while a checked-out client sits between two
 * queries (e.g. waiting on Kafka) would otherwise raise an uncaught 'error' and take the process down.
 * The work's next query fails instead. A lost connection, or one the work discards, is not reused.
 */
export async function withClient<T>(
  pool: Pool,
  work: (client: PoolClient, discard: () => void) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let reusable = true;
  const onError = () => {
    reusable = false;
  };
  client.on('error', onError);
  try {
    return await work(client, onError);
  } finally {
    // A dead connection keeps the listener: its socket may still report errors after release.
    if (reusable) client.removeListener('error', onError);
    client.release(!reusable);
  }
}

/** Runs `work` in one transaction on a pooled connection; a connection that failed is not reused. */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  return withClient(pool, async (client, discard) => {
    await client.query('BEGIN');
    try {
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(discard);
      throw error;
    }
  });
}

/**
 * Runs an outbox claim (`... WHERE status = 'pending' AND next_attempt_at <= now ORDER BY next_attempt_at
 * LIMIT n FOR UPDATE SKIP LOCKED`) so that it walks the (status, next_attempt_at) index in order and stops
 * after n rows. An outbox table grows faster than autovacuum re-analyses it, and with stale statistics the
 * planner picks a bitmap scan of every due row plus a sort: each claim then costs the whole backlog
 * (quadratic under a burst of orders). Planner settings are local to the claim's transaction.
 */
export async function claimInIndexOrder<R extends QueryResultRow>(
  pool: Pool,
  text: string,
  values: unknown[],
): Promise<R[]> {
  return inTransaction(pool, async (client) => {
    await client.query(
      'SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off',
    );
    return (await client.query<R>(text, values)).rows;
  });
}

/** 64-bit advisory lock key for an order (any replica, any queue): sha256 prefix as a signed bigint. */
export function orderLockKey(shopDomain: string, shopifyOrderId: string): bigint {
  return createHash('sha256').update(`${shopDomain}\0${shopifyOrderId}`).digest().readBigInt64BE(0);
}

/**
 * Takes the transaction-scoped locks of these orders in ascending key order, so two transactions that
 * touch overlapping orders cannot deadlock. Serialises one order's messages across queues and replicas.
 */
export async function lockOrders(client: Sql, keys: readonly { shopDomain: string; shopifyOrderId: string }[]) {
  if (keys.length === 0) return;
  const sorted = [...new Set(keys.map((k) => orderLockKey(k.shopDomain, k.shopifyOrderId)))].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  // unnest yields the array in order and the locks are taken row by row, in that order.
  await client.query('SELECT count(pg_advisory_xact_lock(k)) FROM unnest($1::bigint[]) AS k', [sorted.map(String)]);
}
