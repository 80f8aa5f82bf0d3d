-- The price the charts see. Shopify's line price is the list price per unit, its discounts and taxes are
-- amounts for the whole line. The order line keeps them beside the net, and each unit's share is
-- computed from them by unit index (see @single/contracts unit-price.ts).
ALTER TABLE "orders" ADD COLUMN "taxes_included" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "order_line" ADD COLUMN "discount_total" DECIMAL(12,2) NOT NULL DEFAULT 0;
ALTER TABLE "order_line" ADD COLUMN "tax_total" DECIMAL(12,2) NOT NULL DEFAULT 0;
-- Null for lines stored before the net was computed.
ALTER TABLE "order_line" ADD COLUMN "net_total" DECIMAL(12,2);
-- The reported mapping's fan-pack approval when the line was stored (a merch bundle counts only then).
ALTER TABLE "order_line" ADD COLUMN "fan_pack" BOOLEAN NOT NULL DEFAULT false;

-- Geo-reporting keeps the unit and its amounts from the event. Null for events that did not carry them.
ALTER TABLE "located_sale" ADD COLUMN "unit_index" INTEGER;
ALTER TABLE "located_sale" ADD COLUMN "gross_price" DECIMAL(12,2);
ALTER TABLE "located_sale" ADD COLUMN "discount_amount" DECIMAL(12,2);
ALTER TABLE "located_sale" ADD COLUMN "tax_amount" DECIMAL(12,2);
ALTER TABLE "located_sale" ADD COLUMN "merch_bundle" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "located_sale" ADD COLUMN "fan_pack" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "sale_line" ADD COLUMN "gross_price" DECIMAL(12,2);
ALTER TABLE "sale_line" ADD COLUMN "discount_amount" DECIMAL(12,2);
ALTER TABLE "sale_line" ADD COLUMN "tax_amount" DECIMAL(12,2);
