import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { InstallCookie } from './install-cookie.ts';

type Hook = (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void;

/** Where the form lives: errors go back there as `?error=<code>&shop=<what was typed>`. */
export const SHOPS_PAGE = '/shops';

const form = z.object({ shop: z.string().trim().min(1).max(255) });
const installAnswer = z.object({ installUrl: z.url() });

const back = (reply: FastifyReply, code: string, shop?: string) => {
  const search = new URLSearchParams({ error: code, ...(shop ? { shop } : {}) });
  return reply.redirect(`${SHOPS_PAGE}?${search}`, 303);
};

/**
 * "Connect a store": a plain HTML form post (shop domain and the CSRF token in `_csrf`), so the browser follows
 * the answer to Shopify's authorization page as a full navigation. The BFF asks the artist API for the install
 * link with the session's key and answers 303 there, setting the install cookie that binds Shopify's callback to
 * this browser; any refusal goes back to the shops page with its code.
 */
/**
 * Whether the install URL the artist API answered is Shopify's authorization page of this shop: on the shop's own
 * origin (`https://<shop>` in production; the template lets tests use a local fake Shopify) and nowhere else, so
 * the BFF never redirects a signed-in user to a URL it was merely handed.
 */
export function isShopAuthorizeUrl(installUrl: string, shop: string, originTemplate: string): boolean {
  let url: URL;
  let expected: URL;
  try {
    url = new URL(installUrl);
    expected = new URL(`${originTemplate.replace('{shop}', shop)}/admin/oauth/authorize`);
  } catch {
    return false;
  }
  return (
    url.protocol === expected.protocol &&
    url.origin === expected.origin &&
    url.pathname === expected.pathname &&
    url.username === '' &&
    url.password === ''
  );
}

export function registerConnectStoreRoute(
  app: FastifyInstance,
  options: { artistApiUrl: string; checkCsrf: Hook; installCookie: InstallCookie; shopOriginTemplate?: string },
) {
  const originTemplate = options.shopOriginTemplate ?? 'https://{shop}';
  app.register(async (scope) => {
    // Only this route takes a form body (fastify parses JSON alone by default); a shop domain is small.
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 4096 },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );

    scope.post(
      '/shopify/connect',
      {
        preHandler: (request, reply, done) => {
          // Signed out (an ended session): the sign-in form, not a CSRF error the user cannot act on.
          if (!request.session.apiKey) return void reply.redirect('/', 303);
          options.checkCsrf(request, reply, done);
        },
      },
      async (request, reply) => {
        const parsed = form.safeParse(request.body);
        if (!parsed.success) return back(reply, 'invalid_shop_domain');
        const shop = parsed.data.shop;
        const url = new URL('/v1/shopify/install', options.artistApiUrl);
        url.searchParams.set('shop', shop);
        const answer = await fetch(url, {
          headers: { authorization: `Bearer ${request.session.apiKey}`, accept: 'application/json' },
          signal: AbortSignal.timeout(5_000),
        }).catch(() => undefined);
        if (!answer) return back(reply, 'artist_api_unreachable', shop);
        const body: unknown = await answer.json().catch(() => undefined);
        if (!answer.ok) {
          const code = z.object({ code: z.string().regex(/^[a-z_]{1,64}$/) }).safeParse(body);
          return back(reply, code.success ? code.data.code : 'artist_api_error', shop);
        }
        const link = installAnswer.safeParse(body);
        if (!link.success) return back(reply, 'artist_api_error', shop);
        if (!isShopAuthorizeUrl(link.data.installUrl, shop.toLowerCase(), originTemplate)) {
          request.log.warn({ shop }, 'install URL not on the shop origin: not followed');
          return back(reply, 'artist_api_error', shop);
        }
        const state = new URL(link.data.installUrl).searchParams.get('state');
        const account = request.session.account;
        if (!state || !account) return back(reply, 'artist_api_error', shop);
        // This browser alone may bring the callback back (shopify-callback.routes.ts).
        options.installCookie.set(reply, {
          state,
          accountId: account.id,
          shop: shop.toLowerCase(),
          now: Date.now(),
        });
        request.log.info({ shop }, 'store connection started');
        return reply.redirect(link.data.installUrl, 303);
      },
    );
  });
}
