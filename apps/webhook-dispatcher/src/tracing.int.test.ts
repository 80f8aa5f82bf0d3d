import { tracer } from '@single/tracing';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixture, type Harness, signedRequest, startHarness } from './test-support/harness.ts';
import { eventually } from './test-support/servers.ts';

let h: Harness | undefined;
beforeAll(() => {
  tracer.init({ startupLogs: false, url: 'http://127.0.0.1:1', flushInterval: 60_000, plugins: false });
});
afterEach(async () => h?.close());

describe('trace context', () => {
  it('flows from the request through the outbox and the publish to the consumer', async () => {
    h = await startHarness({ traced: true });
    expect((await h.dispatcher.app.inject(signedRequest('orders/paid', fixture('orders-paid')))).statusCode).toBe(200);
    const { rows } = await h.pool.query<{ trace_headers: Record<string, string> }>(
      'SELECT trace_headers FROM dispatch_outbox',
    );
    const requestTraceId = rows[0]?.trace_headers['x-datadog-trace-id'];
    expect(requestTraceId).toMatch(/^\d+$/);

    await h.relay.start();
    await eventually(() => h!.received.length === 1);
    expect(h.received[0]?.headers['x-datadog-trace-id']).toBe(requestTraceId);
    expect(h.consumerTraceIds).toEqual([requestTraceId]);
  });
});
