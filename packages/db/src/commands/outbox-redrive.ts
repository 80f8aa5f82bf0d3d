// Owned by fulfillment-worker (it owns email_message and fulfillment); exported here so that cmdr lists and
// redrives failed rows without writing the worker's tables itself. A redriven row goes back to `pending` with
// a fresh retry ladder and keeps its idempotency key (the email's Message-ID), and the worker is woken by the
// same NOTIFY its own outbox writes send.
import type { Queryable } from './webhook-replay.ts';

export type OutboxKind = 'email' | 'fulfillment';

/** Failed for a reason a new attempt cannot change (no address to send to, every grant revoked). */
const NOT_REDRIVABLE = ['no_recipient', 'grants_revoked'];

const TABLE: Record<OutboxKind, { table: string; channel: string; kind: string; lastAttempt: string }> = {
  email: { table: 'email_message', channel: 'email_message', kind: 'kind', lastAttempt: 'next_attempt_at' },
  fulfillment: { table: 'fulfillment', channel: 'fulfillment', kind: `'digital'`, lastAttempt: 'updated_at' },
};

/** What an operator needs to decide; never the recipient's address (personal data). */
export type FailedOutboxItem = {
  id: string;
  orderId: string | null;
  kind: string;
  attempts: number;
  errorClass: string | null;
  /** Codes only for emails (`smtp permanent 550 EENVELOPE RCPT TO`), never the server's reply. */
  lastError: string | null;
  uncertainSends: number;
  failedAt: Date;
  redrivable: boolean;
};

export async function listFailedOutbox(
  db: Queryable,
  kind: OutboxKind,
  options: { limit: number },
): Promise<{ kind: OutboxKind; total: number; items: FailedOutboxItem[] }> {
  const t = TABLE[kind];
  const { rows } = await db.query<FailedOutboxItem & { total: number }>(
    `SELECT id::text AS id, order_id::text AS "orderId", ${t.kind} AS kind, attempts, error_class AS "errorClass",
            last_error AS "lastError", uncertain_sends AS "uncertainSends", ${t.lastAttempt} AS "failedAt",
            NOT (coalesce(error_class, '') = ANY($2::text[])) AS redrivable, count(*) OVER ()::int AS total
       FROM ${t.table} WHERE status = 'failed' ORDER BY ${t.lastAttempt} DESC, id LIMIT $1`,
    [options.limit, NOT_REDRIVABLE],
  );
  const total = rows[0]?.total ?? (await countFailed(db, t.table));
  return { kind, total, items: rows.map(({ total: _, ...item }) => item) };
}

async function countFailed(db: Queryable, table: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE status = 'failed'`);
  return rows[0]!.n;
}

export interface RedriveRequest {
  /** These rows (ids); or every redrivable failed row when `all`. */
  ids?: readonly string[];
  all?: boolean;
  /** Report what would happen, change nothing. */
  dryRun?: boolean;
  /** At most this many rows (with `all`). */
  limit?: number;
}

export interface RedriveOutcome {
  kind: OutboxKind;
  dryRun: boolean;
  /** Back to `pending` (or would be, in a dry run). */
  redriven: string[];
  /** Named but not redriven: unknown, not failed, or failed for a reason a new attempt cannot change. */
  skipped: { id: string; reason: 'not_found' | 'not_failed' | 'no_recipient' | 'grants_revoked' }[];
}

/** Puts failed rows back to `pending` with a fresh ladder, in one statement; wakes the worker. */
export async function redriveFailedOutbox(
  db: Queryable,
  kind: OutboxKind,
  request: RedriveRequest,
): Promise<RedriveOutcome> {
  const t = TABLE[kind];
  const ids = request.all ? null : [...new Set(request.ids ?? [])];
  if (ids !== null && ids.length === 0) return { kind, dryRun: request.dryRun === true, redriven: [], skipped: [] };
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  const skipped: RedriveOutcome['skipped'] = (ids ?? [])
    .filter((id) => !uuid.test(id))
    .map((id) => ({ id, reason: 'not_found' }));
  const named = ids?.filter((id) => uuid.test(id)) ?? null;
  const { rows } = await db.query<{ id: string; status: string; error_class: string | null; redriven: boolean }>(
    `WITH candidates AS (
       SELECT id, status::text AS status, error_class FROM ${t.table}
       WHERE ($1::uuid[] IS NULL AND status = 'failed' AND NOT (coalesce(error_class, '') = ANY($2::text[])))
          OR id = ANY($1::uuid[])
       ORDER BY id LIMIT $4
     ), chosen AS (
       SELECT id FROM candidates WHERE status = 'failed' AND NOT (coalesce(error_class, '') = ANY($2::text[]))
     ), redriven AS (
       UPDATE ${t.table} r SET status = 'pending', attempts = 0, next_attempt_at = now(), error_class = NULL
       FROM chosen WHERE r.id = chosen.id AND NOT $3::boolean AND r.status = 'failed'
       RETURNING r.id
     ), woken AS (
       SELECT pg_notify('${t.channel}', '') FROM (SELECT count(*) AS n FROM redriven) AS c WHERE c.n > 0
     )
     SELECT c.id::text AS id, c.status, c.error_class, c.id IN (SELECT id FROM chosen) AS redriven,
            (SELECT count(*) FROM woken) AS notified
     FROM candidates c ORDER BY c.id`,
    // Named rows: every one of them (a limit would report the ones past it as not found).
    [named, NOT_REDRIVABLE, request.dryRun === true, named ? Math.max(named.length, 1) : (request.limit ?? 10_000)],
  );
  const found = new Set(rows.map((r) => r.id));
  for (const id of named ?? []) if (!found.has(id.toLowerCase())) skipped.push({ id, reason: 'not_found' });
  for (const row of rows) {
    if (row.redriven) continue;
    skipped.push({
      id: row.id,
      reason: row.status !== 'failed' ? 'not_failed' : (row.error_class as 'no_recipient' | 'grants_revoked'),
    });
  }
  return { kind, dryRun: request.dryRun === true, redriven: rows.filter((r) => r.redriven).map((r) => r.id), skipped };
}
