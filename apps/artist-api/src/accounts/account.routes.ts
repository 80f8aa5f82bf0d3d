import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { z } from 'zod';
import { type ApiKeyRepository, type ApiKeyRow, issueApiKey } from '../auth/api-key.repository.ts';
import { SELF_SERVICE_SCOPES } from '../auth/api-keys.ts';
import { principalOf } from '../auth/authenticate.ts';
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
  })
  .meta({ id: 'ApiKey' });

const toApiKey = (k: ApiKeyRow) => ({
  id: k.id,
  name: k.name,
  scopes: k.scopes,
  createdAt: k.createdAt.toISOString(),
  lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  revokedAt: k.revokedAt?.toISOString() ?? null,
});

const idParams = z.object({ id: z.string().max(100) });

export function registerAccountRoutes(
  app: FastifyInstance,
  deps: { pool: Pool; keys: ApiKeyRepository; shops: ShopRepository; now: () => Date },
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
    async (request) => ({ items: await deps.shops.list(principalOf(request).accountId) }),
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
      (await deps.shops.get(principalOf(request).accountId, request.params.id)) ?? Promise.reject(notFound('Shop')),
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
    async (request) => ({ items: (await deps.keys.list(principalOf(request).accountId)).map(toApiKey) }),
  );
  r.post(
    '/api-keys',
    {
      schema: {
        tags: ['account'],
        summary: 'Create an API key; the secret is in this response only',
        body: z
          .object({
            name: z.string().trim().min(1).max(100),
            scopes: z.array(z.enum(SELF_SERVICE_SCOPES)).min(1).max(2),
          })
          .strict(),
        response: { 201: apiKey.extend({ secret: z.string() }), ...problemResponses },
      },
    },
    async (request, reply) => {
      const { key, secret } = await issueApiKey(deps.pool, {
        accountId: principalOf(request).accountId,
        ...request.body,
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
        summary: 'Revoke an API key (idempotent)',
        params: idParams,
        response: { 200: apiKey, ...problemResponses },
      },
    },
    async (request) => {
      const { id } = request.params;
      const revoked = isUuid(id) ? await deps.keys.revoke(principalOf(request).accountId, id, deps.now()) : undefined;
      if (!revoked) throw notFound('API key');
      return toApiKey(revoked);
    },
  );
}
