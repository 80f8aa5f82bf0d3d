import { createHmac } from 'node:crypto';
import type { SessionStore } from '@fastify/session';
import { type KeyValueStore, Sealer } from './sealed-store.ts';

/** @fastify/csrf-protection's key in the session (its default `sessionKey`). */
const CSRF_KEY = '_csrf';

/**
 * @fastify/session's store on the key-value store (Redis), so a session (and the API key it holds) lives
 * server-side only: the cookie carries a signed session id, sign-out deletes the entry and the old cookie
 * then finds nothing, and every replica sees the same sessions. Entries are sealed with AES-256-GCM under a
 * key derived from the session secret, so a Redis dump does not hand out API keys.
 *
 * Only sessions with something to keep are written. An anonymous visitor's session holds nothing but its CSRF
 * secret, and that secret is derived from the (signed) session id, so it needs no entry: `get` of an id without
 * one answers that derived secret, `set` of a session holding nothing else writes nothing. Visitors, crawlers
 * and probes therefore cost no Redis key; the sign-in form's CSRF check still works on the derived secret.
 */
export class SealedSessionStore implements SessionStore {
  readonly #store: KeyValueStore;
  readonly #prefix: string;
  readonly #ttlMs: number;
  readonly #sealer: Sealer;
  readonly #secret: string;

  constructor(options: { store: KeyValueStore; prefix: string; ttlSeconds: number; secret: string }) {
    this.#store = options.store;
    this.#prefix = options.prefix;
    this.#ttlMs = options.ttlSeconds * 1000;
    this.#sealer = new Sealer(options.secret, 'dashboard-session-store');
    this.#secret = options.secret;
  }

  /** The CSRF secret of an anonymous session: only the server can compute it, from the id the cookie signs. */
  anonymousCsrf(sessionId: string): string {
    return createHmac('sha256', `dashboard-anonymous-csrf:${this.#secret}`).update(sessionId).digest('base64url');
  }

  #isAnonymous(sessionId: string, session: unknown): boolean {
    if (typeof session !== 'object' || session === null) return false;
    const entries = Object.entries(session).filter(([key]) => key !== 'cookie');
    return entries.every(([key, value]) => key === CSRF_KEY && value === this.anonymousCsrf(sessionId));
  }

  /** Before a CSRF token is made: a session without a secret gets the derived one (nothing to store for it). */
  seedCsrf(session: { sessionId: string; get(key: string): unknown; set(key: string, value: unknown): void }) {
    if (!session.get(CSRF_KEY)) session.set(CSRF_KEY, this.anonymousCsrf(session.sessionId));
  }

  set(sessionId: string, session: unknown, callback: (err?: unknown) => void): void {
    if (this.#isAnonymous(sessionId, session)) {
      callback();
      return;
    }
    this.#store
      .set(this.#prefix + sessionId, this.#sealer.seal(JSON.stringify(session)), this.#ttlMs)
      .then(() => callback(), callback);
  }

  // biome-ignore lint/suspicious/noExplicitAny: the session type is declared by @fastify/session's callback
  get(sessionId: string, callback: (err: unknown, result?: any) => void): void {
    this.#store.get(this.#prefix + sessionId).then((sealed) => {
      const plain = sealed === null ? undefined : this.#sealer.open(sealed);
      // No entry (anonymous, signed out, expired) or one that does not open (secret rotated, tampered): an
      // anonymous session, holding nothing but its derived CSRF secret.
      callback(null, plain === undefined ? { [CSRF_KEY]: this.anonymousCsrf(sessionId) } : JSON.parse(plain));
    }, callback);
  }

  destroy(sessionId: string, callback: (err?: unknown) => void): void {
    this.#store.del(this.#prefix + sessionId).then(() => callback(), callback);
  }
}
