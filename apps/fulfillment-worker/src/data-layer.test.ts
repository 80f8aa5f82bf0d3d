import { fileURLToPath } from 'node:url';
import { auditPgQueries } from '@single/testing';
import { describe, expect, it } from 'vitest';

// Issue 16: the worker queries through Prisma Client; pg's `query` stays on the hot paths and connections
// ARCHITECTURE.md lists ("Fulfillment worker's data layer").
const SRC = fileURLToPath(new URL('.', import.meta.url));
const STAYS_ON_PG = {
  'handlers/order-snapshot/apply-snapshots.ts': 'order snapshot batch: hot batched path, measured',
  'privacy/late-copies.ts': "late copies: inside the snapshot batch's transaction",
  'support/db.ts': "Runner's pg side: the snapshot batch's shared statements",
  'email/mailer.ts': 'email outbox claims: SKIP LOCKED leases',
  'shopify-admin/fulfillment-sender.ts': 'fulfilment outbox claims: SKIP LOCKED leases',
  'sales/sales-relay.ts': 'sales outbox relay: advisory lock, batches',
  'sales/fan-sealing.ts': "sales outbox relay: seals a batch in the relay's transaction",
  'app.ts': 'LISTEN: a dedicated listening connection',
};
// test-support: harnesses and fakes. storm: the platform storm's harness (platform.storm.int.test.ts and its
// checks, imported by nothing in the worker), which verifies the outcome in the database with pg.
const TEST_SUPPORT = ['test-support', 'storm'];

describe('fulfillment-worker data layer', () => {
  it("calls pg's query only in the files that stay on pg, each still doing so", () => {
    expect(auditPgQueries(SRC, STAYS_ON_PG, TEST_SUPPORT)).toEqual({ unlisted: [], stale: [] });
  });
});
