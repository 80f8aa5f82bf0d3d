import { type Prisma, sqlOf } from '@single/db';
import { requestWebhookReplay } from '@single/db/commands/webhook-replay';
import { ProblemError } from '@single/http';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ShopRepository } from '../accounts/shop.repository.ts';
import { accountDb, principalOf } from '../auth/authenticate.ts';
import { isBigintText } from '../support/db.ts';
import { decodeCursor, pageOf, pageQuery, toPage } from '../support/pagination.ts';
import { notFound } from '../support/problems.ts';
import { problemResponses } from '../support/responses.ts';

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

const FIELDS = {
  id: true,
  shopDomain: true,
  topic: true,
  webhookId: true,
  eventId: true,
  lane: true,
  status: true,
  triggeredAt: true,
  receivedAt: true,
  publishedAt: true,
  apiVersion: true,
  _count: { select: { outbox: true } },
} as const satisfies Prisma.WebhookDeliverySelect;

const iso = (d: Date | null) => d?.toISOString() ?? null;
const toDelivery = (
  { _count, ...r }: Prisma.WebhookDeliveryGetPayload<{ select: typeof FIELDS }>,
  replayable: boolean,
) => ({
  ...r,
  id: r.id.toString(),
  triggeredAt: iso(r.triggeredAt),
  receivedAt: r.receivedAt.toISOString(),
  publishedAt: iso(r.publishedAt),
  replayable,
  pendingPublishes: _count.outbox,
});

const listQuery = z.object({
  ...pageQuery,
  shopDomain: z.string().max(255).optional(),
  topic: z.string().max(100).optional(),
  status: z.enum(['received', 'published', 'failed']).optional(),
});
const idParams = z.object({ id: z.string().max(100) });

/** The webhook log of the account's shops (read-only; the dispatcher owns it) and replay. */
export function registerWebhookDeliveryRoutes(app: FastifyInstance, shops: ShopRepository) {
  // Reads go through the account-scoped client (the account's shop domains); replay is the shared command.
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
      const db = accountDb(request);
      const cursor = decodeCursor(q.cursor, ['bigint']);
      const rows = await db.webhookDelivery.findMany({
        select: FIELDS,
        where: {
          shopDomain: q.shopDomain,
          topic: q.topic,
          status: q.status,
          ...(cursor ? { id: { lt: BigInt(cursor[0]!) } } : {}),
        },
        orderBy: { id: 'desc' },
        take: q.limit + 1,
      });
      // Which still hold their payload, without reading the payloads (7 KB each) of the page.
      const replayable = new Set(
        (
          await db.webhookDelivery.findMany({
            where: { id: { in: rows.map((r) => r.id) }, payload: { not: null } },
            select: { id: true },
          })
        ).map((r) => r.id),
      );
      return toPage(
        rows,
        q.limit,
        (d) => [d.id.toString()],
        (d) => toDelivery(d, replayable.has(d.id)),
      );
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
      if (!isBigintText(id)) throw notFound('Webhook delivery');
      // The payload is text, parsed here: jsonb refuses bodies Shopify sends and JavaScript reads (an escaped
      // NUL, a lone surrogate), and one such body must not make its delivery unreadable (a 500).
      const row = await accountDb(request).webhookDelivery.findFirst({
        where: { id: BigInt(id) },
        select: { ...FIELDS, payload: true },
      });
      if (!row) throw notFound('Webhook delivery');
      const { payload: text, ...delivery } = row;
      return {
        ...toDelivery(delivery, text !== null),
        payload: text === null ? null : (JSON.parse(text) as Record<string, unknown>),
      };
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
      // The shared replay statement (cmdr's too), on the account's client; the account's domains are its parameter.
      const result = await requestWebhookReplay(sqlOf(accountDb(request)), {
        deliveryId: id,
        requestedBy,
        shopDomains: domains,
      });
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
