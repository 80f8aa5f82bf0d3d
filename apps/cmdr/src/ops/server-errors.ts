import type pg from 'pg';
import { CmdrError, ExitCode } from '../exit-codes.ts';

/** A server URL fit for a message: the password (and a token in the user part alone) replaced by ***. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    else if (url.username) url.username = '***';
    for (const key of [...url.searchParams.keys()]) {
      if (/pass|secret|token|key/i.test(key)) url.searchParams.set(key, '***');
    }
    return url.toString();
  } catch {
    return '<not a URL>';
  }
}

/** A table or a column that does not exist (PostgreSQL's codes, and Prisma's): a schema older than this cmdr. */
const MISSING_RELATION = new Set(['42P01', '42703', 'P2021', 'P2022']);

export const MIGRATE_COMMAND = 'pnpm db:migrate';

/**
 * Turns "relation … does not exist" into what to do about it: the database has no migrations, or not the
 * ones this cmdr needs. Any other error is returned as is.
 */
export async function explainSchemaError(error: unknown, pool: pg.Pool, databaseUrl: string): Promise<unknown> {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !MISSING_RELATION.has(code)) return error;
  const database = decodeURIComponent(new URL(databaseUrl).pathname.slice(1)) || '(default)';
  let migrated = true;
  try {
    const { rows } = await pool.query<{ table: string | null }>(
      "SELECT to_regclass('_prisma_migrations')::text AS table",
    );
    migrated = rows[0]?.table != null;
  } catch {
    // keep the generic wording below
  }
  const what = migrated
    ? `database "${database}" is behind this cmdr's migrations (${(error as Error).message})`
    : `database "${database}" is not migrated (it has no _prisma_migrations table)`;
  return new CmdrError(
    `${what}: migrate it first with \`${MIGRATE_COMMAND}\` (DATABASE_URL=${redactUrl(databaseUrl)}), or \`cmdr up\` locally; in a cluster the artist-api release's migrations Job does it (\`cmdr deploy artist-api\`)`,
    ExitCode.conflict,
  );
}
