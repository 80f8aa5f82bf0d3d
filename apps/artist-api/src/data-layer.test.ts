import { fileURLToPath } from 'node:url';
import { auditPgQueries } from '@single/testing';
import { describe, expect, it } from 'vitest';

// Issue 16: the artist API queries through Prisma Client (scoped to the account); pg's `query` stays only on the
// measured hot paths ARCHITECTURE.md lists ("Artist API's data layer", rows marked pg).
const SRC = fileURLToPath(new URL('.', import.meta.url));
const STAYS_ON_PG = {
  'auth/api-key.repository.ts': 'API-key lookup: every request, measured',
  'sales/sales.repository.ts': 'release ownership and sales summary: hot path, measured',
  'downloads/redemption.service.ts': 'download redemption: hot path, measured',
};
const TEST_SUPPORT = ['test-support']; // harness and seeds: tests may seed and check with pg

describe('artist-api data layer', () => {
  it("calls pg's query only in the files that stay on pg, each still doing so", () => {
    expect(auditPgQueries(SRC, STAYS_ON_PG, TEST_SUPPORT)).toEqual({ unlisted: [], stale: [] });
  });
});
