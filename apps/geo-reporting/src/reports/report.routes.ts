import { calendarDateJsonSchema, isClosedDay } from '@single/contracts';
import type { Db } from '@single/db';
import { ProblemError } from '@single/http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { chartFileReadyAt, produceOneChartFile } from './chart-files.ts';
import {
  buildChartFile,
  chartTimeZone,
  producedChartFile,
  ROLLUP_LEVELS,
  type RollupLevel,
  regionReport,
} from './report.repository.ts';

export interface ReportRouteOptions {
  db: Db;
  retailerAccount: string;
  attribution: string;
  /** Minutes after a day closes at which the scheduled job produces its file (CHART_FILE_DELAY_MINUTES). */
  chartFileDelayMinutes?: number;
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
      const rows = await regionReport(options.db, { releaseId, from, to, level });
      return { releaseId, from, to, level, rows, attribution: options.attribution };
    },
  );

  const chartQuery = {
    type: 'object',
    required: ['chart', 'date'],
    properties: { chart: { type: 'string', pattern: '^[a-z0-9-]{1,32}$' }, date },
  } as const;

  /** The chart's zone, or 404 unknown_chart. */
  const zoneOf = async (chart: string) => {
    const timeZone = await chartTimeZone(options.db, chart, now());
    if (!timeZone)
      throw new ProblemError(404, 'unknown_chart', 'Unknown chart', { detail: `no rules for chart ${chart}` });
    return timeZone;
  };
  const readyAt = (day: string, timeZone: string) =>
    chartFileReadyAt(day, timeZone, options.chartFileDelayMinutes ?? 30).toISOString();
  /** 409 day_not_closed for a day still open in the chart's zone. */
  const closedDay = (day: string, timeZone: string) => {
    if (!isClosedDay(day, now(), timeZone)) {
      throw new ProblemError(409, 'day_not_closed', 'Business day not over', {
        detail: `${day} is not over in ${timeZone}; its file is produced at ${readyAt(day, timeZone)}`,
        extensions: { readyAt: readyAt(day, timeZone) },
      });
    }
  };
  const csv = (reply: FastifyReply, name: string, file: { content: Buffer; sha256: string }) =>
    reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name}.csv"`)
      .header('x-content-sha256', file.sha256)
      .send(file.content);

  // The file the scheduled job produced (produce-chart-files.ts, or cmdr reports produce). Reading only: a GET
  // never makes or stores a file.
  app.get<{ Querystring: { chart: string; date: string } }>(
    '/v1/reports/chart',
    { schema: { querystring: chartQuery } },
    async (request, reply) => {
      const { chart, date: day } = request.query;
      const timeZone = await zoneOf(chart);
      closedDay(day, timeZone);
      const file = await producedChartFile(options.db, chart, day);
      if (!file) {
        const at = readyAt(day, timeZone);
        const due = new Date(at) <= now();
        throw new ProblemError(404, 'chart_file_not_ready', 'Chart file not produced yet', {
          detail: due
            ? `the ${chart} file of ${day} was due at ${at} and has not been produced: run cmdr reports produce`
            : `the ${chart} file of ${day} is produced at ${at}`,
          extensions: { readyAt: at },
        });
      }
      reply.header('last-modified', file.producedAt.toUTCString());
      return csv(reply, `${chart}-${day}`, file);
    },
  );

  // The same file built from the units as they are now, for any day (an open one too), written nowhere.
  app.get<{ Querystring: { chart: string; date: string } }>(
    '/v1/reports/chart/preview',
    { schema: { querystring: chartQuery } },
    async (request, reply) => {
      const { chart, date: day } = request.query;
      await zoneOf(chart);
      const file = await buildChartFile(options.db, chart, day, options.retailerAccount);
      reply.header('x-chart-preview', 'true').header('cache-control', 'no-store');
      return csv(reply, `${chart}-${day}-preview`, file);
    },
  );

  // Produces (or re-produces) one closed day's file: what the job does, for one day on demand (cmdr reports
  // produce). An unchanged day gives the same bytes and stores nothing new.
  app.post<{ Body: { chart: string; date: string } }>(
    '/v1/reports/chart-files',
    { schema: { body: { ...chartQuery, additionalProperties: false } } },
    async (request) => {
      const { chart, date: day } = request.body;
      const timeZone = await zoneOf(chart);
      closedDay(day, timeZone);
      return produceOneChartFile(options.db, chart, day, options.retailerAccount);
    },
  );
}
