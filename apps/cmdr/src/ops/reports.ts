import { createHash } from 'node:crypto';
import {
  addDays,
  CALENDAR_DATE_MAX,
  CALENDAR_DATE_MIN,
  daysBetween,
  isCalendarDate,
  type ProducedChartFile,
} from '@single/contracts';
import { CmdrError, ExitCode, notFound, usageError } from '../exit-codes.ts';

export interface ExportedFile {
  chart: string;
  date: string;
  bytes: number;
  sha256: string;
  content: string;
}

const MAX_DAYS = 366;

/** Every business day from `from` to `to` inclusive: the shared calendar dates (1900-01-01..2199-12-31). */
export function dateRange(from: string, to: string): string[] {
  for (const date of [from, to])
    if (!isCalendarDate(date))
      throw usageError(`"${date}" is not a calendar date YYYY-MM-DD from ${CALENDAR_DATE_MIN} to ${CALENDAR_DATE_MAX}`);
  if (from > to) throw usageError('dates are YYYY-MM-DD with from <= to');
  const count = daysBetween(from, to);
  if (count > MAX_DAYS) throw usageError(`at most ${MAX_DAYS} days per export`);
  return Array.from({ length: count }, (_, i) => addDays(from, i));
}

/** What geo-reporting answers: anything but a success becomes the exit code scripts rely on. */
async function ask(baseUrl: string, url: URL, token: string | undefined, init: RequestInit = {}) {
  if (!token) {
    throw new CmdrError(
      'geo-reporting needs a credential: set GEO_REPORTS_TOKEN (a service token, or an API key with the ops scope)',
      ExitCode.usage,
    );
  }
  let response: Response;
  try {
    response = await fetch(url, {
      ...init,
      headers: { ...init.headers, authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new CmdrError(`geo-reporting unavailable at ${baseUrl}: ${(error as Error).message}`, ExitCode.unavailable);
  }
  const body = await response.text();
  if (response.status === 401 || response.status === 403)
    throw new CmdrError(`geo-reporting refused GEO_REPORTS_TOKEN: ${problemDetail(body)}`, ExitCode.usage);
  return { response, body };
}

/**
 * One chart file from geo-reporting (GET /v1/reports/chart): the file its scheduled job produced. The service
 * sends the file's sha256; a file that arrives different from it is refused rather than written.
 */
export async function fetchChartFile(
  baseUrl: string,
  chart: string,
  date: string,
  token: string | undefined,
): Promise<ExportedFile> {
  const url = new URL('/v1/reports/chart', baseUrl);
  url.searchParams.set('chart', chart);
  url.searchParams.set('date', date);
  const { response, body } = await ask(baseUrl, url, token);
  if (response.status === 404) throw notFound(`no chart file for ${chart} on ${date}: ${problemDetail(body)}`);
  if (response.status === 409) throw new CmdrError(`${chart} ${date}: ${problemDetail(body)}`, ExitCode.conflict);
  if (!response.ok)
    throw new CmdrError(`geo-reporting answered ${response.status}: ${problemDetail(body)}`, ExitCode.failure);
  const sha256 = createHash('sha256').update(body).digest('hex');
  const announced = response.headers.get('x-content-sha256');
  if (announced !== null && announced !== sha256) {
    throw new CmdrError(`${chart} ${date}: content does not match x-content-sha256`, ExitCode.failure);
  }
  return { chart, date, bytes: Buffer.byteLength(body), sha256, content: body };
}

export type ProducedFile = ProducedChartFile;

/**
 * Has geo-reporting produce one closed day's file now (POST /v1/reports/chart-files): what its scheduled job
 * does after midnight, on demand (a missed run, a day to redo). An unchanged day gives the same bytes.
 */
export async function produceChartFile(
  baseUrl: string,
  chart: string,
  date: string,
  token: string | undefined,
): Promise<ProducedFile> {
  const url = new URL('/v1/reports/chart-files', baseUrl);
  const { response, body } = await ask(baseUrl, url, token, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ chart, date }),
  });
  if (response.status === 404) throw notFound(`${chart}: ${problemDetail(body)}`);
  if (response.status === 409) throw new CmdrError(`${chart} ${date}: ${problemDetail(body)}`, ExitCode.conflict);
  if (!response.ok)
    throw new CmdrError(`geo-reporting answered ${response.status}: ${problemDetail(body)}`, ExitCode.failure);
  return JSON.parse(body) as ProducedFile;
}

function problemDetail(body: string): string {
  try {
    const problem = JSON.parse(body) as { detail?: string; title?: string };
    return problem.detail ?? problem.title ?? body.slice(0, 200);
  } catch {
    return body.slice(0, 200);
  }
}
