import {
  databaseEnv,
  datadogEnv,
  type EnvSource,
  kafkaEnv,
  loadConfigOrExit,
  loggingEnv,
  rabbitmqEnv,
  redisEnv,
  serverEnv,
  trustedProxiesEnv,
} from '@single/config';
import { SALES_TOPIC_PARTITIONS } from '@single/contracts';
import { parseShopTokenKeys } from '@single/db/commands/shop-token';
import { z } from 'zod';

const optionalText = z.string().min(1).optional();

export const artistApiEnv = {
  ...serverEnv,
  PORT: z.coerce.number().int().min(0).max(65_535).default(3003),
  ...loggingEnv,
  ...databaseEnv,
  ...redisEnv,
  ...rabbitmqEnv,
  ...kafkaEnv,
  ...trustedProxiesEnv,
  ...datadogEnv,
  /** Where download links point (the fan-facing origin); used in the OpenAPI servers list. */
  PUBLIC_BASE_URL: z.url().default('http://127.0.0.1:3003'),
  /** Audio (`<releaseId>/<format>.zip`, `<releaseId>/tracks/<ISRC>/<format>.<ext>`) is served from this S3 bucket; unset = local folder. */
  S3_BUCKET: optionalText,
  S3_REGION: z.string().min(1).default('us-east-1'),
  /** For S3-compatible stores (MinIO, LocalStack); unset = AWS. */
  S3_ENDPOINT: z.url().optional(),
  S3_PRESIGN_TTL_SECONDS: z.coerce.number().int().min(10).max(3_600).default(300),
  AUDIO_STORAGE_DIR: z.string().min(1).default('./storage/audio'),
  /** Requests per minute per API key. */
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(600),
  /** Download redemptions per minute per client IP and per token. */
  DOWNLOAD_RATE_LIMIT_PER_IP: z.coerce.number().int().min(1).max(10_000).default(30),
  DOWNLOAD_RATE_LIMIT_PER_TOKEN: z.coerce.number().int().min(1).max(10_000).default(10),
  /** A counted download's file link serves this long: resumed and range requests within it count nothing. */
  DOWNLOAD_FILE_LINK_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
  /** Sales summaries stay cached this long at most; new sales events invalidate them earlier. */
  SALES_CACHE_TTL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
  /** Partitions the sales topic is created with if missing (docs/CAPACITY.md); an existing topic is not grown. */
  SALES_TOPIC_PARTITIONS: z.coerce.number().int().min(1).max(1_000).default(SALES_TOPIC_PARTITIONS),
  /**
   * The Shopify app, for connecting stores (OAuth install, `GET /v1/shopify/install`). All of client id, client
   * secret, SHOP_TOKEN_KEYS and SHOPIFY_WEBHOOK_URL, or none (then the install routes answer 503).
   */
  SHOPIFY_CLIENT_ID: optionalText,
  SHOPIFY_CLIENT_SECRET: optionalText,
  SHOPIFY_SCOPES: z.string().min(1).default('read_orders,write_merchant_managed_fulfillment_orders'),
  /** The webhook dispatcher's public URL, where every subscription points. */
  SHOPIFY_WEBHOOK_URL: z.url().optional(),
  SHOPIFY_ADMIN_API_VERSION: z
    .string()
    .regex(/^\d{4}-\d{2}$/)
    .default('2026-10'),
  /** https://{shop} unless a local fake Shopify stands in (tests, the demo). */
  SHOPIFY_SHOP_ORIGIN_TEMPLATE: z.string().includes('{shop}').default('https://{shop}'),
  SHOPIFY_INSTALL_STATE_TTL_SECONDS: z.coerce.number().int().min(60).max(3_600).default(600),
  /**
   * The dashboard's shops page: Shopify's redirect goes to `/shopify/callback` on its origin (the BFF checks the
   * browser there, then forwards with its key). Unset: the redirect URI is this API's `/v1/shopify/callback`.
   */
  SHOPIFY_INSTALL_RETURN_URL: z.url().optional(),
  /**
   * Seal the shops' Admin API tokens at rest: `<id>:<base64 of 32 bytes>`, comma-separated, the first seals (the
   * others still open older tokens). The fulfillment worker has the same value.
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
  /** Dead-letter queues the ops endpoints may read and redrive. */
  DEAD_LETTER_QUEUES: z
    .string()
    .default('fulfillment.dlq')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
};

export type ArtistApiConfig = ReturnType<typeof loadArtistApiConfig>;

export function loadArtistApiConfig(env: EnvSource) {
  return loadConfigOrExit(artistApiEnv, env);
}
