-- The delivery log keeps the body exactly as Shopify sent it, as text: jsonb parsed every 7 KB body on the
-- way in and printed it again on the way out to the relay, most of PostgreSQL's work per webhook (the JSON
-- operators the privacy purges need still work on payload::jsonb, for one shop's rows at a time).
-- Compression follows the server's default_toast_compression: lz4 where the server has it (scripts/infra.sh
-- sets it, and so should the production parameter group), pglz otherwise. It is not named here, so that
-- servers built without lz4 still migrate. (No semicolons in comments: the migration engine splits on them.)
ALTER TABLE "webhook_delivery" ALTER COLUMN "payload" SET DATA TYPE TEXT USING "payload"::text;
