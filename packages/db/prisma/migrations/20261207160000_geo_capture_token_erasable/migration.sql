-- Issue 14 (privacy that holds): a redaction nulls the checkout token of the fan's geo captures too, since
-- the token links a capture to the order
ALTER TABLE "geo_capture" ALTER COLUMN "checkout_token" DROP NOT NULL;
