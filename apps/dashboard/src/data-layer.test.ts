import { fileURLToPath } from 'node:url';
import { auditPgQueries } from '@single/testing';
import { describe, expect, it } from 'vitest';

// Issue 16: the dashboard's server reads through the artist API and Prisma Client; no file of its own calls pg's
// `query`, and none may start to.
const SRC = fileURLToPath(new URL('.', import.meta.url));
const STAYS_ON_PG: Record<string, string> = {};
// browser: the Playwright tests' support (stack.ts starts the artist API's harness and seeds its database with
// pg; browser.ts and states.ts drive the pages), imported by no server or web code. server/testing: test sessions.
const TEST_SUPPORT = ['browser', 'server/testing'];

describe('dashboard data layer', () => {
  it("calls pg's query only in the files that stay on pg, each still doing so", () => {
    expect(auditPgQueries(SRC, STAYS_ON_PG, TEST_SUPPORT)).toEqual({ unlisted: [], stale: [] });
  });
});
