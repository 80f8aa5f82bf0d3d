import {
  booleanString,
  databaseEnv,
  datadogEnv,
  type EnvSource,
  loadConfigOrExit,
  loggingEnv,
  rabbitmqEnv,
  redisEnv,
  serverEnv,
} from '@single/config';
import { z } from 'zod';

export const dispatcherEnv = {
  ...serverEnv,
  PORT: z.coerce.number().int().min(0).max(65_535).default(3001),
  ...loggingEnv,
  ...databaseEnv,
  ...rabbitmqEnv,
  ...redisEnv,
  ...datadogEnv,
  /** Comma-separated app client secrets; during a rotation both the old and the new one verify. */
  SHOPIFY_WEBHOOK_SECRETS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().min(16, 'each secret must be at least 16 characters')).min(1)),
  WEBHOOK_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(50 * 1024 * 1024)
    .default(2 * 1024 * 1024),
  /** How long delivery payloads (personal data) stay in the delivery log for replay. */
  DELIVERY_PAYLOAD_RETENTION_DAYS: z.coerce.number().int().min(0).max(90).default(7),
  /**
   * How long delivery log rows (ids, times, status; the payload goes earlier) are kept, then deleted hourly in
   * small batches. At least 3 days: the rows are the dedupe guard for Shopify's 48-hour retries, a day late.
   * 30 by default: a month of delivery log for support, well past the payload's replay window.
   */
  DELIVERY_LOG_RETENTION_DAYS: z.coerce.number().int().min(3).max(3_650).default(30),
  /** Answer 503 if the delivery is not durable by then: well inside Shopify's 5 s. */
  WEBHOOK_CLAIM_DEADLINE_MS: z.coerce.number().int().min(100).max(4_500).default(3_000),
  /**
   * Claims waiting for a database flush at most, then 503 `claim_queue_full` at once. 1,000 is about half a
   * second of the measured peak intake (~2.1k/s): a claim admitted can still make its deadline.
   */
  WEBHOOK_CLAIM_QUEUE_MAX: z.coerce.number().int().min(1).max(100_000).default(1_000),
  PUBLISH_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /**
   * Relays of the orders lane, each publishing the orders that hash to it under its own lock (docs/CAPACITY.md
   * section 4: one relay moves 1,000-8,000 deliveries/s; the spike needs 22,000). Change it with the outbox drained.
   */
  ORDERS_RELAY_LANES: z.coerce.number().int().min(1).max(64).default(1),
  /** Orders-lane relays one replica takes before leaving the rest to other replicas (10 s; then it takes them). */
  ORDERS_RELAY_LANES_PER_REPLICA: z.coerce.number().int().min(1).max(64).optional(),
  MAINTENANCE_MODE: booleanString.default(false),
  /** Namespace of the dispatcher's keys in Redis (dedupe fast path, maintenance flag). */
  REDIS_KEY_PREFIX: z.string().min(1).default('dispatcher:'),
};

export type DispatcherConfig = ReturnType<typeof loadDispatcherConfig>;

export function loadDispatcherConfig(env: EnvSource) {
  return loadConfigOrExit(dispatcherEnv, env);
}
