import { createHash } from 'node:crypto';
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

describe('cmdr accounts and keys', () => {
  it('creates an account and a key whose secret is shown once and stored only as its sha256', async () => {
    const account = await cmdr(['--json', 'accounts', 'create', '--name', 'Night Label', '--kind', 'label'], env);
    expect(account.code).toBe(0);
    const { id: accountId, kind } = account.json<{ id: string; kind: string }>();
    expect(kind).toBe('label');

    const key = await cmdr(
      ['--json', 'keys', 'create', '--account', accountId, '--name', 'ops laptop', '--scopes', 'read,ops'],
      env,
    );
    expect(key.code).toBe(0);
    const created = key.json<{ id: string; secret: string; scopes: string[] }>();
    expect(created.secret).toMatch(/^sgl_[A-Za-z0-9_-]{43}$/);
    expect(created.scopes).toEqual(['read', 'ops']);

    const { rows } = await pool.query('SELECT hash, scopes, revoked_at FROM api_key WHERE id = $1', [created.id]);
    expect(rows[0].hash).toBe(createHash('sha256').update(created.secret).digest('hex'));
    expect(rows[0].scopes).toEqual(['read', 'ops']);
    expect(JSON.stringify(rows)).not.toContain(created.secret);

    const revoke = await cmdr(['--json', 'keys', 'revoke', created.id], env);
    expect(revoke.code).toBe(0);
    expect(revoke.json()).toMatchObject({ id: created.id, alreadyRevoked: false });
    const again = await cmdr(['--json', 'keys', 'revoke', created.id], env);
    expect(again.json()).toMatchObject({ alreadyRevoked: true });
    const revokedAt = (await pool.query('SELECT revoked_at FROM api_key WHERE id = $1', [created.id])).rows[0]
      .revoked_at;
    expect(revokedAt).toBeInstanceOf(Date);
    expect(new Date(again.json<{ revokedAt: string }>().revokedAt).getTime()).toBe(revokedAt.getTime());
  });

  it('revoking a key names the keys it minted; --cascade revokes them too', async () => {
    const accountId = (await cmdr(['--json', 'accounts', 'create', '--name', 'Lineage'], env)).json<{ id: string }>()
      .id;
    const root = (
      await cmdr(['--json', 'keys', 'create', '--account', accountId, '--name', 'root', '--scopes', 'read,admin'], env)
    ).json<{ id: string }>();
    // a key the root key minted through the artist API
    const minted = await pool.query<{ id: string }>(
      `INSERT INTO api_key (account_id, name, hash, scopes, created_by_key_id)
       VALUES ($1, 'ci', md5(random()::text), '{read}', $2) RETURNING id::text`,
      [accountId, root.id],
    );
    const mintedId = minted.rows[0]!.id;
    const named = await cmdr(['--json', 'keys', 'revoke', root.id], env);
    expect(named.json()).toMatchObject({ alreadyRevoked: false, minted: [{ id: mintedId, revokedAt: null }] });
    const cascaded = await cmdr(['--json', 'keys', 'revoke', root.id, '--cascade'], env);
    expect(cascaded.json<{ minted: { revokedAt: string | null }[] }>().minted[0]!.revokedAt).not.toBeNull();
    const { rows } = await pool.query('SELECT revoked_at FROM api_key WHERE id = $1', [mintedId]);
    expect(rows[0].revoked_at).toBeInstanceOf(Date);
  });

  it.each([
    [['keys', 'create', '--account', '00000000-0000-4000-8000-000000000000', '--name', 'x'], ExitCode.notFound],
    [['keys', 'revoke', '00000000-0000-4000-8000-000000000000'], ExitCode.notFound],
    [['keys', 'create', '--account', 'not-a-uuid', '--name', 'x'], ExitCode.usage],
    [
      ['keys', 'create', '--account', '00000000-0000-4000-8000-000000000000', '--name', 'x', '--scopes', 'root'],
      ExitCode.usage,
    ],
    [['accounts', 'create', '--name', 'X', '--kind', 'band'], ExitCode.usage],
  ])('cmdr %j exits %i', async (args, code) => {
    expect((await cmdr(args, env)).code).toBe(code);
  });

  it('exits 5 when PostgreSQL cannot be reached', async () => {
    const run = await cmdr(['accounts', 'create', '--name', 'X'], {
      DATABASE_URL: 'postgres://single:single@127.0.0.1:1/x',
    });
    expect(run.code).toBe(ExitCode.unavailable);
  });
});
