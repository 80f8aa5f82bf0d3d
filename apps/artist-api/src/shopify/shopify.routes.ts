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
          `the shop, accepted once within a few minutes. After the merchant approves, Shopify redirects the browser ` +
          "to the app's redirect URI (the dashboard), which forwards the query to `GET /v1/shopify/callback` with " +
          'a key of the same account; that stores the offline token (encrypted) and subscribes the shop to ' +
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

/**
 * `GET /v1/shopify/callback`: Shopify's redirect, forwarded by the client whose browser started the install (the
 * dashboard's BFF checks its install cookie there) with that client's API key (scope `admin`). The state must
 * have been issued to the key's account: a merchant sent someone else's install link completes nothing, as no
 * browser of theirs holds a key of the account that asked for it (RFC 6749 §10.12).
 */
export function registerShopifyCallbackRoute(app: FastifyInstance, deps: ShopifyRouteDeps) {
  const states = new InstallStates(deps.db);
  app.withTypeProvider<ZodTypeProvider>().get(
    '/shopify/callback',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['shops'],
        summary: "Completes Shopify's OAuth install: the redirect's query, forwarded with the API key (scope `admin`)",
        description:
          "Shopify sends the merchant's browser to the app's redirect URI (the dashboard's `/shopify/callback`), " +
          'which checks that this browser started the install and forwards the query here with its API key. ' +
          "Checks, in order: Shopify's HMAC of the query (the app's client secret; 400 `invalid_hmac`), the shop " +
          'domain (400 `invalid_shop_domain`), the state (single use, unexpired, issued for this shop: 400 ' +
          '`invalid_state`, `state_expired`, `state_shop_mismatch`; issued to the calling account: 403 ' +
          '`state_account_mismatch`). Then the code is exchanged for an offline token, stored encrypted ' +
          '(AES-256-GCM), the shop connected to the account, and the webhook subscriptions created where missing.',
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
          ...problemResponses,
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
      return completeInstall(request.query, signed, settings, reply);
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
    // Spent all the same: a state shown by another account (a leaked callback URL) is not tried again.
    if (consumed.accountId !== principalOf(request).accountId) {
      request.log.warn({ shop }, 'shopify install callback from another account: refused');
      throw new ProblemError(403, 'state_account_mismatch', 'The install state was issued to another account', {
        detail: 'start the install again from the dashboard, in this browser',
      });
    }
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
    return { shop, connected: true as const, webhooks };
  }
}
