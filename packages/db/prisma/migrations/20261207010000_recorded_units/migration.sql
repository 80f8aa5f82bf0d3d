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

-- Until now the reported release was the line's current release_id.
UPDATE "download_grant" g SET "reported" = true
  FROM "order_line" ol WHERE ol."id" = g."order_line_id" AND g."release_id" = ol."release_id";

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
