-- Each granted unit keeps, for life, what it was recorded under: whether it is the unit's reported release and
-- the unit's amounts and merch-bundle facts as its sale.recorded said. sale.redeemed and sale.reversed are
-- built from the grant, never from the line's current mapping or amounts (a mapping changed or deleted after
-- the order, or an order edit, must not move or reprice a sale already in the stream).
ALTER TABLE "download_grant" ADD COLUMN "reported" BOOLEAN NOT NULL DEFAULT false;
-- Null on grants made before this migration: their events keep computing the unit's share from the line.
ALTER TABLE "download_grant" ADD COLUMN "unit_gross" NUMERIC;
ALTER TABLE "download_grant" ADD COLUMN "unit_discount" NUMERIC;
ALTER TABLE "download_grant" ADD COLUMN "unit_tax" NUMERIC;
ALTER TABLE "download_grant" ADD COLUMN "unit_net" NUMERIC;
ALTER TABLE "download_grant" ADD COLUMN "merch_bundle" BOOLEAN;
ALTER TABLE "download_grant" ADD COLUMN "fan_pack" BOOLEAN;

-- Which existing grants are their unit's reported release: the release the unit's sale.recorded named. The line's
-- release_id cannot say it: a mapping deleted after the order left it NULL, and a reported release moved from A to B
-- after A was recorded left it B. The events can: geo-reporting's located_sale holds every sale.recorded it consumed
-- (same database), and sales_outbox those not published yet (published rows are deleted). This migration reads
-- another service's table once, here, because it is the only record of what was reported. Rules, per grant:
--   the unit's own event (same line and unit index), the first one when the old worker recorded a unit twice under
--   two releases (geo-reporting keeps the first too)
--   else any recorded event of the line naming the grant's release (events without a unit index, older producers)
--   else, no event at all for the line, its release_id as before.
WITH recorded AS (
  SELECT shop_domain, order_line_id, release_id, unit_index, occurred_at, event_id::text AS event_id
    FROM "located_sale" WHERE type = 'sale.recorded'
  UNION ALL
  SELECT payload->>'shopDomain', payload->>'orderLineId',
    CASE WHEN payload->>'releaseId' ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$' THEN (payload->>'releaseId')::uuid END,
    CASE WHEN payload->>'unitIndex' ~ '^[0-9]{1,9}$' THEN (payload->>'unitIndex')::int END,
    (payload->>'occurredAt')::timestamptz, payload->>'eventId'
    FROM "sales_outbox" WHERE payload->>'type' = 'sale.recorded'
)
UPDATE "download_grant" g SET "reported" = true
  FROM "order_line" ol JOIN "orders" o ON o."id" = ol."order_id"
 WHERE ol."id" = g."order_line_id" AND CASE
   WHEN EXISTS (SELECT 1 FROM recorded r WHERE r.shop_domain = o."shop_domain"
                   AND r.order_line_id = ol."shopify_line_id"::text AND r.unit_index = g."unit_index")
     THEN g."release_id" = (SELECT r.release_id FROM recorded r WHERE r.shop_domain = o."shop_domain"
                              AND r.order_line_id = ol."shopify_line_id"::text AND r.unit_index = g."unit_index"
                            ORDER BY r.occurred_at, r.event_id LIMIT 1)
   WHEN EXISTS (SELECT 1 FROM recorded r WHERE r.shop_domain = o."shop_domain"
                   AND r.order_line_id = ol."shopify_line_id"::text)
     THEN EXISTS (SELECT 1 FROM recorded r WHERE r.shop_domain = o."shop_domain"
                     AND r.order_line_id = ol."shopify_line_id"::text AND r.release_id = g."release_id")
   ELSE g."release_id" = ol."release_id"
 END;

-- Money kept exactly in the currency's own digits (KWD and BHD have 3, CLF 4): NUMERIC without a scale stores
-- and prints the decimal as the producer wrote it, so 1.234 KWD stays 1.234 and 7.49 USD stays 7.49.
-- Magnitude and decimals are bounded where the amounts enter (the webhook and sales.v1 schemas).
ALTER TABLE "order_line" ALTER COLUMN "price" TYPE NUMERIC,
  ALTER COLUMN "discount_total" TYPE NUMERIC,
  ALTER COLUMN "tax_total" TYPE NUMERIC,
  ALTER COLUMN "net_total" TYPE NUMERIC;
ALTER TABLE "located_sale" ALTER COLUMN "net_price" TYPE NUMERIC,
  ALTER COLUMN "gross_price" TYPE NUMERIC,
  ALTER COLUMN "discount_amount" TYPE NUMERIC,
  ALTER COLUMN "tax_amount" TYPE NUMERIC;
ALTER TABLE "sale_line" ALTER COLUMN "net_price" TYPE NUMERIC,
  ALTER COLUMN "gross_price" TYPE NUMERIC,
  ALTER COLUMN "discount_amount" TYPE NUMERIC,
  ALTER COLUMN "tax_amount" TYPE NUMERIC;
ALTER TABLE "regional_rollup" ALTER COLUMN "net_amount" TYPE NUMERIC;
