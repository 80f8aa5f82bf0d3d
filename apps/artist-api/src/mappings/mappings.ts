import type { AccountDb, AccountTx, Prisma } from '@single/db';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ShopRepository } from '../accounts/shop.repository.ts';
import { accountDb, principalOf } from '../auth/authenticate.ts';
import { isBigintText, isUuid } from '../support/db.ts';
import { decodeCursor, keysetBefore, pageOf, pageQuery, toPage } from '../support/pagination.ts';
import { conflict, notFound, unprocessable } from '../support/problems.ts';
import { problemResponses } from '../support/responses.ts';

/** Shopify ids are 64-bit: strings in JSON (numbers are accepted on input when exact). */
const shopifyId = z
  .union([z.string().regex(/^[1-9][0-9]{0,18}$/), z.number().int().positive().max(Number.MAX_SAFE_INTEGER)])
  .transform((v) => String(v))
  .refine(isBigintText, 'out of range')
  .describe('Shopify id (64-bit integer, as a string)');

export const productMapping = z
  .object({
    id: z.uuid(),
    shopDomain: z.string(),
    productId: z.string().nullable(),
    variantId: z.string().nullable(),
    sku: z.string().nullable(),
    releaseId: z.uuid(),
    reportedRelease: z
      .boolean()
      .describe('For a bundle (several releases on one product), the one release reported to charts'),
    fanPack: z
      .boolean()
      .describe(
        'Merch bundle (the product ships physical goods with the music) pre-approved as a fan pack: only then does it count for charts',
      ),
    trackId: z
      .uuid()
      .nullable()
      .describe(
        'A track sale: the product is this one track of the release (reports its ISRC); null = the whole release',
      ),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'ProductMapping' });

const createBody = z
  .object({
    shopDomain: z.string().min(1).max(255),
    productId: shopifyId.optional(),
    variantId: shopifyId.optional(),
    sku: z.string().trim().min(1).max(255).optional(),
    releaseId: z.uuid(),
    reportedRelease: z.boolean().default(true),
    fanPack: z.boolean().default(false),
    trackId: z.uuid().optional().describe('A track of the release: the product sells that one track'),
  })
  .strict()
  .refine((b) => b.productId !== undefined || b.variantId !== undefined || b.sku !== undefined, {
    message: 'give at least one of productId, variantId and sku',
  });

const updateBody = z
  .object({
    reportedRelease: z.literal(true).optional(),
    fanPack: z.boolean().optional(),
    trackId: z.uuid().nullable().optional().describe('A track of the mapped release; null = the whole release again'),
  })
  .strict()
  // The handler refuses an empty change (422 `empty_update`): the document says so.
  .meta({ minProperties: 1 });

const listQuery = z.object({
  ...pageQuery,
  shopDomain: z.string().max(255).optional(),
  releaseId: z.uuid().optional(),
  productId: z
    .string()
    .regex(/^[0-9]{1,19}$/)
    .optional(),
  variantId: z
    .string()
    .regex(/^[0-9]{1,19}$/)
    .optional(),
  sku: z.string().max(255).optional(),
});

const FIELDS = {
  id: true,
  shopDomain: true,
  productId: true,
  variantId: true,
  sku: true,
  releaseId: true,
  reportedRelease: true,
  fanPack: true,
  trackId: true,
  createdAt: true,
  updatedAt: true,
} as const satisfies Prisma.ProductMappingSelect;

const toMapping = (m: Prisma.ProductMappingGetPayload<{ select: typeof FIELDS }>) => ({
  ...m,
  productId: m.productId?.toString() ?? null,
  variantId: m.variantId?.toString() ?? null,
  createdAt: m.createdAt.toISOString(),
  updatedAt: m.updatedAt.toISOString(),
});

/** A filter on a Shopify id: a value past bigint's range matches nothing rather than failing the list. */
const idFilter = (v: string | undefined) => (v === undefined ? undefined : isBigintText(v) ? BigInt(v) : -1n);

/** One product group (shop, product, variant, SKU): null is a value here (IS NOT DISTINCT FROM). */
type Group = { shopDomain: string; productId: bigint | null; variantId: bigint | null; sku: string | null };

// A transaction may wait on the product group's advisory lock behind another writer: more than Prisma's 5 s.
const TX = { maxWait: 10_000, timeout: 60_000 };

/**
 * Mappings are the account's through their release (the scoped client's filter); the shop must be the
 * account's too (checked by the route, and by the scope on create).
 */
export class MappingRepository {
  async list(db: AccountDb, q: z.output<typeof listQuery>) {
    const cursor = decodeCursor(q.cursor, ['timestamp', 'uuid']);
    const rows = await db.productMapping.findMany({
      select: FIELDS,
      where: {
        shopDomain: q.shopDomain,
        releaseId: q.releaseId,
        productId: idFilter(q.productId),
        variantId: idFilter(q.variantId),
        sku: q.sku,
        ...(cursor ? keysetBefore(cursor) : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: q.limit + 1,
    });
    return toPage(rows, q.limit, (m) => [m.createdAt.toISOString(), m.id], toMapping);
  }

  async get(db: AccountDb | AccountTx, id: string) {
    if (!isUuid(id)) return undefined;
    const found = await db.productMapping.findFirst({ where: { id }, select: FIELDS });
    return found ? toMapping(found) : undefined;
  }

  async create(db: AccountDb, accountId: string, body: z.output<typeof createBody>) {
    return db.$transaction(async (tx) => {
      // FOR SHARE has no client form: typed SQL, the account its parameter. Keeps the release (and its
      // tracks' membership) from changing owner or going away under the new mapping.
      const owned = await tx.$queryRaw<{ id: string }[]>`
        SELECT r.id::text FROM release r JOIN artist a ON a.id = r.artist_id
        WHERE a.account_id = ${accountId}::uuid AND r.id = ${body.releaseId}::uuid FOR SHARE OF r`;
      if (owned.length === 0) throw notFound('Release');
      if (body.trackId !== undefined) await assertTrackOf(tx, body.releaseId, body.trackId);
      const group: Group = {
        shopDomain: body.shopDomain,
        productId: body.productId === undefined ? null : BigInt(body.productId),
        variantId: body.variantId === undefined ? null : BigInt(body.variantId),
        sku: body.sku ?? null,
      };
      // Serialises writers of one product group so that exactly one mapping of a bundle is reported.
      await lockGroup(tx, group);
      const same = await tx.productMapping.findMany({ where: group, select: { releaseId: true } });
      if (same.some((m) => m.releaseId === body.releaseId)) {
        throw conflict('mapping_exists', 'This product already maps to this release');
      }
      // The first mapping of a product is its reported release whatever the body says; a later one takes
      // over only when it asks to.
      const reported = same.length === 0 || body.reportedRelease;
      if (reported) await clearReported(tx, group);
      const { id } = await tx.productMapping.create({
        data: {
          ...group,
          releaseId: body.releaseId,
          reportedRelease: reported,
          fanPack: body.fanPack,
          trackId: body.trackId ?? null,
        },
        select: { id: true },
      });
      return (await this.get(tx, id))!;
    }, TX);
  }

  async update(db: AccountDb, id: string, body: z.output<typeof updateBody>) {
    if (!isUuid(id)) return undefined;
    return db.$transaction(async (tx) => {
      const current = await tx.productMapping.findFirst({ where: { id }, select: FIELDS });
      if (!current) return undefined;
      const { shopDomain, productId, variantId, sku } = current;
      if (body.trackId) await assertTrackOf(tx, current.releaseId, body.trackId);
      if (body.reportedRelease) await clearReported(tx, { shopDomain, productId, variantId, sku });
      await tx.productMapping.update({
        where: { id },
        data: {
          ...(body.reportedRelease ? { reportedRelease: true } : {}),
          ...(body.fanPack === undefined ? {} : { fanPack: body.fanPack }),
          ...(body.trackId === undefined ? {} : { trackId: body.trackId }),
        },
        select: { id: true },
      });
      return this.get(tx, id);
    }, TX);
  }

  async delete(db: AccountDb, id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    return (await db.productMapping.deleteMany({ where: { id } })).count === 1;
  }
}

/** A track sale's track must be one of the mapped release's tracks (its ISRC is what the charts get). */
async function assertTrackOf(tx: AccountTx, releaseId: string, trackId: string) {
  if ((await tx.track.count({ where: { id: trackId, releaseId } })) === 0) {
    throw unprocessable('track_not_in_release', 'trackId is not a track of the mapped release');
  }
}

async function lockGroup(tx: AccountTx, g: Group) {
  // The same key as before the move to Prisma (bigints as their decimal text, nulls as ''), so writers of
  // both versions serialise during a rolling deploy.
  const key = `product_mapping:${g.shopDomain}:${g.productId ?? ''}:${g.variantId ?? ''}:${g.sku ?? ''}`;
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${key}))`;
}

async function clearReported(tx: AccountTx, group: Group) {
  await tx.productMapping.updateMany({ where: { ...group, reportedRelease: true }, data: { reportedRelease: false } });
}

const idParams = z.object({ id: z.string().max(100) });

export function registerMappingRoutes(app: FastifyInstance, mappings: MappingRepository, shops: ShopRepository) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['catalogue'];
  r.get(
    '/product-mappings',
    {
      schema: {
        tags,
        summary: 'List product mappings',
        querystring: listQuery,
        response: { 200: pageOf(productMapping), ...problemResponses },
      },
    },
    async (request) => mappings.list(accountDb(request), request.query),
  );
  r.get(
    '/product-mappings/:id',
    {
      schema: {
        tags,
        summary: 'Get a product mapping',
        params: idParams,
        response: { 200: productMapping, ...problemResponses },
      },
    },
    async (request) =>
      (await mappings.get(accountDb(request), request.params.id)) ?? Promise.reject(notFound('Product mapping')),
  );
  r.post(
    '/product-mappings',
    {
      schema: {
        tags,
        summary: 'Map a storefront product / variant / SKU to a release',
        body: createBody,
        response: { 201: productMapping, ...problemResponses },
      },
    },
    async (request, reply) => {
      const { accountId } = principalOf(request);
      const db = accountDb(request);
      if (!(await shops.domains(db)).includes(request.body.shopDomain)) throw notFound('Shop');
      return reply.code(201).send(await mappings.create(db, accountId, request.body));
    },
  );
  r.patch(
    '/product-mappings/:id',
    {
      schema: {
        tags,
        summary:
          'Make this mapping the reported release of its bundle, change its fan-pack approval, or its track (a track sale)',
        params: idParams,
        body: updateBody,
        response: { 200: productMapping, ...problemResponses },
      },
    },
    async (request) => {
      const { reportedRelease, fanPack, trackId } = request.body;
      if (reportedRelease === undefined && fanPack === undefined && trackId === undefined) {
        throw unprocessable('empty_update', 'Nothing to change');
      }
      return (
        (await mappings.update(accountDb(request), request.params.id, request.body)) ??
        Promise.reject(notFound('Product mapping'))
      );
    },
  );
  r.delete(
    '/product-mappings/:id',
    {
      schema: {
        tags,
        summary: 'Delete a product mapping',
        params: idParams,
        response: { 204: z.undefined(), ...problemResponses },
      },
    },
    async (request, reply) => {
      if (!(await mappings.delete(accountDb(request), request.params.id))) throw notFound('Product mapping');
      return reply.code(204).send();
    },
  );
}
