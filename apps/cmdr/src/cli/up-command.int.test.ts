import { randomBytes } from 'node:crypto';
import { createTestVhost, databaseUrl, type TestVhost, testEnv } from '@single/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../test-support/dispatcher.ts';
import { cmdr } from '../test-support/run.ts';

// `cmdr up` on an empty database of its own: it must migrate it, start the app from source and wait
// until the app reports ready. (--no-infra: the servers are already up; --exit-when-ready: a smoke run.)
const name = `cmdr_up_${randomBytes(6).toString('hex')}`;
let vhost: TestVhost;

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testEnv.DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  vhost = await createTestVhost();
});

afterAll(async () => {
  await vhost?.dispose();
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
});

describe('cmdr up', () => {
  it('migrates, starts the apps from source and waits until they are ready', async () => {
    const port = await freePort();
    const run = await cmdr(
      [
        '--json',
        'up',
        '--no-infra',
        '--only',
        'webhook-dispatcher',
        '--exit-when-ready',
        '--port-offset',
        String(port - 3001),
      ],
      {
        PATH: process.env.PATH,
        DATABASE_URL: databaseUrl(name),
        RABBITMQ_URL: vhost.url,
        REDIS_URL: testEnv.REDIS_URL,
        LOG_LEVEL: 'warn',
        DD_TRACE_ENABLED: 'false',
      },
    );
    expect(run.stderr).toContain(`Applied to "${name}"`);
    expect(run.code).toBe(0);
    expect(run.json()).toEqual([
      { app: 'webhook-dispatcher', url: `http://127.0.0.1:${port}`, pid: expect.any(Number) },
    ]);

    const client = new pg.Client({ connectionString: databaseUrl(name) });
    await client.connect();
    const { rows } = await client.query(
      'SELECT count(*)::int AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL',
    );
    await client.end();
    expect(rows[0].n).toBeGreaterThan(0);
    // --exit-when-ready stopped the app again
    await expect(fetch(`http://127.0.0.1:${port}/health/live`)).rejects.toThrow();
  }, 90_000);

  it('exits 3 for an unknown project', async () => {
    const run = await cmdr(['up', '--no-infra', '--no-migrate', '--only', 'nope', '--exit-when-ready']);
    expect(run.code).toBe(3);
  });
});
