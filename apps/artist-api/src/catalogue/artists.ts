import type { AccountDb, Prisma } from '@single/db';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { accountDb, principalOf } from '../auth/authenticate.ts';
import { isUuid } from '../support/db.ts';
import { decodeCursor, keysetBefore, pageOf, pageQuery, toPage } from '../support/pagination.ts';
import { notFound } from '../support/problems.ts';
import { problemResponses } from '../support/responses.ts';

export const artist = z
  .object({ id: z.uuid(), name: z.string(), createdAt: z.string(), updatedAt: z.string() })
  .meta({ id: 'Artist' });

const FIELDS = { id: true, name: true, createdAt: true, updatedAt: true } as const;
const toArtist = (r: Prisma.ArtistGetPayload<{ select: typeof FIELDS }>) => ({
  ...r,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

/** Artists of one account: every method takes the request's account-scoped client (see @single/db). */
export class ArtistRepository {
  async exists(db: AccountDb, id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    return (await db.artist.count({ where: { id } })) === 1;
  }

  async get(db: AccountDb, id: string) {
    if (!isUuid(id)) return undefined;
    const found = await db.artist.findFirst({ where: { id }, select: FIELDS });
    return found ? toArtist(found) : undefined;
  }

  async list(db: AccountDb, limit: number, cursor: string | undefined) {
    const after = decodeCursor(cursor, ['timestamp', 'uuid']);
    const rows = await db.artist.findMany({
      select: FIELDS,
      where: after ? keysetBefore(after) : {},
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
    return toPage(rows, limit, (r) => [r.createdAt.toISOString(), r.id], toArtist);
  }

  /** The scoped client refuses any other account than its own. */
  async create(db: AccountDb, accountId: string, name: string) {
    return toArtist(await db.artist.create({ data: { name, accountId }, select: FIELDS }));
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
    async (request) => artists.list(accountDb(request), request.query.limit, request.query.cursor),
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
    async (request) => (await artists.get(accountDb(request), request.params.id)) ?? Promise.reject(notFound('Artist')),
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
      reply.code(201).send(await artists.create(accountDb(request), principalOf(request).accountId, request.body.name)),
  );
}
