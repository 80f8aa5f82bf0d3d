import { silentLogger } from '@single/logger';
import type { Messaging } from '@single/messaging';
import type { Pool } from 'pg';
import { describe, expect, it } from 'vitest';
import { envelopeBytes, OutboxRelay } from './outbox-relay.ts';

describe('envelopeBytes', () => {
  it('splices the stored payload text into a valid envelope', () => {
    const body = envelopeBytes({
      outbox_id: '1',
      delivery_id: '7',
      replay_requested_by: 'cmdr:ops@single.example',
      trace_headers: null,
      created_at: new Date('2026-11-20T10:00:02Z'),
      shop_domain: 'single-demo.myshopify.com',
      topic: 'orders/paid',
      webhook_id: 'w-1',
      event_id: null,
      triggered_at: null,
      received_at: new Date('2026-11-20T10:00:01Z'),
      api_version: '2026-10',
      shopify_order_id: '1',
      payload: '{"id": 1, "line_items": []}',
    });
    expect(JSON.parse(body.toString())).toEqual({
      version: 1,
      source: 'shopify',
      topic: 'orders/paid',
      shopDomain: 'single-demo.myshopify.com',
      webhookId: 'w-1',
      eventId: null,
      triggeredAt: null,
      receivedAt: '2026-11-20T10:00:01.000Z',
      apiVersion: '2026-10',
      replay: { requestedBy: 'cmdr:ops@single.example', at: '2026-11-20T10:00:02.000Z' },
      payload: { id: 1, line_items: [] },
    });
  });
});

describe('OutboxRelay wake-ups', () => {
  it('keeps a constant number of sleepers however many notifications arrive', async () => {
    const relay = new OutboxRelay({ pool: {} as Pool, messaging: {} as Messaging, logger: silentLogger(), lanes: [] });
    const internals = relay as unknown as { sleep(ms: number): Promise<void>; wake(): void; sleepers: Set<unknown> };
    for (let i = 0; i < 1_000; i++) {
      const sleeping = internals.sleep(60_000);
      internals.wake();
      await sleeping;
    }
    expect(internals.sleepers.size).toBe(0);
  });
});
