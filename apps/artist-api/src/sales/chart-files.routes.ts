import { createHash } from 'node:crypto';
import { Prisma } from '@single/db';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { accountDb, principalOf } from '../auth/authenticate.ts';
import { decodeCursor, encodeCursor, pageOf } from '../support/pagination.ts';
import { conflict, notFound } from '../support/problems.ts';
import { problemResponses } from '../support/responses.ts';
import { cutFile, fileRecords } from './chart-file-cut.ts';

const chartName = z
  .string()
  .regex(/^[a-z0-9_-]{1,32}$/)
  .default('luminate')
  .describe('Chart, e.g. luminate, occ, aria');

const chartFile = z
  .object({
    id: z.uuid().describe('The stored file (GET /v1/chart-files/{id} serves your lines of it)'),
    chart: z.string(),
    businessDate: z.string().describe("The business day the file reports, in the chart's time zone"),
    generatedAt: z.string().describe('When the daily chart job stored this file'),
    lines: z.number().int().describe("How many of the file's lines are yours"),
    sha256: z.string().describe('sha256 of your lines of the file (header included), as the download serves them'),
  })
  .meta({ id: 'ChartFile' });

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface StoredFile {
  id: string;
  chart: string;
  businessDate: string;
  generatedAt: Date;
  content: Uint8Array;
}

/**
 * Whether some sale line of the account is a record of the stored file `f`, as the cut reads records: its
 * last two fields `,order_line_id,unit_index` followed by CRLF, LF or the file's end (a last line without a
 * line end). A prefilter for paging in SQL; the cut decides.
 */
const holdsAccountLines = (request: FastifyRequest) => Prisma.sql`EXISTS (
  SELECT 1 FROM sale_line sl JOIN release r ON r.id = sl.release_id JOIN artist a ON a.id = r.artist_id
    CROSS JOIN LATERAL (SELECT convert_to(',' || sl.order_line_id || ',' || sl.unit_index, 'UTF8') AS k) u
  WHERE a.account_id = ${principalOf(request).accountId}::uuid AND sl.chart = f.chart
    AND (position(u.k || decode('0d0a', 'hex') IN f.content) > 0
      OR position(u.k || decode('0a', 'hex') IN f.content) > 0
      OR substring(f.content FROM greatest(length(f.content) - length(u.k) + 1, 1)) = u.k))`;

/** A stored file csv-parse cannot read (an unclosed quote): named, never a 500. */
class UnreadableFile extends Error {}

/**
 * The account's lines of a stored file, byte for byte: a file covers every account, so its records are
 * matched by unit (order line, unit index, sale or return) to the account's sale lines, never recomputed.
 * Throws UnreadableFile for a file that does not parse (its id logged, never its content).
 */
async function accountCut(request: FastifyRequest, file: StoredFile) {
  let records: ReturnType<typeof fileRecords>;
  try {
    records = fileRecords(Buffer.from(file.content));
  } catch (err) {
    const reason = err instanceof Error && 'code' in err ? String(err.code) : 'parse_error';
    request.log.error({ chartFileId: file.id, reason }, 'stored chart file unreadable: left out');
    throw new UnreadableFile(file.id);
  }
  const orderLineIds = [...new Set(records.slice(1).map((r) => r.fields.at(-2) ?? ''))];
  // Raw SQL: sale_line is geo-reporting's (read-only here); release -> artist -> account is the owner.
  const rows = await accountDb(request).$queryRaw<{ key: string }[]>`
    SELECT sl.order_line_id || '|' || sl.unit_index || '|' || sl.kind::text AS key
    FROM sale_line sl JOIN release r ON r.id = sl.release_id JOIN artist a ON a.id = r.artist_id
    WHERE a.account_id = ${principalOf(request).accountId}::uuid AND sl.chart = ${file.chart}
      AND sl.order_line_id = ANY(${orderLineIds}::text[])`;
  const cut = cutFile(records, new Set(rows.map((r) => r.key)));
  return { ...cut, sha256: sha256(cut.content) };
}

/**
 * The chart files the daily job generated (geo-reporting's report_file), as each account may see them: only
 * files holding some of its lines, and of those only its lines, exactly as stored. A day without a stored
 * file is not listed; what each unit counted or left out stays at GET /v1/sales/chart-lines.
 */
export function registerChartFileRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['sales'];

  r.get(
    '/chart-files',
    {
      schema: {
        tags,
        summary: "The chart files generated with some of the account's lines, newest business day first",
        description:
          "One per business day: the day's latest stored file (a day regenerated with corrections keeps its " +
          'earlier files, served by id). Days without a stored file are not listed, nor is a stored file that ' +
          'does not parse (corrupt; logged by id).',
        querystring: z.object({
          chart: chartName,
          limit: z.coerce.number().int().min(1).max(100).default(30).describe('Page size (1-100).'),
          cursor: z.string().max(512).optional().describe('Opaque cursor from the previous page (`nextCursor`).'),
        }),
        response: { 200: pageOf(chartFile).meta({ id: 'ChartFilePage' }), ...problemResponses },
      },
    },
    async (request) => {
      const { chart, limit, cursor } = request.query;
      const before = decodeCursor(cursor, ['timestamp'])?.[0]?.slice(0, 10) ?? null;
      const files = await accountDb(request).$queryRaw<StoredFile[]>`
        SELECT f.id::text AS id, f.chart, to_char(f.business_date, 'YYYY-MM-DD') AS "businessDate",
               f.created_at AS "generatedAt", f.content
        FROM (SELECT DISTINCT ON (business_date) id, chart, business_date, created_at, content
              FROM report_file
              WHERE chart = ${chart} AND (${before}::date IS NULL OR business_date < ${before}::date)
              ORDER BY business_date DESC, created_at DESC, id DESC) f
        WHERE ${holdsAccountLines(request)}
        ORDER BY f.business_date DESC LIMIT ${limit + 1}`;
      const page = files.slice(0, limit);
      const items = [];
      for (const file of page) {
        // One unreadable stored file is left out (logged), never a 500 for every account listing its day.
        const cut = await accountCut(request, file).catch((err: unknown) => {
          if (err instanceof UnreadableFile) return null;
          throw err;
        });
        if (!cut || cut.lines === 0) continue;
        const { id, businessDate, generatedAt } = file;
        items.push({
          id,
          chart,
          businessDate,
          generatedAt: generatedAt.toISOString(),
          lines: cut.lines,
          sha256: cut.sha256,
        });
      }
      const last = page.at(-1);
      return {
        items,
        nextCursor: files.length > limit && last ? encodeCursor([`${last.businessDate}T00:00:00.000Z`]) : null,
      };
    },
  );

  r.get(
    '/chart-files/:id',
    {
      schema: {
        tags,
        summary: "The account's lines of a stored chart file, as CSV exactly as they were sent",
        description:
          "The file's header and the account's records, byte for byte as stored (CRLF). 404 for an unknown file " +
          'or one without any of your lines; 409 `chart_file_unreadable` for a stored file that does not parse ' +
          '(corrupt: the list leaves it out).',
        params: z.object({ id: z.uuid() }),
        response: { 200: { description: 'CSV', content: { 'text/csv': { schema: z.string() } } }, ...problemResponses },
      },
    },
    async (request, reply) => {
      const [file] = await accountDb(request).$queryRaw<(StoredFile & { yours: boolean })[]>`
        SELECT f.id::text AS id, f.chart, to_char(f.business_date, 'YYYY-MM-DD') AS "businessDate",
               f.created_at AS "generatedAt", f.content, ${holdsAccountLines(request)} AS yours
        FROM report_file f WHERE f.id = ${request.params.id}::uuid`;
      if (!file) throw notFound('Chart file');
      const cut = await accountCut(request, file).catch((err: unknown) => {
        if (!(err instanceof UnreadableFile)) throw err;
        // Named only to an account whose lines the file seems to hold: to others it is unknown, as ever.
        if (!file.yours) throw notFound('Chart file');
        throw conflict(
          'chart_file_unreadable',
          'The stored chart file cannot be read',
          'The stored file is corrupt (it does not parse as CSV); the list leaves it out. Its lines stay at GET /v1/sales/chart-lines.',
        );
      });
      if (cut.lines === 0) throw notFound('Chart file');
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${file.chart}-${file.businessDate}.csv"`)
        .header('etag', `"${cut.sha256}"`)
        .serializer((payload: unknown) => payload as string)
        .send(cut.content.toString('utf8')); // the stored bytes: geo-reporting writes UTF-8
    },
  );
}
