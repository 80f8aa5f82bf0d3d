-- Issue 15 (side effects exactly once): the email and Shopify fulfilment outboxes record each message's
-- outcome on its own, with a "sending" state between the claim and that record. A row found in "sending"
-- after its lease (its sender died, or could not write the outcome) is sent again with the SAME key, and
-- counted in uncertain_sends.
ALTER TYPE "email_status" ADD VALUE IF NOT EXISTS 'sending';
ALTER TYPE "fulfillment_status" ADD VALUE IF NOT EXISTS 'sending';

-- The SMTP Message-ID, generated once per email and sent with every attempt, so the receiving side can
-- drop a copy. Rows queued before keep the id their sends already carried (derived from the idempotency key).
ALTER TABLE "email_message" ADD COLUMN "message_id" TEXT;
UPDATE "email_message" SET "message_id" = '<' || substr(encode(sha256(convert_to("idempotency_key", 'UTF8')), 'hex'), 1, 32) || '@single.email>';
ALTER TABLE "email_message" ALTER COLUMN "message_id" SET DEFAULT ('<' || replace(gen_random_uuid()::text, '-', '') || '@single.email>');
ALTER TABLE "email_message" ALTER COLUMN "message_id" SET NOT NULL;
CREATE UNIQUE INDEX "email_message_message_id_key" ON "email_message"("message_id");

-- Why a row ended failed: transient (the retry ladder ran out), permanent (refused for good: SMTP 5xx,
-- Shopify 4xx), no_recipient, grants_revoked. The failed-count metric and cmdr's redrive read it.
ALTER TABLE "email_message" ADD COLUMN "error_class" TEXT;
ALTER TABLE "email_message" ADD COLUMN "uncertain_sends" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "fulfillment" ADD COLUMN "error_class" TEXT;
ALTER TABLE "fulfillment" ADD COLUMN "uncertain_sends" INTEGER NOT NULL DEFAULT 0;

UPDATE "email_message" SET "error_class" = CASE
  WHEN "last_error" IN ('no_recipient', 'grants_revoked') THEN "last_error"
  WHEN "last_error" = 'customer_redacted' THEN 'no_recipient'
  WHEN "last_error" LIKE 'smtp permanent%' THEN 'permanent'
  ELSE 'transient' END
WHERE "status" = 'failed';
UPDATE "fulfillment" SET "error_class" = CASE
  WHEN "last_error" = 'grants_revoked' THEN 'grants_revoked'
  WHEN "last_error" LIKE 'ShopifyTransientError%' THEN 'transient'
  ELSE 'permanent' END
WHERE "status" = 'failed';
