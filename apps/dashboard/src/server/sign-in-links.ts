import { createHash, randomBytes } from 'node:crypto';
import { type KeyValueStore, Sealer } from './sealed-store.ts';

/**
 * One-time sign-in links: a random token standing for an API key for a few minutes, spent by its first use.
 * Only code in the BFF's process issues them (the demo prints one); no route mints them. The store holds the
 * token's hash and the key sealed, so neither a dump nor a guessed entry name gives a way in.
 */
export class SignInLinks {
  readonly #store: KeyValueStore;
  readonly #prefix: string;
  readonly #ttlMs: number;
  readonly #sealer: Sealer;

  constructor(options: { store: KeyValueStore; prefix: string; ttlSeconds: number; secret: string }) {
    this.#store = options.store;
    this.#prefix = options.prefix;
    this.#ttlMs = options.ttlSeconds * 1000;
    this.#sealer = new Sealer(options.secret, 'dashboard-sign-in-link');
  }

  #key(token: string): string {
    return this.#prefix + createHash('sha256').update(token).digest('base64url');
  }

  /** A token for `/auth/link/<token>`, good once within the TTL. */
  async issue(apiKey: string): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.#store.set(this.#key(token), this.#sealer.seal(apiKey), this.#ttlMs);
    return token;
  }

  /** The API key a live link stands for, without spending it (the key is checked before the link is spent). */
  async peek(token: string): Promise<string | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    const sealed = await this.#store.get(this.#key(token));
    return sealed === null ? undefined : this.#sealer.open(sealed);
  }

  /** The API key, for the first caller only: later or concurrent uses, unknown and expired tokens get nothing. */
  async consume(token: string): Promise<string | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    const key = this.#key(token);
    const sealed = await this.#store.get(key);
    // Whoever deletes the entry spends the link; a second request racing the first finds it gone.
    if (sealed === null || !(await this.#store.del(key))) return undefined;
    return this.#sealer.open(sealed);
  }
}
