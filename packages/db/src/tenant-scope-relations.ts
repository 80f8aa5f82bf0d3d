import { type Relations, type Scope, type ScopeOf, TenantScopeError, type Where } from './tenant-scope-data.ts';

/**
 * What a query's relation traversals may reach (issue 16): `include`, relation fields of `select` (and of
 * `_count`), relation filters of `where` and `orderBy`, nested writes of `data`, at any depth.
 *
 * - Guarded client (no account): no traversal may reach a tenant model, from any model (an UpcConflict's
 *   `ownerRelease`, an EmailMessage's `order`), whatever the operation.
 * - Scoped client: a traversal from a tenant model to its parent (the to-one relations below, whose column the
 *   write checks keep within the account) is followed; every other traversal into a tenant model is to-many,
 *   and gets that model's account scope: `where` of the include (merged with the one given), ANDed into
 *   `some`/`none`, and `every` made to hold over the account's rows only. A traversal from a non-tenant model
 *   into a tenant model (EmailMessage.order, UpcConflict.ownerRelease) is refused: the schema has no way to
 *   scope a to-one relation, and its column is not checked by the scope.
 */

/** The to-one relations from a tenant model to its parent (`@relation(fields: ...)`, see TENANT_REFERENCES). */
export const PARENT_RELATIONS: Readonly<Record<string, readonly string[]>> = {
  ApiKey: ['account'],
  Shop: ['account'],
  ShopifyInstallState: ['account'],
  Artist: ['account'],
  Release: ['artist'],
  Track: ['release'],
  ProductMapping: ['release', 'track'],
  OrderLine: ['order', 'release'],
  DownloadGrant: ['orderLine', 'release', 'track'],
  Download: ['grant', 'track'],
};
// ApiKey.createdBy is to-one but not a parent: the lineage column is set by the key-minting route, and the
// schema cannot scope a to-one include, so it is refused (its `minted` side is scoped like any to-many).
const REFUSED_TO_ONE: Readonly<Record<string, readonly string[]>> = { ApiKey: ['createdBy'] };

const isObject = (v: unknown): v is Where => typeof v === 'object' && v !== null && !Array.isArray(v);
const LOGICAL = new Set(['AND', 'OR', 'NOT']);

export type Traversal = {
  relations: Relations;
  tenant: (model: string) => boolean;
  model: string;
  operation: string;
};

const refuse = (t: Traversal, path: string, why: string) =>
  new TenantScopeError(t.model, t.operation, `${path} ${why}`);

/**
 * The guarded client's check: refuses any relation of `args` (any key, any depth) that reaches a tenant
 * model. Keys that are not relations of the model in hand (operators, `where`, `data`, `create`, `some`, ...)
 * are walked with the same model; relation keys move to their target. Unknown keys only cost a walk.
 */
export function refuseTenantTraversal(t: Traversal, model: string, value: unknown, path = model): void {
  if (Array.isArray(value)) {
    for (const v of value) refuseTenantTraversal(t, model, v, path);
    return;
  }
  if (!isObject(value)) return;
  const relations = t.relations(model);
  for (const [key, v] of Object.entries(value)) {
    const target = relations.get(key);
    if (target === undefined) {
      refuseTenantTraversal(t, model, v, path);
      continue;
    }
    if (v === undefined || v === false) continue;
    if (t.tenant(target)) throw refuse(t, `${path}.${key}`, `reaches ${target} without an account scope`);
    refuseTenantTraversal(t, target, v, `${path}.${key}`);
  }
}

type Step = { t: Traversal; s: Scope; scopes: Record<string, ScopeOf> };

/** How `model.field` may be traversed on a scoped client: followed as is, scoped (to-many), or refused. */
function traversal(st: Step, model: string, field: string, target: string): 'follow' | 'scope' {
  const { t } = st;
  if (!t.tenant(target)) return 'follow';
  if (!t.tenant(model)) throw refuse(t, `${model}.${field}`, `reaches ${target} from a model outside the scope`);
  if (PARENT_RELATIONS[model]?.includes(field)) return 'follow';
  if (REFUSED_TO_ONE[model]?.includes(field)) throw refuse(t, `${model}.${field}`, 'is not a parent relation');
  return 'scope';
}

const and = (...parts: unknown[]): Where => {
  const kept = parts.filter((p) => p !== undefined);
  return kept.length === 1 ? (kept[0] as Where) : { AND: kept };
};

/** `include` or `select` of a scoped query on `model`, with every to-many tenant relation scoped. */
export async function scopeSelection(st: Step, model: string, selection: unknown): Promise<unknown> {
  if (!isObject(selection)) return selection;
  const relations = st.t.relations(model);
  const out: Where = {};
  for (const [key, v] of Object.entries(selection)) {
    if (key === '_count') {
      out[key] = await scopeCount(st, model, v);
      continue;
    }
    const target = relations.get(key);
    if (target === undefined || v === undefined || v === false) {
      out[key] = v;
      continue;
    }
    out[key] = await scopeRelationArgs(st, model, key, target, v);
  }
  return out;
}

/** The args of one included relation (`true` or `{ where, include, select, orderBy, ... }`). */
async function scopeRelationArgs(st: Step, model: string, key: string, target: string, v: unknown) {
  const how = traversal(st, model, key, target);
  const a: Where = isObject(v) ? { ...v } : {};
  if ('include' in a) a.include = await scopeSelection(st, target, a.include);
  if ('select' in a) a.select = await scopeSelection(st, target, a.select);
  if ('where' in a) a.where = await scopeWhere(st, target, a.where);
  if ('orderBy' in a) a.orderBy = await scopeWhere(st, target, a.orderBy);
  if (how === 'scope') a.where = and(a.where, await st.scopes[target]!(st.s));
  return how === 'follow' && v === true ? true : a;
}

/** `_count: true` counts every relation, which cannot be scoped: only `_count: { select: { ... } }` is taken. */
async function scopeCount(st: Step, model: string, v: unknown): Promise<unknown> {
  if (v === undefined || v === false) return v;
  if (!isObject(v) || !isObject(v.select)) {
    const reaches = [...st.t.relations(model).values()].some((target) => st.t.tenant(target));
    if (reaches) throw refuse(st.t, `${model}._count`, 'must name the relations it counts');
    return v;
  }
  const select: Where = {};
  for (const [key, c] of Object.entries(v.select)) {
    const target = st.t.relations(model).get(key);
    if (target === undefined) throw refuse(st.t, `${model}._count.${key}`, 'is not a relation');
    select[key] = c === false || c === undefined ? c : await scopeRelationArgs(st, model, key, target, c);
  }
  return { ...v, select };
}

/** `where` (or `orderBy`) of a scoped query on `model`, with every relation filter into a tenant model scoped. */
export async function scopeWhere(st: Step, model: string, where: unknown): Promise<unknown> {
  if (Array.isArray(where)) return Promise.all(where.map((w) => scopeWhere(st, model, w)));
  if (!isObject(where)) return where;
  const relations = st.t.relations(model);
  const out: Where = {};
  for (const [key, v] of Object.entries(where)) {
    if (LOGICAL.has(key)) {
      out[key] = await scopeWhere(st, model, v);
      continue;
    }
    const target = relations.get(key);
    if (target === undefined || !isObject(v)) {
      // A scalar filter, or a to-one relation compared with null.
      out[key] = v;
      continue;
    }
    const how = traversal(st, model, key, target);
    if (how === 'follow') {
      const f: Where = {};
      for (const [op, inner] of Object.entries(v)) {
        f[op] = op === 'is' || op === 'isNot' ? await scopeWhere(st, target, inner) : inner;
      }
      // A direct to-one filter (`{ artist: { name } }`) is itself a where on the target.
      out[key] = 'is' in v || 'isNot' in v ? f : await scopeWhere(st, target, v);
      continue;
    }
    const scope = await st.scopes[target]!(st.s);
    const f: Where = {};
    for (const [op, inner] of Object.entries(v)) {
      const w = await scopeWhere(st, target, inner);
      if (op === 'some' || op === 'none') f[op] = and(w, scope);
      // Every row of the account matches: a row outside the account neither passes nor fails it.
      else if (op === 'every') f[op] = { OR: [w ?? {}, { NOT: scope }] };
      // orderBy a to-many relation (`{ _count: 'desc' }`) counts rows of every account.
      else throw refuse(st.t, `${model}.${key}.${op}`, 'cannot be scoped to the account');
    }
    out[key] = f;
  }
  return out;
}
