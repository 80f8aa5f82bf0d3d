import { fileURLToPath } from 'node:url';
import { auditPgQueries } from '@single/testing';
import { describe, expect, it } from 'vitest';

// Issue 16: geo-reporting queries through Prisma Client; pg's `query` stays only on the hot path
// ARCHITECTURE.md lists with its benchmark ("Geo-reporting's data layer"). Tests and their set-up may seed with pg.
const SRC = fileURLToPath(new URL('.', import.meta.url));
const STAYS_ON_PG = {
  'captures/capture.repository.ts': 'capture batch: hot path, named prepared statement, measured',
};
const TEST_SUPPORT = ['test-support']; // set-up: tests may seed and check with pg

describe('geo-reporting data layer', () => {
  it("calls pg's query only in the files that stay on pg, each still doing so", () => {
    expect(auditPgQueries(SRC, STAYS_ON_PG, TEST_SUPPORT)).toEqual({ unlisted: [], stale: [] });
  });
});
