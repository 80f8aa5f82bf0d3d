import { createHash } from 'node:crypto';
import { addDays, CALENDAR_DATE_MAX, CALENDAR_DATE_MIN, daysBetween, isCalendarDate } from '@single/contracts';
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

/**
 * One chart file from geo-reporting (GET /v1/reports/chart). The service sends the file's sha256; a file
 * that arrives different from it is refused rather than written.
 */
export async function fetchChartFile(baseUrl: string, chart: string, date: string): Promise<ExportedFile> {
  const url = new URL('/v1/reports/chart', baseUrl);
  url.searchParams.set('chart', chart);
  url.searchParams.set('date', date);
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new CmdrError(`geo-reporting unavailable at ${baseUrl}: ${(error as Error).message}`, ExitCode.unavailable);
  }
  const body = await response.text();
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

function problemDetail(body: string): string {
  try {
    const problem = JSON.parse(body) as { detail?: string; title?: string };
    return problem.detail ?? problem.title ?? body.slice(0, 200);
  } catch {
    return body.slice(0, 200);
  }
}
