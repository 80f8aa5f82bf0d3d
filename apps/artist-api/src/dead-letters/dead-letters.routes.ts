import { ProblemError } from '@single/http';
import type { DeadLetter, Messaging } from '@single/messaging';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ShopRepository } from '../accounts/shop.repository.ts';
import { accountDb, principalOf } from '../auth/authenticate.ts';
import { conflict, notFound } from '../support/problems.ts';
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
 * The most messages one request reads from a dead-letter queue, from its head. A queue is read in one pass (a
 * streamed peek: 10,000 messages take about a quarter of a second here), so an account sees every letter of its
 * own below this; past it the answer says `truncated`, and ops drain the queue with cmdr.
 */
export const DEAD_LETTER_SCAN_MAX = 10_000;

/**
 * Dead-lettered messages. A letter belongs to the account that has its envelope's shop: an account lists and
 * redrives its own letters, one at a time (404 for anyone else's, which stays where it is); ops keys see every
 * letter, and alone redrive a whole queue (the broker cannot pick one account's messages in bulk).
 */
export function registerDeadLetterRoutes(
  app: FastifyInstance,
  deps: { messaging: Messaging | undefined; queues: readonly string[]; shops: ShopRepository },
) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['operations'];

  /** Whose letters the request may see: every one for ops keys, else its account's shops'. */
  const ownedBy = async (request: FastifyRequest): Promise<(shopDomain: string | null) => boolean> => {
    if (principalOf(request).scopes.includes('ops')) return () => true;
    const domains = new Set(await deps.shops.domains(accountDb(request)));
    return (shopDomain: string | null) => shopDomain !== null && domains.has(shopDomain);
  };
  const configured = (queue: string) => {
    if (!deps.queues.includes(queue)) throw notFound('Dead-letter queue');
    if (!deps.messaging) throw unavailable();
    return deps.messaging;
  };

  r.get(
    '/dead-letters',
    {
      schema: {
        tags,
        summary: "Dead-lettered messages of the account's shops (ops keys: all)",
        description:
          `Reads each queue from its head, ${DEAD_LETTER_SCAN_MAX.toLocaleString('en')} messages at most, without ` +
          "taking them, and lists the account's letters among them (a letter is the account's when its shop is).",
        querystring: z.object({
          queue: z.string().max(255).optional().describe('One configured dead-letter queue; default: all'),
          scan: z.coerce
            .number()
            .int()
            .min(1)
            .max(DEAD_LETTER_SCAN_MAX)
            .default(DEAD_LETTER_SCAN_MAX)
            .describe('Messages to read per queue, from its head; default (and most): the whole queue up to 10,000'),
        }),
        response: {
          200: z.object({
            items: z.array(deadLetter),
            truncated: z
              .boolean()
              .describe('A queue held more messages than were read: letters past `scan` are not in the list'),
          }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      if (!deps.messaging) throw unavailable();
      const messaging = deps.messaging;
      const owned = await ownedBy(request);
      if (request.query.queue !== undefined && !deps.queues.includes(request.query.queue))
        throw notFound('Dead-letter queue');
      const queues = request.query.queue ? [request.query.queue] : deps.queues;
      const items = [];
      let truncated = false;
      for (const queue of queues) {
        const scan = await messaging
          .scanDeadLetters(queue, {
            max: request.query.scan,
            pick: (letter) => {
              const item = toItem(queue, letter);
              return owned(item.shopDomain) ? item : undefined;
            },
          })
          .catch(() => Promise.reject(unavailable()));
        items.push(...scan.items);
        truncated ||= scan.truncated;
      }
      return { items, truncated };
    },
  );

  r.post(
    '/dead-letters/:queue/:messageId/redrive',
    {
      schema: {
        tags,
        summary: "Move one of the account's dead letters back to its queue",
        description:
          "Redrives the letters with this message id in the queue that belong to the account (an ops key: anyone's), " +
          "each back to the queue it failed in with its retry count reset; another account's letter is 404 and stays " +
          `where it is. Looks among the queue's first ${DEAD_LETTER_SCAN_MAX.toLocaleString('en')} messages.`,
        params: z.object({
          queue: z.string().min(1).max(255).describe("A configured dead-letter queue (the list item's `queue`)"),
          messageId: z.string().min(1).max(255).describe("The list item's `messageId`"),
        }),
        response: {
          200: z.object({ queue: z.string(), messageId: z.string(), redriven: z.number().int() }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const { queue, messageId } = request.params;
      const messaging = configured(queue);
      const owned = await ownedBy(request);
      const result = await messaging
        .redriveSelected(queue, {
          max: DEAD_LETTER_SCAN_MAX,
          select: (letter) => letter.messageId === messageId && owned(envelopeOf(letter.body).shopDomain),
        })
        .catch(() => Promise.reject(unavailable()));
      if (result.redriven === 0 && result.skipped === 0) throw notFound('Dead letter');
      if (result.redriven === 0) {
        throw conflict('dead_letter_not_redrivable', 'The dead letter does not say which queue it failed in');
      }
      return { queue, messageId, redriven: result.redriven };
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
      const messaging = configured(request.body.queue);
      const result = await messaging
        .redrive(request.body.queue, { limit: request.body.limit })
        .catch(() => Promise.reject(unavailable()));
      return { queue: request.body.queue, ...result };
    },
  );
}
