import { businessDate, CHART_TIME_ZONE, calendarDate } from '@single/contracts';
import { Prisma } from '@single/db';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { accountDb, principalOf } from '../auth/authenticate.ts';
import { isUuid } from '../support/db.ts';
import { notFound } from '../support/problems.ts';
import { problemResponses } from '../support/responses.ts';
import { range } from './sales.routes.ts';

const SOURCES = ['shipping_address', 'billing_address', 'geo_capture', 'browser_ip', 'none'] as const;
const PRECISIONS = ['postal', 'city', 'region', 'country', 'none'] as const;

const locations = z
  .object({
    from: z.string(),
    to: z.string(),
    units: z.number().int().describe('Units sold (recorded) in the period'),
    bySource: z
      .array(z.object({ source: z.enum(SOURCES), precision: z.enum(PRECISIONS), units: z.number().int() }))
      .describe(
        'How the sold units were located: shipping address > billing address > the checkout’s geo capture > ' +
          'the order’s browser IP > none, and to what precision. Units with source none are still reported, flagged.',
      ),
  })
  .meta({ id: 'SalesLocations' });

/**
 * How the account's sales were located (geo-reporting's located_sale, read-only): the dashboard's territory
 * page says how much of its map rests on addresses and how much on IP addresses or on nothing at all.
 * Business days of the US chart (America/New_York), like the summary.
 */
export function registerSalesLocationsRoute(app: FastifyInstance, now: () => Date = () => new Date()) {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/sales/locations',
    {
      schema: {
        tags: ['sales'],
        summary: 'How sold units were located: source and precision',
        querystring: z.object({
          releaseId: z.uuid().optional().describe('One release; omitted = every release of the account'),
          from: calendarDate.optional().describe('First business day (inclusive); as for /sales/summary'),
          to: calendarDate.optional().describe('Last business day (inclusive); as for /sales/summary'),
        }),
        response: { 200: locations, ...problemResponses },
      },
    },
    async (request) => {
      const db = accountDb(request);
      const { releaseId } = request.query;
      if (
        releaseId !== undefined &&
        (!isUuid(releaseId) || (await db.release.count({ where: { id: releaseId } })) !== 1)
      )
        throw notFound('Release');
      const { from, to } = range(request.query, businessDate(now(), CHART_TIME_ZONE));
      // Raw SQL: located_sale is geo-reporting's, outside the scoped client; the account is a parameter.
      const releases = releaseId
        ? Prisma.sql`ls.release_id = ${releaseId}::uuid`
        : Prisma.sql`ls.release_id IN (SELECT r.id FROM release r JOIN artist a ON a.id = r.artist_id WHERE a.account_id = ${principalOf(request).accountId}::uuid)`;
      const rows = await db.$queryRaw<
        { source: (typeof SOURCES)[number]; precision: (typeof PRECISIONS)[number]; units: number }[]
      >`
        SELECT ls.source::text AS source, ls.precision::text AS precision, sum(ls.quantity)::int AS units
        FROM located_sale ls
        WHERE ${releases} AND ls.type = 'sale.recorded'
          AND ls.occurred_at >= (${from}::date::timestamp AT TIME ZONE ${CHART_TIME_ZONE}::text)
          AND ls.occurred_at < ((${to}::date + 1)::timestamp AT TIME ZONE ${CHART_TIME_ZONE}::text)
        GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2`;
      return { from, to, units: rows.reduce((n, r) => n + r.units, 0), bySource: rows };
    },
  );
}
