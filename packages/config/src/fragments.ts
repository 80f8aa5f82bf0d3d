import { z } from 'zod';

// Environment fragments, named after the dependency and identical in every app. Apps compose the ones
// they need with `z.object({ ...serverEnv, ...databaseEnv })`.

const commaList = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

const url = (protocols: readonly string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL with protocol ${protocols.join(' or ')}` },
  );

const booleanString = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

export const serverEnv = {
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  /** Deadline for graceful shutdown; keep it below the chart's terminationGracePeriodSeconds. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
};

export const loggingEnv = {
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

export const databaseEnv = {
  DATABASE_URL: url(['postgres:', 'postgresql:']),
};

export const rabbitmqEnv = {
  RABBITMQ_URL: url(['amqp:', 'amqps:']),
};

export const redisEnv = {
  REDIS_URL: url(['redis:', 'rediss:']),
};

const hostPort = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:.]+\]:\d{1,5}$/;

export const kafkaEnv = {
  KAFKA_BROKERS: z
    .string()
    .transform(commaList)
    .pipe(
      z
        .array(z.string().regex(hostPort, 'each broker must be host:port'))
        .min(1, 'at least one broker (host:port) is required'),
    ),
  KAFKA_CLIENT_ID: z.string().min(1).optional(),
};

export const trustedProxiesEnv = {
  /** Comma-separated addresses and CIDRs of our own proxies (ALB, Traefik). Validated by @single/trusted-proxy. */
  TRUSTED_PROXIES: z.string().default('').transform(commaList),
};

export const datadogEnv = {
  DD_ENV: z.string().min(1).default('local'),
  DD_SERVICE: z.string().min(1).optional(),
  DD_VERSION: z.string().min(1).default('dev'),
  DD_AGENT_HOST: z.string().min(1).optional(),
  DD_TRACE_ENABLED: booleanString.default(true),
};

export { booleanString, commaList };
