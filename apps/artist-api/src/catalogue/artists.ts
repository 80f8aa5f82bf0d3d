import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { z } from 'zod';
import { principalOf } from '../auth/authenticate.ts';
import { isUuid } from '../support/db.ts';
import { decodeCursor, pageOf, pageQuery, toPage } from '../support/pagination.ts';
import { notFound } from '../support/problems.ts';
import { problemResponses } from '../support/responses.ts';

export const artist = z
  .object({ id: z.uuid(), name: z.string(), createdAt: z.string(), updatedAt: z.string() })
  .meta({ id: 'Artist' });
type ArtistRow = { id: string; name: string; createdAt: Date; updatedAt: Date };

const COLUMNS = `id, name, created_at AS "createdAt", updated_at AS "updatedAt"`;
const toArtist = (r: ArtistRow) => ({
  ...r,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

export class ArtistRepository {
  readonly #pool: Pool;
  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async exists(accountId: string, id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const { rowCount } = await this.#pool.query('SELECT 1 FROM artist WHERE account_id = $1 AND id = $2', [
      accountId,
      id,
    ]);
    return rowCount === 1;
  }

  async get(accountId: string, id: string) {
    if (!isUuid(id)) return undefined;
    const { rows } = await this.#pool.query<ArtistRow>(
      `SELECT ${COLUMNS} FROM artist WHERE account_id = $1 AND id = $2`,
      [accountId, id],
    );
    return rows[0] && toArtist(rows[0]);
  }

  async list(accountId: string, limit: number, cursor: string | undefined) {
    const after = decodeCursor(cursor, ['timestamp', 'uuid']);
    const { rows } = await this.#pool.query<ArtistRow>(
      `SELECT ${COLUMNS} FROM artist WHERE account_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
       ORDER BY created_at DESC, id DESC LIMIT $4`,
      [accountId, after?.[0] ?? null, after?.[1] ?? null, limit + 1],
    );
    return toPage(rows, limit, (r) => [r.createdAt.toISOString(), r.id], toArtist);
  }

  async create(accountId: string, name: string) {
    const { rows } = await this.#pool.query<ArtistRow>(
      `INSERT INTO artist (account_id, name, updated_at) VALUES ($1, $2, now()) RETURNING ${COLUMNS}`,
      [accountId, name],
    );
    return toArtist(rows[0]!);
  }
}

export function registerArtistRoutes(app: FastifyInstance, artists: ArtistRepository) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['catalogue'];
  r.get(
    '/artists',
    {
      schema: {
        tags,
        summary: 'List artists',
        querystring: z.object(pageQuery),
        response: { 200: pageOf(artist), ...problemResponses },
      },
    },
    async (request) => artists.list(principalOf(request).accountId, request.query.limit, request.query.cursor),
  );
  r.get(
    '/artists/:id',
    {
      schema: {
        tags,
        summary: 'Get an artist',
        params: z.object({ id: z.string().max(100) }),
        response: { 200: artist, ...problemResponses },
      },
    },
    async (request) =>
      (await artists.get(principalOf(request).accountId, request.params.id)) ?? Promise.reject(notFound('Artist')),
  );
  r.post(
    '/artists',
    {
      schema: {
        tags,
        summary: 'Create an artist',
        body: z.object({ name: z.string().trim().min(1).max(300) }).strict(),
        response: { 201: artist, ...problemResponses },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await artists.create(principalOf(request).accountId, request.body.name)),
  );
}
