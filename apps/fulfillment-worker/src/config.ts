import {
  commaList,
  databaseEnv,
  datadogEnv,
  type EnvSource,
  kafkaEnv,
  loadConfigOrExit,
  loggingEnv,
  rabbitmqEnv,
  serverEnv,
} from '@single/config';
import { SALES_TOPIC, SALES_TOPIC_PARTITIONS } from '@single/contracts';
import { parseShopTokenKeys } from '@single/db/commands/shop-token';
import { z } from 'zod';

const delays = z
  .string()
  .transform(commaList)
  .pipe(
    z.array(z.string().regex(/^\d+$/, 'delays are whole milliseconds').transform(Number)).min(1, 'at least one delay'),
  );

export const workerEnv = {
  ...serverEnv,
  PORT: z.coerce.number().int().min(0).max(65_535).default(3002),
  ...loggingEnv,
  ...databaseEnv,
  DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(100).default(10),
  ...rabbitmqEnv,
  ...kafkaEnv,
  ...datadogEnv,
  /** Kafka topic of the sales stream; only benchmarks and demos point it elsewhere. */
  SALES_TOPIC: z.string().min(1).default(SALES_TOPIC),
  /** Partitions the sales topic is created with if missing (docs/CAPACITY.md); an existing topic is not grown. */
  SALES_TOPIC_PARTITIONS: z.coerce.number().int().min(1).max(1_000).default(SALES_TOPIC_PARTITIONS),
  /** Retry ladder of the work queues, in ms: transient failures wait each step, then go to the DLQ. */
  RETRY_DELAYS_MS: delays.default([5_000, 30_000, 300_000, 1_800_000]),
  /** Unacked order messages held per queue (per-order serialisation still applies). */
  ORDER_PREFETCH: z.coerce.number().int().min(1).max(5_000).default(1_000),
  /** Order snapshots per transaction, and such transactions at once (natural batching under load). */
  SNAPSHOT_BATCH_SIZE: z.coerce.number().int().min(1).max(2_000).default(250),
  SNAPSHOT_BATCH_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(4),
  /**
   * Comma-separated secrets that seal a new grant's random download token until its emails are sent (tokens are
   * random, never derived from these). The first seals; older ones stay listed during a rotation only to open
   * tokens sealed before it whose email is still pending (a retired one costs such an email a new link).
   */
  DOWNLOAD_TOKEN_SECRETS: z
    .string()
    .transform(commaList)
    .pipe(z.array(z.string().min(32, 'each secret must be at least 32 characters')).min(1)),
  /**
   * Platform secret of the keyed email hash in sales.v1 (HMAC, never a plain sha256) and of guests' fan data key
   * subjects. Changing it starts new fan identities (a fan's later units no longer match earlier ones).
   */
  FAN_HASH_SECRET: z.string().min(32, 'must be at least 32 characters'),
  /** Public base of the download links (artist-api serves GET /d/:token). */
  DOWNLOAD_BASE_URL: z.url().default('http://127.0.0.1:3003'),
  SMTP_URL: z.string().default('smtp://127.0.0.1:2525'),
  /** SMTP connections the mailer keeps open and sends over concurrently. */
  SMTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(50).default(5),
  EMAIL_FROM: z.string().min(3).default('Single <downloads@single.example>'),
  SHOPIFY_ADMIN_API_VERSION: z
    .string()
    .regex(/^\d{4}-\d{2}$/)
    .default('2026-10'),
  /** Overrides https://<shop>/admin/api/<version>/graphql.json (local fake Admin API, tests). */
  SHOPIFY_ADMIN_URL_TEMPLATE: z.string().optional(),
  /**
   * Keys that open the shops' sealed Admin API tokens (`<id>:<base64 of 32 bytes>`, comma-separated; the same
   * value as the artist API's, which seals with the first). Unset: a shop with a sealed token cannot be fulfilled.
   */
  SHOP_TOKEN_KEYS: z
    .string()
    .optional()
    .transform((value, ctx) => {
      try {
        return value ? parseShopTokenKeys(value) : [];
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : 'invalid' });
        return z.NEVER;
      }
    }),
  /**
   * How long an email or Shopify fulfilment stays `sending` before another sender may take it again (its
   * sender died, or could not record the outcome); a send longer than half of it (at most 60 s) is a timeout.
   */
  OUTBOX_LEASE_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(120_000),
  /**
   * Test-only: the restart tests' SIGKILL points. The worker prints `TEST_PAUSE <point> <id>` and waits forever
   * the first time it reaches the point (later passes go on). Refused when NODE_ENV is production.
   */
  TEST_PAUSE_AT: z.enum(['after_commit_before_ack', 'after_smtp_accept']).optional(),
  NODE_ENV: z.string().optional(),
  /** How often the pre-order scheduler and the outbox loops look for due work when nothing woke them. */
  POLL_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(1_000),
};

export type WorkerConfig = ReturnType<typeof loadWorkerConfig>;

export function loadWorkerConfig(env: EnvSource) {
  return loadConfigOrExit(workerEnv, env);
}
