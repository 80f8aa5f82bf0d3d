import { createHash } from 'node:crypto';
import { inTransaction, type Sql } from '@single/db/transaction';
import type { Pool, QueryResultRow } from 'pg';

// The connection and transaction helpers are shared with the artist API.
export { inTransaction, type Sql, withClient } from '@single/db/transaction';

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
