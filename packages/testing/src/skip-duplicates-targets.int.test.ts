import { describe, expect, it } from 'vitest';
import { useTestDatabase } from './postgres.ts';

// Prisma's `createMany({ skipDuplicates: true })` sends `ON CONFLICT DO NOTHING` with no conflict target: it
// swallows a conflict on any unique index. The statements it replaced named one target (issue 16: ON CONFLICT
// semantics unchanged). They are the same only while each table has that one unique key (its primary key, or a
// unique index beside a generated id). A new unique index on one of these tables fails here, so whoever adds it decides what a conflict on it
// should do (name the target in typed SQL) rather than have it silently skip rows.
const ONE_UNIQUE_KEY: Record<string, string[]> = {
  refund_line: ['shop_domain', 'shopify_refund_id', 'shopify_line_id'],
  redacted_order: ['shop_domain', 'shopify_order_id'],
  redacted_email: ['shop_domain', 'email_hash'],
  redacted_customer: ['shop_domain', 'customer_id'],
  data_request_export: ['shop_domain', 'data_request_id'],
  located_sale: ['event_id'],
  chart_fan_key: ['chart', 'product', 'fan_key', 'sale_line_id'],
  report_file: ['chart', 'business_date', 'sha256'],
};

describe('tables written with createMany + skipDuplicates', () => {
  const database = useTestDatabase({ scope: 'all' });

  it.each(Object.entries(ONE_UNIQUE_KEY))('%s has exactly one unique key but a generated id', async (table, key) => {
    const uniques = await database().db.$queryRaw<{ columns: string[]; primary: boolean }[]>`
      SELECT array_agg(a.attname::text ORDER BY k.ord) AS columns, i.indisprimary AS primary
        FROM pg_index i
        JOIN pg_class t ON t.oid = i.indrelid AND t.relname = ${table}
        JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = current_schema()
        CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
       WHERE i.indisunique
       GROUP BY i.indexrelid, i.indisprimary`;
    // A primary key on the generated `id` alone never conflicts on insert; every other unique index can.
    const canConflict = uniques.filter((u) => !(u.primary && u.columns.length === 1 && u.columns[0] === 'id'));
    expect(canConflict.map((u) => u.columns)).toEqual([key]);
  });
});
