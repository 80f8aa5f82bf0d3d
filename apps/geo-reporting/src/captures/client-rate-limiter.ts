import { performance } from 'node:perf_hooks';

export interface ClientRateLimiterOptions {
  /** Requests a client may make at once (the bucket's size), and per window on average. */
  max: number;
  windowMs: number;
  /** Clients tracked before the least recent ones start afresh (bounds memory under a flood of addresses). */
  maxClients?: number;
  /** Milliseconds on a monotonic clock. */
  now?: () => number;
}

const EPSILON = 1e-9;

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Per-client token buckets, in process (one replica's view, like the plugin's in-memory store it replaces):
 * a bucket holds up to `max` tokens and refills at `max` per `windowMs`; each request takes one.
 *
 * Buckets live in two generations that rotate every window. A bucket left behind in the old generation has
 * been idle for more than a window when the old generation is dropped, so it was full again: dropping it
 * changes nothing. Only a rotation forced by `maxClients` can forget a drained bucket (that client starts
 * afresh), the price of bounded memory. No timers, no per-request allocation for a known client.
 */
export class ClientRateLimiter {
  readonly #capacity: number;
  readonly #refillPerMs: number;
  readonly #windowMs: number;
  readonly #maxClients: number;
  readonly #now: () => number;
  #current = new Map<string, Bucket>();
  #previous = new Map<string, Bucket>();
  #rotatedAt: number;

  constructor(options: ClientRateLimiterOptions) {
    if (!(options.max >= 1) || !(options.windowMs > 0)) throw new RangeError('max >= 1 and windowMs > 0 required');
    this.#capacity = options.max;
    this.#refillPerMs = options.max / options.windowMs;
    this.#windowMs = options.windowMs;
    this.#maxClients = options.maxClients ?? 50_000;
    this.#now = options.now ?? (() => performance.now());
    this.#rotatedAt = this.#now();
  }

  /** Takes a token for `key`: 0 when the request may go ahead, else the whole seconds until a token is back. */
  take(key: string): number {
    const now = this.#now();
    if (now - this.#rotatedAt >= this.#windowMs) this.#rotate(now);
    let bucket = this.#current.get(key);
    if (bucket === undefined) {
      bucket = this.#previous.get(key);
      if (bucket === undefined) bucket = { tokens: this.#capacity, at: now };
      else this.#previous.delete(key);
      if (this.#current.size >= this.#maxClients) this.#rotate(now);
      this.#current.set(key, bucket);
    }
    // Never a negative refill, whatever clock is injected.
    const elapsed = now > bucket.at ? now - bucket.at : 0;
    const tokens = Math.min(this.#capacity, bucket.tokens + elapsed * this.#refillPerMs);
    bucket.at = now;
    // EPSILON: the refill rate is rarely exact in binary; rounding noise must not cost a whole second.
    if (tokens >= 1 - EPSILON) {
      bucket.tokens = Math.max(0, tokens - 1);
      return 0;
    }
    bucket.tokens = tokens;
    return Math.max(1, Math.ceil((1 - tokens) / this.#refillPerMs / 1000 - EPSILON));
  }

  /** Clients currently tracked (both generations). */
  get size(): number {
    return this.#current.size + this.#previous.size;
  }

  #rotate(now: number) {
    this.#previous = this.#current;
    this.#current = new Map();
    this.#rotatedAt = now;
  }
}
