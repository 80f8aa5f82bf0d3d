import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteWireServer } from './wire-server.ts';

// The embedded database of the zero-setup demo: one PGlite session shared by every client connection.
describe('PgliteWireServer', () => {
  let db: PGlite;
  let server: PgliteWireServer;
  let url: string;

  beforeAll(async () => {
    db = await PGlite.create();
    server = new PgliteWireServer({ db });
    url = `postgres://postgres:postgres@127.0.0.1:${await server.start()}/postgres`;
    await db.exec('CREATE TABLE note (id int PRIMARY KEY, body text)');
  }, 60_000); // PGlite's initdb in WebAssembly: seconds, more on a loaded two-core machine
  afterAll(async () => {
    await server.stop();
    await db.close();
  });

  const connect = async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return client;
  };

  it('keeps serving after a client that prepared named statements leaves (idle pool clients closing)', async () => {
    const leaving = await connect();
    await leaving.query({ name: 'one-note', text: 'SELECT body FROM note WHERE id = $1', values: [1] });
    await leaving.end();
    // The statement left behind is dropped when the session is next idle; that drop once deadlocked it.
    const next = await connect();
    const { rows } = await next.query({ name: 'one-note', text: 'SELECT count(*)::int AS n FROM note', values: [] });
    expect(rows).toEqual([{ n: 0 }]);
    await next.end();
  }, 10_000);

  it('rolls back the transaction of a client that disconnects inside it, then serves the others', async () => {
    const leaving = await connect();
    await leaving.query('BEGIN');
    await leaving.query("INSERT INTO note VALUES (7, 'never committed')");
    const waiting = connect(); // queued behind the open transaction
    leaving.on('error', () => undefined); // its own dropped connection, expected
    (leaving as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    const other = await waiting;
    const { rows } = await other.query('SELECT count(*)::int AS n FROM note');
    expect(rows).toEqual([{ n: 0 }]);
    await other.query("INSERT INTO note VALUES (8, 'committed')");
    expect((await other.query('SELECT id FROM note')).rows).toEqual([{ id: 8 }]);
    await other.end();
  }, 10_000);
});
