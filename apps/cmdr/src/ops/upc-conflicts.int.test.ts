import { randomUUID } from 'node:crypto';
import { flagUpcClaim } from '@single/db/commands/upc-conflicts';
import { createTestDatabase, type TestDatabase } from '@single/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../exit-codes.ts';
import { cmdr } from '../test-support/run.ts';

let database: TestDatabase;
let pool: pg.Pool;
let env: Record<string, string>;

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
  env = { DATABASE_URL: database.url };
});

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

/** A release of a new account claiming the UPC, flagged as the artist API flags it. */
async function claim(upc: string, name: string) {
  const accountId = randomUUID();
  const artistId = randomUUID();
  const releaseId = randomUUID();
  await pool.query(`INSERT INTO account (id, kind, name, updated_at) VALUES ($1, 'label', $2, now())`, [
    accountId,
    name,
  ]);
  await pool.query(`INSERT INTO artist (id, account_id, name, updated_at) VALUES ($1, $2, $3, now())`, [
    artistId,
    accountId,
    name,
  ]);
  await pool.query(
    `INSERT INTO release (id, artist_id, title, upc, release_instant, updated_at) VALUES ($1, $2, 'Album', $3, now(), now())`,
    [releaseId, artistId, upc],
  );
  await flagUpcClaim(pool, { releaseId, upc, accountId });
  return releaseId;
}

describe('cmdr upc-conflicts', () => {
  it('lists an open conflict and resolves it: the owner confirmed, the other release rejected', async () => {
    const upc = '0602445789036';
    const owner = await claim(upc, 'Owner');
    const rival = await claim(upc, 'Rival');

    const listed = await cmdr(['--json', 'upc-conflicts', 'list'], env);
    expect(listed.code).toBe(0);
    const [conflict] =
      listed.json<{ id: string; upc: string; releases: { releaseId: string; upcReview: string }[] }[]>();
    expect(conflict).toMatchObject({ upc });
    expect(conflict!.releases.map((r) => [r.releaseId, r.upcReview])).toEqual([
      [owner, 'under_review'],
      [rival, 'under_review'],
    ]);

    // The owner must be one of the UPC's releases.
    const wrong = await cmdr(['upc-conflicts', 'resolve', conflict!.id, '--owner', randomUUID()], env);
    expect(wrong.code).toBe(ExitCode.conflict);

    const resolved = await cmdr(['--json', 'upc-conflicts', 'resolve', conflict!.id, '--owner', owner], env);
    expect(resolved.code).toBe(0);
    expect(resolved.json()).toMatchObject({ ownerReleaseId: owner, resolvedBy: 'cmdr' });
    const { rows } = await pool.query('SELECT id::text, upc_review::text FROM release WHERE upc = $1', [upc]);
    expect(Object.fromEntries(rows.map((r) => [r.id, r.upc_review]))).toEqual({
      [owner]: 'confirmed',
      [rival]: 'rejected',
    });
    expect((await cmdr(['--json', 'upc-conflicts', 'list'], env)).json()).toEqual([]);
    // Resolved once: resolving again finds no open conflict.
    expect((await cmdr(['upc-conflicts', 'resolve', conflict!.id, '--owner', owner], env)).code).toBe(
      ExitCode.notFound,
    );
  });

  it('refuses ids that are not uuids', async () => {
    expect((await cmdr(['upc-conflicts', 'resolve', 'x', '--owner', randomUUID()], env)).code).toBe(ExitCode.usage);
  });
});
