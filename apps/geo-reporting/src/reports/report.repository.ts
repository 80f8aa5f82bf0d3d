import type { Pool } from 'pg';
import { chartCsv, sha256 } from '../charts/chart-csv.ts';
import { chartRuleSets, type Queryable, saleLinesOfDay } from '../sales/sales.repository.ts';

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
  pool: Pool,
  query: { releaseId: string; from: string; to: string; level: RollupLevel },
): Promise<RegionRow[]> {
  const { rows } = await pool.query(
    `SELECT code, currency, sum(units)::int AS units, sum(net_amount)::text AS net_amount
       FROM regional_rollup
      WHERE release_id = $1::uuid AND level = $2::geo_precision AND day BETWEEN $3::date AND $4::date
      GROUP BY code, currency
     HAVING sum(units) <> 0 OR sum(net_amount) <> 0
      ORDER BY units DESC, code, currency`,
    [query.releaseId, query.level, query.from, query.to],
  );
  return rows.map((r) => ({
    code: r.code === '' ? null : r.code,
    currency: r.currency,
    units: r.units,
    netAmount: r.net_amount,
  }));
}

export interface ChartFile {
  content: Buffer;
  sha256: string;
  lines: number;
}

/** Builds a day's file from the eligible units, reading only: the preview, and what produceChartFile stores. */
export async function buildChartFile(
  db: Queryable,
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
  pool: Pool,
  chart: string,
  date: string,
  retailerAccount: string,
): Promise<ChartFile & { stored: boolean }> {
  const file = await buildChartFile(pool, chart, date, retailerAccount);
  const { rowCount } = await pool.query(
    `INSERT INTO report_file (chart, business_date, sha256, content) VALUES ($1, $2::date, $3, $4)
     ON CONFLICT (chart, business_date, sha256) DO NOTHING`,
    [chart, date, file.sha256, file.content],
  );
  return { ...file, stored: rowCount === 1 };
}

/** The day's file as last produced; undefined when the job has not produced it yet. */
export async function producedChartFile(
  pool: Pool,
  chart: string,
  date: string,
): Promise<{ content: Buffer; sha256: string; producedAt: Date } | undefined> {
  const { rows } = await pool.query<{ content: Buffer; sha256: string; created_at: Date }>(
    `SELECT content, sha256, created_at FROM report_file WHERE chart = $1 AND business_date = $2::date
      ORDER BY created_at DESC, id DESC LIMIT 1`,
    [chart, date],
  );
  const row = rows[0];
  return row && { content: row.content, sha256: row.sha256, producedAt: row.created_at };
}

/** The business days of `chart` from `from` to `to` that already have a file. */
export async function producedDays(pool: Pool, chart: string, from: string, to: string): Promise<Set<string>> {
  const { rows } = await pool.query<{ day: string }>(
    `SELECT DISTINCT to_char(business_date, 'YYYY-MM-DD') AS day FROM report_file
      WHERE chart = $1 AND business_date BETWEEN $2::date AND $3::date`,
    [chart, from, to],
  );
  return new Set(rows.map((r) => r.day));
}

/** Every chart that has rules (the charts the job produces files for). */
export async function chartsWithRules(pool: Pool): Promise<string[]> {
  const { rows } = await pool.query<{ chart: string }>('SELECT DISTINCT chart FROM chart_rule_set ORDER BY chart');
  return rows.map((r) => r.chart);
}

/** The chart's time zone from its current rules; undefined for a chart without rules. */
export async function chartTimeZone(pool: Pool, chart: string, at: Date): Promise<string | undefined> {
  const sets = await chartRuleSets(pool, chart);
  const current = sets
    .filter((s) => s.effectiveFrom <= at)
    .sort((a, b) => b.effectiveFrom.getTime() - a.effectiveFrom.getTime())[0];
  return current?.rules.timeZone;
}
