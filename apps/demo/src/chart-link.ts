import { businessDate, CHART_TIME_ZONE, chartFileReadyAt, isClosedDay } from '@single/contracts';
import type { Db } from '@single/db';

export interface ChartFileInput {
  now: Date;
  geoUrl: string;
  /** geo-reporting's reports need a credential: the demo's service token (GEO_REPORTS_TOKENS). */
  token: string;
  /** Minutes after New York midnight at which the chart-file job makes the day's file. */
  delayMinutes: number;
  salesDays: readonly string[];
}

/**
 * What the summary says about the Luminate day file. The scheduled job makes a file only for a closed business
 * day (New York's), and only a day with the demo's sales is worth opening: the last such day, or, when the
 * sales are all still "today" in New York (the usual case), when the demo's job makes the first one, and the
 * preview of that day so far (built on request, written nowhere).
 */
export function chartFileEntry(input: ChartFileInput): string {
  const curl = (path: string) => `curl -H 'authorization: Bearer ${input.token}' '${input.geoUrl}${path}'`;
  const closed = input.salesDays.filter((day) => isClosedDay(day, input.now, CHART_TIME_ZONE)).sort();
  const last = closed.at(-1);
  if (last) return curl(`/v1/reports/chart?chart=luminate&date=${last}`);
  const first = [...input.salesDays].sort()[0] ?? businessDate(input.now, CHART_TIME_ZONE);
  return (
    `the first chart file, for ${first}, is made by the demo's chart-file job at ` +
    `${chartFileReadyAt(first, CHART_TIME_ZONE, input.delayMinutes).toISOString()} (after midnight New York; keep the demo running): ` +
    `${curl(`/v1/reports/chart?chart=luminate&date=${first}`)}; the day so far: ` +
    curl(`/v1/reports/chart/preview?chart=luminate&date=${first}`)
  );
}

/** The New York business days on which the demo's units were sold (the day of each Luminate sale line). */
export async function luminateSalesDays(db: Db): Promise<string[]> {
  // Raw: the day of an instant in a time zone (AT TIME ZONE) has no client form.
  const rows = await db.$queryRaw<{ day: string }[]>`
    SELECT DISTINCT to_char(coalesce(business_date, (occurred_at AT TIME ZONE ${CHART_TIME_ZONE})::date), 'YYYY-MM-DD') AS day
      FROM sale_line WHERE chart = 'luminate' ORDER BY 1`;
  return rows.map((r) => r.day);
}
