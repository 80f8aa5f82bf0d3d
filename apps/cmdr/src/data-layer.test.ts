import { fileURLToPath } from 'node:url';
import { auditPgQueries } from '@single/testing';
import { describe, expect, it } from 'vitest';

// Issue 16: cmdr queries through Prisma Client only ("cmdr's data layer"): its shared @single/db statements run
// on the client through `sqlOf`, so no file calls pg's `query`.
const SRC = fileURLToPath(new URL('.', import.meta.url));
const STAYS_ON_PG: Record<string, string> = {};
const TEST_SUPPORT = ['test-support']; // tests' set-up

describe('cmdr data layer', () => {
  it("calls pg's query only in the files that stay on pg, each still doing so", () => {
    expect(auditPgQueries(SRC, STAYS_ON_PG, TEST_SUPPORT)).toEqual({ unlisted: [], stale: [] });
  });
});
