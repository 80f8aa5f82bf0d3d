-- Fan identity (apps/geo-reporting/src/charts/fan-identity.ts): strong keys (order, checkout, email hash) link
-- a fan's units for ever, weak keys (an IP with a ZIP and country) only within a chart rule's window around the
-- sale and never two units that both carry an email. One row per key per unit, so a weak key can be seen at
-- several times and a purge of one order leaves the keys another order registered.

-- CreateEnum
CREATE TYPE "fan_key_kind" AS ENUM ('strong', 'weak');

-- AlterTable
ALTER TABLE "chart_fan_key" DROP CONSTRAINT "chart_fan_key_pkey",
ADD COLUMN     "identified" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "kind" "fan_key_kind" NOT NULL DEFAULT 'strong',
ADD COLUMN     "seen_at" TIMESTAMPTZ(3),
ADD CONSTRAINT "chart_fan_key_pkey" PRIMARY KEY ("chart", "product", "fan_key", "sale_line_id");

-- Keys registered before were sha256('ip:' || address) for a raw IP, alone, for ever, and cannot be told from the
-- others by their hash. Remove those whose address is still known (the orders' browser_ip, the captures'
-- client_ip) from the registry and from the sales not yet decided, so a shared address no longer caps later
-- fans. Addresses already purged took their keys with them (purgeGeoPersonalData).
DELETE FROM "chart_fan_key" WHERE "fan_key" IN (
  SELECT encode(sha256(convert_to('ip:' || ip, 'UTF8')), 'hex') FROM (
    SELECT "browser_ip" AS ip FROM "orders" WHERE "browser_ip" IS NOT NULL
    UNION SELECT "client_ip" FROM "geo_capture" WHERE "client_ip" IS NOT NULL) AS known);

WITH known AS (
  SELECT DISTINCT encode(sha256(convert_to('ip:' || ip, 'UTF8')), 'hex') AS key FROM (
    SELECT "browser_ip" AS ip FROM "orders" WHERE "browser_ip" IS NOT NULL
    UNION SELECT "client_ip" FROM "geo_capture" WHERE "client_ip" IS NOT NULL) AS addresses)
UPDATE "located_sale"
   SET "fan_keys" = ARRAY(SELECT k FROM unnest("fan_keys") AS k WHERE k NOT IN (SELECT key FROM known))
 WHERE "fan_keys" && ARRAY(SELECT key FROM known);
