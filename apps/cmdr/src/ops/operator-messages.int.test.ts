import { randomBytes } from 'node:crypto';
import { createTestDatabase, databaseUrl, type TestDatabase, testEnv } from '@single/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../test-support/dispatcher.ts';
import { cmdr } from '../test-support/run.ts';

// What an operator reads when a server is not what cmdr expects: the command to run, or the server's URL
// (never its password), instead of a driver's bare error.
const empty = `cmdr_unmigrated_${randomBytes(6).toString('hex')}`;
let behind: TestDatabase;

async function admin(sql: string, url = testEnv.DATABASE_URL) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  await admin(`CREATE DATABASE ${empty}`);
  behind = await createTestDatabase();
  // A database migrated before a table this cmdr reads existed.
  await admin('DROP TABLE webhook_delivery CASCADE', behind.url);
});

afterAll(async () => {
  await behind?.drop();
  await admin(`DROP DATABASE IF EXISTS ${empty} WITH (FORCE)`);
});

describe('cmdr on a database that is not migrated', () => {
  it('says to migrate, naming the command and the database (password redacted)', async () => {
    for (const args of [
      ['accounts', 'create', '--name', 'Night Label'],
      ['webhooks', 'list'],
    ]) {
      const run = await cmdr(args, { DATABASE_URL: databaseUrl(empty) });
      expect(run.code, args.join(' ')).toBe(4);
      expect(run.stderr).toContain(`database "${empty}" is not migrated`);
      expect(run.stderr).toContain('migrate it first with `pnpm db:migrate`');
      expect(run.stderr).toContain(`postgres://single:***@127.0.0.1:5432/${empty}`);
      expect(run.stderr).not.toContain('relation');
    }
  });

  it('says it is behind when a table this cmdr reads is missing', async () => {
    const run = await cmdr(['webhooks', 'list'], { DATABASE_URL: behind.url });
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(`database "${behind.name}" is behind this cmdr's migrations`);
    expect(run.stderr).toContain('relation "webhook_delivery" does not exist');
    expect(run.stderr).toContain('`pnpm db:migrate`');
  });
});

describe('cmdr with Redis unreachable', () => {
  it('names the URL it tried, with the password redacted', async () => {
    const port = await freePort();
    const started = Date.now();
    const run = await cmdr(['maintenance', 'status'], { REDIS_URL: `redis://ops:hunter2-secret@127.0.0.1:${port}/0` });
    expect(run.code).toBe(5);
    expect(run.stderr).toContain(`Redis unavailable at redis://ops:***@127.0.0.1:${port}/0`);
    expect(run.stderr).not.toContain('hunter2');
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 30_000);

  it('redacts a password-only URL too', async () => {
    const port = await freePort();
    const run = await cmdr(['maintenance', 'on'], { REDIS_URL: `redis://:hunter2-secret@127.0.0.1:${port}` });
    expect(run.code).toBe(5);
    expect(run.stderr).toContain(`Redis unavailable at redis://:***@127.0.0.1:${port}`);
    expect(run.stderr).not.toContain('hunter2');
  }, 30_000);
});
