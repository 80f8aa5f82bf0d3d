import { type AccountDb, scopedToAccount, type TenantDb } from '@single/db';
import { ProblemError } from '@single/http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiKeyRepository, Principal } from './api-key.repository.ts';
import { bearerSecret, hashApiKey, type Scope } from './api-keys.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
    /** The database, kept to the principal's account: the only client a route's handler gets. */
    accountDb: AccountDb | undefined;
  }
  interface FastifyContextConfig {
    /** Scope the route needs; default: `read` for GET/HEAD, `write` otherwise. */
    scope?: Scope;
  }
}

const unauthorized = () =>
  new ProblemError(401, 'unauthorized', 'Missing, unknown or revoked API key', {
    headers: { 'www-authenticate': 'Bearer realm="single"' },
  });

/**
 * Adds API-key authentication to every route of `scope` (an encapsulated plugin context): the key is
 * looked up by its hash, must not be revoked, and must carry the route's scope. Unknown and revoked keys
 * get the same 401.
 */
export function registerAuthentication(scope: FastifyInstance, keys: ApiKeyRepository, db: TenantDb, now: () => Date) {
  scope.addHook('onRequest', async (request) => {
    const secret = bearerSecret(request.headers.authorization);
    if (!secret) throw unauthorized();
    const principal = await keys.findActiveByHash(hashApiKey(secret));
    if (!principal) throw unauthorized();
    const needed =
      request.routeOptions.config.scope ?? (request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write');
    if (!principal.scopes.includes(needed)) {
      throw new ProblemError(403, 'insufficient_scope', 'The API key lacks the scope this operation needs', {
        detail: `requires scope "${needed}"`,
      });
    }
    request.principal = principal;
    request.accountDb = scopedToAccount(db, principal.accountId);
    await keys.touch(request.accountDb, principal, now());
  });
}

/** The authenticated principal; routes behind registerAuthentication always have one. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new ProblemError(401, 'unauthorized', 'Missing, unknown or revoked API key');
  return request.principal;
}

/** The authenticated account's database (every tenant query kept to its rows); see @single/db tenant scope. */
export function accountDb(request: FastifyRequest): AccountDb {
  if (!request.accountDb) throw new ProblemError(401, 'unauthorized', 'Missing, unknown or revoked API key');
  return request.accountDb;
}
