import { ConfigError, databaseEnv, loadConfig, rabbitmqEnv, redisEnv } from '@single/config';
import { z } from 'zod';
import { CmdrError, ExitCode } from '../exit-codes.ts';

/**
 * The local servers of scripts/infra.sh (its own defaults): what every cmdr command connects to when the
 * environment names no server, and what `cmdr up` hands the apps it starts.
 */
export const LOCAL_SERVERS = {
  DATABASE_URL: 'postgres://single:single@127.0.0.1:5432/single',
  REDIS_URL: 'redis://127.0.0.1:6379',
  RABBITMQ_URL: 'amqp://single:single@127.0.0.1:5672',
  KAFKA_BROKERS: '127.0.0.1:9092',
} as const;

/** What the operations commands connect to; the defaults are the local servers of scripts/infra.sh. */
export const opsEnv = {
  DATABASE_URL: databaseEnv.DATABASE_URL.default(LOCAL_SERVERS.DATABASE_URL),
  REDIS_URL: redisEnv.REDIS_URL.default(LOCAL_SERVERS.REDIS_URL),
  RABBITMQ_URL: rabbitmqEnv.RABBITMQ_URL.default(LOCAL_SERVERS.RABBITMQ_URL),
  /** geo-reporting's HTTP base, for `cmdr reports export` and `cmdr reports produce` (in-cluster or port-forwarded). */
  GEO_REPORTING_URL: z.url().default('http://127.0.0.1:3004'),
  /** Bearer credential for geo-reporting's reports: one of its GEO_REPORTS_TOKENS, or an API key with the ops scope. */
  GEO_REPORTS_TOKEN: z.string().min(1).optional(),
  /** How long a command waits for a server before exiting 5. */
  CMDR_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
};

export type OpsConfig = z.infer<z.ZodObject<typeof opsEnv>>;

export function loadOpsConfig(env: Readonly<Record<string, string | undefined>>): OpsConfig {
  try {
    return loadConfig(opsEnv, env);
  } catch (error) {
    if (error instanceof ConfigError) throw new CmdrError(error.message, ExitCode.usage);
    throw error;
  }
}
