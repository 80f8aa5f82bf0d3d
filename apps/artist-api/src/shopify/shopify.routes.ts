import { platformAccess, sqlOf, type TenantDb } from '@single/db';
import { installShop } from '@single/db/commands/shop-install';
import { sealShopToken } from '@single/db/commands/shop-token';
import { ProblemError } from '@single/http';
import type { Logger } from '@single/logger';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { accountDb, principalOf } from '../auth/authenticate.ts';
import { problem, problemResponses } from '../support/responses.ts';
import { type ConsumedState, InstallStates } from './install-states.ts';
import { installUrl, MYSHOPIFY_DOMAIN, type ShopifyAppSettings, verifyQueryHmac } from './shopify-app.ts';
import { exchangeCode, registerWebhooks, WEBHOOK_TOPICS } from './shopify-calls.ts';

export interface ShopifyRouteDeps {
  /** The guarded client: the install route scopes it per request, the callback finds the account by its state. */
  db: TenantDb;
  /** Unset: the Shopify app is not configured here, and both routes answer 503 `shopify_not_configured`. */
  settings: ShopifyAppSettings | undefined;
  logger: Logger;
  now: () => Date;
}

const installAnswer = z
  .object({
    installUrl: z.url().describe("Shopify's authorization page for the shop: send the merchant's browser there"),
    shop: z.string(),
    expiresAt: z.string().describe('The link (its state) is accepted until then, once'),
  })
  .meta({ id: 'ShopifyInstallLink' });

const connected = z
  .object({
    shop: z.string(),
    connected: z.literal(true),
    webhooks: z.object({ created: z.array(z.string()), existing: z.array(z.string()) }),
  })
  .meta({ id: 'ShopifyConnected' });

const problemContent = { description: 'Problem details', content: { 'application/problem+json': { schema: problem } } };

const notConfigured = () =>
  new ProblemError(503, 'shopify_not_configured', 'Connecting a Shopify store is not configured on this server');

const badShop = () =>
  new ProblemError(400, 'invalid_shop_domain', 'The shop must be a myshopify.com domain', {
    detail: 'expected <name>.myshopify.com (lower case, one label)',
  });

const STATE_PROBLEMS: Record<Exclude<ConsumedState, { ok: true }>['reason'], () => ProblemError> = {
  unknown_or_used: () =>
    new ProblemError(400, 'invalid_state', 'Unknown or already used install state', {
      detail: 'start the install again from the dashboard',
    }),
  expired: () => new ProblemError(400, 'state_expired', 'The install link has expired', { detail: 'start again' }),
  other_shop: () => new ProblemError(400, 'state_shop_mismatch', 'The install state was issued for another shop'),
};

/** The account the shop is connected to, if any: a shop never moves between accounts by an install. */
async function ownerOf(db: TenantDb, shop: string): Promise<string | null | undefined> {
  // Any account's shop, on purpose: a shop of another account is the refusal (409).
  const row = await platformAccess('install: whose shop this is', () =>
    db.shop.findUnique({ where: { domain: shop }, select: { accountId: true } }),
  );
  return row?.accountId;
}

const ownedElsewhere = () =>
  new ProblemError(409, 'shop_connected_to_another_account', 'This shop is connected to another account');

/** `GET /v1/shopify/install`: behind API-key authentication (scope `admin`), in the `/v1` context. */
export function registerShopifyInstallRoute(app: FastifyInstance, deps: ShopifyRouteDeps) {
  const states = new InstallStates(deps.db);
  app.withTypeProvider<ZodTypeProvider>().get(
    '/shopify/install',
    {
      // Connecting a store gives the platform an Admin API token and routes the shop's orders to this account:
      // account administration, like minting keys, so `admin` and not `write`.
      config: { scope: 'admin' },
      schema: {
        tags: ['shops'],
        summary: 'An install link for a Shopify store (scope `admin`)',
        description:
          "Answers Shopify's authorization URL for the shop with a state nonce bound to the calling account and " +
          `the shop, accepted once within a few minutes. After the merchant approves, Shopify redirects to ` +
          '`GET /v1/shopify/callback`, which stores the offline token (encrypted) and subscribes the shop to ' +
          `${WEBHOOK_TOPICS.join(', ')} at the webhook dispatcher. 409 \`shop_connected_to_another_account\` ` +
          'when the shop belongs to another account; 503 `shopify_not_configured` without the app settings.',
        querystring: z.object({ shop: z.string().max(255).describe('<name>.myshopify.com') }),
        response: { 200: installAnswer, ...problemResponses, 503: problemContent },
      },
    },
    async (request) => {
      const settings = deps.settings;
      if (!settings) throw notConfigured();
      const shop = request.query.shop.trim().toLowerCase();
      if (!MYSHOPIFY_DOMAIN.test(shop)) throw badShop();
      const principal = principalOf(request);
      const owner = await ownerOf(deps.db, shop);
      if (owner && owner !== principal.accountId) throw ownedElsewhere();
      const { state, expiresAt } = await states.issue(accountDb(request), {
        accountId: principal.accountId,
        apiKeyId: principal.keyId,
        shopDomain: shop,
        now: deps.now(),
        ttlMs: settings.stateTtlMs,
      });
      return { installUrl: installUrl(settings, shop, state), shop, expiresAt: expiresAt.toISOString() };
    },
  );
}

/** `GET /v1/shopify/callback`: Shopify's redirect, with no API key (the merchant's browser brings it). */
export function registerShopifyCallbackRoute(app: FastifyInstance, deps: ShopifyRouteDeps) {
  const states = new InstallStates(deps.db);
  app.withTypeProvider<ZodTypeProvider>().get(
    '/shopify/callback',
    {
      schema: {
        tags: ['shops'],
        summary: "Shopify's OAuth redirect after the merchant approved the install (no API key)",
        description:
          "Checks, in order: Shopify's HMAC of the query (the app's client secret; 400 `invalid_hmac`), the shop " +
          'domain (400 `invalid_shop_domain`), the state (single use, unexpired, issued for this shop: 400 ' +
          '`invalid_state`, `state_expired`, `state_shop_mismatch`). Then the code is exchanged for an offline ' +
          'token, stored encrypted (AES-256-GCM), the shop connected to the account the state was issued to, and ' +
          'the webhook subscriptions created where missing. 303 to the dashboard when one is configured ' +
          '(`SHOPIFY_INSTALL_RETURN_URL`): `?shop=<domain>&connected=1`, or a refusal as `?error=<code>` (and ' +
          '`&shop=` once the signature is good) instead of problem+json.',
        querystring: z
          .object({
            shop: z.string().max(255).optional(),
            code: z.string().max(512).optional(),
            state: z.string().max(512).optional(),
            hmac: z.string().max(128).optional(),
            timestamp: z.string().max(32).optional(),
            host: z.string().max(1024).optional(),
          })
          .loose(),
        response: {
          200: connected,
          303: z.undefined().describe('See Other: to the dashboard (`?shop=<domain>&connected=1`, or `?error=<code>`)'),
          400: problemContent,
          409: problemContent,
          502: problemContent,
          503: problemContent,
        },
      },
    },
    async (request, reply) => {
      const settings = deps.settings;
      if (!settings) throw notConfigured();
      const raw = request.raw.url ?? '';
      const query = raw.includes('?') ? raw.slice(raw.indexOf('?') + 1) : '';
      // Nothing in the query is trusted before its signature is.
      const signed = verifyQueryHmac(query, settings.clientSecret);
      try {
        return await completeInstall(request.query, signed, settings, reply);
      } catch (error) {
        // The merchant's browser came here: with a dashboard to return to, a refusal goes back there as a code it
        // explains (the shop only once Shopify's signature vouches for it), not as problem+json on a blank tab.
        if (!settings.returnUrl || !(error instanceof ProblemError)) throw error;
        const to = new URL(settings.returnUrl);
        to.searchParams.set('error', error.code);
        const shop = request.query.shop;
        if (signed && shop && MYSHOPIFY_DOMAIN.test(shop)) to.searchParams.set('shop', shop);
        request.log.info({ code: error.code }, 'shopify install refused');
        return reply.redirect(to.toString(), 303);
      }
    },
  );

  async function completeInstall(
    params: { shop?: string | undefined; code?: string | undefined; state?: string | undefined },
    signed: boolean,
    settings: ShopifyAppSettings,
    reply: FastifyReply,
  ) {
    const request = reply.request;
    if (!signed) {
      throw new ProblemError(400, 'invalid_hmac', "The query does not carry Shopify's signature");
    }
    const { shop, code, state } = params;
    if (!shop || !MYSHOPIFY_DOMAIN.test(shop)) throw badShop();
    if (!code || !state) throw new ProblemError(400, 'invalid_callback', 'The code or the state is missing');
    const consumed = await states.consume(state, shop, deps.now());
    if (!consumed.ok) throw STATE_PROBLEMS[consumed.reason]();
    const owner = await ownerOf(deps.db, shop);
    if (owner && owner !== consumed.accountId) throw ownedElsewhere();

    const token = await exchangeCode(settings, shop, code);
    // Only the sealed form reaches the database; the token in clear lives in this frame only.
    // The shared statement (cmdr runs it on a pool): one INSERT ... ON CONFLICT (domain) DO UPDATE, here in
    // the API's Prisma client (sqlOf). The account comes from the state, so no scope applies.
    await installShop(sqlOf(deps.db), {
      domain: shop,
      accountId: consumed.accountId,
      accessToken: sealShopToken(token, shop, settings.tokenKeys),
      now: deps.now(),
    });
    const webhooks = await registerWebhooks(settings, shop, token);
    request.log.info({ shop, created: webhooks.created.length }, 'shopify store connected');
    if (settings.returnUrl) {
      const to = new URL(settings.returnUrl);
      to.searchParams.set('shop', shop);
      to.searchParams.set('connected', '1');
      return reply.redirect(to.toString(), 303);
    }
    return { shop, connected: true as const, webhooks };
  }
}
