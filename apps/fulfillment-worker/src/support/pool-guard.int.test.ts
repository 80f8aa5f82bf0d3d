import { guardPoolClients } from '@single/db/transaction';
import { createTestDatabase, type TestDatabase } from '@single/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A PostgreSQL restart kills every backend; a client checked out at that moment must not take the worker down.
describe('guardPoolClients', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it('turns a checked-out client losing its server into a failed next query, not an uncaught error', async () => {
    const seen: string[] = [];
    const pool = guardPoolClients(new pg.Pool({ connectionString: database.url, max: 2 }), (err) =>
      seen.push((err as Error & { code?: string }).code ?? err.message),
    );
    const client = await pool.connect(); // checked out, between two queries: the pool does not listen to it
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await pool.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    await expect.poll(() => seen, { timeout: 5_000 }).toContain('57P01'); // admin shutdown, as in a restart
    await expect(client.query('SELECT 1')).rejects.toThrow();
    client.release();
    // The broken client is not handed out again.
    expect((await pool.query<{ n: number }>('SELECT 1 AS n')).rows).toEqual([{ n: 1 }]);
    await pool.end();
  });
});
