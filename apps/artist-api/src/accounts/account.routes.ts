import { sqlOf } from '@single/db';
import { ProblemError } from '@single/http';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  type ApiKeyRepository,
  type ApiKeyRow,
  issueApiKey,
  MintingKeyRevokedError,
} from '../auth/api-key.repository.ts';
import { SELF_SERVICE_SCOPES } from '../auth/api-keys.ts';
import { accountDb, principalOf } from '../auth/authenticate.ts';
import { isUuid } from '../support/db.ts';
import { notFound } from '../support/problems.ts';
import { problemResponses } from '../support/responses.ts';
import type { ShopRepository } from './shop.repository.ts';
import { shop } from './shop.repository.ts';

const me = z.object({
  account: z.object({ id: z.uuid(), kind: z.enum(['artist', 'label']), name: z.string() }),
  apiKey: z.object({ id: z.uuid(), name: z.string(), scopes: z.array(z.string()) }),
});

const apiKey = z
  .object({
    id: z.uuid(),
    name: z.string(),
    scopes: z.array(z.string()),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    createdByKeyId: z.uuid().nullable().describe('The key that minted this one; null when cmdr issued it'),
  })
  .meta({ id: 'ApiKey' });

const toApiKey = (k: ApiKeyRow) => ({
  id: k.id,
  name: k.name,
  scopes: k.scopes,
  createdAt: k.createdAt.toISOString(),
  lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  revokedAt: k.revokedAt?.toISOString() ?? null,
  createdByKeyId: k.createdByKeyId,
});

const revokedKey = apiKey
  .extend({
    minted: z
      .array(apiKey)
      .describe(
        'Every key this key minted, directly or through keys it minted (oldest generation first). Without ' +
          '`cascade=true` they stay active: revoke them with `cascade=true` (or one by one)',
      ),
  })
  .meta({ id: 'RevokedApiKey' });

const revokeQuery = z.object({
  cascade: z
    .enum(['true', 'false'])
    .default('false')
    .describe('true: also revoke every key this key minted (directly or not)'),
});

const idParams = z.object({ id: z.string().max(100) });

export function registerAccountRoutes(
  app: FastifyInstance,
  deps: { keys: ApiKeyRepository; shops: ShopRepository; now: () => Date },
) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/me',
    {
      schema: {
        tags: ['account'],
        summary: 'The calling key and its account',
        response: { 200: me, ...problemResponses },
      },
    },
    async (request) => {
      const p = principalOf(request);
      return {
        account: { id: p.accountId, kind: p.accountKind, name: p.accountName },
        apiKey: { id: p.keyId, name: p.keyName, scopes: p.scopes },
      };
    },
  );

  r.get(
    '/shops',
    {
      schema: {
        tags: ['account'],
        summary: 'Connected storefronts and their install state',
        response: { 200: z.object({ items: z.array(shop) }), ...problemResponses },
      },
    },
    async (request) => ({ items: await deps.shops.list(accountDb(request)) }),
  );
  r.get(
    '/shops/:id',
    {
      schema: {
        tags: ['account'],
        summary: 'One connected storefront',
        params: idParams,
        response: { 200: shop, ...problemResponses },
      },
    },
    async (request) =>
      (await deps.shops.get(accountDb(request), request.params.id)) ?? Promise.reject(notFound('Shop')),
  );

  r.get(
    '/api-keys',
    {
      schema: {
        tags: ['account'],
        summary: "The account's API keys (never their secrets)",
        response: { 200: z.object({ items: z.array(apiKey) }), ...problemResponses },
      },
    },
    async (request) => ({ items: (await deps.keys.list(accountDb(request))).map(toApiKey) }),
  );
  r.post(
    '/api-keys',
    {
      // Minting keys is key management: a write key could otherwise mint keys that outlive its revocation.
      config: { scope: 'admin' },
      schema: {
        tags: ['account'],
        summary: 'Create an API key (scope `admin`); the secret is in this response only',
        description:
          'Needs the `admin` scope. The new key gets only scopes the calling key holds (403 `scope_not_held` ' +
          'otherwise) and records the calling key as `createdByKeyId`; `ops` keys are issued by cmdr only.',
        body: z
          .object({
            name: z.string().trim().min(1).max(100),
            scopes: z.array(z.enum(SELF_SERVICE_SCOPES)).min(1).max(SELF_SERVICE_SCOPES.length),
          })
          .strict(),
        response: { 201: apiKey.extend({ secret: z.string() }), ...problemResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const missing = request.body.scopes.filter((s) => !principal.scopes.includes(s));
      if (missing.length > 0) {
        throw new ProblemError(403, 'scope_not_held', 'A key cannot grant a scope it does not hold', {
          detail: `the calling key lacks ${missing.map((s) => `"${s}"`).join(', ')}`,
        });
      }
      // The key issue's one statement (INSERT ... SELECT ... FOR SHARE of the minting key) on the account's client.
      const { key, secret } = await issueApiKey(sqlOf(accountDb(request)), {
        accountId: principal.accountId,
        ...request.body,
        createdByKeyId: principal.keyId,
      }).catch((error: unknown) => {
        if (error instanceof MintingKeyRevokedError)
          throw new ProblemError(401, 'unauthorized', 'Missing, unknown or revoked API key');
        throw error;
      });
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ ...toApiKey(key), secret });
    },
  );
  r.delete(
    '/api-keys/:id',
    {
      schema: {
        tags: ['account'],
        summary: 'Revoke an API key (scope `admin`; idempotent), naming the keys it minted',
        description:
          'The answer lists `minted`: every key the revoked key minted, directly or through keys it minted. ' +
          'They stay active unless `cascade=true`, which revokes them in the same statement (a stolen key and ' +
          'everything it made go at once; without it, keys a person minted for CI keep working).',
        params: idParams,
        querystring: revokeQuery,
        response: { 200: revokedKey, ...problemResponses },
      },
      config: { scope: 'admin' },
    },
    async (request) => {
      const { id } = request.params;
      const revoked = isUuid(id)
        ? await deps.keys.revoke(
            accountDb(request),
            principalOf(request).accountId,
            id,
            deps.now(),
            request.query.cascade === 'true',
          )
        : undefined;
      if (!revoked) throw notFound('API key');
      return { ...toApiKey(revoked.key), minted: revoked.minted.map(toApiKey) };
    },
  );
}
