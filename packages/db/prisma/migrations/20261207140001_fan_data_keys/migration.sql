-- Crypto-shredding of the fan facts in sales.v1 (issue 14). A Kafka copy cannot be erased, so version 2 of the
-- event carries the facts that identify or locate a fan sealed with that fan's data key, kept here and nowhere
-- else. customers/redact and shop/redact delete the key, and every copy of the events becomes unreadable.
-- One key per shop and subject: the customer (customer:<id>), else the keyed email hash for a guest
-- (email:<hmac>), else the order (order:<id>). fan_data_key_order names the orders whose events a key sealed,
-- so a redaction by order id (orders_to_redact) reaches the key without reading any payload.
-- The key's 32 bytes are checked where it is made, not by a CHECK constraint: Prisma's Wasm schema engine
-- panics ("unreachable") diffing a migration history that holds one, which would break `migrate create`.
CREATE TABLE "fan_data_key" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "shop_domain" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "key" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "fan_data_key_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "fan_data_key_shop_domain_subject_key" ON "fan_data_key"("shop_domain", "subject");

CREATE TABLE "fan_data_key_order" (
    "shop_domain" TEXT NOT NULL,
    "shopify_order_id" TEXT NOT NULL,
    "key_id" UUID NOT NULL,
    CONSTRAINT "fan_data_key_order_pkey" PRIMARY KEY ("shop_domain", "shopify_order_id", "key_id")
);
CREATE INDEX "fan_data_key_order_key_id_idx" ON "fan_data_key_order"("key_id");
ALTER TABLE "fan_data_key_order" ADD CONSTRAINT "fan_data_key_order_key_id_fkey" FOREIGN KEY ("key_id")
  REFERENCES "fan_data_key"("id") ON DELETE CASCADE ON UPDATE CASCADE;
