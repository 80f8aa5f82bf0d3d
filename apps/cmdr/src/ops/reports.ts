import { createHash } from 'node:crypto';
import { CmdrError, ExitCode, notFound, usageError } from '../exit-codes.ts';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export interface ExportedFile {
  chart: string;
  date: string;
  bytes: number;
  sha256: string;
  content: string;
}

/** Every date from `from` to `to` inclusive (UTC calendar days). */
export function dateRange(from: string, to: string): string[] {
  if (!DATE.test(from) || !DATE.test(to) || from > to) throw usageError('dates are YYYY-MM-DD with from <= to');
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) {
    days.push(new Date(t).toISOString().slice(0, 10));
    if (days.length > 366) throw usageError('at most 366 days per export');
  }
  return days;
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
