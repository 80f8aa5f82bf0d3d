-- Privacy that holds (issue 14).
--
-- 1. The ids a privacy purge matches on are columns of webhook_delivery, filled by the dispatcher at intake
-- from the payload it has already parsed. No purge parses payloads: one body holding an escaped NUL or a
-- lone surrogate (valid JSON for Shopify and for JavaScript, refused by jsonb) once made customers/redact
-- fail for the whole shop. Ids are text: Shopify ids are digits, and a bigint cast on the claim's hot path
-- would fail a whole batch on an id out of range.
ALTER TABLE "webhook_delivery" ADD COLUMN "shopify_order_id" TEXT, ADD COLUMN "shopify_customer_id" TEXT;

-- Rows stored before this change are backfilled here. The escapes jsonb cannot hold (NUL, surrogates) are
-- replaced by U+FFFD first (ids are digits, so none changes), and the guard returns NULL for anything jsonb
-- still refuses, so one bad row never fails the migration. The function body is a string with its statement
-- ends written as the escape \073: the migration runner splits scripts at every semicolon character.
CREATE FUNCTION "webhook_delivery_payload_jsonb_or_null"(body TEXT) RETURNS JSONB LANGUAGE plpgsql IMMUTABLE AS
E'BEGIN RETURN regexp_replace(body, ''\\\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})'', ''\\\\ufffd'', ''g'')::jsonb\073 EXCEPTION WHEN others THEN RETURN NULL\073 END';

UPDATE "webhook_delivery" d
SET "shopify_order_id" = CASE
      WHEN d."topic" IN ('orders/create', 'orders/paid', 'orders/updated', 'orders/cancelled') THEN p.j->>'id'
      WHEN d."topic" = 'refunds/create' THEN p.j->>'order_id'
    END,
    "shopify_customer_id" = p.j->'customer'->>'id'
FROM (
  SELECT "id", "webhook_delivery_payload_jsonb_or_null"("payload") AS j FROM "webhook_delivery" WHERE "payload" IS NOT NULL
) p
WHERE p."id" = d."id" AND p.j IS NOT NULL AND jsonb_typeof(p.j) = 'object';

DROP FUNCTION "webhook_delivery_payload_jsonb_or_null"(TEXT);

CREATE INDEX "webhook_delivery_shop_domain_shopify_order_id_idx" ON "webhook_delivery"("shop_domain", "shopify_order_id");
CREATE INDEX "webhook_delivery_shop_domain_shopify_customer_id_idx" ON "webhook_delivery"("shop_domain", "shopify_customer_id");

-- 2. What a customers/redact erased stays erased: the orders it named (guest orders have no customer id)
-- and the keyed hashes of the emails it covered, beside redacted_customer.
CREATE TABLE "redacted_order" (
    "shop_domain" TEXT NOT NULL,
    "shopify_order_id" BIGINT NOT NULL,
    "redacted_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "redacted_order_pkey" PRIMARY KEY ("shop_domain", "shopify_order_id")
);

CREATE TABLE "redacted_email" (
    "shop_domain" TEXT NOT NULL,
    "email_hash" TEXT NOT NULL,
    "redacted_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "redacted_email_pkey" PRIMARY KEY ("shop_domain", "email_hash")
);

-- 3. A data-request export is fetched by the merchant and expires: a sweep nulls its payload and keeps
-- the row, so the API can answer 410 (gone) rather than 404 (never was).
ALTER TABLE "data_request_export" ALTER COLUMN "payload" DROP NOT NULL;
ALTER TABLE "data_request_export" ADD COLUMN "expires_at" TIMESTAMPTZ(3) NOT NULL DEFAULT (CURRENT_TIMESTAMP + interval '30 days');
CREATE INDEX "data_request_export_expires_at_idx" ON "data_request_export"("expires_at");
