import { requestWebhookReplay } from '@single/db/commands/webhook-replay';
import { ProblemError } from '@single/http';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { z } from 'zod';
import type { ShopRepository } from '../accounts/shop.repository.ts';
import { accountDb, principalOf } from '../auth/authenticate.ts';
import { isBigintText } from '../support/db.ts';
import { decodeCursor, pageOf, pageQuery, toPage } from '../support/pagination.ts';
import { notFound } from '../support/problems.ts';
import { problemResponses } from '../support/responses.ts';
import { Where } from '../support/sql-builder.ts';

const delivery = z
  .object({
    id: z.string().describe('Delivery id (64-bit integer, as a string)'),
    shopDomain: z.string(),
    topic: z.string(),
    webhookId: z.string(),
    eventId: z.string().nullable(),
    lane: z.string(),
    status: z.enum(['received', 'published', 'failed']),
    triggeredAt: z.string().nullable(),
    receivedAt: z.string(),
    publishedAt: z.string().nullable(),
    apiVersion: z.string().nullable(),
    replayable: z.boolean().describe('The payload is still stored (it is purged after the retention period)'),
    pendingPublishes: z.number().int().describe('Publishes (first or replays) the relay still owes'),
  })
  .meta({ id: 'WebhookDelivery' });

const detail = delivery
  .extend({ payload: z.record(z.string(), z.unknown()).nullable() })
  .meta({ id: 'WebhookDeliveryDetail' });

interface Row {
  id: string;
  shopDomain: string;
  topic: string;
  webhookId: string;
  eventId: string | null;
  lane: string;
  status: 'received' | 'published' | 'failed';
  triggeredAt: Date | null;
  receivedAt: Date;
  publishedAt: Date | null;
  apiVersion: string | null;
  replayable: boolean;
  pendingPublishes: number;
  payload?: Record<string, unknown> | null;
}

const COLUMNS = `d.id::text AS id, d.shop_domain AS "shopDomain", d.topic, d.webhook_id AS "webhookId", d.event_id AS "eventId", d.lane,
  d.status, d.triggered_at AS "triggeredAt", d.received_at AS "receivedAt", d.published_at AS "publishedAt",
  d.api_version AS "apiVersion", d.payload IS NOT NULL AS replayable,
  (SELECT count(*)::int FROM dispatch_outbox o WHERE o.delivery_id = d.id) AS "pendingPublishes"`;

const iso = (d: Date | null) => d?.toISOString() ?? null;
const toDelivery = (r: Row) => ({
  ...r,
  triggeredAt: iso(r.triggeredAt),
  receivedAt: r.receivedAt.toISOString(),
  publishedAt: iso(r.publishedAt),
});

const listQuery = z.object({
  ...pageQuery,
  shopDomain: z.string().max(255).optional(),
  topic: z.string().max(100).optional(),
  status: z.enum(['received', 'published', 'failed']).optional(),
});
const idParams = z.object({ id: z.string().max(100) });

/** The webhook log of the account's shops (read-only; the dispatcher owns it) and replay. */
export function registerWebhookDeliveryRoutes(app: FastifyInstance, pool: Pool, shops: ShopRepository) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['webhooks'];

  r.get(
    '/webhook-deliveries',
    {
      schema: {
        tags,
        summary: "Webhook deliveries received for the account's shops (newest first)",
        description:
          'A delivery is listed for 30 days after it was received (the dispatcher deletes older ones, `DELIVERY_LOG_RETENTION_DAYS`); its payload, and with it replay, for the first 7 (`DELIVERY_PAYLOAD_RETENTION_DAYS`).',
        querystring: listQuery,
        response: { 200: pageOf(delivery), ...problemResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const domains = (await shops.domains(accountDb(request))).filter(
        (d) => q.shopDomain === undefined || d === q.shopDomain,
      );
      if (domains.length === 0) return { items: [], nextCursor: null };
      const cursor = decodeCursor(q.cursor, ['bigint']);
      const where = new Where()
        .and((p) => `d.shop_domain = ANY(${p}::text[])`, domains)
        .andIf(q.topic, (p) => `d.topic = ${p}`)
        .andIf(q.status, (p) => `d.status = ${p}::webhook_delivery_status`)
        .andIf(cursor?.[0], (p) => `d.id < ${p}::bigint`);
      const { rows } = await pool.query<Row>(
        `SELECT ${COLUMNS} FROM webhook_delivery d WHERE ${where} ORDER BY d.id DESC LIMIT ${where.param(q.limit + 1)}`,
        where.params,
      );
      return toPage(rows, q.limit, (d) => [d.id], toDelivery);
    },
  );

  r.get(
    '/webhook-deliveries/:id',
    {
      schema: {
        tags,
        summary: 'One delivery with its stored payload (while retained)',
        params: idParams,
        response: { 200: detail, ...problemResponses },
      },
    },
    async (request) => {
      const { id } = request.params;
      const domains = await shops.domains(accountDb(request));
      if (!isBigintText(id) || domains.length === 0) throw notFound('Webhook delivery');
      // The payload is text, parsed here: jsonb refuses bodies Shopify sends and JavaScript reads (an escaped
      // NUL, a lone surrogate), and one such body must not make its delivery unreadable (a 500).
      const { rows } = await pool.query<Row & { payload_text: string | null }>(
        `SELECT ${COLUMNS}, d.payload AS payload_text FROM webhook_delivery d WHERE d.id = $1::bigint AND d.shop_domain = ANY($2::text[])`,
        [id, domains],
      );
      const row = rows[0];
      if (!row) throw notFound('Webhook delivery');
      const { payload_text: text, ...delivery } = row;
      return { ...toDelivery(delivery), payload: text === null ? null : (JSON.parse(text) as Record<string, unknown>) };
    },
  );

  r.post(
    '/webhook-deliveries/:id/replay',
    {
      schema: {
        tags,
        summary: 'Re-publish the stored delivery as an explicit replay',
        description:
          'Consumers see `replay` in the envelope. Handlers are idempotent, so a replay only redoes work that is missing.',
        params: idParams,
        response: {
          202: z.object({ deliveryId: z.string(), outboxId: z.string(), requestedBy: z.string() }),
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const principal = principalOf(request);
      const domains = await shops.domains(accountDb(request));
      if (!isBigintText(id) || domains.length === 0) throw notFound('Webhook delivery');
      const requestedBy = `api-key:${principal.keyId}`;
      const result = await requestWebhookReplay(pool, { deliveryId: id, requestedBy, shopDomains: domains });
      if (result.status === 'not_found') throw notFound('Webhook delivery');
      if (result.status === 'payload_expired') {
        throw new ProblemError(
          409,
          'payload_expired',
          'The payload of this delivery is no longer stored; it cannot be replayed',
        );
      }
      return reply.code(202).send({ deliveryId: id, outboxId: result.outboxId, requestedBy });
    },
  );
}
