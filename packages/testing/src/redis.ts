import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { testEnv } from './env.ts';

/** The URL of the test Redis (REDIS_URL). */
export function testRedisUrl(): string {
  return testEnv.REDIS_URL;
}

/** A key prefix no other test uses: `test:<random>:`. Remove its keys with deleteRedisPrefix. */
export function createTestRedisPrefix(): string {
  return `test:${randomBytes(6).toString('hex')}:`;
}

/** Deletes every key under the prefix (SCAN + DEL, never KEYS). */
export async function deleteRedisPrefix(prefix: string): Promise<number> {
  if (!prefix) throw new Error('refusing to delete an empty prefix');
  const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1, connectTimeout: 2_000, lazyConnect: true });
  redis.on('error', () => undefined);
  let deleted = 0;
  try {
    await redis.connect();
    const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

const infraScript = fileURLToPath(new URL('../../../scripts/infra.sh', import.meta.url));

/**
 * Stops or starts the local Redis with scripts/infra.sh. Only for `*.restart.int.test.ts` files, which
 * run alone after the other integration tests.
 */
export async function redisServer(action: 'stop' | 'start'): Promise<void> {
  await promisify(execFile)('bash', [infraScript, action, 'redis'], { timeout: 60_000 });
}
