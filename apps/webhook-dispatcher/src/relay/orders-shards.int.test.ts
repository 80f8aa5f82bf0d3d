import { silentLogger } from '@single/logger';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixture, type Harness, signedRequest, startHarness } from '../test-support/harness.ts';
import { OutboxRelay } from './outbox-relay.ts';

// docs/CAPACITY.md section 4: one orders-lane relay moves 1,000-8,000 deliveries/s, the spike needs 22,000, so the
// lane is sharded by order (ORDERS_RELAY_LANES): each shard its own advisory lock, the shards spread over the
// replicas, one order's deliveries in one shard and in order. Real PostgreSQL and RabbitMQ; two relays play two
// replicas, each on its own pool as each replica has.

async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** One order's snapshot as a distinct body: same order id, its own updated_at. */
function orderBody(orderId: number, second: number): Buffer {
  const order = JSON.parse(fixture('orders-paid').toString());
  order.id = orderId;
  order.admin_graphql_api_id = `gid://shopify/Order/${orderId}`;
  order.updated_at = new Date(Date.UTC(2026, 10, 20, 0, 0, second)).toISOString();
  return Buffer.from(JSON.stringify(order));
}

let h: Harness;
const pools: pg.Pool[] = [];
const relays: OutboxRelay[] = [];
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  for (const relay of relays.splice(0)) await relay.stop();
  for (const pool of pools.splice(0)) await pool.end();
  await h.close();
});

function replica(options: { shards: number; maxHeld?: number }): OutboxRelay {
  const pool = new pg.Pool({ connectionString: h.database.url, max: options.shards + 2 });
  pools.push(pool);
  const relay = new OutboxRelay({
    pool,
    messaging: h.messaging,
    logger: silentLogger(),
    lanes: ['privacy', 'orders'],
    ordersShards: options.shards,
    ...(options.maxHeld ? { maxHeldShards: options.maxHeld } : {}),
    idlePollMs: 100,
    takeoverMs: 5_000,
  });
  relays.push(relay);
  return relay;
}

/** Three deliveries (create, paid, updated) for each of `orders` orders; the webhook ids per order, in order. */
async function claimOrders(orders: number, first = 7_200_000_001): Promise<string[][]> {
  const perOrder: string[][] = [];
  for (let i = 0; i < orders; i++) {
    const ids: string[] = [];
    for (const [step, topic] of (['orders/create', 'orders/paid', 'orders/updated'] as const).entries()) {
      const request = signedRequest(topic, orderBody(first + i, i * 3 + step));
      expect((await h.dispatcher.app.inject(request)).statusCode).toBe(200);
      ids.push(request.headers['x-shopify-webhook-id'] as string);
    }
    perOrder.push(ids);
  }
  return perOrder;
}

const firstSeen = () => [...new Set(h.received.map((m) => m.messageId as string))];

describe('the orders lane in shards (ORDERS_RELAY_LANES)', () => {
  it('spreads the shards over two replicas, publishes every delivery, each order in order', async () => {
    const perOrder = await claimOrders(16);
    const a = replica({ shards: 4, maxHeld: 2 });
    await a.start();
    await eventually(() => a.holding().filter((l) => l.startsWith('orders.')).length === 2);
    const b = replica({ shards: 4, maxHeld: 2 });
    await b.start();
    await eventually(() => firstSeen().length === 48);
    // Each replica publishes two of the four shards (and neither waited for the other's takeover delay).
    const shardsOf = (r: OutboxRelay) => r.holding().filter((l) => l.startsWith('orders.'));
    expect(shardsOf(a)).toHaveLength(2);
    expect(shardsOf(b)).toHaveLength(2);
    expect([...shardsOf(a), ...shardsOf(b)].sort()).toEqual(['orders.0/4', 'orders.1/4', 'orders.2/4', 'orders.3/4']);
    const seen = firstSeen();
    for (const ids of perOrder) expect(seen.filter((id) => ids.includes(id))).toEqual(ids);
    // Deleted once confirmed (after the batch's last confirm).
    await eventually(async () => (await h.count('SELECT count(*) AS n FROM dispatch_outbox')) === 0);
  }, 30_000);

  it('one replica alone takes every shard after the takeover delay: no shard is left unpublished', async () => {
    await claimOrders(8);
    const alone = replica({ shards: 4, maxHeld: 1 });
    await alone.start();
    await eventually(() => firstSeen().length === 24, 20_000);
    expect(alone.holding().filter((l) => l.startsWith('orders.'))).toHaveLength(4);
  }, 30_000);

  it('waits while a relay of the whole lane runs (a replica of the previous release in a rolling deploy)', async () => {
    // The previous release's relay holds the orders lane's lock exclusively.
    const previous = await h.pool.connect();
    try {
      await previous.query('SELECT pg_advisory_lock(7013, 1)');
      await claimOrders(4);
      const sharded = replica({ shards: 4 });
      await sharded.start();
      await new Promise((r) => setTimeout(r, 1_000));
      expect(sharded.holding().filter((l) => l.startsWith('orders'))).toEqual([]);
      expect(firstSeen()).toHaveLength(0);
      await previous.query('SELECT pg_advisory_unlock(7013, 1)');
      await eventually(() => firstSeen().length === 12);
    } finally {
      previous.release();
    }
  }, 30_000);
});
