-- Partial indexes for the outbox claims, each holding only the backlog in the order a claim takes it, so a
-- claim reads its n entries instead of fetching the whole backlog and sorting it (bench/fulfillment at 50,000
-- orders, auto_explain: 20,000+ rows sorted on disk per claim). SQL only: the Prisma schema has no partial
-- indexes. No semicolon may appear in these comments (the migration runner splits scripts on it).
-- CONCURRENTLY: email_message and fulfillment keep every row ever queued, and a plain CREATE INDEX would block
-- their inserts (every order snapshot queues an email) for as long as it reads the table, during a deploy.
-- The runner sends each statement on its own, outside a transaction, which CONCURRENTLY needs. IF NOT EXISTS:
-- should one fail, those before it stay built and the migration can run again. A failed build leaves an
-- INVALID index, which IF NOT EXISTS would skip: drop it first (docs/RUNBOOK.md, Migrations).

-- The sales relay: WHERE published_at IS NULL ORDER BY id LIMIT n FOR UPDATE (170-280 ms per claim on
-- (published_at, id), the largest database cost of the worker). That index stays for the retention delete.
CREATE INDEX CONCURRENTLY IF NOT EXISTS "sales_outbox_unpublished_id_idx" ON "sales_outbox"("id") WHERE "published_at" IS NULL;

-- The mailer and the Shopify fulfilment sender: WHERE status IN (pending, sending) AND next_attempt_at <= now
-- ORDER BY next_attempt_at LIMIT n. On (status, next_attempt_at) the two statuses are two ranges, merged by a
-- bitmap and sorted whole (18-28 ms per claim with 50,000 waiting, growing with the backlog).
CREATE INDEX CONCURRENTLY IF NOT EXISTS "email_message_due_idx" ON "email_message"("next_attempt_at") WHERE "status" IN ('pending', 'sending');
CREATE INDEX CONCURRENTLY IF NOT EXISTS "fulfillment_due_idx" ON "fulfillment"("next_attempt_at") WHERE "status" IN ('pending', 'sending');
