import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { applyMigrations, migrationsFingerprint } from '@single/db/migrations';
import { PgliteWireServer } from './wire-server.ts';

export interface EmbeddedPostgres {
  url: string;
  port: number;
  /** Applied by this start (empty when the snapshot was already migrated). */
  appliedMigrations: string[];
  close(): Promise<void>;
}

/**
 * PostgreSQL compiled to WebAssembly (PGlite), in memory, behind a wire-protocol server on a free local
 * port: every app gets a plain postgres:// URL, and `psql` can look in. The schema comes from the same
 * migrations as production, applied through that URL. initdb + migrations take seconds, so the migrated
 * database is kept as a snapshot per migration history under `cacheDir` and reloaded on the next run.
 */
export async function startEmbeddedPostgres(options: { cacheDir: string }): Promise<EmbeddedPostgres> {
  const fingerprint = await migrationsFingerprint();
  const snapshot = path.join(options.cacheDir, `pglite-${fingerprint.slice(0, 16)}.tar.gz`);
  const cached = existsSync(snapshot);
  const db = cached
    ? await PGlite.create({ loadDataDir: new Blob([await readFile(snapshot)]) })
    : await PGlite.create();
  const server = new PgliteWireServer({ db });
  const port = await server.start();
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  const appliedMigrations = await applyMigrations(url);
  if (!cached) {
    const dump = await db.dumpDataDir('gzip');
    await mkdir(options.cacheDir, { recursive: true });
    const partial = `${snapshot}.${process.pid}`;
    await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
    await rename(partial, snapshot);
  }
  return {
    url,
    port,
    appliedMigrations,
    async close() {
      await server.stop();
      await db.close();
    },
  };
}
