import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ShopRepository } from '../accounts/shop.repository.ts';
import { accountDb } from '../auth/authenticate.ts';
import { problemResponses } from '../support/responses.ts';
import { ORDER_FIELDS, toSummary } from './orders.repository.ts';
import { orderSummary } from './orders.schemas.ts';

const searchQuery = z.object({
  q: z
    .string()
    .trim()
    .min(1)
    .max(254)
    .describe("An order's name (`#1001` or `1001`) or the fan's email address (whole, any case)"),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});

/**
 * Finds orders for support ("where is my download?"): by the name the fan sees, or by the email they bought
 * with. Exact matches only, never a prefix or pattern: a search is not a way to list other fans' emails.
 * Orders whose email Shopify redacted (or a customers/redact cleared) are found by name only.
 */
export function registerOrderSearchRoute(app: FastifyInstance, shops: ShopRepository) {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/orders/search',
    {
      schema: {
        tags: ['orders'],
        summary: "Find the account's orders by name or the fan's email (newest first)",
        querystring: searchQuery,
        response: { 200: z.object({ items: z.array(orderSummary) }), ...problemResponses },
      },
    },
    async (request) => {
      const db = accountDb(request);
      const domains = await shops.domains(db);
      const { q, limit } = request.query;
      const match = q.includes('@')
        ? // Prisma turns an insensitive equals into ILIKE: % and _ in the query would be wildcards, so escaped.
          { email: { equals: q.replace(/[\\%_]/g, '\\$&'), mode: 'insensitive' as const } }
        : { name: { in: q.startsWith('#') ? [q] : [q, `#${q}`] } };
      const rows = await db.order.findMany({
        where: { shopDomain: { in: domains }, ...match },
        select: ORDER_FIELDS,
        orderBy: [{ shopifyOrderId: 'desc' }, { id: 'desc' }],
        take: limit,
      });
      return { items: rows.map(toSummary) };
    },
  );
}
