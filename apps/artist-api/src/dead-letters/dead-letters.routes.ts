import { ProblemError } from '@single/http';
import type { DeadLetter, Messaging } from '@single/messaging';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ShopRepository } from '../accounts/shop.repository.ts';
import { accountDb, principalOf } from '../auth/authenticate.ts';
import { notFound } from '../support/problems.ts';
import { problemResponses } from '../support/responses.ts';

const deadLetter = z
  .object({
    queue: z.string(),
    messageId: z.string().nullable(),
    shopDomain: z.string().nullable(),
    topic: z.string().nullable(),
    webhookId: z.string().nullable(),
    originalQueue: z.string().nullable(),
    originalRoutingKey: z.string().nullable(),
    reason: z.string().nullable(),
    errorClass: z.string().nullable(),
    errorMessage: z.string().nullable(),
    retryCount: z.number().int(),
  })
  .meta({ id: 'DeadLetter' });

function envelopeOf(body: Buffer): { shopDomain: string | null; topic: string | null; webhookId: string | null } {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === 'string' ? v : null);
    return { shopDomain: text(parsed.shopDomain), topic: text(parsed.topic), webhookId: text(parsed.webhookId) };
  } catch {
    return { shopDomain: null, topic: null, webhookId: null };
  }
}

const toItem = (queue: string, d: DeadLetter) => ({
  queue,
  messageId: d.messageId ?? null,
  ...envelopeOf(d.body),
  originalQueue: d.originalQueue ?? null,
  originalRoutingKey: d.originalRoutingKey ?? null,
  reason: d.reason ?? null,
  errorClass: d.errorClass ?? null,
  errorMessage: d.errorMessage ?? null,
  retryCount: d.retryCount,
});

const unavailable = () =>
  new ProblemError(503, 'messaging_unavailable', 'The message broker is not reachable', {
    headers: { 'retry-after': '5' },
  });

/**
 * Dead-lettered messages. Anyone sees those of their own shops; redrive moves every message of a queue
 * back (the broker cannot pick one account's), so it needs the `ops` scope that only cmdr issues.
 */
export function registerDeadLetterRoutes(
  app: FastifyInstance,
  deps: { messaging: Messaging | undefined; queues: readonly string[]; shops: ShopRepository },
) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['operations'];

  r.get(
    '/dead-letters',
    {
      schema: {
        tags,
        summary: "Dead-lettered messages of the account's shops (ops keys: all)",
        querystring: z.object({
          queue: z.string().max(255).optional().describe('One configured dead-letter queue; default: all'),
          scan: z.coerce.number().int().min(1).max(500).default(100).describe('Messages to inspect per queue'),
        }),
        response: { 200: z.object({ items: z.array(deadLetter) }), ...problemResponses },
      },
    },
    async (request) => {
      if (!deps.messaging) throw unavailable();
      const principal = principalOf(request);
      const ops = principal.scopes.includes('ops');
      const domains = new Set(ops ? [] : await deps.shops.domains(accountDb(request)));
      if (request.query.queue !== undefined && !deps.queues.includes(request.query.queue))
        throw notFound('Dead-letter queue');
      const queues = request.query.queue ? [request.query.queue] : deps.queues;
      const items = [];
      for (const queue of queues) {
        const letters = await deps.messaging
          .listDeadLetters(queue, request.query.scan)
          .catch(() => Promise.reject(unavailable()));
        items.push(
          ...letters
            .map((d) => toItem(queue, d))
            .filter((d) => ops || (d.shopDomain !== null && domains.has(d.shopDomain))),
        );
      }
      return { items };
    },
  );

  r.post(
    '/dead-letters/redrive',
    {
      config: { scope: 'ops' },
      schema: {
        tags,
        summary: 'Move dead-lettered messages back to their queues (ops scope)',
        body: z
          .object({ queue: z.string().max(255), limit: z.number().int().min(1).max(10_000).default(100) })
          .strict(),
        response: {
          200: z.object({ queue: z.string(), redriven: z.number().int(), skipped: z.number().int() }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      if (!deps.queues.includes(request.body.queue)) throw notFound('Dead-letter queue');
      if (!deps.messaging) throw unavailable();
      const result = await deps.messaging
        .redrive(request.body.queue, { limit: request.body.limit })
        .catch(() => Promise.reject(unavailable()));
      return { queue: request.body.queue, ...result };
    },
  );
}
