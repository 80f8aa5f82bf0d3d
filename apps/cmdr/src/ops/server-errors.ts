import type { Db } from '@single/db';
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

/** A table or a column that does not exist: PostgreSQL's codes (and Prisma's, should one come without the server's). */
const MISSING_RELATION = new Set(['42P01', '42703', 'P2021', 'P2022']);

export const MIGRATE_COMMAND = 'pnpm db:migrate';

/**
 * PostgreSQL's code and message of an error, whichever way it came: pg's own error, or Prisma's (a model
 * query's P2021/P2022, a raw statement's P2010), which carry the server's in `meta.driverAdapterError.cause`. The
 * operator reads PostgreSQL's "relation ... does not exist" either way, not Prisma's call-site dump.
 */
function serverError(error: unknown): { code: unknown; message: string } {
  const e = error as { code?: unknown; message?: unknown; meta?: { driverAdapterError?: { cause?: unknown } } };
  const cause = e.meta?.driverAdapterError?.cause as { originalCode?: unknown; originalMessage?: unknown } | undefined;
  if (cause && typeof cause.originalCode === 'string' && typeof cause.originalMessage === 'string') {
    return { code: cause.originalCode, message: cause.originalMessage.replace(/"public\./g, '"') };
  }
  return { code: e.code, message: typeof e.message === 'string' ? e.message : String(error) };
}

/**
 * Turns "relation … does not exist" into what to do about it: the database has no migrations, or not the
 * ones this cmdr needs. Any other error is returned as is.
 */
export async function explainSchemaError(error: unknown, db: Db, databaseUrl: string): Promise<unknown> {
  const missing = serverError(error);
  if (typeof missing.code !== 'string' || !MISSING_RELATION.has(missing.code)) return error;
  const database = decodeURIComponent(new URL(databaseUrl).pathname.slice(1)) || '(default)';
  let migrated = true;
  try {
    const rows = await db.$queryRaw<
      { table: string | null }[]
    >`SELECT to_regclass('_prisma_migrations')::text AS table`;
    migrated = rows[0]?.table != null;
  } catch {
    // keep the generic wording below
  }
  const what = migrated
    ? `database "${database}" is behind this cmdr's migrations (${missing.message})`
    : `database "${database}" is not migrated (it has no _prisma_migrations table)`;
  return new CmdrError(
    `${what}: migrate it first with \`${MIGRATE_COMMAND}\` (DATABASE_URL=${redactUrl(databaseUrl)}), or \`cmdr up\` locally; in a cluster the artist-api release's migrations Job does it (\`cmdr deploy artist-api\`)`,
    ExitCode.conflict,
  );
}
