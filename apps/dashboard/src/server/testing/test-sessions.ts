import { silentLogger } from '@single/logger';
import { createTestRedisPrefix, deleteRedisPrefix, testRedisUrl } from '@single/testing';
import { Redis } from 'ioredis';
import { buildApp, type Dashboard, type DashboardDeps } from '../app.ts';
import { redisKeyValue } from '../sealed-store.ts';

/** The BFF's integration tests: sessions in the real Redis under a key prefix of the test's own. */
export function testSessions() {
  const redis = new Redis(testRedisUrl());
  const prefix = `${createTestRedisPrefix()}session:`;
  return {
    redis,
    prefix,
    /** A BFF on these sessions with the tests' defaults (plain-http cookies, a silent logger); `deps` overrides. */
    build: (deps: Partial<DashboardDeps> & Pick<DashboardDeps, 'artistApiUrl'>): Dashboard =>
      buildApp({
        logger: silentLogger(),
        store: redisKeyValue(redis),
        sessionSecret: 'a-test-session-secret-of-at-least-32-chars',
        sessionTtlSeconds: 600,
        sessionKeyPrefix: prefix,
        secureCookies: false,
        ...deps,
      }),
    async close() {
      await deleteRedisPrefix(prefix).catch(() => undefined);
      redis.disconnect();
    },
  };
}
