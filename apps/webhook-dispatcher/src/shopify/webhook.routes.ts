import { createHash } from 'node:crypto';
import { ProblemError, toProblemError } from '@single/http';
import { traceHeaders, withSpan } from '@single/tracing';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ClaimQueueFullError, type ClaimService } from '../deliveries/claim-service.ts';
import type { KnownShops } from '../deliveries/known-shops.ts';
import { purgeKeys } from '../deliveries/purge-keys.ts';
import type { MaintenanceSwitch } from '../maintenance.ts';
import type { DispatcherMetrics } from '../metrics.ts';
import { boundedTriggeredAt, parseShopifyHeaders } from './headers.ts';
import { checkPayloadAgainstHeaders } from './payload-checks.ts';
import { dedupeFamily, laneOf } from './topics.ts';
import { verifyShopifyHmac } from './verify-hmac.ts';

export interface WebhookRouteDeps {
  secrets: readonly string[];
  claims: ClaimService;
  /** Only shops the platform connected (a row in `shop`, any install state) may deliver. */
  shops: KnownShops;
  maintenance: MaintenanceSwitch;
  bodyLimit: number;
  payloadRetentionDays: number;
  /** Answer 503 rather than let Shopify's 5 s timeout expire when PostgreSQL is slow. */
  claimDeadlineMs: number;
  /**
   * Only if PostgreSQL stops answering altogether (a connection that hangs): the answer is 503 this long
   * after the deadline, though the statement could then still commit (a retry finds it a duplicate).
   * The deadline itself is kept by the claim (see ClaimService.claim), which is never written after it.
   */
  claimGraceMs?: number;
  metrics: DispatcherMetrics;
  now?: () => Date;
}

const DAY_MS = 86_400_000;

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no durable answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

export function registerShopifyWebhookRoute(app: FastifyInstance, deps: WebhookRouteDeps) {
  const now = deps.now ?? (() => new Date());
  // Encapsulated: only this route keeps the raw bytes, which the HMAC is computed over.
  app.register(async (scope) => {
    // Shopify sends JSON only: any other media type is 415 (before the signature is checked).
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit: deps.bodyLimit },
      (_req, body, done) => done(null, body),
    );

    // Every answer counted by status and outcome: the problem's code, or accepted/duplicate.
    const outcomes = new WeakMap<FastifyRequest, string>();
    scope.addHook('onError', (request, _reply, error, done) => {
      // The code the answer carries (a framework error, e.g. a wrong media type, is mapped as the answer is).
      outcomes.set(request, toProblemError(error).code);
      done();
    });
    scope.addHook('onResponse', (request, reply, done) => {
      const outcome = outcomes.get(request) ?? (reply.statusCode >= 400 ? 'rejected' : 'unknown');
      deps.metrics.answers.inc({ status_code: reply.statusCode, outcome });
      done();
    });

    scope.addHook('onRequest', async (request: FastifyRequest) => {
      if (await deps.maintenance.isOn()) {
        request.log.info({ code: 'maintenance' }, 'webhook refused: maintenance mode');
        throw new ProblemError(503, 'maintenance', 'Maintenance in progress', { headers: { 'retry-after': '60' } });
      }
    });

    scope.post('/webhooks/shopify', { bodyLimit: deps.bodyLimit }, async (request, reply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const signature = request.headers['x-shopify-hmac-sha256'];
      if (!verifyShopifyHmac(raw, typeof signature === 'string' ? signature : undefined, deps.secrets)) {
        throw new ProblemError(401, 'invalid_hmac', 'Webhook signature is missing or invalid');
      }
      const headers = parseShopifyHeaders(request.headers);
      if (!headers.ok) {
        throw new ProblemError(400, 'invalid_headers', 'Required Shopify headers are missing or invalid', {
          extensions: { errors: headers.problems.map((p) => ({ path: `header.${p.field}`, message: p.message })) },
        });
      }
      const { topic, shopDomain, webhookId, eventId, triggeredAt, apiVersion } = headers.value;
      let payload: unknown;
      try {
        payload = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new ProblemError(400, 'invalid_json', 'Body is not valid JSON');
      }
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
        throw new ProblemError(400, 'invalid_json', 'Body must be a JSON object');
      }
      const mismatch = checkPayloadAgainstHeaders(topic, shopDomain, payload as Record<string, unknown>);
      if (mismatch) {
        throw new ProblemError(
          400,
          mismatch,
          mismatch === 'shop_mismatch'
            ? 'Shop header does not match the payload'
            : 'Topic header does not match the payload',
        );
      }
      const receivedAt = now();
      const delivery = {
        shopDomain,
        topic,
        webhookId,
        eventId,
        triggeredAt: boundedTriggeredAt(triggeredAt, receivedAt),
        apiVersion,
        bodySha256: createHash('sha256').update(raw).digest('hex'),
        dedupeFamily: dedupeFamily(topic),
        lane: laneOf(topic),
        receivedAt: receivedAt.toISOString(),
        payloadJson: raw.toString('utf8'),
        payloadExpiresAt: new Date(receivedAt.getTime() + deps.payloadRetentionDays * DAY_MS).toISOString(),
        ...purgeKeys(topic, payload as Record<string, unknown>),
      };
      let result: Awaited<ReturnType<ClaimService['claim']>>;
      const deadlineAt = Date.now() + deps.claimDeadlineMs;
      const endClaim = deps.metrics.claimSeconds.startTimer();
      try {
        // The span's context is stored with the outbox row: the relay's publish and the consumer continue it.
        const tags = { 'shop.domain': shopDomain, 'shopify.topic': topic, 'shopify.webhook_id': webhookId };
        result = await withSpan('webhook.accept', { resource: topic, tags }, () =>
          withDeadline(
            (async () => {
              // Before the dedupe fast path, so that a shop never connected is refused whatever the body.
              if (!(await deps.shops.isKnown(shopDomain))) return { status: 'unknown_shop' as const };
              return deps.claims.claim({ ...delivery, traceHeadersJson: JSON.stringify(traceHeaders()) }, deadlineAt);
            })(),
            deps.claimDeadlineMs + (deps.claimGraceMs ?? 500),
          ),
        );
      } catch (err) {
        endClaim({ outcome: err instanceof ClaimQueueFullError ? 'claim_queue_full' : 'storage_unavailable' });
        if (err instanceof ClaimQueueFullError) {
          // Overloaded: refused at once, nothing queued or stored (Shopify retries).
          request.log = request.log.child({ shopDomain, topic, webhookId, outcome: 'claim_queue_full' });
          throw new ProblemError(503, 'claim_queue_full', 'Too many deliveries are waiting to be stored', {
            headers: { 'retry-after': '5' },
          });
        }
        // Nothing durable to put it in: Shopify retries on 5xx, so nothing is lost by saying so.
        request.log.error({ err, shopDomain, topic, webhookId }, 'webhook not stored');
        throw new ProblemError(503, 'storage_unavailable', 'Cannot store the delivery right now', {
          headers: { 'retry-after': '5' },
        });
      }
      endClaim({ outcome: result.status });
      if (result.status === 'unknown_shop') {
        // A 4xx, not a 200: acknowledging would hide a shop we do not serve (or a forged header). Shopify
        // retries any non-2xx 8 times over 4 hours, so a shop connected meanwhile is taken on a retry.
        // Uninstalled and redacted shops keep their row: their deliveries are taken (privacy topics must
        // be), and the worker judges the rest by the order's own time.
        request.log = request.log.child({ shopDomain, topic, webhookId, outcome: 'unknown_shop' });
        throw new ProblemError(403, 'unknown_shop', 'This shop is not connected to the platform');
      }
      // The one log line per request ("request completed") carries the delivery's ids and its outcome.
      request.log = request.log.child({ shopDomain, topic, webhookId, outcome: result.status });
      outcomes.set(request, result.status);
      return reply.code(200).send({ status: result.status });
    });
  });
}
