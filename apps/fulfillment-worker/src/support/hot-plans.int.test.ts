import { createServicePool } from '@single/db/pool';
import { useTestDatabase } from '@single/testing';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAIM_EMAILS } from '../email/mailer.ts';
import { SELECT_EVENT_ORDERS } from '../sales/fan-sealing.ts';
import { SELECT_UNPUBLISHED } from '../sales/sales-relay.ts';
import { CLAIM_FULFILLMENTS } from '../shopify-admin/fulfillment-sender.ts';

// The worker's per-round statements planned on a release-day backlog (20,000 rows waiting among 60,000 done,
// statistics fresh): each must reach its rows through an index, in the order it takes them, never by
// sorting the backlog or scanning the table. bench/fulfillment at 50,000 orders went from 578 to 1,277
// orders/s when these plans (and JIT off) replaced the sorts and scans they had (auto_explain).
const WAITING = 20_000;
const DONE = 60_000;
const SHOP = 'plans.myshopify.com';

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

describe('the worker plans its hot statements on indexes, whatever the backlog', () => {
  const database = useTestDatabase({ scope: 'all' });
  let pool: pg.Pool;

  beforeAll(async () => {
    pool = createServicePool({ connectionString: database().url, max: 2 }, () => undefined);
    await pool.query(`INSERT INTO shop (domain, updated_at) VALUES ('${SHOP}', now())`);
    await pool.query(
      `INSERT INTO orders (shop_domain, shopify_order_id, name, financial_status, currency, shopify_updated_at, updated_at)
       SELECT '${SHOP}', 9000000000 + i, '#P' || i, 'paid', 'USD', now(), now() FROM generate_series(1, $1::int) AS i`,
      [WAITING + DONE],
    );
    const order = (await pool.query<{ id: string }>('SELECT id FROM orders LIMIT 1')).rows[0]!.id;
    await pool.query(
      `INSERT INTO email_message (idempotency_key, "to", kind, payload, status, next_attempt_at, created_at)
       SELECT 'plan-' || i, 'fan@example.com', 'download', '{}',
              (CASE WHEN i <= $1 THEN 'pending' ELSE 'sent' END)::email_status, now() - interval '1 minute', now()
       FROM generate_series(1, $2::int) AS i`,
      [WAITING, WAITING + DONE],
    );
    await pool.query(
      `INSERT INTO fulfillment (order_id, idempotency_key, line_item_ids, status, next_attempt_at, created_at, updated_at)
       SELECT $3::uuid, 'plan-' || i, ARRAY[i]::bigint[],
              (CASE WHEN i <= $1 THEN 'pending' ELSE 'created' END)::fulfillment_status, now() - interval '1 minute',
              now(), now()
       FROM generate_series(1, $2::int) AS i`,
      [WAITING, WAITING + DONE, order],
    );
    await pool.query(
      `INSERT INTO sales_outbox (event_id, topic, key, payload, published_at)
       SELECT gen_random_uuid(), 'sales.v1', 'k' || i, '{}', CASE WHEN i > $1 THEN now() END
       FROM generate_series(1, $2::int) AS i`,
      [WAITING, WAITING + DONE],
    );
    await pool.query('ANALYZE');
  }, 120_000);

  afterAll(async () => {
    await pool?.end();
  });

  async function plan(sql: string, values: unknown[]): Promise<PlanNode[]> {
    const { rows } = await pool.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (FORMAT JSON) ${sql}`, values);
    return nodes(rows[0]!['QUERY PLAN'][0].Plan);
  }

  const now = () => new Date();
  const lease = () => new Date(Date.now() + 120_000);

  it.each([
    ['the sales relay claim', SELECT_UNPUBLISHED, () => [500], 'sales_outbox_unpublished_id_idx'],
    ['the mailer claim', CLAIM_EMAILS, () => [now(), lease(), 50], 'email_message_due_idx'],
    ['the Shopify fulfilment claim', CLAIM_FULFILLMENTS, () => [now(), lease(), 20], 'fulfillment_due_idx'],
  ])('%s reads its partial index in order: no sort, no bitmap over the backlog', async (_, sql, values, index) => {
    const used = await plan(sql, values());
    expect(used.map((n) => n['Index Name'])).toContain(index);
    expect(used.map((n) => n['Node Type'])).not.toContain('Sort');
    expect(used.map((n) => n['Node Type'])).not.toContain('Bitmap Heap Scan');
  });

  it("the fan sealing's order lookup finds each order by its key, never by scanning orders", async () => {
    const ids = Array.from({ length: 500 }, (_, i) => String(9000000000 + i * 7 + 1));
    const used = await plan(SELECT_EVENT_ORDERS, [ids.map(() => SHOP), ids, ids]);
    expect(used.filter((n) => n['Relation Name'] === 'orders').map((n) => n['Node Type'])).not.toContain('Seq Scan');
    expect(used.filter((n) => n['Relation Name'] === 'orders').map((n) => n['Index Name'])).toContain(
      'orders_shop_domain_shopify_order_id_key',
    );
  });

  it('service connections run with JIT off (a plan past jit_above_cost compiled for 100+ ms per call)', async () => {
    const { rows } = await pool.query<{ jit: string }>('SHOW jit');
    expect(rows[0]!.jit).toBe('off');
  });
});
