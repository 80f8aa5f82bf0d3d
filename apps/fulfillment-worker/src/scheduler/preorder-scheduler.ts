import { type Db, Prisma } from '@single/db';
import { type DownloadEmailPayload, queueEmails } from '../email/outbox.ts';
import { queueDigitalFulfillments } from '../shopify-admin/fulfillment-outbox.ts';
import { lockOrders, WORKER_TRANSACTION } from '../support/db.ts';

export interface PreorderSchedulerOptions {
  /** The worker's Prisma client: each round is one interactive transaction on it. */
  db: Db;
  /** Injectable clock: tests move it across the release instant. */
  now: () => Date;
  batchSize?: number;
}

interface ActivatedGrant {
  id: string;
  order_id: string;
  order_name: string;
  email: string | null;
  release_id: string;
  title: string;
  activate_at: Date;
}

/**
 * When a scheduled grant opens, derived from the catalogue at each tick (never from a copy taken at
 * purchase): its track's own instant for a track sale, else the release instant. So when the artist moves
 * a release or a track (artist API), earlier or later, no schedule is left stale: the grant, its Shopify
 * fulfilment and its "it's here" email follow at the next tick. An instant-grat track does not open a
 * release's grant (its link already serves that track; the order email told the fan when the rest comes).
 */
const OPENS_AT_JOIN = Prisma.sql`JOIN release r ON r.id = g.release_id LEFT JOIN track t ON t.id = g.track_id`;
const OPENS_AT = Prisma.sql`coalesce(t.release_instant, r.release_instant)`;

/**
 * Activates scheduled grants whose instant has come, durably: the schedule is the grant row itself, so it
 * survives restarts, and one transaction flips the status (the guard: a grant activates once), queues the
 * email and the Shopify fulfilment. One replica at a time runs a round (advisory lock); the orders' locks
 * keep it from interleaving with a refund or cancellation of the same order.
 */
export class PreorderScheduler {
  readonly #o: Required<PreorderSchedulerOptions>;

  constructor(options: PreorderSchedulerOptions) {
    this.#o = { batchSize: 500, ...options };
  }

  async tick(): Promise<number> {
    const now = this.#o.now();
    // Typed SQL throughout: an advisory lock, a window of due grants, an UPDATE ... FROM ... RETURNING.
    return this.#o.db.$transaction(async (tx) => {
      const [lock] = await tx.$queryRaw<{ ok: boolean }[]>`SELECT pg_try_advisory_xact_lock(7014, 1) AS ok`;
      if (!lock?.ok) return 0;
      const due = await tx.$queryRaw<{ shop_domain: string; oid: string }[]>`
        SELECT DISTINCT o.shop_domain, o.shopify_order_id::text AS oid
        FROM (SELECT g.order_line_id FROM download_grant g ${OPENS_AT_JOIN}
              WHERE g.status = 'scheduled' AND ${OPENS_AT} <= ${now}::timestamptz
              ORDER BY ${OPENS_AT} LIMIT ${this.#o.batchSize}::int) g
        JOIN order_line ol ON ol.id = g.order_line_id JOIN orders o ON o.id = ol.order_id`;
      if (due.length === 0) return 0;
      await lockOrders(
        tx,
        due.map((d) => ({ shopDomain: d.shop_domain, shopifyOrderId: d.oid })),
      );
      // activate_at is rewritten to the instant the grant really opened (the catalogue's, not the one
      // planned at purchase), so what the dashboard shows for it is true after a re-timing too.
      const rows = await tx.$queryRaw<ActivatedGrant[]>`
        WITH activated AS (
          UPDATE download_grant g SET status = 'active', activated_at = ${now}::timestamptz, activate_at = d.opens_at,
            expires_at = CASE WHEN d.expiry_days > 0 THEN ${now}::timestamptz + make_interval(days => d.expiry_days) END
          FROM (SELECT g.id, ${OPENS_AT} AS opens_at, r.download_expiry_days AS expiry_days, r.title,
                       o.id AS order_id, o.name AS order_name, o.email
                FROM download_grant g ${OPENS_AT_JOIN}
                JOIN order_line ol ON ol.id = g.order_line_id JOIN orders o ON o.id = ol.order_id
                WHERE (o.shop_domain, o.shopify_order_id) IN
                      (SELECT * FROM unnest(${due.map((d) => d.shop_domain)}::text[], ${due.map((d) => d.oid)}::bigint[]))
                  AND g.status = 'scheduled' AND ${OPENS_AT} <= ${now}::timestamptz) d
          WHERE g.id = d.id AND g.status = 'scheduled'
          RETURNING g.id, d.order_id, d.order_name, d.email, g.release_id, d.title, g.activate_at
        ) SELECT id::text, order_id::text, order_name, email, release_id::text, title, activate_at
          FROM activated ORDER BY order_id, release_id, id`;
      const byOrder = new Map<
        string,
        { first: ActivatedGrant; items: Map<string, DownloadEmailPayload['items'][number]> }
      >();
      for (const grant of rows) {
        const entry = byOrder.get(grant.order_id) ?? { first: grant, items: new Map() };
        const item = entry.items.get(grant.release_id) ?? {
          releaseId: grant.release_id,
          title: grant.title,
          grantIds: [],
          availableAt: grant.activate_at.toISOString(),
        };
        item.grantIds.push(grant.id);
        entry.items.set(grant.release_id, item);
        byOrder.set(grant.order_id, entry);
      }
      await queueEmails(
        tx,
        [...byOrder.values()].map(({ first, items }) => ({
          idempotencyKey: `preorder_available:${first.order_id}:${first.id}`,
          orderId: first.order_id,
          to: first.email,
          kind: 'preorder_available' as const,
          payload: { orderName: first.order_name, items: [...items.values()] },
        })),
        now,
      );
      await queueDigitalFulfillments(tx, [...byOrder.keys()], now);
      return rows.length;
    }, WORKER_TRANSACTION);
  }
}
