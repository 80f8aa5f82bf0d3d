import type { SessionStore } from '@fastify/session';
import { type KeyValueStore, Sealer } from './sealed-store.ts';

/**
 * @fastify/session's store on the key-value store (Redis), so a session (and the API key it holds) lives
 * server-side only: the cookie carries a signed session id, sign-out deletes the entry and the old cookie
 * then finds nothing, and every replica sees the same sessions. Entries are sealed with AES-256-GCM under a
 * key derived from the session secret, so a Redis dump does not hand out API keys.
 */
export class SealedSessionStore implements SessionStore {
  readonly #store: KeyValueStore;
  readonly #prefix: string;
  readonly #ttlMs: number;
  readonly #sealer: Sealer;

  constructor(options: { store: KeyValueStore; prefix: string; ttlSeconds: number; secret: string }) {
    this.#store = options.store;
    this.#prefix = options.prefix;
    this.#ttlMs = options.ttlSeconds * 1000;
    this.#sealer = new Sealer(options.secret, 'dashboard-session-store');
  }

  set(sessionId: string, session: unknown, callback: (err?: unknown) => void): void {
    this.#store
      .set(this.#prefix + sessionId, this.#sealer.seal(JSON.stringify(session)), this.#ttlMs)
      .then(() => callback(), callback);
  }

  // biome-ignore lint/suspicious/noExplicitAny: the session type is declared by @fastify/session's callback
  get(sessionId: string, callback: (err: unknown, result?: any) => void): void {
    this.#store.get(this.#prefix + sessionId).then((sealed) => {
      if (sealed === null) return callback(null, null);
      const plain = this.#sealer.open(sealed);
      // An entry that does not open (secret rotated, tampered) is no session at all.
      callback(null, plain === undefined ? null : JSON.parse(plain));
    }, callback);
  }

  destroy(sessionId: string, callback: (err?: unknown) => void): void {
    this.#store.del(this.#prefix + sessionId).then(() => callback(), callback);
  }
}
