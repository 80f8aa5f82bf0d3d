import { sqlOf } from '@single/db';
import { dataRequestExportDocument, readDataRequestExport } from '@single/db/commands/data-request-exports';
import { ProblemError } from '@single/http';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { accountDb } from '../auth/authenticate.ts';
import { notFound } from '../support/problems.ts';
import { problem, problemResponses } from '../support/responses.ts';
import type { ShopRepository } from './shop.repository.ts';

const dataRequestExport = z
  .object({
    id: z.uuid(),
    shopDomain: z.string(),
    customerId: z.string().describe('Shopify customer id'),
    dataRequestId: z.string().nullable().describe("Shopify's data request id"),
    createdAt: z.string(),
    expiresAt: z.string().describe('After this instant the export is deleted and this route answers 410'),
    export: z
      .record(z.string(), z.unknown())
      .describe(
        'format single.customer-data.v1: per order its personal fields, lines, grants with every download ' +
          '(time, format, client IP), emails sent, geo captures of its checkout and the fan facts of its sales events',
      ),
  })
  .meta({ id: 'DataRequestExport' });

const params = z.object({
  domain: z.string().max(255).describe('The shop (myshopify domain) that sent customers/data_request'),
  id: z
    .string()
    .max(64)
    .describe("The export's id (uuid), or Shopify's data request id (`data_request.id` of the webhook)"),
});

/**
 * The merchant fetches what a customers/data_request collected (issue 14). The export holds fans' personal data
 * (emails, IPs, ZIP codes), so it needs the `admin` scope, only for the account's own shops (another account's
 * shop answers 404, as an unknown one), and it expires: 410 `export_expired` after its 30 days.
 */
export function registerDataRequestRoutes(app: FastifyInstance, deps: { shops: ShopRepository; now: () => Date }) {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/shops/:domain/data-requests/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['account'],
        summary: 'A customer data export (customers/data_request), scope `admin`',
        description:
          'Everything the platform holds about the customer named by the data request, as JSON. Exports expire ' +
          '30 days after the request: then 410 `export_expired`.',
        params,
        response: {
          200: dataRequestExport,
          ...problemResponses,
          410: {
            description: 'The export expired and was deleted (code `export_expired`)',
            content: { 'application/problem+json': { schema: problem } },
          },
        },
      },
    },
    async (request, reply) => {
      const domain = request.params.domain.toLowerCase();
      if (!(await deps.shops.domains(accountDb(request))).includes(domain)) throw notFound('Data request export');
      const found = await readDataRequestExport(sqlOf(accountDb(request)), {
        shopDomain: domain,
        id: request.params.id,
        now: deps.now(),
      });
      if (found.status === 'not_found') throw notFound('Data request export');
      if (found.status === 'expired') {
        throw new ProblemError(410, 'export_expired', 'This data request export has expired', {
          detail: `Exports are kept 30 days; this one expired at ${found.expiresAt.toISOString()}.`,
        });
      }
      reply.header('cache-control', 'no-store');
      return dataRequestExportDocument(found);
    },
  );
}
