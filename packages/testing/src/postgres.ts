import { randomBytes } from 'node:crypto';
import { createDb, type Db } from '@single/db';
import { applyMigrations, migrationsFingerprint } from '@single/db/migrations';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { testEnv } from './env.ts';

// Each integration test gets its own database, cloned from a template that is migrated once per
// migration history: `CREATE DATABASE ... TEMPLATE` copies files and takes a fraction of a second,
// where replaying the migrations would take several.

export type TestDatabase = {
  name: string;
  url: string;
  /** A Prisma client on this database (small pool); `drop()` disconnects it. */
  db: Db;
  /** Disconnects `db` and drops the database (terminating connections a test left open). */
  drop(): Promise<void>;
};

const templatePrefix = 'single_test_template_';
/** test_<creation time, base 36>_<random>: the time lets a later run sweep databases a crashed run left. */
const testDatabasePattern = /^test_([0-9a-z]+)_[0-9a-f]{12}$/;
const staleAfterMs = 6 * 60 * 60 * 1000;
/** Serialises template creation across vitest workers and concurrent runs on the same server. */
const templateLockKey = 'single:test-template';

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

export function databaseUrl(name: string, serverUrl: string = testEnv.DATABASE_URL): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

/** Runs `work` on a short-lived connection to the server's maintenance database (DATABASE_URL). */
async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testEnv.DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function databaseExists(client: pg.Client, name: string): Promise<boolean> {
  const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return rowCount === 1;
}

/** Drops test databases older than `staleAfterMs` (a crashed run never called drop()). Best effort. */
async function sweepStaleTestDatabases(client: pg.Client, now: number): Promise<void> {
  const { rows } = await client.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname LIKE 'test\\_%' AND NOT datistemplate",
  );
  for (const { datname } of rows) {
    const created = testDatabasePattern.exec(datname)?.[1];
    if (created === undefined || now - Number.parseInt(created, 36) < staleAfterMs) continue;
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`).catch(() => undefined);
  }
}

/**
 * Makes sure `single_test_template_<fingerprint>` exists and holds every migration. It is built under
 * a temporary name and renamed when complete, so a run killed mid-migration never leaves a half-built
 * template behind; the advisory lock makes concurrent workers wait for the one that builds it.
 */
async function ensureTemplate(): Promise<string> {
  const template = `${templatePrefix}${await migrationsFingerprint()}`;
  await withAdmin(async (client) => {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [templateLockKey]);
    try {
      await sweepStaleTestDatabases(client, Date.now());
      if (await databaseExists(client, template)) return;
      const building = `${template}_building`;
      await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(building)} WITH (FORCE)`);
      await client.query(`CREATE DATABASE ${quoteIdent(building)}`);
      try {
        await applyMigrations(databaseUrl(building));
      } catch (error) {
        await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(building)} WITH (FORCE)`);
        throw error;
      }
      await client.query(`ALTER DATABASE ${quoteIdent(building)} RENAME TO ${quoteIdent(template)}`);
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [templateLockKey]);
    }
  });
  return template;
}

let template: Promise<string> | undefined;

/** The migrated template's name; built at most once per process (per migration history on the server). */
export function testTemplateDatabase(): Promise<string> {
  template ??= ensureTemplate().catch((error: unknown) => {
    template = undefined; // let a later test retry (e.g. the server was still starting)
    throw error;
  });
  return template;
}

/** A fresh, fully migrated database of its own, for one test (or one file). Call `drop()` when done. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const source = await testTemplateDatabase();
  const name = `test_${Date.now().toString(36)}_${randomBytes(6).toString('hex')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(source)}`));
  const url = databaseUrl(name);
  const db = createDb(url, { maxConnections: 3 });
  return {
    name,
    url,
    db,
    async drop() {
      await db.$disconnect();
      await withAdmin(async (client) => {
        // A plain DROP waits (up to 5 s) for our just-closed connections to exit; forcing would kill them
        // mid-close and crash the test with an unhandled client error. Force only for connections a test
        // leaked (SQLSTATE 55006: database in use).
        await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`).catch(async (error: { code?: string }) => {
          if (error.code !== '55006') throw error;
          await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
        });
      });
    },
  };
}

/**
 * Vitest hooks giving each test (scope 'each', the default) or the whole file (scope 'all') its own
 * database, dropped afterwards. Call at the top of a describe block; read the database inside tests:
 *
 *   const database = useTestDatabase();
 *   it('...', async () => { await database().db.order.findMany(); });
 */
export function useTestDatabase(options: { scope?: 'each' | 'all' } = {}): () => TestDatabase {
  let current: TestDatabase | undefined;
  const [before, after] = options.scope === 'all' ? [beforeAll, afterAll] : [beforeEach, afterEach];
  before(async () => {
    current = await createTestDatabase();
  });
  after(async () => {
    await current?.drop();
    current = undefined;
  });
  return () => {
    if (current === undefined) throw new Error('useTestDatabase(): read the database inside a test or hook');
    return current;
  };
}
