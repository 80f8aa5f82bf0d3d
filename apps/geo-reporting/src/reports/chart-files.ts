import { addDays, lastClosedBusinessDay, type ProducedChartFile } from '@single/contracts';
import type { Pool } from 'pg';
import { chartsWithRules, chartTimeZone, produceChartFile, producedDays } from './report.repository.ts';

export type ProducedFile = ProducedChartFile;

export { chartFileReadyAt } from '@single/contracts';

/** Stores one day's file and says what was produced: for the job below and for POST /v1/reports/chart-files. */
export async function produceOneChartFile(
  pool: Pool,
  chart: string,
  date: string,
  retailerAccount: string,
): Promise<ProducedFile> {
  const file = await produceChartFile(pool, chart, date, retailerAccount);
  return { chart, date, sha256: file.sha256, bytes: file.content.length, lines: file.lines, stored: file.stored };
}

/**
 * What the scheduled job does (produce-chart-files.ts, the chart's CronJob after New York midnight): for every
 * chart with rules, the file of the business day that just closed in the chart's zone, and of each of the
 * `catchUpDays` days before it that has none yet (a run that was missed). Rerunning it is harmless: an
 * unchanged day gives the same bytes and adds no row.
 */
export async function produceDueChartFiles(
  pool: Pool,
  options: { now: Date; retailerAccount: string; catchUpDays: number },
): Promise<ProducedFile[]> {
  const produced: ProducedFile[] = [];
  for (const chart of await chartsWithRules(pool)) {
    const timeZone = await chartTimeZone(pool, chart, options.now);
    if (!timeZone) continue;
    const last = lastClosedBusinessDay(options.now, timeZone);
    const first = addDays(last, 1 - options.catchUpDays);
    const done = await producedDays(pool, chart, first, last);
    for (let day = first; day <= last; day = addDays(day, 1)) {
      if (day !== last && done.has(day)) continue;
      produced.push(await produceOneChartFile(pool, chart, day, options.retailerAccount));
    }
  }
  return produced;
}
