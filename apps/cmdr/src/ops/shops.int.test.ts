import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@single/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../exit-codes.ts';
import { cmdr } from '../test-support/run.ts';

let database: TestDatabase;
let pool: pg.Pool;
let env: Record<string, string>;
let accountId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
  env = { DATABASE_URL: database.url };
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO account (kind, name, updated_at) VALUES ('label', 'Night Label', now()) RETURNING id::text`,
  );
  accountId = rows[0]!.id;
});

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

describe('cmdr shops install (issue 14: an uninstall is not for ever)', () => {
  it('connects a new shop, and reinstalls an uninstalled one', async () => {
    const created = await cmdr(
      ['--json', 'shops', 'install', '--domain', 'night-label.myshopify.com', '--account', accountId],
      env,
    );
    expect(created.code).toBe(0);
    expect(created.json()).toMatchObject({ domain: 'night-label.myshopify.com', existed: false, accountId });

    await pool.query(
      `UPDATE shop SET install_state = 'uninstalled', uninstalled_at = now(), access_token = NULL WHERE domain = $1`,
      ['night-label.myshopify.com'],
    );
    const again = await cmdr(['--json', 'shops', 'install', '--domain', 'Night-Label.myshopify.com'], env);
    expect(again.code).toBe(0);
    expect(again.json()).toMatchObject({ existed: true, previousState: 'uninstalled', accountId });
    const { rows } = await pool.query('SELECT install_state, uninstalled_at FROM shop WHERE domain = $1', [
      'night-label.myshopify.com',
    ]);
    expect(rows).toEqual([{ install_state: 'installed', uninstalled_at: null }]);
  });

  it('refuses a domain that is not a shop, and a new shop without an account', async () => {
    expect((await cmdr(['shops', 'install', '--domain', 'example.com', '--account', accountId], env)).code).toBe(
      ExitCode.usage,
    );
    expect((await cmdr(['shops', 'install', '--domain', 'new-one.myshopify.com'], env)).code).toBe(ExitCode.usage);
  });
});

describe('cmdr shops data-request (issue 14: the merchant gets the customer data export, until it expires)', () => {
  it('writes the export to a file only its owner can read; expired is exit 4, unknown exit 3', async () => {
    const shop = 'night-label.myshopify.com';
    const document = { format: 'single.customer-data.v1', orders: [{ orderId: '5550001001' }] };
    await pool.query(
      `INSERT INTO data_request_export (shop_domain, customer_id, data_request_id, payload, expires_at)
       VALUES ($1, 7770001, 8880001, $2, now() + interval '30 days'),
              ($1, 7770002, 8880002, NULL, now() - interval '1 day')`,
      [shop, JSON.stringify(document)],
    );
    const dir = mkdtempSync(join(tmpdir(), 'cmdr-export-'));
    try {
      const out = join(dir, 'export.json');
      const written = await cmdr(
        ['--json', 'shops', 'data-request', '--domain', shop, '--id', '8880001', '--out', out],
        env,
      );
      expect(written.code).toBe(0);
      expect(written.json()).toMatchObject({ path: out, orders: 1 });
      expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ dataRequestId: '8880001', export: document });
      expect(statSync(out).mode & 0o777).toBe(0o600);

      const expired = await cmdr(['shops', 'data-request', '--domain', shop, '--id', '8880002', '--out', out], env);
      expect(expired.code).toBe(ExitCode.conflict);
      const unknown = await cmdr(['shops', 'data-request', '--domain', shop, '--id', '8889999', '--out', out], env);
      expect(unknown.code).toBe(ExitCode.notFound);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
