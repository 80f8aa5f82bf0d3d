import { createHash } from 'node:crypto';
import { Prisma } from '@single/db';
import type { Sql } from '@single/db/transaction';

// The connection and transaction helpers are shared with the artist API.
export { inTransaction, type Sql, withClient } from '@single/db/transaction';

/** An open Prisma interactive transaction (`db.$transaction(async (tx) => ...)`). */
export type Tx = Prisma.TransactionClient;

/**
 * Where a statement shared by pg and Prisma paths runs: the pg client of the caller's transaction (the
 * snapshot batch, the pre-order tick) or a Prisma interactive transaction (refund, redaction). The statement
 * is written once, as a `Prisma.sql` tagged template; on pg it runs as its `$n` text and values.
 * Result columns of such statements are text, int4, boolean, uuid, timestamptz or json, which both read
 * alike (Prisma reads int8 as BigInt and numeric as Decimal where pg reads text).
 */
export type Runner = Sql | Tx;

const onPrisma = (on: Runner): on is Tx => '$queryRaw' in on;

/** The rows of a statement, on either runner. */
export async function rowsOf<R>(on: Runner, statement: Prisma.Sql): Promise<R[]> {
  if (onPrisma(on)) return on.$queryRaw<R[]>(statement);
  return (await on.query(statement.text, statement.values)).rows as R[];
}

/** How many rows a statement wrote (or returned), on either runner; reads no result columns. */
export async function execute(on: Runner, statement: Prisma.Sql): Promise<number> {
  if (onPrisma(on)) return on.$executeRaw(statement);
  return (await on.query(statement.text, statement.values)).rowCount ?? 0;
}

/**
 * Options of the worker's Prisma transactions. Prisma's defaults (wait 2 s for a connection, abort after 5 s)
 * would cut short what the pg transactions never limited: a shop's redaction spans all its orders, and these
 * transactions wait for the orders' advisory locks and for a relay round holding the same outbox rows.
 */
export const WORKER_TRANSACTION = { maxWait: 60_000, timeout: 10 * 60_000 } as const;

/** 64-bit advisory lock key for an order (any replica, any queue): sha256 prefix as a signed bigint. */
export function orderLockKey(shopDomain: string, shopifyOrderId: string): bigint {
  return createHash('sha256').update(`${shopDomain}\0${shopifyOrderId}`).digest().readBigInt64BE(0);
}

/**
 * Takes the transaction-scoped locks of these orders in ascending key order, so two transactions that
 * touch overlapping orders cannot deadlock. Serialises one order's messages across queues and replicas,
 * whether the transaction is pg's (snapshot batch, pre-order tick) or Prisma's (refund, redaction).
 */
export async function lockOrders(on: Runner, keys: readonly { shopDomain: string; shopifyOrderId: string }[]) {
  if (keys.length === 0) return;
  const sorted = [...new Set(keys.map((k) => orderLockKey(k.shopDomain, k.shopifyOrderId)))].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  // unnest yields the array in order and the locks are taken row by row, in that order.
  await execute(
    on,
    Prisma.sql`SELECT count(pg_advisory_xact_lock(k)) FROM unnest(${sorted.map(String)}::bigint[]) AS k`,
  );
}
