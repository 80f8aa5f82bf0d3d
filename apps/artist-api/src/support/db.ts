// The transaction helper is shared with the fulfillment worker.
export { inTransaction, type Sql } from '@single/db/transaction';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Path ids that are not even well-formed answer 404 like unknown ones: no separate oracle for format. */
export const isUuid = (value: string) => UUID.test(value);

/** bigint ids (Shopify ids, bigserial) as decimal strings, within PostgreSQL's signed 64-bit range. */
export const isBigintText = (value: string) =>
  /^[0-9]{1,19}$/.test(value) && BigInt(value) <= 9_223_372_036_854_775_807n;

/** PostgreSQL unique_violation, optionally on a named constraint. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { code?: string; constraint?: string };
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
}
