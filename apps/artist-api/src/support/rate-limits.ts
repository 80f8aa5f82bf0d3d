import { ProblemError } from '@single/http';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface RateLimit {
  /** Counts one request against `key`; throws a 429 problem once over the limit. */
  consume(request: FastifyRequest, key: string): Promise<void>;
}

/**
 * A named limit on the @fastify/rate-limit store (Redis in production: shared by every replica). Built on
 * `createRateLimit` because one route may need several limits (per IP and per token), which the plugin's
 * own hook does not allow. A store outage lets requests through (skipOnError): the API stays up.
 */
export function createRateLimit(app: FastifyInstance, name: string, max: number, timeWindowMs: number): RateLimit {
  const check = app.createRateLimit({
    max,
    timeWindow: timeWindowMs,
    keyGenerator: (request) => `${name}:${keyOf(request)}`,
    skipOnError: true,
  });
  return {
    async consume(request, key) {
      keys.set(request, key);
      const result = await check(request);
      if (result.isAllowed || !result.isExceeded) return;
      throw new ProblemError(429, 'rate_limited', 'Too many requests', {
        detail: `limit ${result.max} per ${Math.round(result.timeWindow / 1000)} s`,
        headers: {
          'retry-after': String(result.ttlInSeconds),
          'x-ratelimit-limit': String(result.max),
          'x-ratelimit-remaining': '0',
        },
      });
    },
  };
}

// The key is chosen by the caller at check time; the plugin asks for it through keyGenerator.
const keys = new WeakMap<FastifyRequest, string>();
const keyOf = (request: FastifyRequest) => keys.get(request) ?? 'unknown';
