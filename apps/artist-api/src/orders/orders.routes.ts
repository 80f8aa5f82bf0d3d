import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ShopRepository } from '../accounts/shop.repository.ts';
import { accountDb } from '../auth/authenticate.ts';
import { notFound } from '../support/problems.ts';
import { problemResponses } from '../support/responses.ts';
import type { OrderRepository } from './orders.repository.ts';
import { listOrdersQuery, orderDetail, orderPage } from './orders.schemas.ts';

export function registerOrderRoutes(app: FastifyInstance, orders: OrderRepository, shops: ShopRepository) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['orders'];
  r.get(
    '/orders',
    {
      schema: {
        tags,
        summary: "List the account's orders (newest first)",
        querystring: listOrdersQuery,
        response: { 200: orderPage, ...problemResponses },
      },
    },
    async (request) => {
      const db = accountDb(request);
      return orders.list(db, await shops.domains(db), request.query);
    },
  );
  r.get(
    '/orders/:id',
    {
      schema: {
        tags,
        summary: 'An order with its lines, grants, email and fulfilment state',
        params: z.object({ id: z.string().max(100) }),
        response: { 200: orderDetail, ...problemResponses },
      },
    },
    async (request) => (await orders.get(accountDb(request), request.params.id)) ?? Promise.reject(notFound('Order')),
  );
}
