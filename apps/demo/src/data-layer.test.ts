import { fileURLToPath } from 'node:url';
import { auditPgQueries } from '@single/testing';
import { describe, expect, it } from 'vitest';

// Issue 16: the demo queries through Prisma Client; pg's `query` stays only where ARCHITECTURE.md says
// ("Demo's data layer").
const SRC = fileURLToPath(new URL('.', import.meta.url));
const STAYS_ON_PG = {
  'embedded/server-database.ts': 'CREATE/DROP DATABASE on the server admin connection',
};
// No test-support folder: src/storm is the demo's own load (main.ts runs it), so it is scanned.
const TEST_SUPPORT: string[] = [];

describe('demo data layer', () => {
  it("calls pg's query only in the files that stay on pg, each still doing so", () => {
    expect(auditPgQueries(SRC, STAYS_ON_PG, TEST_SUPPORT)).toEqual({ unlisted: [], stale: [] });
  });
});
