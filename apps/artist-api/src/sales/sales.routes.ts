import {
  addDays,
  businessDate,
  CALENDAR_DATE_MAX,
  CALENDAR_DATE_MIN,
  CHART_TIME_ZONE,
  calendarDate,
  chartWeek,
  daysBetween,
} from '@single/contracts';
import { ProblemError } from '@single/http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { accountDb, principalOf } from '../auth/authenticate.ts';
import { notFound } from '../support/problems.ts';
import { problemResponses } from '../support/responses.ts';
import type { SalesRepository } from './sales.repository.ts';
import type { SalesSummaryCache } from './summary-cache.ts';

const MAX_DAYS = 366;

const period = {
  releaseId: z.uuid().optional().describe('One release; omitted = every release of the account'),
  week: calendarDate
    .optional()
    .describe(
      "Any day of a chart week (Friday to Thursday); instead of from/to. With no week, from or to: the week of the chart's current business day (America/New_York for Luminate). The weeks of 1900-01-01 and 2199-12-31 are cut at the range's ends",
    ),
  from: calendarDate
    .optional()
    .describe(
      `First business day (inclusive); at most ${MAX_DAYS} days before to. Omitted: ${MAX_DAYS} days up to to, from 1900-01-01 at the earliest`,
    ),
  to: calendarDate
    .optional()
    .describe(
      `Last business day (inclusive), not before from. Omitted: ${MAX_DAYS} days from from, to 2199-12-31 at the latest`,
    ),
};

const chartName = z
  .string()
  .regex(/^[a-z0-9_-]{1,32}$/)
  .describe('Chart, e.g. luminate, occ, aria');

const amounts = z.array(z.object({ currency: z.string(), netAmount: z.string() }));
const bucket = z.object({ key: z.string().nullable(), units: z.number().int(), amounts });

const summary = z
  .object({
    from: z.string(),
    to: z.string(),
    groupBy: z.enum(['day', 'chart_week']),
    level: z.enum(['country', 'region', 'postal']),
    periods: z.array(bucket).describe('key = the day, or the Friday that starts the chart week'),
    territories: z.array(bucket).describe('key = the place at `level`; null = location unknown'),
    cached: z.boolean(),
  })
  .meta({ id: 'SalesSummary' });

const reconciliation = z
  .object({
    chart: z.string(),
    from: z.string(),
    to: z.string(),
    sold: z.number().int(),
    reported: z.number().int(),
    pending: z.number().int().describe('Not decided yet (e.g. not downloaded yet)'),
    pendingByReason: z
      .array(z.object({ reasonCode: z.string(), units: z.number().int() }))
      .describe(
        'Why pending units wait: not_redeemed (not downloaded yet), no_rules, upc_under_review (held for ' +
          'ownership review of the UPC; decided only after every other reason, nothing of it charts until then)',
      ),
    excluded: z.array(
      z.object({
        reasonCode: z
          .string()
          .describe(
            'below_floor, bulk_capped, out_of_territory, test_order, refunded, no_product_code, no_rules, not_fan_pack (a merch bundle not approved as a fan pack), free_unit (net 0: given away), upc_not_owned (ops named another release the owner of the UPC)',
          ),
        units: z.number().int(),
      }),
    ),
    returns: z.object({ total: z.number().int(), reported: z.number().int() }),
  })
  .meta({ id: 'SoldVsReported' });

const badPeriod = (code: string, title: string, detail: string) => new ProblemError(400, code, title, { detail });

/** A derived bound kept inside the calendar-date range: a period never names a day the type cannot hold. */
const clamp = (date: string) =>
  date < CALENDAR_DATE_MIN ? CALENDAR_DATE_MIN : date > CALENDAR_DATE_MAX ? CALENDAR_DATE_MAX : date;

/** A chart week, cut at the ends of the range (the weeks of 1900-01-01 and 2199-12-31 start or end outside it). */
const weekOf = (date: string) => {
  const { from, to } = chartWeek(date);
  return { from: clamp(from), to: clamp(to) };
};

/**
 * from/to, or the chart week of `week`, or the chart week of `today` (the chart's business day, never the
 * UTC date); bounded so no request scans years. Bounds derived from the other one, or from a week, are
 * clamped into 1900-01-01..2199-12-31.
 */
export function range(
  q: { week?: string | undefined; from?: string | undefined; to?: string | undefined },
  today: string,
) {
  if (q.week !== undefined) {
    if (q.from !== undefined || q.to !== undefined)
      throw badPeriod('invalid_period', 'Give either week or from/to', 'week names a whole chart week');
    return weekOf(q.week);
  }
  if (q.from === undefined && q.to === undefined) return weekOf(today);
  const from = q.from ?? clamp(addDays(q.to!, -(MAX_DAYS - 1)));
  const to = q.to ?? clamp(addDays(from, MAX_DAYS - 1));
  if (to < from) throw badPeriod('invalid_range', 'Invalid date range', `from ${from} is after to ${to}`);
  if (daysBetween(from, to) > MAX_DAYS)
    throw badPeriod('range_too_long', 'Date range too long', `at most ${MAX_DAYS} days from ${from}`);
  return { from, to };
}

function csvField(value: string | number | null): string {
  let text = value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`; // no formulas when opened in a spreadsheet
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function registerSalesRoutes(
  app: FastifyInstance,
  sales: SalesRepository,
  summaries: SalesSummaryCache,
  now: () => Date = () => new Date(),
) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['sales'];
  /** The chart's current business day; the summary is not per chart and follows the US chart's zone. */
  const today = (timeZone: string = CHART_TIME_ZONE) => businessDate(now(), timeZone);

  /** The chart's time zone by its rules in force now (the app's clock); 404 unknown_chart without rules. */
  async function chartZone(chart: string) {
    const timeZone = await sales.chartTimeZone(chart, now());
    if (!timeZone)
      throw new ProblemError(404, 'unknown_chart', 'Unknown chart', { detail: `no rules for chart ${chart}` });
    return timeZone;
  }

  async function scopeOf(request: FastifyRequest, releaseId: string | undefined) {
    const { accountId } = principalOf(request);
    if (releaseId !== undefined && !(await sales.ownsRelease(accountId, releaseId))) throw notFound('Release');
    return { db: accountDb(request), accountId, releaseId };
  }

  r.get(
    '/sales/summary',
    {
      schema: {
        tags,
        summary: 'Units and net amounts by day or chart week, and by territory',
        description: 'Served from the geo-reporting roll-ups; cached, and invalidated by new sales events.',
        querystring: z.object({
          ...period,
          groupBy: z.enum(['day', 'chart_week']).default('day'),
          level: z.enum(['country', 'region', 'postal']).default('country'),
        }),
        response: { 200: summary, ...problemResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const scope = await scopeOf(request, q.releaseId);
      const { from, to } = range(q, today());
      const params = { from, to, groupBy: q.groupBy, level: q.level };
      if (!scope.releaseId) return { ...params, ...(await sales.summary(scope, params)), cached: false };
      const { value, cached } = await summaries.getOrCompute(
        scope.releaseId,
        `${from}:${to}:${q.groupBy}:${q.level}`,
        () => sales.summary(scope, params),
      );
      return { ...params, ...value, cached };
    },
  );

  r.get(
    '/sales/sold-vs-reported',
    {
      schema: {
        tags,
        summary: 'Sold vs reported for a chart, with the reason codes of excluded units',
        description: 'A chart without rules in force (geo-reporting keeps them) is 404 `unknown_chart`.',
        querystring: z.object({ ...period, chart: chartName.default('luminate') }),
        response: { 200: reconciliation, ...problemResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const scope = await scopeOf(request, q.releaseId);
      const timeZone = await chartZone(q.chart);
      const { from, to } = range(q, today(timeZone));
      const compute = () => sales.soldVsReported(scope.db, scope, { chart: q.chart, from, to, timeZone });
      // Cached like the summary: sale lines change with the same sales events that invalidate it.
      const figures = scope.releaseId
        ? (await summaries.getOrCompute(scope.releaseId, `svr:${q.chart}:${from}:${to}`, compute)).value
        : await compute();
      return { chart: q.chart, from, to, ...figures };
    },
  );

  r.get(
    '/sales/chart.csv',
    {
      schema: {
        tags,
        summary: "The account's reported units for a chart week, as CSV",
        description: 'A chart without rules in force (geo-reporting keeps them) is 404 `unknown_chart`.',
        querystring: z.object({ ...period, chart: chartName.default('luminate') }),
        response: { 200: { description: 'CSV', content: { 'text/csv': { schema: z.string() } } }, ...problemResponses },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const scope = await scopeOf(request, q.releaseId);
      const { from, to } = range(q, today(await chartZone(q.chart)));
      const rows = await sales.chartLines(scope.db, scope, { chart: q.chart, from, to });
      const columns = ['business_date', 'kind', 'upc', 'isrc', 'country', 'zip', 'currency', 'net_price', 'units'];
      const body = [
        columns.join(','),
        ...rows.map((row) => columns.map((c) => csvField(row[c] ?? null)).join(',')),
      ].join('\n');
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${q.chart}-${from}-${to}.csv"`)
        .serializer((payload: unknown) => payload as string)
        .send(`${body}\n`);
    },
  );
}
