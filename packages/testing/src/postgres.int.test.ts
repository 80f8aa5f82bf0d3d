import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '@single/db';
import { applyMigrations, createMigration, migrationsDir, schemaPath } from '@single/db/migrations';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from './env.ts';
import { createTestDatabase, databaseUrl, useTestDatabase } from './postgres.ts';

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testEnv.DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function query<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** An empty database (not cloned from the template), dropped after the file. */
function useEmptyDatabase(): () => string {
  const name = `test_${Date.now().toString(36)}_${randomBytes(6).toString('hex')}`; // swept if a run crashes
  beforeAll(() => admin((client) => client.query(`CREATE DATABASE "${name}"`)));
  afterAll(() => admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)));
  return () => databaseUrl(name);
}

async function migrationNames(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

describe('applyMigrations on an empty database', () => {
  const url = useEmptyDatabase();

  it('applies every migration and records it in _prisma_migrations with its sha256 checksum', async () => {
    const expected = await migrationNames(migrationsDir);
    expect(expected.length).toBeGreaterThan(0);

    expect(await applyMigrations(url())).toEqual(expected);

    const rows = await query<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
      rolled_back_at: Date | null;
      applied_steps_count: number;
    }>(url(), 'SELECT * FROM _prisma_migrations ORDER BY migration_name');
    expect(rows.map((row) => row.migration_name)).toEqual(expected);
    for (const row of rows) {
      const script = await readFile(join(migrationsDir, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(script).digest('hex'));
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
    const tables = await query<{ tablename: string }>(
      url(),
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
    );
    expect(tables.map((t) => t.tablename)).toEqual(
      expect.arrayContaining(['download_grant', 'webhook_delivery', 'orders', 'sale_line', 'sales_outbox']),
    );
  });

  it('is a no-op when re-applied', async () => {
    expect(await applyMigrations(url())).toEqual([]);
    const [count] = await query<{ n: string }>(url(), 'SELECT count(*) AS n FROM _prisma_migrations');
    expect(Number(count?.n)).toBe((await migrationNames(migrationsDir)).length);
  });
});

describe('createMigration', () => {
  let workDir: string;
  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'single-migrations-'));
  });
  afterAll(() => rm(workDir, { recursive: true, force: true }));

  it('finds nothing to create: schema.prisma and the committed migrations agree', async () => {
    const before = await migrationNames(migrationsDir);
    expect(await createMigration(testEnv.DATABASE_URL, 'should_be_empty')).toBeUndefined();
    expect(await migrationNames(migrationsDir)).toEqual(before);
  });

  it('writes the schema change as a new migration that applies on top of the history', async () => {
    const dir = join(workDir, 'migrations');
    await cp(migrationsDir, dir, { recursive: true });
    const schema = join(workDir, 'schema.prisma');
    const changed = `${await readFile(schemaPath, 'utf8')}\nmodel Probe {\n  id Int @id\n  @@map("probe")\n}\n`;
    await writeFile(schema, changed);

    const name = await createMigration(testEnv.DATABASE_URL, 'add_probe', {
      migrationsDir: dir,
      schemaPath: schema,
      now: new Date('2099-01-02T03:04:05Z'),
    });

    expect(name).toBe('20990102030405_add_probe');
    const script = await readFile(join(dir, '20990102030405_add_probe', 'migration.sql'), 'utf8');
    expect(script).toContain('CREATE TABLE "probe"');
    expect(await readFile(join(dir, 'migration_lock.toml'), 'utf8')).toContain('provider = "postgresql"');

    const target = await createTestDatabase();
    try {
      expect(await applyMigrations(target.url, { migrationsDir: dir })).toEqual(['20990102030405_add_probe']);
      expect(await query(target.url, 'SELECT * FROM probe')).toEqual([]);
    } finally {
      await target.drop();
    }
  });
});

describe('createTestDatabase', () => {
  it('gives each caller a migrated database of its own, and drop() removes it', async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      expect(a.name).not.toBe(b.name);
      await a.db.account.create({ data: { kind: 'artist', name: 'Only in A' } });
      expect(await a.db.account.count()).toBe(1);
      expect(await b.db.account.count()).toBe(0);
      const applied = await query<{ n: string }>(b.url, 'SELECT count(*) AS n FROM _prisma_migrations');
      expect(Number(applied[0]?.n)).toBe((await migrationNames(migrationsDir)).length);
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
    const left = await admin((client) =>
      client.query('SELECT datname FROM pg_database WHERE datname = ANY($1)', [[a.name, b.name]]),
    );
    expect(left.rowCount).toBe(0);
  });
});

/** Account -> artist -> release, and an order with one line of that release. */
async function seedOrderLine(db: Db) {
  const account = await db.account.create({ data: { kind: 'label', name: 'Label' } });
  const artist = await db.artist.create({ data: { accountId: account.id, name: 'Artist' } });
  const release = await db.release.create({
    data: {
      artistId: artist.id,
      title: 'Album',
      upc: '0000000000017',
      releaseInstant: new Date('2030-01-04T05:00:00Z'),
    },
  });
  const order = await db.order.create({
    data: {
      shopDomain: 'shop.myshopify.com',
      shopifyOrderId: 820982911946154508n,
      name: '#1001',
      financialStatus: 'paid',
      currency: 'USD',
      shopifyUpdatedAt: new Date(),
      lines: {
        create: {
          shopifyLineId: 466157049n,
          quantity: 2,
          price: '9.99',
          requiresShipping: false,
          releaseId: release.id,
        },
      },
    },
    include: { lines: true },
  });
  return { release, line: order.lines[0]! };
}

describe('domain unique constraints', () => {
  const database = useTestDatabase();
  const db = () => database().db;

  it('rejects a second grant for the same order line, release and unit', async () => {
    const { release, line } = await seedOrderLine(db());
    const grant = (unitIndex: number, token: string) => ({
      tokenHash: token,
      orderLineId: line.id,
      releaseId: release.id,
      unitIndex,
      status: 'active' as const,
      activateAt: new Date(),
      downloadLimit: 5,
    });
    await db().downloadGrant.create({ data: grant(0, 'hash-a') });
    await db().downloadGrant.create({ data: grant(1, 'hash-b') });

    await expect(db().downloadGrant.create({ data: grant(0, 'hash-c') })).rejects.toMatchObject({ code: 'P2002' });
    expect(await db().downloadGrant.count()).toBe(2);
  });

  it('rejects a duplicate webhook id per shop, a duplicate event id and the same body under any shop, but not two deliveries without an event id', async () => {
    const delivery = (shopDomain: string, webhookId: string, eventId: string | null, body: string) =>
      db().webhookDelivery.create({
        data: {
          shopDomain,
          topic: 'orders/paid',
          webhookId,
          eventId,
          bodySha256: body,
          dedupeFamily: 'orders',
          lane: 'orders',
        },
      });
    await delivery('a.myshopify.com', 'wh-1', 'ev-1', 'body-1');

    await expect(delivery('a.myshopify.com', 'wh-1', 'ev-2', 'body-2')).rejects.toMatchObject({ code: 'P2002' });
    await expect(delivery('a.myshopify.com', 'wh-2', 'ev-1', 'body-3')).rejects.toMatchObject({ code: 'P2002' });
    await expect(delivery('a.myshopify.com', 'wh-3', 'ev-3', 'body-1')).rejects.toMatchObject({ code: 'P2002' });
    // The same body bytes are one delivery whatever shop the headers name (a replay under another shop).
    await expect(delivery('b.myshopify.com', 'wh-9', 'ev-9', 'body-1')).rejects.toMatchObject({ code: 'P2002' });
    // Another shop may reuse the same ids; deliveries without an event id never collide on it.
    await delivery('b.myshopify.com', 'wh-1', 'ev-1', 'body-6');
    await delivery('a.myshopify.com', 'wh-4', null, 'body-4');
    await delivery('a.myshopify.com', 'wh-5', null, 'body-5');
    expect(await db().webhookDelivery.count()).toBe(4);
  });
});
