import { createHash } from 'node:crypto';
import type { Sql } from '@single/db/transaction';

// The connection and transaction helpers are shared with the artist API.
export { inTransaction, type Sql, withClient } from '@single/db/transaction';

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
