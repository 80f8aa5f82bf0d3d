-- Delivery payloads (~7 KB of JSON each, thousands a second on a release day) are TOASTed: lz4 compresses
-- them several times faster than the default pglz, on insert and when the relay reads them back.
-- Hand-written: Prisma's schema language has no column compression, so `migrate diff` does not see it.
ALTER TABLE "webhook_delivery" ALTER COLUMN "payload" SET COMPRESSION lz4;

-- The relay marks each delivery published right after inserting it: free space on every page lets those
-- updates be HOT (status and published_at are not indexed), so they skip the table's five indexes.
ALTER TABLE "webhook_delivery" SET (fillfactor = 60);
