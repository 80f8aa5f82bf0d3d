import { createHash } from 'node:crypto';
import type pg from 'pg';

const HEADER =
  'retailer_account,business_date,record_type,upc,isrc,zip,country,quantity,net_price,currency,sold_at,counted_at,order_id,order_line_id,unit_index';

/**
 * Stores a day's chart file as geo-reporting's chart job does (its chartCsv columns, CRLF, one row in
 * report_file): the day's eligible sale lines of every account, as the database holds them now.
 */
export async function seedChartFile(pool: pg.Pool, chart: string, day: string, retailer = 'SINGLE-TEST') {
  const { rows } = await pool.query<{ line: string }>(
    `SELECT concat_ws(',', $3::text, to_char(business_date, 'YYYY-MM-DD'), CASE kind WHEN 'sale' THEN 'S' ELSE 'R' END,
              coalesce(upc, ''), CASE WHEN upc IS NULL THEN coalesce(isrc, '') ELSE '' END, coalesce(zip, ''),
              coalesce(country, ''), quantity, to_char(net_price, 'FM999999990.00'), currency,
              to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
              coalesce(to_char(counted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), ''),
              order_id, order_line_id, unit_index) AS line
     FROM sale_line WHERE chart = $1 AND business_date = $2::date AND eligibility = 'eligible'
     ORDER BY counted_at NULLS FIRST, order_id, order_line_id, unit_index, kind`,
    [chart, day, retailer],
  );
  const content = Buffer.from(`${[HEADER, ...rows.map((r) => r.line)].join('\r\n')}\r\n`, 'utf8');
  const sha256 = createHash('sha256').update(content).digest('hex');
  const stored = await pool.query<{ id: string }>(
    'INSERT INTO report_file (chart, business_date, sha256, content) VALUES ($1, $2::date, $3, $4) RETURNING id::text',
    [chart, day, sha256, content],
  );
  return { id: stored.rows[0]!.id, content, sha256 };
}
