import { redriveFailedOutbox } from '@single/db/commands/outbox-redrive';
import { createTestDatabase, type TestDatabase } from '@single/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../exit-codes.ts';
import { cmdr } from '../test-support/run.ts';

// The fulfillment worker's failed emails and fulfilments, as its outboxes leave them (issue 15): cmdr lists
// them without addresses and redrives by id or all, with a dry run, like `cmdr dlq`.
let database: TestDatabase;
let pool: pg.Pool;
let env: Record<string, string>;
const ids: Record<string, string> = {};

async function email(name: string, status: string, errorClass: string | null, lastError: string | null) {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO email_message (idempotency_key, "to", kind, payload, status, attempts, error_class, last_error)
     VALUES ($1, 'fan.private@example.com', 'order_downloads', '{}', $2::email_status, 5, $3, $4) RETURNING id::text`,
    [`key-${name}`, status, errorClass, lastError],
  );
  ids[name] = rows[0]!.id;
}

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
  env = { DATABASE_URL: database.url };
  await email('permanent', 'failed', 'permanent', 'smtp permanent 550 EENVELOPE RCPT TO');
  await email('transient', 'failed', 'transient', 'smtp transient 451 EENVELOPE RCPT TO');
  await email('noRecipient', 'failed', 'no_recipient', 'no_recipient');
  await email('sent', 'sent', null, null);
  await pool.query(
    `INSERT INTO shop (domain, access_token, updated_at) VALUES ('cmdr-outbox.myshopify.com', 'shpat_x', now())`,
  );
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO orders (shop_domain, shopify_order_id, name, financial_status, currency, shopify_created_at, shopify_updated_at, updated_at)
     VALUES ('cmdr-outbox.myshopify.com', 5550009001, '#9001', 'paid', 'USD', now(), now(), now()) RETURNING id::text`,
  );
  const fulfilment = await pool.query<{ id: string }>(
    `INSERT INTO fulfillment (order_id, idempotency_key, line_item_ids, status, attempts, error_class, last_error, updated_at)
     VALUES ($1, 'digital:x', '{1}', 'failed', 1, 'permanent', 'ShopifyPermanentError: Admin API answered 404', now())
     RETURNING id::text`,
    [rows[0]!.id],
  );
  ids.fulfilment = fulfilment.rows[0]!.id;
});

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

const status = async (id: string) =>
  (
    await pool.query<{ status: string; attempts: number }>(
      'SELECT status::text, attempts FROM email_message WHERE id = $1',
      [id],
    )
  ).rows[0];

describe('cmdr outbox', () => {
  it('lists failed emails with their class and codes, never the address', async () => {
    const run = await cmdr(['--json', 'outbox', 'list'], env);
    expect(run.code).toBe(0);
    const result = run.json<{ total: number; items: { id: string; errorClass: string; redrivable: boolean }[] }>();
    expect(result.total).toBe(3);
    expect(Object.fromEntries(result.items.map((i) => [i.id, [i.errorClass, i.redrivable]]))).toEqual({
      [ids.permanent!]: ['permanent', true],
      [ids.transient!]: ['transient', true],
      [ids.noRecipient!]: ['no_recipient', false],
    });
    expect(run.stdout).not.toContain('fan.private');
    const text = await cmdr(['outbox', 'list'], env);
    expect(text.stdout).toContain('3 failed email row(s)');
    expect(text.stdout).toContain('smtp permanent 550 EENVELOPE RCPT TO');
    expect(text.stdout).not.toContain('fan.private');
  });

  it('a dry run changes nothing; a redrive by id puts the row back to pending with a fresh ladder and wakes the worker', async () => {
    const dry = await cmdr(['outbox', 'redrive', ids.permanent!, '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would redrive 1 failed email row(s) (dry run: nothing changed)');
    expect(await status(ids.permanent!)).toEqual({ status: 'failed', attempts: 5 });

    const listener = await pool.connect();
    const notified: string[] = [];
    listener.on('notification', (n) => notified.push(n.channel));
    await listener.query('LISTEN email_message');
    const run = await cmdr(['--json', 'outbox', 'redrive', ids.permanent!, ids.noRecipient!, ids.sent!], env);
    expect(run.code).toBe(0);
    expect(run.json()).toEqual({
      kind: 'email',
      dryRun: false,
      redriven: [ids.permanent],
      skipped: expect.arrayContaining([
        { id: ids.noRecipient, reason: 'no_recipient' },
        { id: ids.sent, reason: 'not_failed' },
      ]),
    });
    expect(await status(ids.permanent!)).toEqual({ status: 'pending', attempts: 0 });
    await new Promise((r) => setTimeout(r, 200));
    expect(notified).toContain('email_message');
    listener.release();
  });

  it('named rows are all looked at, whatever --limit says', async () => {
    const run = await cmdr(
      ['--json', 'outbox', 'redrive', '--dry-run', '--limit', '1', ids.noRecipient!, ids.sent!, ids.transient!],
      env,
    );
    expect(run.code, run.stderr).toBe(0);
    const result = run.json<{ redriven: string[]; skipped: { id: string; reason: string }[] }>();
    expect(result.redriven).toEqual([ids.transient]);
    expect(result.skipped).toEqual(
      expect.arrayContaining([
        { id: ids.noRecipient, reason: 'no_recipient' },
        { id: ids.sent, reason: 'not_failed' },
      ]),
    );
    // The command itself: a limit (meant for --all) never cuts named rows short into "not_found".
    const named = await redriveFailedOutbox(pool, 'email', {
      ids: [ids.noRecipient!, ids.sent!, ids.transient!],
      limit: 1,
      dryRun: true,
    });
    expect(named.skipped.filter((s) => s.reason === 'not_found')).toEqual([]);
    expect(named.redriven).toEqual([ids.transient]);
  });

  it('--all redrives every redrivable failed row; fulfilments too', async () => {
    const run = await cmdr(['--json', 'outbox', 'redrive', '--all'], env);
    expect(run.json<{ redriven: string[] }>().redriven).toEqual([ids.transient]);
    expect(await status(ids.noRecipient!)).toEqual({ status: 'failed', attempts: 5 });

    const list = await cmdr(['--json', 'outbox', 'list', '--kind', 'fulfillment'], env);
    expect(list.json<{ items: { id: string; errorClass: string }[] }>().items).toMatchObject([
      { id: ids.fulfilment, errorClass: 'permanent' },
    ]);
    const redrive = await cmdr(['outbox', 'redrive', '--kind', 'fulfillment', '--all'], env);
    expect(redrive.stdout).toContain('redriven 1 failed fulfillment row(s)');
    const { rows } = await pool.query('SELECT status::text FROM fulfillment');
    expect(rows).toEqual([{ status: 'pending' }]);
  });

  it('refuses ids and --all together, neither, or an unknown kind (usage, exit 2)', async () => {
    for (const args of [
      ['outbox', 'redrive'],
      ['outbox', 'redrive', ids.transient!, '--all'],
      ['outbox', 'list', '--kind', 'sms'],
      // Whole decimal numbers in range only: not PostgreSQL's problem, nor silently read as hex.
      ['outbox', 'list', '--limit', '1e21'],
      ['outbox', 'list', '--limit', '99999999999999999999'],
      ['outbox', 'list', '--limit', '0x10'],
      ['outbox', 'list', '--limit', '0'],
      ['outbox', 'redrive', '--all', '--limit', '-5'],
    ]) {
      const run = await cmdr(args, env);
      expect(run.code, run.stderr).toBe(ExitCode.usage);
    }
    const unknown = await cmdr(
      ['--json', 'outbox', 'redrive', 'not-a-uuid', '00000000-0000-4000-8000-000000000000'],
      env,
    );
    expect(unknown.json<{ skipped: { reason: string }[] }>().skipped.map((s) => s.reason)).toEqual([
      'not_found',
      'not_found',
    ]);
  });
});
