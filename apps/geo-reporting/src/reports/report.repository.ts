import type { Pool } from 'pg';
import { chartCsv, sha256 } from '../charts/chart-csv.ts';
import { chartRuleSets, saleLinesOfDay } from '../sales/sales.repository.ts';

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

/** Builds a day's file from the eligible units and keeps each distinct version in report_file. */
export async function chartFile(pool: Pool, chart: string, date: string, retailerAccount: string): Promise<ChartFile> {
  const rows = await saleLinesOfDay(pool, chart, date);
  const content = chartCsv(rows, { retailerAccount, businessDate: date });
  const digest = sha256(content);
  await pool.query(
    `INSERT INTO report_file (chart, business_date, sha256, content) VALUES ($1, $2::date, $3, $4)
     ON CONFLICT (chart, business_date, sha256) DO NOTHING`,
    [chart, date, digest, content],
  );
  return { content, sha256: digest, lines: rows.length };
}

/** The chart's time zone from its current rules; undefined for a chart without rules. */
export async function chartTimeZone(pool: Pool, chart: string, at: Date): Promise<string | undefined> {
  const sets = await chartRuleSets(pool, chart);
  const current = sets
    .filter((s) => s.effectiveFrom <= at)
    .sort((a, b) => b.effectiveFrom.getTime() - a.effectiveFrom.getTime())[0];
  return current?.rules.timeZone;
}
