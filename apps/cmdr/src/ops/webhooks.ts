import { requestWebhookReplay } from '@single/db/commands/webhook-replay';
import type pg from 'pg';
import { CmdrError, ExitCode, notFound } from '../exit-codes.ts';

// webhook_delivery and dispatch_outbox belong to the webhook dispatcher: cmdr reads them, and requests
// replays only through the command @single/db exports for that (the same one the artist API uses).

export interface DeliveryRow {
  id: string;
  shopDomain: string;
  topic: string;
  webhookId: string;
  status: string;
  receivedAt: Date;
  publishedAt: Date | null;
  replayable: boolean;
  pendingPublishes: number;
}

export interface ListFilter {
  limit: number;
  since?: Date;
  topic?: string;
  shop?: string;
  status?: string;
}

export async function listDeliveries(pool: pg.Pool, filter: ListFilter): Promise<DeliveryRow[]> {
  const { rows } = await pool.query<DeliveryRow>(
    `SELECT d.id::text AS id, d.shop_domain AS "shopDomain", d.topic, d.webhook_id AS "webhookId",
            d.status::text AS status, d.received_at AS "receivedAt", d.published_at AS "publishedAt",
            d.payload IS NOT NULL AS replayable,
            (SELECT count(*)::int FROM dispatch_outbox o WHERE o.delivery_id = d.id) AS "pendingPublishes"
       FROM webhook_delivery d
      WHERE ($1::timestamptz IS NULL OR d.received_at >= $1)
        AND ($2::text IS NULL OR d.topic = $2)
        AND ($3::text IS NULL OR d.shop_domain = $3)
        AND ($4::text IS NULL OR d.status::text = $4)
      ORDER BY d.id DESC
      LIMIT $5`,
    [filter.since ?? null, filter.topic ?? null, filter.shop ?? null, filter.status ?? null, filter.limit],
  );
  return rows;
}

export interface ReplaySummary {
  queued: string[];
  /** Deliveries whose payload was purged after the retention period: they cannot be replayed. */
  expired: string[];
  notFound: string[];
}

export async function replayOne(pool: pg.Pool, deliveryId: string, requestedBy: string): Promise<ReplaySummary> {
  if (!/^\d{1,19}$/.test(deliveryId)) throw new CmdrError(`invalid delivery id "${deliveryId}"`, ExitCode.usage);
  const result = await requestWebhookReplay(pool, { deliveryId, requestedBy });
  if (result.status === 'not_found') throw notFound(`delivery ${deliveryId} not found`);
  if (result.status === 'payload_expired') {
    throw new CmdrError(`delivery ${deliveryId} can no longer be replayed: its payload was purged`, ExitCode.conflict);
  }
  return { queued: [deliveryId], expired: [], notFound: [] };
}

/** Replays every delivery received since `since` (optionally one topic or shop), one outbox row each. */
export async function replaySince(
  pool: pg.Pool,
  options: {
    since: Date;
    topic?: string;
    shop?: string;
    requestedBy: string;
    onProgress?: (done: number, total: number) => void;
  },
): Promise<ReplaySummary> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT id::text AS id FROM webhook_delivery
      WHERE received_at >= $1 AND ($2::text IS NULL OR topic = $2) AND ($3::text IS NULL OR shop_domain = $3)
      ORDER BY id`,
    [options.since, options.topic ?? null, options.shop ?? null],
  );
  const summary: ReplaySummary = { queued: [], expired: [], notFound: [] };
  for (const [i, { id }] of rows.entries()) {
    const result = await requestWebhookReplay(pool, { deliveryId: id, requestedBy: options.requestedBy });
    if (result.status === 'queued') summary.queued.push(id);
    else if (result.status === 'payload_expired') summary.expired.push(id);
    else summary.notFound.push(id); // deleted between the two queries
    options.onProgress?.(i + 1, rows.length);
  }
  return summary;
}
