import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixture, type Harness, SECRET, signedRequest, startHarness, uniqueOrderBody } from './test-support/harness.ts';

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

/** The value of one series in the Prometheus text, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ secrets: [SECRET] });
});
afterEach(async () => h.close());

// Issue 18: what the on-call engineer sees. The relay is stopped, so accepted deliveries pile up in the outbox.
describe('GET /metrics on the webhook dispatcher', () => {
  const scrape = async () => {
    const response = await h.dispatcher.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    return response.body;
  };

  it('shows the outbox backlog and its age per lane grow while the relay is stopped, and fall once it runs', async () => {
    const before = await scrape();
    expect(sample(before, 'dispatch_outbox_backlog{lane="orders"}')).toBe(0);
    expect(sample(before, 'dispatch_outbox_backlog{lane="privacy"}')).toBe(0);
    expect(sample(before, 'dispatch_outbox_oldest_age_seconds{lane="orders"}')).toBe(0);
    expect(before).toContain('process_resident_memory_bytes');

    for (let n = 0; n < 3; n++) {
      expect((await h.dispatcher.app.inject(signedRequest('orders/paid', uniqueOrderBody(n)))).statusCode).toBe(200);
    }
    expect(
      (await h.dispatcher.app.inject(signedRequest('customers/redact', fixture('customers-redact')))).statusCode,
    ).toBe(200);
    const forged = signedRequest('orders/paid', uniqueOrderBody(9), { 'x-shopify-hmac-sha256': 'AAAA' });
    expect((await h.dispatcher.app.inject(forged)).statusCode).toBe(401);
    const xml = { ...signedRequest('orders/paid', uniqueOrderBody(8)), headers: { 'content-type': 'application/xml' } };
    expect((await h.dispatcher.app.inject(xml)).statusCode).toBe(415);

    // Read from PostgreSQL at scrape time, cached a few seconds: the gauge follows within the cache window.
    await eventually(async () => {
      const text = await scrape();
      expect(sample(text, 'dispatch_outbox_backlog{lane="orders"}')).toBe(3);
      expect(sample(text, 'dispatch_outbox_backlog{lane="privacy"}')).toBe(1);
      expect(sample(text, 'dispatch_outbox_oldest_age_seconds{lane="orders"}')).toBeGreaterThan(0);
    });
    const text = await scrape();
    expect(sample(text, 'webhook_answers_total{status_code="200",outcome="accepted"}')).toBe(4);
    expect(sample(text, 'webhook_answers_total{status_code="401",outcome="invalid_hmac"}')).toBe(1);
    expect(sample(text, 'webhook_answers_total{status_code="415",outcome="unsupported_media_type"}')).toBe(1);
    expect(sample(text, 'webhook_claim_duration_seconds_count{outcome="accepted"}')).toBe(4);
    expect(sample(text, 'http_responses_total{method="POST",route="/webhooks/shopify",status_code="200"}')).toBe(4);

    await h.relay.start();
    await eventually(async () => {
      const after = await scrape();
      expect(sample(after, 'dispatch_outbox_backlog{lane="orders"}')).toBe(0);
      expect(sample(after, 'dispatch_outbox_backlog{lane="privacy"}')).toBe(0);
      expect(sample(after, 'dispatch_outbox_oldest_age_seconds{lane="orders"}')).toBe(0);
    });
  });
});
