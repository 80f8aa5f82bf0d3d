import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { SessionStore } from '@fastify/session';
import type { Redis } from 'ioredis';

/**
 * @fastify/session's store on Redis, so a session (and the API key it holds) lives server-side only: the
 * cookie carries a signed session id, sign-out deletes the entry and the old cookie then finds nothing,
 * and every replica sees the same sessions. Entries are sealed with AES-256-GCM under a key derived from
 * the session secret, so a Redis dump does not hand out API keys.
 */
export class RedisSessionStore implements SessionStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #ttlSeconds: number;
  readonly #key: Buffer;

  constructor(options: { redis: Redis; prefix: string; ttlSeconds: number; secret: string }) {
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#ttlSeconds = options.ttlSeconds;
    this.#key = createHash('sha256').update(`dashboard-session-store:${options.secret}`).digest();
  }

  set(sessionId: string, session: unknown, callback: (err?: unknown) => void): void {
    this.#redis
      .set(this.#prefix + sessionId, this.#seal(JSON.stringify(session)), 'EX', this.#ttlSeconds)
      .then(() => callback(), callback);
  }

  // biome-ignore lint/suspicious/noExplicitAny: the session type is declared by @fastify/session's callback
  get(sessionId: string, callback: (err: unknown, result?: any) => void): void {
    this.#redis.get(this.#prefix + sessionId).then((sealed) => {
      if (sealed === null) return callback(null, null);
      const plain = this.#open(sealed);
      // An entry that does not open (secret rotated, tampered) is no session at all.
      callback(null, plain === undefined ? null : JSON.parse(plain));
    }, callback);
  }

  destroy(sessionId: string, callback: (err?: unknown) => void): void {
    this.#redis.del(this.#prefix + sessionId).then(() => callback(), callback);
  }

  #seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  #open(sealed: string): string | undefined {
    try {
      const raw = Buffer.from(sealed, 'base64');
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
