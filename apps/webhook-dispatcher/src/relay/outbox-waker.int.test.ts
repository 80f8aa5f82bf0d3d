import { silentLogger } from '@single/logger';
import { createTestDatabase, type TestDatabase } from '@single/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTBOX_CHANNEL, OutboxWaker } from './outbox-waker.ts';

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits until `done` holds, at most `ms`. */
async function until(done: () => boolean, ms: number) {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await settle(10);
}

describe('OutboxWaker', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let listener: pg.Client;
  const heard: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    listener = new pg.Client({ connectionString: database.url });
    await listener.connect();
    listener.on('notification', (n) => heard.push(n.payload ?? ''));
    await listener.query(`LISTEN ${OUTBOX_CHANNEL}`);
  });
  afterAll(async () => {
    await listener?.end();
    await pool?.end();
    await database?.drop();
  });

  it('wakes the relay in this process without a NOTIFY when it holds the lane', async () => {
    heard.length = 0;
    const woken: string[] = [];
    const waker = new OutboxWaker({
      pool,
      logger: silentLogger(),
      local: (lane) => {
        woken.push(lane);
        return true;
      },
    });
    waker.claimed(['orders', 'privacy']);
    await settle(100);
    expect(woken).toEqual(['orders', 'privacy']);
    expect(heard).toEqual([]);
    waker.close();
  });

  it('NOTIFYs the relay elsewhere at once, then at most once per interval per lane, never dropping the last claim', async () => {
    heard.length = 0;
    // A long interval, so that the checks below tell "at once" from "after the interval" with room to spare on
    // a loaded machine (a NOTIFY can take tens of milliseconds to arrive there).
    const intervalMs = 1_500;
    const waker = new OutboxWaker({ pool, logger: silentLogger(), local: () => false, intervalMs });
    const started = Date.now();
    for (let i = 0; i < 20; i++) waker.claimed(['orders']);
    waker.claimed(['privacy']);
    await until(() => heard.length >= 2, intervalMs);
    expect(Date.now() - started).toBeLessThan(intervalMs); // the first of each lane goes out at once
    expect([...heard].sort()).toEqual(['orders', 'privacy']);
    await until(() => heard.length >= 3, 3 * intervalMs);
    await settle(intervalMs + 200);
    // The 19 claims that came within the interval owe exactly one trailing NOTIFY; privacy owes none.
    expect([...heard].sort()).toEqual(['orders', 'orders', 'privacy']);
    waker.close();
  });
});
