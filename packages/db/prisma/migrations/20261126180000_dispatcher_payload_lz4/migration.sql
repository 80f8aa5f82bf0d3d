-- Delivery payloads (~7 KB of JSON each, thousands a second on a release day) are TOASTed: lz4 compresses
-- them several times faster than the default pglz, on insert and when the relay reads them back.
-- Hand-written: Prisma's schema language has no column compression, so `migrate diff` does not see it.
ALTER TABLE "webhook_delivery" ALTER COLUMN "payload" SET COMPRESSION lz4;
