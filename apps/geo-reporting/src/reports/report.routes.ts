import { calendarDateJsonSchema, isClosedDay } from '@single/contracts';
import { ProblemError } from '@single/http';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { chartFile, chartTimeZone, ROLLUP_LEVELS, type RollupLevel, regionReport } from './report.repository.ts';

export interface ReportRouteOptions {
  pool: Pool;
  retailerAccount: string;
  attribution: string;
  now?: () => Date;
}

// Every date is the shared calendar date: an impossible or out-of-range one answers 400 invalid_date.
const date = calendarDateJsonSchema;

export function registerReportRoutes(app: FastifyInstance, options: ReportRouteOptions) {
  const now = options.now ?? (() => new Date());

  app.get<{ Querystring: { releaseId: string; from: string; to: string; level: RollupLevel } }>(
    '/v1/reports/regions',
    {
      schema: {
        querystring: {
          type: 'object',
          required: ['releaseId', 'from', 'to'],
          properties: {
            releaseId: { type: 'string', format: 'uuid' },
            from: date,
            to: date,
            level: { type: 'string', enum: [...ROLLUP_LEVELS], default: 'country' },
          },
        },
      },
    },
    async (request) => {
      const { releaseId, from, to, level } = request.query;
      if (from > to) {
        throw new ProblemError(400, 'invalid_range', 'Invalid date range', {
          detail: `from ${from} is after to ${to}`,
        });
      }
      const rows = await regionReport(options.pool, { releaseId, from, to, level });
      return { releaseId, from, to, level, rows, attribution: options.attribution };
    },
  );

  app.get<{ Querystring: { chart: string; date: string } }>(
    '/v1/reports/chart',
    {
      schema: {
        querystring: {
          type: 'object',
          required: ['chart', 'date'],
          properties: { chart: { type: 'string', pattern: '^[a-z0-9-]{1,32}$' }, date },
        },
      },
    },
    async (request, reply) => {
      const { chart, date: day } = request.query;
      const timeZone = await chartTimeZone(options.pool, chart, now());
      if (!timeZone)
        throw new ProblemError(404, 'unknown_chart', 'Unknown chart', { detail: `no rules for chart ${chart}` });
      if (!isClosedDay(day, now(), timeZone)) {
        throw new ProblemError(409, 'day_not_closed', 'Business day not over', {
          detail: `${day} is not over in ${timeZone}`,
        });
      }
      const file = await chartFile(options.pool, chart, day, options.retailerAccount);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${chart}-${day}.csv"`)
        .header('x-content-sha256', file.sha256)
        .send(file.content);
    },
  );
}
