// Migration CLI on the Wasm schema engine (the native one cannot be downloaded here):
//   node --conditions=source scripts/migrate.ts deploy         apply pending migrations to DATABASE_URL
//   node --conditions=source scripts/migrate.ts create <name>  schema.prisma vs migrations -> new migration
// DATABASE_URL defaults to the local development database.
import { databaseEnv, loadConfigOrExit } from '@single/config';
import { applyMigrations, createMigration } from '../src/migrations/index.ts';

const { DATABASE_URL } = loadConfigOrExit(
  { DATABASE_URL: databaseEnv.DATABASE_URL.default('postgres://single:single@127.0.0.1:5432/single') },
  process.env,
);
const databaseName = new URL(DATABASE_URL).pathname.slice(1);
const [command, name] = process.argv.slice(2);

// Where the migrations were applied, for the operator, without the password.
const target = new URL(DATABASE_URL);
if (target.password !== '') target.password = '***';

try {
  if (command === 'deploy') {
    const applied = await applyMigrations(DATABASE_URL);
    process.stdout.write(
      applied.length === 0
        ? `Database "${databaseName}" is up to date.\n`
        : `Applied to "${databaseName}":\n${applied.map((migration) => `  ${migration}\n`).join('')}`,
    );
  } else if (command === 'create' && name !== undefined && /^[a-z0-9_]+$/.test(name)) {
    const created = await createMigration(DATABASE_URL, name);
    process.stdout.write(
      created === undefined ? 'schema.prisma matches the migrations: nothing to create.\n' : `Created ${created}\n`,
    );
  } else {
    process.stderr.write('usage: migrate.ts deploy | migrate.ts create <snake_case_name>\n');
    process.exit(64);
  }
} catch (error) {
  // The schema engine's error in words (e.g. "Can't reach database server at `127.0.0.1:1`"), never its stack.
  const message = error instanceof Error ? error.message.trim() : String(error);
  process.stderr.write(`migrate.ts ${command}: failed on ${target.href}: ${message}\n`);
  process.exit(1);
}
