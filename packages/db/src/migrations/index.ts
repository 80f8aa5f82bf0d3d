import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { fingerprintMigrations, lockfileContent, readMigrationsFolder, writeMigration } from './migrations-folder.ts';
import { type EngineLog, withSchemaEngine } from './schema-engine.ts';

// Migrations for the one database: applied by a deploy step (never on container start), by
// `pnpm db:migrate` locally and by @single/testing for the test template database.

/** Same depth from src/migrations/ and dist/migrations/, so source and build find the same folder. */
export const migrationsDir = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));
export const schemaPath = fileURLToPath(new URL('../../prisma/schema.prisma', import.meta.url));

const noFilters = { externalTables: [], externalEnums: [] };

export type MigrateOptions = { migrationsDir?: string; log?: EngineLog };

/**
 * Applies the migrations not yet recorded in `_prisma_migrations` (what `prisma migrate deploy` does),
 * returning their names; an up-to-date database yields `[]`.
 */
export async function applyMigrations(databaseUrl: string, options: MigrateOptions = {}): Promise<string[]> {
  const migrationsList = await readMigrationsFolder(options.migrationsDir ?? migrationsDir);
  return withSchemaEngine(
    databaseUrl,
    undefined,
    async (engine) => {
      const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters: noFilters });
      return appliedMigrationNames;
    },
    options.log,
  );
}

/**
 * Diffs schema.prisma against the migration history (replayed in a throw-away shadow database on the
 * server of `databaseUrl`) and writes the difference as a new migration directory, like
 * `prisma migrate diff --from-migrations --to-schema` + `migrate dev --create-only`. Returns the new
 * directory's name, or undefined when the schema has no changes.
 */
export async function createMigration(
  databaseUrl: string,
  name: string,
  options: MigrateOptions & { schemaPath?: string; now?: Date } = {},
): Promise<string | undefined> {
  const baseDir = options.migrationsDir ?? migrationsDir;
  const path = options.schemaPath ?? schemaPath;
  const schema = { path, content: await readFile(path, 'utf8') };
  const migrationsList = await readMigrationsFolder(baseDir);
  // The first migration has no lockfile yet; the engine reads the provider from it.
  migrationsList.lockfile.content ??= lockfileContent('postgresql');
  const { exitCode, stdout } = await withSchemaEngine(
    databaseUrl,
    undefined,
    (engine) =>
      engine.diff({
        from: { tag: 'migrations', ...migrationsList },
        to: { tag: 'schemaDatamodel', files: [schema] },
        script: true,
        exitCode: true, // 2 = there is a difference
        filters: noFilters,
      }),
    options.log,
  );
  if (exitCode !== 2 || stdout === null) return undefined;
  const generatedName = `${migrationTimestamp(options.now ?? new Date())}_${name}`;
  await writeMigration(baseDir, { name: generatedName, script: stdout, extension: 'sql', connectorType: 'postgresql' });
  return generatedName;
}

/** Prisma's migration directory prefix: UTC yyyyMMddHHmmss. */
export function migrationTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** Fingerprint of the migration history, e.g. to name a template database migrated up to it. */
export async function migrationsFingerprint(dir: string = migrationsDir): Promise<string> {
  return fingerprintMigrations(await readMigrationsFolder(dir));
}
