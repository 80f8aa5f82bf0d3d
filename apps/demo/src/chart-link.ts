import { businessDate, businessDayEnd, CHART_TIME_ZONE, isClosedDay } from '@single/contracts';
import type pg from 'pg';

/**
 * What the summary says about the Luminate day file. A file exists only for a closed business day
 * (New York's), and only a day with the demo's sales is worth opening: the last such day, or, when the
 * sales are all still "today" in New York (the usual case), when the first file will exist.
 */
export function chartFileEntry(input: { now: Date; geoUrl: string; salesDays: readonly string[] }): string {
  const closed = input.salesDays.filter((day) => isClosedDay(day, input.now, CHART_TIME_ZONE)).sort();
  const last = closed.at(-1);
  if (last) return `${input.geoUrl}/v1/reports/chart?chart=luminate&date=${last}`;
  const first = [...input.salesDays].sort()[0] ?? businessDate(input.now, CHART_TIME_ZONE);
  return (
    `the first chart file, for ${first}, exists after midnight New York (${businessDayEnd(first).toISOString()}): ` +
    `${input.geoUrl}/v1/reports/chart?chart=luminate&date=${first}; until then, see the week so far in the artist API's chart CSV`
  );
}

/** The New York business days on which the demo's units were sold (the day of each Luminate sale line). */
export async function luminateSalesDays(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ day: string }>(
    `SELECT DISTINCT to_char(coalesce(business_date, (occurred_at AT TIME ZONE $1)::date), 'YYYY-MM-DD') AS day
       FROM sale_line WHERE chart = 'luminate' ORDER BY 1`,
    [CHART_TIME_ZONE],
  );
  return rows.map((r) => r.day);
}
