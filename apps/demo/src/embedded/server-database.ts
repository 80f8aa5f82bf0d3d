import { applyMigrations } from '@single/db/migrations';
// pg, not Prisma Client: CREATE/DROP DATABASE run on the server's admin connection, outside the database a client binds to.
import pg from 'pg';

/**
 * With DATABASE_URL set, the demo runs on that server in a database of its own (created, migrated, and
 * dropped on exit), so it never touches the data already there.
 */
export async function serverDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `single_demo_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await applyMigrations(url.toString());
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
