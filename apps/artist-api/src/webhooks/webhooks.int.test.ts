import { EVENTS_EXCHANGE } from '@single/contracts';
import { type Messaging, PermanentError } from '@single/messaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkQueueMessaging, type Harness, startHarness } from '../test-support/harness.ts';
import { seedAccount, seedDelivery, seedKey, seedShop } from '../test-support/seed.ts';

describe('webhook deliveries and dead letters', () => {
  let h: Harness;
  let messaging: Messaging;
  let account: Awaited<ReturnType<typeof seedAccount>>;
  const handled: string[] = [];
  let failing = true;

  beforeAll(async () => {
    messaging = createWorkQueueMessaging();
    h = await startHarness({ messaging, deadLetterQueues: ['work.dlq'] });
    account = await seedAccount(h.pool, 'Hooks');
    await seedShop(h.pool, account.accountId, 'hooks.myshopify.com');
    await messaging.consume('work', (m) => {
      if (failing) throw new PermanentError('handler bug');
      handled.push(m.body.toString());
    });
  });
  afterAll(async () => {
    await h?.close();
    await messaging?.close();
  });

  it('lists deliveries newest first and replays one through the dispatcher outbox', async () => {
    const older = await seedDelivery(h.pool, 'hooks.myshopify.com');
    const newer = await seedDelivery(h.pool, 'hooks.myshopify.com');
    const list = await h.api.app.inject({ url: '/v1/webhook-deliveries?limit=1', headers: account.auth });
    expect(list.json().items.map((d: { id: string }) => d.id)).toEqual([newer]);
    const next = await h.api.app.inject({
      url: `/v1/webhook-deliveries?limit=1&cursor=${list.json().nextCursor}`,
      headers: account.auth,
    });
    expect(next.json().items.map((d: { id: string }) => d.id)).toEqual([older]);

    const detail = await h.api.app.inject({ url: `/v1/webhook-deliveries/${older}`, headers: account.auth });
    expect(detail.json()).toMatchObject({
      id: older,
      topic: 'orders/paid',
      replayable: true,
      pendingPublishes: 0,
      payload: { name: '#1001' },
    });

    const replay = await h.api.app.inject({
      method: 'POST',
      url: `/v1/webhook-deliveries/${older}/replay`,
      headers: account.auth,
    });
    expect(replay.statusCode).toBe(202);
    expect(replay.json().requestedBy).toBe(`api-key:${account.keyId}`);
    const { rows } = await h.pool.query('SELECT delivery_id::text, lane, replay_requested_by FROM dispatch_outbox');
    expect(rows).toEqual([{ delivery_id: older, lane: 'orders', replay_requested_by: `api-key:${account.keyId}` }]);
    expect(
      (await h.api.app.inject({ url: `/v1/webhook-deliveries/${older}`, headers: account.auth })).json()
        .pendingPublishes,
    ).toBe(1);
  });

  it('refuses to replay a delivery whose payload was purged', async () => {
    const purged = await seedDelivery(h.pool, 'hooks.myshopify.com', { payload: false });
    const res = await h.api.app.inject({
      method: 'POST',
      url: `/v1/webhook-deliveries/${purged}/replay`,
      headers: account.auth,
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('payload_expired');
  });

  it("lists the account's dead letters and lets an ops key redrive them", async () => {
    for (const shopDomain of ['hooks.myshopify.com', 'stranger.myshopify.com']) {
      await messaging.publish(
        EVENTS_EXCHANGE,
        'shopify.orders.paid',
        Buffer.from(JSON.stringify({ shopDomain, topic: 'orders/paid', webhookId: `w-${shopDomain}` })),
      );
    }
    const deadline = Date.now() + 5_000;
    while ((await messaging.inspectQueue('work.dlq')).messageCount < 2) {
      if (Date.now() > deadline) throw new Error('not dead-lettered');
      await new Promise((r) => setTimeout(r, 20));
    }
    const mine = await h.api.app.inject({ url: '/v1/dead-letters', headers: account.auth });
    expect(mine.json().items).toEqual([
      expect.objectContaining({
        queue: 'work.dlq',
        shopDomain: 'hooks.myshopify.com',
        originalQueue: 'work',
        reason: 'permanent',
        errorMessage: 'handler bug',
      }),
    ]);
    const ops = await seedKey(h.pool, account.accountId, ['read', 'write', 'ops']);
    expect((await h.api.app.inject({ url: '/v1/dead-letters', headers: ops.auth })).json().items).toHaveLength(2);

    failing = false;
    const redrive = await h.api.app.inject({
      method: 'POST',
      url: '/v1/dead-letters/redrive',
      headers: ops.auth,
      payload: { queue: 'work.dlq' },
    });
    expect(redrive.json()).toEqual({ queue: 'work.dlq', redriven: 2, skipped: 0 });
    const until = Date.now() + 5_000;
    while (handled.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(handled).toHaveLength(2);
    expect((await messaging.inspectQueue('work.dlq')).messageCount).toBe(0);
  });
});
