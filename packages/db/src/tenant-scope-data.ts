import type { PrismaClient } from './generated/prisma/client.ts';

/**
 * What a scoped client lets `data` of a write say (issue 16): the `where` of a write is scoped by
 * tenant-scope.ts, but `data` can reach rows on its own: a nested `connect` or `update` names any row of the
 * database, and a foreign key set on update moves a row under another account's parent. So, recursively:
 * - a relation field takes only a nested `create`/`createMany`, checked like a top-level create;
 * - every column that names a parent (REFERENCES) must name a row the account's scope can see.
 */

export type Scope = { accountId: string; shopDomains: () => Promise<string[]> };
export type Where = Record<string, unknown>;
export type ScopeOf = (s: Scope) => Where | Promise<Where>;

/** A query the tenant guard refused: a programming error (a route reached a tenant table unscoped). */
export class TenantScopeError extends Error {
  constructor(model: string | undefined, operation: string, why: string) {
    super(`tenant scope: ${model ?? 'raw'}.${operation} refused: ${why}`);
    this.name = 'TenantScopeError';
  }
}

/** A shop domain of the account: Order and its kin name their shop by domain, with no foreign key. */
const SHOP = '#shop';

/**
 * The columns of each tenant model that name its parent, and the parent's model: every
 * `@relation(fields: [...])` between tenant models in schema.prisma (the test holds the two together), plus the
 * shop domain and ShopifyInstallState.apiKeyId, which name their parent without a foreign key.
 */
export const TENANT_REFERENCES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  ApiKey: { accountId: 'Account', createdByKeyId: 'ApiKey' },
  Shop: { accountId: 'Account' },
  ShopifyInstallState: { accountId: 'Account', apiKeyId: 'ApiKey' },
  Artist: { accountId: 'Account' },
  Release: { artistId: 'Artist' },
  Track: { releaseId: 'Release' },
  ProductMapping: { releaseId: 'Release', trackId: 'Track', shopDomain: SHOP },
  Order: { shopDomain: SHOP },
  WebhookDelivery: { shopDomain: SHOP },
  DataRequestExport: { shopDomain: SHOP },
  OrderLine: { orderId: 'Order', releaseId: 'Release' },
  DownloadGrant: { orderLineId: 'OrderLine', releaseId: 'Release', trackId: 'Track' },
  Download: { grantId: 'DownloadGrant', trackId: 'Track' },
};

/** The models a scoped client creates (top level or nested), and the parent columns a top-level create must name. */
const CREATES: Record<string, string[]> = {
  ApiKey: ['accountId'],
  Shop: ['accountId'],
  Artist: ['accountId'],
  ShopifyInstallState: ['accountId'],
  Release: ['artistId'],
  Track: ['releaseId'],
  ProductMapping: ['releaseId', 'shopDomain'],
};
/** Where the account goes into `data` of a create (models with their own account column). */
const ACCOUNT_COLUMN: Record<string, string> = {
  ApiKey: 'accountId',
  Shop: 'accountId',
  Artist: 'accountId',
  ShopifyInstallState: 'accountId',
};

/** One write being checked: its answers are memoised (createMany of a release's tracks names one release). */
export type WriteCheck = {
  db: PrismaClient;
  s: Scope;
  scopes: Record<string, ScopeOf>;
  relations: Relations;
  model: string;
  operation: string;
  seen: Map<string, Promise<boolean>>;
};

/** The relation fields (name to target model) of a model. */
export type Relations = (model: string) => ReadonlyMap<string, string>;

/**
 * The relation fields of every model, read once from the client's runtime data model (the DMMF the generated
 * client carries; Prisma 7's `prisma-client` generator exports no `Prisma.dmmf`). Fails closed: a client
 * without it is refused at creation, and a model missing from it is refused, not taken as relation-free.
 */
export function relationFields(client: object): Relations {
  type Field = { name: string; kind: string; type: string };
  const models = (client as { _runtimeDataModel?: { models?: Record<string, { fields?: Field[] }> } })._runtimeDataModel
    ?.models;
  if (!models) throw new TenantScopeError(undefined, 'createTenantDb', 'the client carries no data model');
  const byModel = new Map<string, ReadonlyMap<string, string>>();
  for (const [model, { fields }] of Object.entries(models)) {
    if (!Array.isArray(fields)) continue;
    byModel.set(model, new Map(fields.filter((f) => f.kind === 'object').map((f) => [f.name, f.type])));
  }
  return (model) => {
    const fields = byModel.get(model);
    if (!fields) throw new TenantScopeError(model, 'query', 'model missing from the data model');
    return fields;
  };
}

const isObject = (v: unknown): v is Where => typeof v === 'object' && v !== null && !Array.isArray(v);
const refuse = (c: WriteCheck, why: string) => new TenantScopeError(c.model, c.operation, why);

/** Whether `id` names a row of `model` the account can see. */
function visible(c: WriteCheck, model: string, id: string): Promise<boolean> {
  if (model === 'Account') return Promise.resolve(id === c.s.accountId);
  const key = `${model}:${id}`;
  let answer = c.seen.get(key);
  if (!answer) {
    answer = (async () => {
      if (model === SHOP) return (await c.s.shopDomains()).includes(id);
      const delegate = (c.db as unknown as Record<string, { count(a: unknown): Promise<number> }>)[
        model[0]!.toLowerCase() + model.slice(1)
      ]!;
      return (await delegate.count({ where: { AND: [{ id }, await c.scopes[model]!(c.s)] } })) === 1;
    })();
    c.seen.set(key, answer);
  }
  return answer;
}

/** Refuses `data` (one row or several) of a write on `model` that reaches beyond the account. */
export async function checkData(c: WriteCheck, model: string, data: unknown): Promise<void> {
  for (const row of Array.isArray(data) ? data : [data]) {
    if (!isObject(row)) continue;
    const relations = c.relations(model);
    const refs = TENANT_REFERENCES[model] ?? {};
    for (const [key, value] of Object.entries(row)) {
      const target = relations.get(key);
      if (target) {
        await checkNested(c, `${model}.${key}`, target, value);
        continue;
      }
      const parent = refs[key];
      if (parent === undefined || value === undefined) continue;
      // An update may write a column as `{ set: value }`.
      const id = isObject(value) && Object.keys(value).length === 1 && 'set' in value ? value.set : value;
      if (parent === 'Account') {
        if (id !== c.s.accountId) throw refuse(c, 'data moves the row to another account');
      } else if (id !== null && (typeof id !== 'string' || !(await visible(c, parent, id)))) {
        throw refuse(c, `${model}.${key} names a parent that is not the account's`);
      }
    }
    // A track sale's track is one of the mapped release's tracks (both already checked as the account's).
    if (model === 'ProductMapping' && typeof row.trackId === 'string' && typeof row.releaseId === 'string') {
      const track = row.trackId;
      if ((await c.db.track.count({ where: { id: track, releaseId: row.releaseId } })) !== 1) {
        throw refuse(c, 'ProductMapping.trackId is not a track of the named release');
      }
    }
  }
}

/** A relation field in `data`: only new rows, themselves checked; anything that reaches existing rows is refused. */
async function checkNested(c: WriteCheck, field: string, target: string, ops: unknown) {
  if (!isObject(ops)) throw refuse(c, `${field} is not a nested write`);
  for (const [op, arg] of Object.entries(ops)) {
    if (op !== 'create' && op !== 'createMany') throw refuse(c, `nested ${op} on ${field} reaches existing rows`);
    if (!CREATES[target]) throw refuse(c, `${target} rows are not created through a scoped client`);
    await checkData(c, target, op === 'create' ? arg : isObject(arg) ? arg.data : arg);
  }
}

/** `data` of a top-level create with the account added (own account column) and checked. */
export async function scopedCreate(c: WriteCheck, data: unknown): Promise<unknown> {
  const needs = CREATES[c.model];
  if (!needs) throw refuse(c, 'creates are not made through a scoped client');
  const column = ACCOUNT_COLUMN[c.model];
  const rows = (Array.isArray(data) ? data : [data]).map((row: Where) =>
    column ? { ...row, [column]: row[column] ?? c.s.accountId } : row,
  );
  for (const row of rows) {
    if (needs.some((k) => typeof row[k] !== 'string')) throw refuse(c, `data must name ${needs.join(' and ')}`);
  }
  await checkData(c, c.model, rows);
  return Array.isArray(data) ? rows : rows[0];
}
