import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { accountDb, principalOf } from '../auth/authenticate.ts';
import { notFound } from '../support/problems.ts';
import { problemResponses } from '../support/responses.ts';
import { normaliseUpc } from './identifiers.ts';
import type { ReleaseRepository } from './releases.repository.ts';
import {
  createReleaseBody,
  idParams,
  listReleasesQuery,
  release,
  releasePage,
  updateReleaseBody,
  waitingPreorders,
} from './releases.schemas.ts';
import type { ReleaseService } from './releases.service.ts';

export function registerReleaseRoutes(app: FastifyInstance, releases: ReleaseRepository, service: ReleaseService) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['catalogue'];
  r.get(
    '/releases',
    {
      schema: {
        tags,
        summary: 'List releases (newest first)',
        querystring: listReleasesQuery,
        response: { 200: releasePage, ...problemResponses },
      },
    },
    async (request) => {
      const { limit, cursor, artistId, upc, preorder } = request.query;
      return releases.list(accountDb(request), {
        limit,
        cursor,
        artistId,
        // An invalid UPC matches nothing rather than failing the whole list.
        upc: upc === undefined ? undefined : (normaliseUpc(upc) ?? '-'),
        preorder: preorder === undefined ? undefined : preorder === 'true',
      });
    },
  );
  r.get(
    '/preorders/waiting',
    {
      schema: {
        tags,
        summary: 'Pre-orders waiting: upcoming pre-order releases and units sold but not yet delivered',
        response: { 200: waitingPreorders, ...problemResponses },
      },
    },
    async (request) => ({ items: await releases.waitingPreorders(accountDb(request), new Date()) }),
  );
  r.get(
    '/releases/:id',
    {
      schema: {
        tags,
        summary: 'Get a release with its tracks',
        params: idParams,
        response: { 200: release, ...problemResponses },
      },
    },
    async (request) =>
      (await releases.get(accountDb(request), request.params.id)) ?? Promise.reject(notFound('Release')),
  );
  r.post(
    '/releases',
    {
      schema: {
        tags,
        summary: 'Create a release',
        body: createReleaseBody,
        response: { 201: release, ...problemResponses },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await service.create(accountDb(request), principalOf(request).accountId, request.body)),
  );
  r.patch(
    '/releases/:id',
    {
      schema: {
        tags,
        summary: 'Update a release',
        params: idParams,
        body: updateReleaseBody,
        response: { 200: release, ...problemResponses },
      },
    },
    async (request) =>
      service.update(accountDb(request), principalOf(request).accountId, request.params.id, request.body),
  );
}
