import { AsyncLocalStorage } from 'node:async_hooks';
import { PrismaPg } from '@prisma/adapter-pg';
import type { Pool } from 'pg';
import { Prisma, PrismaClient } from './generated/prisma/client.ts';
import {
  checkData,
  type Relations,
  relationFields,
  type Scope,
  type ScopeOf,
  scopedCreate,
  TenantScopeError,
  type Where,
  type WriteCheck,
} from './tenant-scope-data.ts';
import { refuseTenantTraversal, scopeSelection, scopeWhere, type Traversal } from './tenant-scope-relations.ts';

export { relationFields, TENANT_REFERENCES, TenantScopeError } from './tenant-scope-data.ts';
export { PARENT_RELATIONS } from './tenant-scope-relations.ts';

/**
 * Tenant isolation as structure, not as every query remembering its account (issue 16).
 *
 * - `createTenantDb(pool)`: the client a tenant-facing service (the artist API) is built on. Its guard refuses
 *   every query on a tenant model that does not come through `scopedToAccount` (or a named `platformAccess`,
 *   e.g. the API-key lookup that finds the account in the first place, or a download link found by its token).
 * - `scopedToAccount(db, accountId)`: the client a request for an API key receives. It adds the account to
 *   `where` of every read, update, delete and upsert, checks `data` of every create, and refuses every model
 *   that is not listed below, so a query that forgets its account cannot reach another account's rows.
 *
 * How each tenant model belongs to an account (the schema has `account_id` on three tables only):
 * - ApiKey, Shop, Artist, ShopifyInstallState: their own `accountId` (Account is the account itself: `id`).
 * - Release: its artist's account; Track and ProductMapping: their release's artist's account.
 * - Order, WebhookDelivery, DataRequestExport: a shop domain of the account (no foreign key to `shop`: the
 *   domain is Shopify's name for the shop, kept after an uninstall), resolved once per scoped client.
 * - OrderLine through its order; DownloadGrant through its order line's order; Download through its grant.
 * Creates on relation-scoped models are checked instead: the parent they name must be the account's; and
 * `data` of every write is checked (tenant-scope-data.ts): no nested write reaches an existing row, and every
 * column that names a parent names one of the account's, on update as on create.
 * Relation traversals (include, select, `_count`, relation filters, orderBy, nested writes) are checked on both
 * clients: see tenant-scope-relations.ts.
 * Raw SQL (`$queryRaw`) is not inspected: each raw statement takes the account as a parameter and is listed
 * in ARCHITECTURE.md.
 */

const viaArtist = (s: Scope): Where => ({ artist: { accountId: s.accountId } });
const viaRelease = (s: Scope): Where => ({ release: viaArtist(s) });
const viaShop = async (s: Scope): Promise<Where> => ({ shopDomain: { in: await s.shopDomains() } });
const viaOrder = async (s: Scope): Promise<Where> => ({ order: await viaShop(s) });
const viaOrderLine = async (s: Scope): Promise<Where> => ({ orderLine: await viaOrder(s) });

/** The filter that keeps each tenant model to one account's rows. */
const SCOPES: Record<string, ScopeOf> = {
  Account: (s) => ({ id: s.accountId }),
  ApiKey: (s) => ({ accountId: s.accountId }),
  Shop: (s) => ({ accountId: s.accountId }),
  Artist: (s) => ({ accountId: s.accountId }),
  ShopifyInstallState: (s) => ({ accountId: s.accountId }),
  Release: viaArtist,
  Track: viaRelease,
  ProductMapping: viaRelease,
  Order: viaShop,
  WebhookDelivery: viaShop,
  DataRequestExport: viaShop,
  OrderLine: viaOrder,
  DownloadGrant: viaOrderLine,
  Download: async (s) => ({ grant: await viaOrderLine(s) }),
};

/** The tenant models: refused on the guarded client unless scoped (or explicitly platform access). */
export const TENANT_MODELS: readonly string[] = Object.keys(SCOPES);

const access = new AsyncLocalStorage<{ reason: string }>();

/**
 * Runs `work` with unscoped access to tenant models on the guarded client. For the few queries that are not
 * made for an account: the API-key lookup that finds the account, a fan's download link found by its token.
 * `reason` names which (it appears in no query; it is for the reader and for stack traces).
 */
export function platformAccess<T>(reason: string, work: () => Promise<T>): Promise<T> {
  // Awaited inside: a Prisma query starts when it is awaited, and must start inside the access context.
  return access.run({ reason }, async () => await work());
}

const READ_OR_WRITE_WHERE = new Set([
  'findUnique',
  'findUniqueOrThrow',
  'findFirst',
  'findFirstOrThrow',
  'findMany',
  'count',
  'aggregate',
  'groupBy',
  'update',
  'updateMany',
  'updateManyAndReturn',
  'delete',
  'deleteMany',
]);
const CREATES = new Set(['create', 'createMany', 'createManyAndReturn']);

const withScope = (where: unknown, scope: Where): Where => {
  const w = (where ?? {}) as Where;
  const and = w.AND === undefined ? [] : Array.isArray(w.AND) ? w.AND : [w.AND];
  return { ...w, AND: [...and, scope] };
};

const isTenant = (model: string) => TENANT_MODELS.includes(model);

/**
 * Refuses tenant models without platform access, and on every other model any relation (include, select,
 * where, data, at any depth) that reaches a tenant model: an UpcConflict must not lead to a release's account.
 */
const guardOf = (relations: Relations) =>
  Prisma.defineExtension({
    name: 'tenant-guard',
    query: {
      $allModels: {
        async $allOperations({ model, operation, args, query }) {
          if (access.getStore() === undefined) {
            if (isTenant(model)) {
              throw new TenantScopeError(model, operation, 'no account scope (use scopedToAccount)');
            }
            refuseTenantTraversal({ relations, tenant: isTenant, model, operation }, model, args);
          }
          return query(args);
        },
      },
    },
  });

// The unguarded client under each guarded one: only scopedToAccount reaches it. Prisma runs the query hooks
// of chained extensions outermost first, so a scope stacked on the guard would meet the guard before it has
// added its filter; the scoped client is therefore built beside the guard, on the same engine and pool.
const unguarded = new WeakMap<object, { raw: PrismaClient; relations: Relations }>();

/**
 * A Prisma client on the service's pg pool, with the tenant guard (the pool stays the caller's to end).
 * Throws if the client carries no data model: without it no relation could be checked.
 */
export function createTenantDb(pool: Pool) {
  const raw = new PrismaClient({ adapter: new PrismaPg(pool) });
  const relations = relationFields(raw);
  const db = raw.$extends(guardOf(relations));
  unguarded.set(db, { raw, relations });
  return db;
}
export type TenantDb = ReturnType<typeof createTenantDb>;

/** The client for one account's requests: every tenant query is kept to that account's rows. */
export function scopedToAccount(db: TenantDb, accountId: string) {
  const made = unguarded.get(db);
  if (!made) throw new TenantScopeError(undefined, 'scopedToAccount', 'not a client made by createTenantDb');
  const { raw: base, relations } = made;
  let domains: Promise<string[]> | undefined;
  const scope: Scope = {
    accountId,
    // Resolved once per scoped client (one request): a shop moved between accounts mid-request is not a case.
    shopDomains: () => {
      domains ??= reader(base)
        .shop.findMany({ where: { accountId }, select: { domain: true } })
        .then((shops) => shops.map((s) => s.domain));
      return domains;
    },
  };
  const scoped = base.$extends({
    name: 'tenant-scope',
    query: {
      $allModels: {
        async $allOperations({ model, operation, args, query }) {
          const scopeOf = SCOPES[model];
          if (!scopeOf) throw new TenantScopeError(model, operation, 'not a model of the artist API');
          const a = await scopeTraversals({ relations, tenant: isTenant, model, operation }, scope, model, args);
          const check: WriteCheck = {
            db: reader(base),
            s: scope,
            scopes: SCOPES,
            relations,
            model,
            operation,
            seen: new Map(),
          };
          let next: Where;
          if (READ_OR_WRITE_WHERE.has(operation)) {
            next = { ...a, where: withScope(a.where, await scopeOf(scope)) };
            if ('data' in a) await checkData(check, model, a.data);
          } else if (CREATES.has(operation)) {
            next = { ...a, data: await scopedCreate(check, a.data) };
          } else if (operation === 'upsert') {
            await checkData(check, model, a.update);
            next = {
              ...a,
              where: withScope(a.where, await scopeOf(scope)),
              create: await scopedCreate(check, a.create),
            };
          } else {
            throw new TenantScopeError(model, operation, 'operation not supported on a scoped client');
          }
          return query(next as typeof args);
        },
      },
    },
  });
  return withTransactionReads(scoped);
}

/** The relation traversals of a scoped query's args, scoped or refused (tenant-scope-relations.ts). */
async function scopeTraversals(t: Traversal, s: Scope, model: string, args: unknown): Promise<Where> {
  const a: Where = { ...((args ?? {}) as Where) };
  const st = { t, s, scopes: SCOPES };
  if ('include' in a) a.include = await scopeSelection(st, model, a.include);
  if ('select' in a) a.select = await scopeSelection(st, model, a.select);
  if ('where' in a) a.where = await scopeWhere(st, model, a.where);
  if ('orderBy' in a) a.orderBy = await scopeWhere(st, model, a.orderBy);
  return a;
}

/**
 * The interactive transaction a scoped client's callback runs in. The scope's own reads (the parent a create
 * names, the account's shops) go through it: on another connection they would not see rows the transaction
 * made (a release's first track) and, on a one-session database (the demo's PGlite), wait for it forever.
 */
const openTransaction = new AsyncLocalStorage<PrismaClient>();
const reader = (base: PrismaClient): PrismaClient => openTransaction.getStore() ?? base;

function withTransactionReads<T extends object>(scoped: T): T {
  return new Proxy(scoped, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop !== '$transaction' || typeof value !== 'function') return value;
      return (work: unknown, options?: unknown) =>
        typeof work === 'function'
          ? value.call(target, (tx: PrismaClient) => openTransaction.run(tx, () => work(tx)), options)
          : value.call(target, work, options);
    },
  });
}
export type AccountDb = ReturnType<typeof scopedToAccount>;
/** The client inside `AccountDb.$transaction(async (tx) => ...)`: still scoped. */
export type AccountTx = Omit<AccountDb, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

/**
 * pg's `query` over a Prisma transaction, for the shared SQL commands of @single/db (`commands/*`, also used
 * by cmdr on a pg pool) that must run inside a Prisma transaction: same connection, same transaction.
 */
export function sqlOf(tx: { $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T> }) {
  return {
    async query<R = Record<string, unknown>>(text: string, values: unknown[] = []) {
      const rows = await tx.$queryRawUnsafe<R[]>(text, ...values);
      return { rows, rowCount: rows.length };
    },
  };
}
