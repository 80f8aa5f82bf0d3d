import { useTestDatabase } from '@single/testing';
import pg from 'pg';
import { afterEach, beforeEach } from 'vitest';
import { DownloadTokens } from '../grants/tokens.ts';
import type { ApplyContext } from '../handlers/order-snapshot/apply-snapshots.ts';
import { type Catalogue, seedCatalogue } from './fixtures.ts';

/**
 * The set-up of the order-snapshot handler's tests: each test gets its own database with the catalogue seeded
 * (fixtures.ts), a pool, and the handler's context at a `now` fixed for the file. Call it inside `describe`;
 * `pool`, `ctx` and `catalogue` are the current test's.
 */
export function useOrderSnapshotTest() {
  const database = useTestDatabase();
  const tokens = new DownloadTokens(['test-secret-test-secret-test-secret-0001']);
  const now = new Date();
  let pool: pg.Pool | undefined;
  let ctx: ApplyContext | undefined;
  let catalogue: Catalogue | undefined;

  beforeEach(async () => {
    pool = new pg.Pool({ connectionString: database().url, max: 3 });
    ctx = { pool, tokens, now: () => now };
    catalogue = await seedCatalogue(database().db, { now });
  });
  afterEach(async () => {
    await pool?.end();
  });

  return {
    database,
    tokens,
    now,
    get pool(): pg.Pool {
      if (!pool) throw new Error('useOrderSnapshotTest: no test is running');
      return pool;
    },
    get ctx(): ApplyContext {
      if (!ctx) throw new Error('useOrderSnapshotTest: no test is running');
      return ctx;
    },
    get catalogue(): Catalogue {
      if (!catalogue) throw new Error('useOrderSnapshotTest: no test is running');
      return catalogue;
    },
  };
}
