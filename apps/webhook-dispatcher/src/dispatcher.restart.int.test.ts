import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, signedRequest, startHarness, uniqueOrderBody } from './test-support/harness.ts';
import { eventually, server } from './test-support/servers.ts';

let h: Harness | undefined;
afterEach(async () => {
  await server('start', 'rabbitmq');
  await server('start', 'redis');
  await h?.close();
});

describe('with servers stopped', () => {
  it('RabbitMQ stopped: every webhook answered 200 from the outbox, each published exactly once after it returns', async () => {
    // Quorum queues elect their leaders after a restart: confirms can take seconds, and a publish given up
    // too early would be published again (consumers would absorb it by messageId, but this test wants none).
    h = await startHarness({ publishTimeoutMs: 15_000 });
    await h.relay.start();
    await server('stop', 'rabbitmq');
    const requests = Array.from({ length: 100 }, (_, i) => signedRequest('orders/paid', uniqueOrderBody(i)));
    const answers = await Promise.all([...requests, ...requests.slice(0, 20)].map((r) => h!.dispatcher.app.inject(r)));
    expect(answers.every((a) => a.statusCode === 200)).toBe(true);
    expect(answers.filter((a) => a.json().status === 'accepted')).toHaveLength(100);
    expect(await h.count('SELECT count(*) AS n FROM dispatch_outbox')).toBe(100);
    expect(h.received).toHaveLength(0);

    await server('start', 'rabbitmq');
    await eventually(async () => (await h!.count('SELECT count(*) AS n FROM dispatch_outbox')) === 0, 60_000);
    await eventually(() => h!.received.length >= 100, 30_000);
    await new Promise((r) => setTimeout(r, 500)); // a duplicate would arrive by now
    const ids = h.received.map((m) => m.messageId);
    expect(new Set(ids).size).toBe(100);
    expect(ids).toHaveLength(100);
    expect(new Set(ids)).toEqual(new Set(requests.map((r) => r.headers['x-shopify-webhook-id'])));
    expect(await h.count("SELECT count(*) AS n FROM webhook_delivery WHERE status = 'published'")).toBe(100);
  });

  it('Redis stopped: dedupe stays exact', async () => {
    h = await startHarness();
    const request = signedRequest('orders/paid', uniqueOrderBody(7));
    await server('stop', 'redis');
    expect((await h.dispatcher.app.inject(request)).json()).toEqual({ status: 'accepted' });
    expect((await h.dispatcher.app.inject(request)).json()).toEqual({ status: 'duplicate' });
    expect((await h.dispatcher.app.inject(signedRequest('orders/updated', uniqueOrderBody(7)))).json()).toEqual({
      status: 'duplicate',
    });
    await server('start', 'redis');
    await eventually(() => h!.cache.health(), 10_000);
    expect((await h.dispatcher.app.inject(request)).json()).toEqual({ status: 'duplicate' });
    expect(await h.count('SELECT count(*) AS n FROM webhook_delivery')).toBe(1);
  });
});
