-- The body key of a delivery no longer names the topic family either: the topic is a header, and Shopify
-- signs only the body, so the same bytes under another topic (orders/cancelled replayed as orders/updated,
-- in another shop) are a replay, never a second delivery. The key is the sha256 of the bytes alone.
-- Copies stored before this change (the same bytes under two families) keep their rows for the record:
-- every copy after the first gets a body_sha256 that no real hash can equal (suffix replay and its id),
-- so the new unique key can be built and a later delivery of those bytes still meets the first copy.
UPDATE "webhook_delivery" d
SET "body_sha256" = d."body_sha256" || '#replay:' || d."id"
WHERE EXISTS (
  SELECT 1 FROM "webhook_delivery" e
  WHERE e."body_sha256" = d."body_sha256" AND e."id" < d."id"
);

DROP INDEX "webhook_delivery_dedupe_family_body_sha256_key";

CREATE UNIQUE INDEX "webhook_delivery_body_sha256_key" ON "webhook_delivery"("body_sha256");
