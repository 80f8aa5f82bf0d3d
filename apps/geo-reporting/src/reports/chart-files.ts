import { addDays, lastClosedBusinessDay, type ProducedChartFile } from '@single/contracts';
import type { DbClient } from '../support/db.ts';
import { chartsWithRules, chartTimeZone, produceChartFile, producedDays } from './report.repository.ts';

export type ProducedFile = ProducedChartFile;

export { chartFileReadyAt } from '@single/contracts';

/** Stores one day's file and says what was produced: for the job below and for POST /v1/reports/chart-files. */
export async function produceOneChartFile(
  db: DbClient,
  chart: string,
  date: string,
  retailerAccount: string,
): Promise<ProducedFile> {
  const file = await produceChartFile(db, chart, date, retailerAccount);
  return { chart, date, sha256: file.sha256, bytes: file.content.length, lines: file.lines, stored: file.stored };
}

/**
 * What the scheduled job does (produce-chart-files.ts, the chart's CronJob after New York midnight): for every
 * chart with rules, the file of the business day that just closed in the chart's zone, and of each of the
 * `catchUpDays` days before it that has none yet (a run that was missed). Rerunning it is harmless: an
 * unchanged day gives the same bytes and adds no row.
 */
export async function produceDueChartFiles(
  db: DbClient,
  options: { now: Date; retailerAccount: string; catchUpDays: number },
): Promise<ProducedFile[]> {
  const produced: ProducedFile[] = [];
  for (const chart of await chartsWithRules(db)) {
    const timeZone = await chartTimeZone(db, chart, options.now);
    if (!timeZone) continue;
    const last = lastClosedBusinessDay(options.now, timeZone);
    const first = addDays(last, 1 - options.catchUpDays);
    const done = await producedDays(db, chart, first, last);
    for (let day = first; day <= last; day = addDays(day, 1)) {
      if (day !== last && done.has(day)) continue;
      produced.push(await produceOneChartFile(db, chart, day, options.retailerAccount));
    }
  }
  return produced;
}
