import { EVENTS_EXCHANGE } from '@single/contracts';
import { createAmqpMessaging, type Messaging } from '@single/messaging';
import { createTestVhost, type TestVhost } from '@single/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test-support/harness.ts';

/** The value of one series in the Prometheus text, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function eventually(check: () => Promise<void>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

// Issue 18: the artist API's GET /metrics, on a real RabbitMQ vhost: dead letters pile up in a queue nobody consumes.
describe('GET /metrics on the artist API', () => {
  let vhost: TestVhost;
  let messaging: Messaging;
  let h: Harness;

  beforeEach(async () => {
    vhost = await createTestVhost();
    messaging = createAmqpMessaging({
      url: vhost.url,
      connectionName: 'artist-api-metrics-test',
      topology: {
        exchanges: [{ name: EVENTS_EXCHANGE, type: 'topic' }],
        // Stands in for fulfillment.dlq: what reaches it stays until an operator redrives it.
        queues: [{ name: 'work.dlq', bindings: [{ exchange: EVENTS_EXCHANGE, routingKey: 'test.dead.#' }] }],
      },
    });
    await messaging.waitUntilConnected(10_000);
    h = await startHarness({ messaging, deadLetterQueues: ['work.dlq'] });
  });
  afterEach(async () => {
    await h.close();
    await messaging.close();
    await vhost.dispose();
  });

  const scrape = async () => {
    const response = await h.api.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    return response.body;
  };

  it('shows the dead letters waiting, and answers counted by route pattern, never by token', async () => {
    expect(sample(await scrape(), 'dead_letter_messages{queue="work.dlq"}')).toBe(0);
    for (let n = 0; n < 3; n++) {
      await messaging.publish(EVENTS_EXCHANGE, 'test.dead.orders', Buffer.from(`{"n":${n}}`), { messageId: `dl-${n}` });
    }
    expect((await h.api.app.inject({ url: '/d/not-a-real-token-0123456789' })).statusCode).toBeGreaterThanOrEqual(400);
    expect((await h.api.app.inject({ url: '/v1/me' })).statusCode).toBe(401);

    await eventually(async () => {
      const text = await scrape();
      expect(sample(text, 'dead_letter_messages{queue="work.dlq"}')).toBe(3);
      expect(sample(text, 'http_responses_total{method="GET",route="/v1/me",status_code="401"}')).toBe(1);
      expect(text).toMatch(/http_responses_total\{method="GET",route="\/d\/:token",status_code="4\d\d"\} 1/);
      expect(text).not.toContain('not-a-real-token');
    });
  });
});
