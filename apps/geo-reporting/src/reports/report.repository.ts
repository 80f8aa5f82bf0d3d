import { chartCsv, sha256 } from '../charts/chart-csv.ts';
import { chartRuleSets, saleLinesOfDay } from '../sales/sales.repository.ts';
import { amountText, calendarDay, type DbClient, dateColumn } from '../support/db.ts';

export const ROLLUP_LEVELS = ['country', 'region', 'postal'] as const;
export type RollupLevel = (typeof ROLLUP_LEVELS)[number];

export interface RegionRow {
  /** Country code, ISO 3166-2 style region (US-WA) or country-prefixed postal code (US-98354); null = unknown. */
  code: string | null;
  currency: string;
  units: number;
  netAmount: string;
}

export async function regionReport(
  db: DbClient,
  query: { releaseId: string; from: string; to: string; level: RollupLevel },
): Promise<RegionRow[]> {
  const groups = await db.regionalRollup.groupBy({
    by: ['code', 'currency'],
    where: {
      releaseId: query.releaseId,
      level: query.level,
      day: { gte: dateColumn(query.from), lte: dateColumn(query.to) },
    },
    _sum: { units: true, netAmount: true },
    having: { OR: [{ units: { _sum: { not: 0 } } }, { netAmount: { _sum: { not: 0 } } }] },
    orderBy: [{ _sum: { units: 'desc' } }, { code: 'asc' }, { currency: 'asc' }],
  });
  return groups.map((g) => ({
    code: g.code === '' ? null : g.code,
    currency: g.currency,
    units: g._sum.units ?? 0,
    // A sum of amounts exact in the currency stays exact in it: printed with its digits, as the rows hold them.
    netAmount: g._sum.netAmount === null ? '0' : amountText(g._sum.netAmount, g.currency),
  }));
}

export interface ChartFile {
  content: Buffer;
  sha256: string;
  lines: number;
}

/** Builds a day's file from the eligible units, reading only: the preview, and what produceChartFile stores. */
export async function buildChartFile(
  db: DbClient,
  chart: string,
  date: string,
  retailerAccount: string,
): Promise<ChartFile> {
  const rows = await saleLinesOfDay(db, chart, date);
  const content = chartCsv(rows, { retailerAccount, businessDate: date });
  return { content, sha256: sha256(content), lines: rows.length };
}

/**
 * Builds a day's file and keeps it in report_file, once per distinct content: a day regenerated with no change
 * has the same bytes and sha256, so it adds no row (`stored: false`). Only the scheduled job
 * (produce-chart-files.ts) and POST /v1/reports/chart-files (cmdr reports produce) call this; GET never writes.
 */
export async function produceChartFile(
  db: DbClient,
  chart: string,
  date: string,
  retailerAccount: string,
): Promise<ChartFile & { stored: boolean }> {
  const file = await buildChartFile(db, chart, date, retailerAccount);
  // skipDuplicates is ON CONFLICT DO NOTHING: the same bytes of the same day add no row.
  const { count } = await db.reportFile.createMany({
    data: [{ chart, businessDate: dateColumn(date), sha256: file.sha256, content: new Uint8Array(file.content) }],
    skipDuplicates: true,
  });
  return { ...file, stored: count === 1 };
}

/** The day's file as last produced; undefined when the job has not produced it yet. */
export async function producedChartFile(
  db: DbClient,
  chart: string,
  date: string,
): Promise<{ content: Buffer; sha256: string; producedAt: Date } | undefined> {
  const row = await db.reportFile.findFirst({
    where: { chart, businessDate: dateColumn(date) },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    select: { content: true, sha256: true, createdAt: true },
  });
  return row ? { content: Buffer.from(row.content), sha256: row.sha256, producedAt: row.createdAt } : undefined;
}

/** The business days of `chart` from `from` to `to` that already have a file. */
export async function producedDays(db: DbClient, chart: string, from: string, to: string): Promise<Set<string>> {
  const days = await db.reportFile.groupBy({
    by: ['businessDate'],
    where: { chart, businessDate: { gte: dateColumn(from), lte: dateColumn(to) } },
  });
  return new Set(days.map((d) => calendarDay(d.businessDate)));
}

/** Every chart that has rules (the charts the job produces files for). */
export async function chartsWithRules(db: DbClient): Promise<string[]> {
  const charts = await db.chartRuleSet.groupBy({ by: ['chart'], orderBy: { chart: 'asc' } });
  return charts.map((r) => r.chart);
}

/** The chart's time zone from its current rules; undefined for a chart without rules. */
export async function chartTimeZone(db: DbClient, chart: string, at: Date): Promise<string | undefined> {
  const sets = await chartRuleSets(db, chart);
  const current = sets
    .filter((s) => s.effectiveFrom <= at)
    .sort((a, b) => b.effectiveFrom.getTime() - a.effectiveFrom.getTime())[0];
  return current?.rules.timeZone;
}
