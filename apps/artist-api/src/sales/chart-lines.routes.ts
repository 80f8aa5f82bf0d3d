import { calendarDate } from '@single/contracts';
import { ProblemError } from '@single/http';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { accountDb, principalOf } from '../auth/authenticate.ts';
import { problemResponses } from '../support/responses.ts';

const MAX_LINES = 500;

const chartLine = z.object({
  kind: z.enum(['sale', 'return']),
  eligibility: z.enum(['eligible', 'excluded', 'pending']).describe('eligible = in the file'),
  reasonCode: z.string().nullable().describe('Why a line was left out or waits (below_floor, not_redeemed, ...)'),
  releaseTitle: z.string(),
  upc: z.string().nullable(),
  isrc: z.string().nullable(),
  country: z.string().nullable(),
  zip: z.string().nullable(),
  currency: z.string(),
  netPrice: z.string(),
  units: z.number().int(),
  occurredAt: z.string(),
});

const chartDay = z
  .object({
    chart: z.string(),
    date: z.string(),
    timeZone: z.string().describe("The chart's zone: the business day is this zone's calendar day"),
    lines: z.array(chartLine),
    truncated: z.boolean().describe(`More than ${MAX_LINES} lines: the first ${MAX_LINES} by time`),
  })
  .meta({ id: 'ChartDayLines' });

const isTimeZone = (zone: string) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

/**
 * One business day of a chart, line by line: the account's units the day's file counted (eligible, by their
 * business date) and those it left out or that wait, each with its reason code (sale lines decided that
 * day). What the dashboard's chart-file page shows under each file.
 */
export function registerChartLinesRoute(app: FastifyInstance, now: () => Date = () => new Date()) {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/sales/chart-lines',
    {
      schema: {
        tags: ['sales'],
        summary: "A chart's business day line by line: counted, left out (with the reason) or waiting",
        description: 'A chart without rules in force (geo-reporting keeps them) is 404 `unknown_chart`.',
        querystring: z.object({
          chart: z
            .string()
            .regex(/^[a-z0-9_-]{1,32}$/)
            .default('luminate'),
          date: calendarDate.describe('The business day'),
        }),
        response: { 200: chartDay, ...problemResponses },
      },
    },
    async (request) => {
      const db = accountDb(request);
      const { chart, date } = request.query;
      // Raw SQL: sale_line and chart_rule_set are geo-reporting's (read-only here); the account is a parameter.
      const [rules] = await db.$queryRaw<{ tz: string | null }[]>`
        SELECT rules->>'timeZone' AS tz FROM chart_rule_set
        WHERE chart = ${chart} AND effective_from <= ${now()} ORDER BY effective_from DESC LIMIT 1`;
      if (!rules)
        throw new ProblemError(404, 'unknown_chart', 'Unknown chart', { detail: `no rules for chart ${chart}` });
      const timeZone = rules.tz && isTimeZone(rules.tz) ? rules.tz : 'America/New_York';
      const rows = await db.$queryRaw<(z.infer<typeof chartLine> & { occurredAt: Date })[]>`
        SELECT sl.kind::text AS kind, sl.eligibility::text AS eligibility, sl.reason_code AS "reasonCode",
               r.title AS "releaseTitle", sl.upc, sl.isrc, sl.country, sl.zip, sl.currency,
               sl.net_price::text AS "netPrice", sl.quantity AS units, sl.occurred_at AS "occurredAt"
        FROM sale_line sl JOIN release r ON r.id = sl.release_id JOIN artist a ON a.id = r.artist_id
        WHERE a.account_id = ${principalOf(request).accountId}::uuid AND sl.chart = ${chart}
          AND (sl.business_date = ${date}::date
               OR (sl.business_date IS NULL
                   AND sl.occurred_at >= (${date}::date::timestamp AT TIME ZONE ${timeZone}::text)
                   AND sl.occurred_at < ((${date}::date + 1)::timestamp AT TIME ZONE ${timeZone}::text)))
        ORDER BY sl.occurred_at, sl.id LIMIT ${MAX_LINES + 1}`;
      return {
        chart,
        date,
        timeZone,
        lines: rows.slice(0, MAX_LINES).map((row) => ({ ...row, occurredAt: row.occurredAt.toISOString() })),
        truncated: rows.length > MAX_LINES,
      };
    },
  );
}
