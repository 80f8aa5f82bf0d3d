import { fileURLToPath } from 'node:url';
import { auditPgQueries } from '@single/testing';
import { describe, expect, it } from 'vitest';

// Issue 16: the dispatcher queries through Prisma Client off the intake's hot path; pg's `query` stays where
// ARCHITECTURE.md says ("Dispatcher's data layer").
const SRC = fileURLToPath(new URL('.', import.meta.url));
const STAYS_ON_PG = {
  'deliveries/delivery.repository.ts': 'batched claim: every delivery, per-statement timeout, measured',
  'relay/outbox-relay.ts': 'relay: every publish, advisory lane locks',
  'relay/outbox-waker.ts': 'NOTIFY of the relay waker',
};
const TEST_SUPPORT = ['test-support']; // harness: tests may seed and check with pg

describe('webhook-dispatcher data layer', () => {
  it("calls pg's query only in the files that stay on pg, each still doing so", () => {
    expect(auditPgQueries(SRC, STAYS_ON_PG, TEST_SUPPORT)).toEqual({ unlisted: [], stale: [] });
  });
});
