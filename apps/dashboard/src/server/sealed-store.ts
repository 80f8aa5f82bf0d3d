import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Where the BFF keeps sessions and sign-in links: Redis in production; the demo passes its cache port
 * (@single/cache, in memory or Redis), which has this shape. `del` is true for the one caller that removed
 * the key, which makes a one-time link single-use across replicas.
 */
export interface KeyValueStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  del(key: string): Promise<boolean>;
}

export function redisKeyValue(redis: Redis): KeyValueStore {
  return {
    get: (key) => redis.get(key),
    set: async (key, value, ttlMs) => void (await redis.set(key, value, 'PX', ttlMs)),
    del: async (key) => (await redis.del(key)) > 0,
  };
}

/**
 * AES-256-GCM under a key derived from the session secret and a purpose, so a dump of the store does not hand
 * out the API keys the entries hold, and an entry of one purpose never opens as another's.
 */
export class Sealer {
  readonly #key: Buffer;

  constructor(secret: string, purpose: string) {
    this.#key = createHash('sha256').update(`${purpose}:${secret}`).digest();
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  /** undefined when the entry does not open (secret rotated, tampered). */
  open(sealed: string): string | undefined {
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
