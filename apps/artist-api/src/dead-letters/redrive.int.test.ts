import { EVENTS_EXCHANGE } from '@single/contracts';
import { createAmqpMessaging, type Messaging, PermanentError } from '@single/messaging';
import { createTestVhost, type TestVhost } from '@single/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test-support/harness.ts';
import { seedAccount, seedKey, seedShop } from '../test-support/seed.ts';

// Issue 17 review: an account's own dead letters, listed whole and redriven one by one with its own key, on a real
// RabbitMQ vhost. Another account's letters come first in the queue, more of them than the old listing read (100).

const SHOP_A = 'alpha-records.myshopify.com';
const SHOP_B = 'bravo-records.myshopify.com';
const OTHERS_FIRST = 150;

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Item {
  queue: string;
  messageId: string | null;
  shopDomain: string | null;
}

describe('dead letters of one account, on RabbitMQ', () => {
  let vhost: TestVhost;
  let messaging: Messaging;
  let h: Harness;
  let a: Awaited<ReturnType<typeof seedAccount>>;
  let aWriter: Awaited<ReturnType<typeof seedKey>>;
  let aReader: Awaited<ReturnType<typeof seedKey>>;
  let b: Awaited<ReturnType<typeof seedAccount>>;
  let failing = true;
  const handled: string[] = [];

  const dlqCount = async () => (await messaging.inspectQueue('work.dlq')).messageCount;
  const list = async (auth: Record<string, string>) => {
    const res = await h.api.app.inject({ url: '/v1/dead-letters', headers: auth });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { items: Item[]; truncated: boolean };
  };
  const redrive = (auth: Record<string, string>, messageId: string, queue = 'work.dlq') =>
    h.api.app.inject({
      method: 'POST',
      url: `/v1/dead-letters/${encodeURIComponent(queue)}/${encodeURIComponent(messageId)}/redrive`,
      headers: auth,
    });

  beforeAll(async () => {
    vhost = await createTestVhost();
    messaging = createAmqpMessaging({
      url: vhost.url,
      connectionName: 'artist-api-redrive-test',
      topology: {
        exchanges: [{ name: EVENTS_EXCHANGE, type: 'topic' }],
        queues: [
          {
            name: 'work',
            bindings: [{ exchange: EVENTS_EXCHANGE, routingKey: 'shopify.#' }],
            deadLetterQueue: 'work.dlq',
          },
          { name: 'work.dlq' },
        ],
      },
    });
    await messaging.waitUntilConnected(10_000);
    h = await startHarness({ messaging, deadLetterQueues: ['work.dlq'] });
    a = await seedAccount(h.pool, 'Alpha', ['read', 'write', 'admin']);
    aWriter = await seedKey(h.pool, a.accountId, ['read', 'write']);
    aReader = await seedKey(h.pool, a.accountId, ['read']);
    b = await seedAccount(h.pool, 'Bravo', ['read', 'write', 'admin']);
    await seedShop(h.pool, a.accountId, SHOP_A);
    await seedShop(h.pool, b.accountId, SHOP_B);
    await messaging.consume('work', (m) => {
      if (failing) throw new PermanentError('handler bug');
      handled.push(m.messageId ?? '');
    });
    const letter = (shopDomain: string, id: string) =>
      messaging.publish(
        EVENTS_EXCHANGE,
        'shopify.orders.paid',
        Buffer.from(JSON.stringify({ shopDomain, topic: 'orders/paid', webhookId: id })),
        { messageId: id },
      );
    for (let n = 0; n < OTHERS_FIRST; n++) await letter(SHOP_B, `b-${n}`);
    for (const id of ['a-1', 'a-2', 'a-3']) await letter(SHOP_A, id);
    await eventually(async () => (await dlqCount()) === OTHERS_FIRST + 3, 'every message dead-lettered');
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    await messaging?.close();
    await vhost?.dispose();
  });

  it('lists every letter of the account, also those behind the first 100 of the queue', async () => {
    const mine = await list(a.auth);
    expect(mine.truncated).toBe(false);
    expect(mine.items.map((d) => d.messageId)).toEqual(['a-1', 'a-2', 'a-3']);
    expect(new Set(mine.items.map((d) => d.shopDomain))).toEqual(new Set([SHOP_A]));
    expect((await list(b.auth)).items).toHaveLength(OTHERS_FIRST);
    // A shorter read is said to be one.
    const head = await h.api.app.inject({ url: '/v1/dead-letters?scan=100', headers: a.auth });
    expect(head.json()).toEqual({ items: [], truncated: true });
    await eventually(async () => (await dlqCount()) === OTHERS_FIRST + 3, 'listed letters back in the queue');
  });

  it("refuses another account's letter with 404 and leaves it dead", async () => {
    // The consumer works from now on: a letter moved back to its queue would show in `handled`.
    failing = false;
    const refused = await redrive(b.auth, 'a-1');
    expect(refused.statusCode).toBe(404);
    expect(refused.json().code).toBe('not_found');
    expect((await redrive(b.auth, 'no-such-letter')).statusCode).toBe(404);
    expect((await redrive(a.auth, 'a-1', 'not.a.configured.dlq')).statusCode).toBe(404);
    expect((await redrive(aReader.auth, 'a-1')).statusCode).toBe(403);
    await eventually(async () => (await dlqCount()) === OTHERS_FIRST + 3, 'every letter still dead');
    expect((await list(a.auth)).items.map((d) => d.messageId)).toEqual(['a-1', 'a-2', 'a-3']);
    await new Promise((r) => setTimeout(r, 300));
    expect(handled).toEqual([]);
  });

  it('redrives a letter of the account with its admin key, and another with a write key: back on the queue', async () => {
    const byAdmin = await redrive(a.auth, 'a-1');
    expect(byAdmin.statusCode, byAdmin.body).toBe(200);
    expect(byAdmin.json()).toEqual({ queue: 'work.dlq', messageId: 'a-1', redriven: 1 });
    await eventually(async () => handled.includes('a-1'), 'a-1 handled again');
    const byWriter = await redrive(aWriter.auth, 'a-3');
    expect(byWriter.json()).toEqual({ queue: 'work.dlq', messageId: 'a-3', redriven: 1 });
    await eventually(async () => handled.includes('a-3'), 'a-3 handled again');
    expect(handled.sort()).toEqual(['a-1', 'a-3']);
    await eventually(async () => (await dlqCount()) === OTHERS_FIRST + 1, 'the others still dead');
    expect((await list(a.auth)).items.map((d) => d.messageId)).toEqual(['a-2']);
    expect((await list(b.auth)).items).toHaveLength(OTHERS_FIRST);
    // Already redriven: nothing of the account's by that id is left.
    expect((await redrive(a.auth, 'a-1')).statusCode).toBe(404);
  });

  it('keeps redriving a whole queue for ops keys only, as before', async () => {
    const whole = {
      method: 'POST' as const,
      url: '/v1/dead-letters/redrive',
      payload: { queue: 'work.dlq', limit: 1000 },
    };
    expect((await h.api.app.inject({ ...whole, headers: a.auth })).statusCode).toBe(403);
    const ops = await seedKey(h.pool, a.accountId, ['read', 'write', 'ops']);
    const res = await h.api.app.inject({ ...whole, headers: ops.auth });
    expect(res.json()).toEqual({ queue: 'work.dlq', redriven: OTHERS_FIRST + 1, skipped: 0 });
    await eventually(async () => handled.length === OTHERS_FIRST + 3, 'every letter handled');
    expect(await dlqCount()).toBe(0);
  });
});
