// Owned by webhook-dispatcher (it owns webhook_delivery and dispatch_outbox); exported here so that the
// artist API and cmdr request a replay without writing the dispatcher's tables themselves.

/** Anything with pg's `query` (a Pool, a PoolClient). */
export interface Queryable {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[] }>;
}

export interface ReplayRequest {
  /** webhook_delivery.id (bigint as a decimal string). */
  deliveryId: string;
  /** Who asked (e.g. `api-key:<id>`, `cmdr:<user>`); the relay publishes it in the envelope's `replay`. */
  requestedBy: string;
  /** When given, the delivery must come from one of these shops (tenant scoping); otherwise nothing happens. */
  shopDomains?: readonly string[];
}

export type ReplayResult =
  | { status: 'queued'; outboxId: string }
  | { status: 'not_found' }
  | { status: 'payload_expired' };

/**
 * Queues a stored delivery for re-publication: one dispatch_outbox row with `replay_requested_by`; the
 * dispatcher's relay publishes it (with `replay` in the envelope) and wakes on the NOTIFY. A delivery whose
 * payload was purged (retention) cannot be replayed.
 */
export async function requestWebhookReplay(db: Queryable, request: ReplayRequest): Promise<ReplayResult> {
  const { rows } = await db.query<{ outbox_id: string | null; found: boolean; has_payload: boolean }>(
    `WITH target AS (
       SELECT id, lane, payload IS NOT NULL AS has_payload FROM webhook_delivery
       WHERE id = $1::bigint AND ($3::text[] IS NULL OR shop_domain = ANY($3::text[]))
     ), queued AS (
       INSERT INTO dispatch_outbox (delivery_id, lane, replay_requested_by)
       SELECT id, lane, $2 FROM target WHERE has_payload
       RETURNING id, lane
     ), woken AS (
       SELECT pg_notify('dispatch_outbox', lane) FROM queued
     )
     SELECT (SELECT id::text FROM queued) AS outbox_id, EXISTS (SELECT 1 FROM target) AS found,
            coalesce((SELECT has_payload FROM target), false) AS has_payload, (SELECT count(*) FROM woken) AS notified`,
    [request.deliveryId, request.requestedBy, request.shopDomains ?? null],
  );
  const row = rows[0]!;
  if (!row.found) return { status: 'not_found' };
  if (!row.has_payload || !row.outbox_id) return { status: 'payload_expired' };
  return { status: 'queued', outboxId: row.outbox_id };
}
