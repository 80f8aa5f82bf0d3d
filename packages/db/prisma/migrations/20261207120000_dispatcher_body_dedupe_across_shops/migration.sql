-- The body key of a delivery no longer names the shop: Shopify signs only the body, and order payloads do
-- not name their shop, so the same bytes under another shop's header are a replay, not a new delivery.
-- Rows already stored twice under different shops (replays taken before this change) keep their rows for
-- the record. Every copy after the first is set apart in a family of its own (suffix replay and its id) so
-- that the new unique key can be built. Such rows are rare, and only investigated by hand.
UPDATE "webhook_delivery" d
SET "dedupe_family" = d."dedupe_family" || '#replay:' || d."id"
WHERE EXISTS (
  SELECT 1 FROM "webhook_delivery" e
  WHERE e."dedupe_family" = d."dedupe_family" AND e."body_sha256" = d."body_sha256" AND e."id" < d."id"
);

DROP INDEX "webhook_delivery_shop_domain_dedupe_family_body_sha256_key";

CREATE UNIQUE INDEX "webhook_delivery_dedupe_family_body_sha256_key" ON "webhook_delivery"("dedupe_family", "body_sha256");
