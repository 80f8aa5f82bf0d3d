import { type AccountDb, Prisma, type SaleEligibility, type SaleKind, type TenantDb } from '@single/db';
import type { Pool } from 'pg';
import { isUuid } from '../support/db.ts';

export type RollupLevel = 'country' | 'region' | 'postal';

export interface Amount {
  currency: string;
  netAmount: string;
}

export interface SummaryRow {
  key: string | null;
  currency: string;
  units: number;
  netAmount: string;
}

/**
 * Sales figures read from geo-reporting's tables (read-only): regional_rollup for units and amounts
 * (every located sale adds to its country row, '' when unknown, so the country level holds the totals),
 * sale_line for "sold vs reported". Everything is restricted to the account's releases.
 */
export class SalesRepository {
  readonly #pool: Pool;
  readonly #db: TenantDb;
  constructor(pool: Pool, db: TenantDb) {
    this.#pool = pool;
    this.#db = db;
  }

  /**
   * Hot path (every sales route; the summary is measured by bench/artist-api): kept on pg, as the summary is.
   * Through Prisma it cost the summary 2.5 times its latency under load (ARCHITECTURE.md, "Artist API on Prisma").
   */
  async ownsRelease(accountId: string, releaseId: string): Promise<boolean> {
    if (!isUuid(releaseId)) return false;
    const { rowCount } = await this.#pool.query(
      'SELECT 1 FROM release r JOIN artist a ON a.id = r.artist_id WHERE a.account_id = $1 AND r.id = $2',
      [accountId, releaseId],
    );
    return rowCount === 1;
  }

  /**
   * The chart's time zone from its rules in force at `at` (the app's clock, not the database's), or
   * undefined when the chart has none then: an unknown chart, as geo-reporting answers it (404).
   */
  async chartTimeZone(chart: string, at: Date): Promise<string | undefined> {
    // The rules belong to geo-reporting and to no account (read-only here).
    const rules = await this.#db.chartRuleSet.findFirst({
      where: { chart, effectiveFrom: { lte: at } },
      orderBy: { effectiveFrom: 'desc' },
      select: { rules: true },
    });
    if (!rules) return undefined;
    const zone = (rules.rules as { timeZone?: unknown } | null)?.timeZone;
    const tz = typeof zone === 'string' ? zone : null;
    // Rules without a usable zone: the charts' business days are New York's (DOMAIN.md).
    return tz && isTimeZone(tz) ? tz : 'America/New_York';
  }

  /**
   * Units and net amounts per period (day or chart week starting Friday) and per place at `level`. Hot path
   * (bench/artist-api, sales summary): pg with its typed rows; the same statements as $queryRaw measured
   * slower than the 10 % allowed (ARCHITECTURE.md).
   */
  async summary(
    scope: { accountId: string; releaseId?: string | undefined },
    q: { from: string; to: string; groupBy: 'day' | 'chart_week'; level: RollupLevel },
  ) {
    const releases = scope.releaseId
      ? 'rr.release_id = $1::uuid'
      : 'rr.release_id IN (SELECT r.id FROM release r JOIN artist a ON a.id = r.artist_id WHERE a.account_id = $1::uuid)';
    const period =
      q.groupBy === 'day'
        ? `to_char(rr.day, 'YYYY-MM-DD')`
        : // Friday-start weeks: shift by the days since the last Friday (ISO dow: Friday = 5).
          `to_char(rr.day - ((extract(isodow FROM rr.day)::int - 5 + 7) % 7), 'YYYY-MM-DD')`;
    const params = [scope.releaseId ?? scope.accountId, q.from, q.to];
    const [periods, places] = await Promise.all([
      this.#pool.query<SummaryRow>(
        `SELECT ${period} AS key, rr.currency, sum(rr.units)::int AS units, sum(rr.net_amount)::text AS "netAmount"
         FROM regional_rollup rr WHERE ${releases} AND rr.level = 'country' AND rr.day BETWEEN $2::date AND $3::date
         GROUP BY 1, 2 ORDER BY 1, 2`,
        params,
      ),
      this.#pool.query<SummaryRow>(
        `SELECT nullif(rr.code, '') AS key, rr.currency, sum(rr.units)::int AS units, sum(rr.net_amount)::text AS "netAmount"
         FROM regional_rollup rr WHERE ${releases} AND rr.level = $4::geo_precision AND rr.day BETWEEN $2::date AND $3::date
         GROUP BY 1, 2 HAVING sum(rr.units) <> 0 ORDER BY 1 NULLS LAST, 2`,
        [...params, q.level],
      ),
    ]);
    return { periods: group(periods.rows), territories: group(places.rows) };
  }

  /** Of the units sold for a chart in the period: reported, excluded (by reason), pending, and returns. */
  async soldVsReported(
    db: AccountDb,
    scope: { accountId: string; releaseId?: string | undefined },
    q: { chart: string; from: string; to: string; timeZone: string },
  ) {
    const rows = await db.$queryRaw<
      { kind: SaleKind; eligibility: SaleEligibility; reason: string | null; units: number }[]
    >`
      SELECT sl.kind::text, sl.eligibility::text, sl.reason_code AS reason, sum(sl.quantity)::int AS units
      FROM sale_line sl
      WHERE ${saleReleases(scope)} AND sl.chart = ${q.chart}
        AND sl.occurred_at >= (${q.from}::date::timestamp AT TIME ZONE ${q.timeZone}::text)
        AND sl.occurred_at < ((${q.to}::date + 1)::timestamp AT TIME ZONE ${q.timeZone}::text)
      GROUP BY 1, 2, 3`;
    const sales = rows.filter((r) => r.kind === 'sale');
    const sum = (list: typeof rows) => list.reduce((n, r) => n + r.units, 0);
    const byReason = (eligibility: 'excluded' | 'pending') => {
      const reasons = new Map<string, number>();
      for (const r of sales.filter((s) => s.eligibility === eligibility)) {
        const reason = r.reason ?? 'unspecified';
        reasons.set(reason, (reasons.get(reason) ?? 0) + r.units);
      }
      return [...reasons]
        .map(([reasonCode, units]) => ({ reasonCode, units }))
        .sort((a, b) => b.units - a.units || a.reasonCode.localeCompare(b.reasonCode));
    };
    return {
      sold: sum(sales),
      reported: sum(sales.filter((r) => r.eligibility === 'eligible')),
      pending: sum(sales.filter((r) => r.eligibility === 'pending')),
      // Why units wait: not_redeemed, no_rules, or upc_under_review (held for ownership review of the UPC).
      pendingByReason: byReason('pending'),
      excluded: byReason('excluded'),
      returns: {
        total: sum(rows.filter((r) => r.kind === 'return')),
        reported: sum(rows.filter((r) => r.kind === 'return' && r.eligibility === 'eligible')),
      },
    };
  }

  /** The account's reported units of a chart, business day by business day (the dashboard's chart file). */
  async chartLines(
    db: AccountDb,
    scope: { accountId: string; releaseId?: string | undefined },
    q: { chart: string; from: string; to: string },
  ) {
    return db.$queryRaw<Record<string, string | number | null>[]>`
      SELECT to_char(sl.business_date, 'YYYY-MM-DD') AS business_date, sl.kind::text, coalesce(sl.upc, '') AS upc, coalesce(sl.isrc, '') AS isrc,
             coalesce(sl.country, '') AS country, coalesce(sl.zip, '') AS zip, sl.currency, sl.net_price::text AS net_price,
             sum(sl.quantity)::int AS units
      FROM sale_line sl
      WHERE ${saleReleases(scope)} AND sl.chart = ${q.chart} AND sl.eligibility = 'eligible'
        AND sl.business_date BETWEEN ${q.from}::date AND ${q.to}::date
      GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8`;
  }
}

/** The sale lines of the scope: one release (already checked to be the account's) or every release of the account. */
const saleReleases = (scope: { accountId: string; releaseId?: string | undefined }) =>
  scope.releaseId
    ? Prisma.sql`sl.release_id = ${scope.releaseId}::uuid`
    : Prisma.sql`sl.release_id IN (SELECT r.id FROM release r JOIN artist a ON a.id = r.artist_id WHERE a.account_id = ${scope.accountId}::uuid)`;

/** Rows per (key, currency) folded into one entry per key with its amounts per currency. */
function group(rows: SummaryRow[]) {
  const byKey = new Map<string | null, { key: string | null; units: number; amounts: Amount[] }>();
  for (const r of rows) {
    const entry = byKey.get(r.key) ?? { key: r.key, units: 0, amounts: [] };
    entry.units += r.units;
    entry.amounts.push({ currency: r.currency, netAmount: r.netAmount });
    byKey.set(r.key, entry);
  }
  return [...byKey.values()];
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
