import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { z } from 'zod';
import type { ShopRepository } from '../accounts/shop.repository.ts';
import { accountDb, principalOf } from '../auth/authenticate.ts';
import { inTransaction, isBigintText, isUuid, type Sql } from '../support/db.ts';
import { decodeCursor, pageOf, pageQuery, toPage } from '../support/pagination.ts';
import { conflict, notFound, unprocessable } from '../support/problems.ts';
import { problemResponses } from '../support/responses.ts';
import { Where } from '../support/sql-builder.ts';

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

interface MappingRow {
  id: string;
  shopDomain: string;
  productId: string | null;
  variantId: string | null;
  sku: string | null;
  releaseId: string;
  reportedRelease: boolean;
  fanPack: boolean;
  trackId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = `m.id, m.shop_domain AS "shopDomain", m.product_id::text AS "productId", m.variant_id::text AS "variantId", m.sku,
  m.release_id AS "releaseId", m.reported_release AS "reportedRelease", m.fan_pack AS "fanPack", m.track_id AS "trackId",
  m.created_at AS "createdAt", m.updated_at AS "updatedAt"`;
const SCOPED = 'product_mapping m JOIN release r ON r.id = m.release_id JOIN artist a ON a.id = r.artist_id';

const toMapping = (m: MappingRow) => ({
  ...m,
  createdAt: m.createdAt.toISOString(),
  updatedAt: m.updatedAt.toISOString(),
});

/** Mappings are the account's through their release; the shop must be the account's too. */
export class MappingRepository {
  readonly #pool: Pool;
  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async list(accountId: string, q: z.output<typeof listQuery>) {
    const cursor = decodeCursor(q.cursor, ['timestamp', 'uuid']);
    const where = new Where()
      .and((p) => `a.account_id = ${p}`, accountId)
      .andIf(q.shopDomain, (p) => `m.shop_domain = ${p}`)
      .andIf(q.releaseId, (p) => `m.release_id = ${p}`)
      .andIf(
        q.productId && isBigintText(q.productId) ? q.productId : q.productId && '-1',
        (p) => `m.product_id = ${p}::bigint`,
      )
      .andIf(
        q.variantId && isBigintText(q.variantId) ? q.variantId : q.variantId && '-1',
        (p) => `m.variant_id = ${p}::bigint`,
      )
      .andIf(q.sku, (p) => `m.sku = ${p}`);
    if (cursor) where.and((t, id) => `(m.created_at, m.id) < (${t}::timestamptz, ${id}::uuid)`, cursor[0], cursor[1]);
    const { rows } = await this.#pool.query<MappingRow>(
      `SELECT ${COLUMNS} FROM ${SCOPED} WHERE ${where} ORDER BY m.created_at DESC, m.id DESC LIMIT ${where.param(q.limit + 1)}`,
      where.params,
    );
    return toPage(rows, q.limit, (m) => [m.createdAt.toISOString(), m.id], toMapping);
  }

  async get(accountId: string, id: string, sql: Sql = this.#pool) {
    if (!isUuid(id)) return undefined;
    const { rows } = await sql.query<MappingRow>(
      `SELECT ${COLUMNS} FROM ${SCOPED} WHERE a.account_id = $1 AND m.id = $2`,
      [accountId, id],
    );
    return rows[0] && toMapping(rows[0]);
  }

  async create(accountId: string, body: z.output<typeof createBody>) {
    return inTransaction(this.#pool, async (client) => {
      const owned = await client.query(
        `SELECT 1 FROM release r JOIN artist a ON a.id = r.artist_id WHERE a.account_id = $1 AND r.id = $2 FOR SHARE OF r`,
        [accountId, body.releaseId],
      );
      if (owned.rowCount === 0) throw notFound('Release');
      if (body.trackId !== undefined) await assertTrackOf(client, body.releaseId, body.trackId);
      const group = [body.shopDomain, body.productId ?? null, body.variantId ?? null, body.sku ?? null];
      // Serialises writers of one product group so that exactly one mapping of a bundle is reported.
      await client.query(
        `SELECT pg_advisory_xact_lock(hashtext('product_mapping:' || $1 || ':' || coalesce($2, '') || ':' || coalesce($3, '') || ':' || coalesce($4, '')))`,
        group,
      );
      const same = await client.query<{ release_id: string; reported_release: boolean }>(
        `SELECT release_id, reported_release FROM product_mapping
         WHERE shop_domain = $1 AND product_id IS NOT DISTINCT FROM $2::bigint AND variant_id IS NOT DISTINCT FROM $3::bigint
           AND sku IS NOT DISTINCT FROM $4`,
        group,
      );
      if (same.rows.some((m) => m.release_id === body.releaseId)) {
        throw conflict('mapping_exists', 'This product already maps to this release');
      }
      // The first mapping of a product is its reported release whatever the body says; a later one takes
      // over only when it asks to.
      const reported = same.rowCount === 0 || body.reportedRelease;
      if (reported) await clearReported(client, group);
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO product_mapping (shop_domain, product_id, variant_id, sku, release_id, reported_release, fan_pack, track_id, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now()) RETURNING id`,
        [...group, body.releaseId, reported, body.fanPack, body.trackId ?? null],
      );
      return (await this.get(accountId, rows[0]!.id, client))!;
    });
  }

  async update(accountId: string, id: string, body: z.output<typeof updateBody>) {
    if (!isUuid(id)) return undefined;
    return inTransaction(this.#pool, async (client) => {
      const current = await this.get(accountId, id, client);
      if (!current) return undefined;
      const group = [current.shopDomain, current.productId, current.variantId, current.sku];
      if (body.trackId) await assertTrackOf(client, current.releaseId, body.trackId);
      if (body.reportedRelease) await clearReported(client, group);
      await client.query(
        `UPDATE product_mapping SET reported_release = reported_release OR $2, fan_pack = COALESCE($3, fan_pack),
           track_id = CASE WHEN $4 THEN $5::uuid ELSE track_id END, updated_at = now() WHERE id = $1`,
        [id, body.reportedRelease ?? false, body.fanPack ?? null, body.trackId !== undefined, body.trackId ?? null],
      );
      return this.get(accountId, id, client);
    });
  }

  async delete(accountId: string, id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const { rowCount } = await this.#pool.query(
      `DELETE FROM product_mapping m USING release r, artist a
       WHERE m.id = $2 AND r.id = m.release_id AND a.id = r.artist_id AND a.account_id = $1`,
      [accountId, id],
    );
    return rowCount === 1;
  }
}

/** A track sale's track must be one of the mapped release's tracks (its ISRC is what the charts get). */
async function assertTrackOf(sql: Sql, releaseId: string, trackId: string) {
  const { rowCount } = await sql.query('SELECT 1 FROM track WHERE id = $1 AND release_id = $2', [trackId, releaseId]);
  if (rowCount === 0) throw unprocessable('track_not_in_release', 'trackId is not a track of the mapped release');
}

async function clearReported(sql: Sql, group: unknown[]) {
  await sql.query(
    `UPDATE product_mapping SET reported_release = false, updated_at = now()
     WHERE shop_domain = $1 AND product_id IS NOT DISTINCT FROM $2::bigint AND variant_id IS NOT DISTINCT FROM $3::bigint
       AND sku IS NOT DISTINCT FROM $4 AND reported_release`,
    group,
  );
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
    async (request) => mappings.list(principalOf(request).accountId, request.query),
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
      (await mappings.get(principalOf(request).accountId, request.params.id)) ??
      Promise.reject(notFound('Product mapping')),
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
      if (!(await shops.domains(accountDb(request))).includes(request.body.shopDomain)) throw notFound('Shop');
      return reply.code(201).send(await mappings.create(accountId, request.body));
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
        (await mappings.update(principalOf(request).accountId, request.params.id, request.body)) ??
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
      if (!(await mappings.delete(principalOf(request).accountId, request.params.id)))
        throw notFound('Product mapping');
      return reply.code(204).send();
    },
  );
}
