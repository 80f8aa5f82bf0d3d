import { EVENTS_EXCHANGE } from '@single/contracts';
import { createAmqpMessaging, type MessageContext, type Messaging } from '@single/messaging';
import { createTestDatabase, createTestVhost, type TestDatabase, type TestVhost, testEnv } from '@single/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../exit-codes.ts';
import {
  eventually,
  type RunningDispatcher,
  sendWebhook,
  startDispatcher,
  TEST_SHOP,
} from '../test-support/dispatcher.ts';
import { cmdr } from '../test-support/run.ts';

// The real dispatcher process on its own database, vhost and Redis logical database (its maintenance key
// has a fixed name, so a separate logical database keeps this test from switching anyone else's off).
const redisUrl = (() => {
  const url = new URL(testEnv.REDIS_URL);
  url.pathname = '/13';
  return url.toString();
})();

let database: TestDatabase;
let vhost: TestVhost;
let dispatcher: RunningDispatcher;
let messaging: Messaging;
const received: MessageContext[] = [];
let env: Record<string, string>;

beforeAll(async () => {
  database = await createTestDatabase();
  await database.db.$executeRaw`INSERT INTO shop (domain, updated_at) VALUES (${TEST_SHOP}, now())`;
  vhost = await createTestVhost();
  messaging = createAmqpMessaging({
    url: vhost.url,
    connectionName: 'cmdr-test',
    topology: {
      exchanges: [{ name: EVENTS_EXCHANGE, type: 'topic' }],
      queues: [
        { name: 'cmdr-test.dlq' },
        {
          name: 'cmdr-test.all',
          bindings: [{ exchange: EVENTS_EXCHANGE, routingKey: 'shopify.#' }],
          deadLetterQueue: 'cmdr-test.dlq',
        },
      ],
    },
  });
  await messaging.waitUntilConnected(10_000);
  await messaging.consume('cmdr-test.all', (m) => void received.push(m));
  env = { DATABASE_URL: database.url, RABBITMQ_URL: vhost.url, REDIS_URL: redisUrl };
  dispatcher = await startDispatcher(env);
});

afterAll(async () => {
  await dispatcher?.stop();
  await messaging?.close();
  await vhost?.dispose();
  await database?.drop();
  const redis = new Redis(redisUrl);
  await redis.del('dispatcher:value:maintenance:webhook-dispatcher');
  redis.disconnect();
});

describe('cmdr webhooks', () => {
  it('lists deliveries and replays one: the dispatcher re-publishes it marked as a replay', async () => {
    const response = await sendWebhook(dispatcher.url, 5_550_001);
    expect(response.status).toBe(200);
    await eventually(async () => (received.length >= 1 ? true : undefined));

    const list = await cmdr(['--json', 'webhooks', 'list', '--since', '1h'], env);
    expect(list.code).toBe(0);
    const rows = list.json<{ id: string; topic: string; status: string; replayable: boolean }[]>();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ topic: 'orders/paid', replayable: true });
    const id = rows[0]?.id as string;
    await eventually(async () => {
      const again = await cmdr(['--json', 'webhooks', 'list'], env);
      return again.json<{ status: string }[]>()[0]?.status === 'published' ? true : undefined;
    });

    const replay = await cmdr(['--json', 'webhooks', 'replay', id], env);
    expect(replay.code).toBe(0);
    expect(replay.json()).toEqual({ queued: [id], expired: [], notFound: [] });

    const republished = await eventually(async () => received[1]);
    expect(republished.headers['x-replay']).toBe('true');
    expect(JSON.parse(republished.body.toString()).replay).toMatchObject({ requestedBy: 'cmdr:test' });
    expect(JSON.parse(republished.body.toString()).payload.id).toBe(5_550_001);
  });

  it('replays every delivery since a time, with a progress bar on a terminal', async () => {
    expect((await sendWebhook(dispatcher.url, 5_550_002)).status).toBe(200);
    await eventually(async () => (received.length >= 3 ? true : undefined));
    const before = received.length;
    const replay = await cmdr(['webhooks', 'replay', '--since', '1h'], env, { tty: true });
    expect(replay.code).toBe(0);
    expect(replay.stdout).toContain('queued 2 replay(s)');
    expect(replay.stderr).toMatch(/replay \[#+\] 2\/2 100%/);
    await eventually(async () => (received.length >= before + 2 ? true : undefined));
    const ids = received.slice(before).map((m) => JSON.parse(m.body.toString()).payload.id);
    expect(ids.sort()).toEqual([5_550_001, 5_550_002]);
  });

  it('filters the list by topic, shop and status (an unknown one lists nothing); a purged payload is not replayable', async () => {
    await database.db.$executeRaw`UPDATE webhook_delivery SET payload = NULL WHERE shopify_order_id = '5550002'`;
    const list = async (...args: string[]) => {
      const run = await cmdr(['--json', 'webhooks', 'list', ...args], env);
      expect(run.code, run.stderr).toBe(0);
      return run.json<{ id: string; shopDomain: string; replayable: boolean; pendingPublishes: number }[]>();
    };
    const all = await list();
    expect(all.map((r) => r.replayable)).toEqual([false, true]);
    expect(all.map((r) => typeof r.pendingPublishes)).toEqual(['number', 'number']);
    expect(Number(all[0]?.id)).toBeGreaterThan(Number(all[1]?.id));
    expect(await list('--shop', TEST_SHOP, '--topic', 'orders/paid', '--status', 'published')).toHaveLength(2);
    expect(await list('--limit', '1')).toEqual([all[0]]);
    expect(await list('--topic', 'orders/cancelled')).toEqual([]);
    expect(await list('--shop', 'elsewhere.myshopify.com')).toEqual([]);
    expect(await list('--status', 'no-such-status')).toEqual([]);
  });

  it('exits 3 for an unknown delivery and 2 without an id or --since', async () => {
    const missing = await cmdr(['webhooks', 'replay', '999999999'], env);
    expect(missing.code).toBe(ExitCode.notFound);
    expect(missing.stderr).toMatch(/not found/);
    expect((await cmdr(['webhooks', 'replay'], env)).code).toBe(ExitCode.usage);
  });
});

describe('cmdr maintenance', () => {
  it('makes the dispatcher answer 503, and back to 200 when turned off', async () => {
    const on = await cmdr(['--json', 'maintenance', 'on'], env);
    expect(on.code).toBe(0);
    expect(on.json()).toEqual({ service: 'webhook-dispatcher', on: true });
    expect((await cmdr(['--json', 'maintenance', 'status'], env)).json()).toEqual({
      service: 'webhook-dispatcher',
      on: true,
    });

    // The dispatcher re-reads the flag at most once a second.
    const unavailable = await eventually(async () => {
      const response = await sendWebhook(dispatcher.url, 5_550_100 + Math.floor(Math.random() * 1000));
      return response.status === 503 ? response : undefined;
    });
    expect(unavailable.status).toBe(503);

    expect((await cmdr(['maintenance', 'off'], env)).code).toBe(0);
    const accepted = await eventually(async () => {
      const response = await sendWebhook(dispatcher.url, 5_551_000 + Math.floor(Math.random() * 1000));
      return response.status === 200 ? response : undefined;
    });
    expect(accepted.status).toBe(200);
    expect((await cmdr(['--json', 'maintenance', 'status'], env)).json()).toEqual({
      service: 'webhook-dispatcher',
      on: false,
    });
  });

  it('turns itself off after --for minutes (the key carries a TTL)', async () => {
    expect((await cmdr(['maintenance', 'on', '--for', '5'], env)).code).toBe(0);
    const redis = new Redis(redisUrl);
    const ttl = await redis.pttl('dispatcher:value:maintenance:webhook-dispatcher');
    redis.disconnect();
    expect(ttl).toBeGreaterThan(4 * 60_000);
    expect(ttl).toBeLessThanOrEqual(5 * 60_000);
    expect((await cmdr(['maintenance', 'off'], env)).code).toBe(0);
  });

  it('exits 3 for a service without a runtime switch and 5 when Redis is unreachable', async () => {
    expect((await cmdr(['maintenance', 'on', '--service', 'geo-reporting'], env)).code).toBe(ExitCode.notFound);
    const down = await cmdr(['maintenance', 'status'], { ...env, REDIS_URL: 'redis://127.0.0.1:1' });
    expect(down.code).toBe(ExitCode.unavailable);
  });
});
