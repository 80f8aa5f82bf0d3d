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
