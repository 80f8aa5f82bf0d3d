import { defineConfig } from 'prisma/config';

// Prisma 7 reads the connection URL from here (not from schema.prisma). Only the CLI uses this file;
// migrations run through scripts/migrate.ts and the app passes its URL to createDb().
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgres://single:single@127.0.0.1:5432/single' },
});
