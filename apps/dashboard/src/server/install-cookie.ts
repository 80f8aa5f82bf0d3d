import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Sealer } from './sealed-store.ts';

/** The cookie that binds a Shopify install to the browser that started it (RFC 6749 §10.12). */
export const INSTALL_COOKIE = 'single_shopify_install';
/** Only the callback routes get it. */
export const CALLBACK_PATH = '/shopify/callback';
/** As long as the artist API's state lives by default (SHOPIFY_INSTALL_STATE_TTL_SECONDS). */
export const INSTALL_TTL_MS = 10 * 60_000;

const binding = z.object({ stateHash: z.string(), accountId: z.string(), shop: z.string(), expiresAt: z.number() });
export type InstallBinding = z.infer<typeof binding>;

const hashOf = (state: string) => createHash('sha256').update(state).digest();

/**
 * Seals (AES-256-GCM, a key of its own derived from the session secret) what the callback must find again: the
 * state's hash (never the state), the account and the shop. SameSite=Lax, as Shopify's redirect back is a
 * cross-site top-level GET; http-only; Secure outside localhost.
 */
export class InstallCookie {
  readonly #sealer: Sealer;
  readonly #secure: boolean;

  constructor(secret: string, secure: boolean) {
    this.#sealer = new Sealer(secret, 'dashboard-shopify-install');
    this.#secure = secure;
  }

  set(reply: FastifyReply, input: { state: string; accountId: string; shop: string; now: number }) {
    const value: InstallBinding = {
      stateHash: hashOf(input.state).toString('base64url'),
      accountId: input.accountId,
      shop: input.shop,
      expiresAt: input.now + INSTALL_TTL_MS,
    };
    reply.setCookie(INSTALL_COOKIE, this.#sealer.seal(JSON.stringify(value)), {
      httpOnly: true,
      secure: this.#secure,
      sameSite: 'lax',
      path: CALLBACK_PATH,
      maxAge: INSTALL_TTL_MS / 1000,
    });
  }

  /** Reads and clears it: one callback per install started. undefined: none, or one that does not open. */
  take(request: FastifyRequest, reply: FastifyReply): InstallBinding | undefined {
    const sealed = request.cookies[INSTALL_COOKIE];
    if (sealed === undefined) return undefined;
    reply.clearCookie(INSTALL_COOKIE, { path: CALLBACK_PATH, httpOnly: true, secure: this.#secure, sameSite: 'lax' });
    const plain = this.#sealer.open(sealed);
    if (plain === undefined) return undefined;
    try {
      const parsed = binding.safeParse(JSON.parse(plain));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }
}

/** Whether the callback's state is the one this browser's cookie was issued for (timing-safe). */
export function stateMatches(bound: InstallBinding, state: string): boolean {
  const expected = Buffer.from(bound.stateHash, 'base64url');
  const given = hashOf(state);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
