import { ProblemError } from '@single/http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SHOPS_PAGE } from './connect-store.routes.ts';
import { CALLBACK_PATH, type InstallCookie, stateMatches } from './install-cookie.ts';

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const page = (title: string, head: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
  `<title>${escapeHtml(title)}</title>${head}</head><body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;

const rawQuery = (request: FastifyRequest) => {
  const raw = request.raw.url ?? '';
  return raw.includes('?') ? raw.slice(raw.indexOf('?') + 1) : '';
};

/**
 * A refusal of the callback: 4xx, nothing forwarded (so nothing stored), logged without the query's secrets. A
 * browser gets a page saying what to do; anything else problem+json.
 */
function refuse(
  request: FastifyRequest,
  reply: FastifyReply,
  refusal: { status: number; code: string; title: string },
  shop: string | undefined,
) {
  request.log.warn({ code: refusal.code, shop }, 'shopify install callback refused');
  const detail = 'Start connecting the store again from the dashboard, in this browser, signed in to your account.';
  if (!(request.headers.accept ?? '').includes('text/html')) {
    throw new ProblemError(refusal.status, refusal.code, refusal.title, { detail });
  }
  return reply
    .code(refusal.status)
    .type('text/html; charset=utf-8')
    .send(
      page(
        refusal.title,
        '',
        `<p>${escapeHtml(detail)}</p><p>Code: <code>${escapeHtml(refusal.code)}</code></p>` +
          `<p><a href="${SHOPS_PAGE}">Back to your stores</a></p>`,
      ),
    );
}

const REFUSALS = {
  notStartedHere: {
    status: 403,
    code: 'install_not_started_here',
    title: 'This store connection was not started here',
  },
  expired: { status: 400, code: 'install_expired', title: 'This store connection has expired' },
  mismatch: { status: 403, code: 'install_state_mismatch', title: 'This is not the store connection you started' },
  signedOut: { status: 401, code: 'not_signed_in', title: 'Sign in to finish connecting the store' },
  otherAccount: {
    status: 403,
    code: 'install_other_account',
    title: 'This store connection was started by another account',
  },
};

const apiRefusal = z.object({ code: z.string().regex(/^[a-z_]{1,64}$/) });

/**
 * Shopify's redirect after the merchant approved ("Connect a store"), the app's redirect URI. It is accepted only
 * in the browser that started the install: the install cookie set then (the state's hash, the account, the shop;
 * one use, 10 minutes) must match the state, and the signed-in session must be of that account. Only then is the
 * query forwarded, with the session's key, to the artist API, which checks Shopify's HMAC, the shop domain and the
 * state (issued to that same account) and stores the token. An install link sent to someone else thus connects
 * nothing: their browser has no such cookie, nor a session of the sender's account (RFC 6749 §10.12).
 */
export function registerShopifyCallbackRoutes(
  app: FastifyInstance,
  options: { artistApiUrl: string; installCookie: InstallCookie },
) {
  // The session cookie is SameSite=Strict, so the browser withholds it from Shopify's (cross-site) redirect: this
  // page reloads the same query from our own origin, where it is sent. No script (the CSP allows none inline).
  app.get(CALLBACK_PATH, { exposeHeadRoute: false }, (request, reply) => {
    const next = `${CALLBACK_PATH}/complete?${rawQuery(request)}`;
    return reply
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(
        page(
          'Connecting your store…',
          `<meta http-equiv="refresh" content="0;url=${escapeHtml(next)}">`,
          `<p><a href="${escapeHtml(next)}">Continue</a></p>`,
        ),
      );
  });

  app.get(`${CALLBACK_PATH}/complete`, { exposeHeadRoute: false }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const query = request.query as Record<string, unknown>;
    const state = typeof query.state === 'string' ? query.state : '';
    const shop = typeof query.shop === 'string' ? query.shop : '';
    const bound = options.installCookie.take(request, reply);
    if (!bound) return refuse(request, reply, REFUSALS.notStartedHere, undefined);
    if (bound.expiresAt <= Date.now()) return refuse(request, reply, REFUSALS.expired, bound.shop);
    if (!stateMatches(bound, state) || bound.shop !== shop) {
      return refuse(request, reply, REFUSALS.mismatch, bound.shop);
    }
    const { apiKey, account } = request.session;
    if (!apiKey || !account) return refuse(request, reply, REFUSALS.signedOut, bound.shop);
    if (account.id !== bound.accountId) return refuse(request, reply, REFUSALS.otherAccount, bound.shop);

    const back = (search: Record<string, string>) =>
      reply.redirect(`${SHOPS_PAGE}?${new URLSearchParams({ ...search, shop: bound.shop })}`, 303);
    const url = new URL('/v1/shopify/callback', options.artistApiUrl);
    url.search = rawQuery(request);
    // The code exchange and the webhook subscriptions happen in there, against Shopify: a longer wait.
    const answer = await fetch(url, {
      headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' },
      signal: AbortSignal.timeout(20_000),
    }).catch(() => undefined);
    if (!answer) return back({ error: 'artist_api_unreachable' });
    const body: unknown = await answer.json().catch(() => undefined);
    if (!answer.ok) {
      const refused = apiRefusal.safeParse(body);
      const code = refused.success ? refused.data.code : 'artist_api_error';
      request.log.warn({ code, shop: bound.shop }, 'shopify install refused by the artist API');
      return back({ error: code });
    }
    request.log.info({ shop: bound.shop }, 'store connected');
    return back({ connected: '1' });
  });
}
