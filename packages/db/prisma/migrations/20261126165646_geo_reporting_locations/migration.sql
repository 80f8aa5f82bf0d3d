-- AlterTable
ALTER TABLE "geo_capture" ADD COLUMN     "accuracy_radius_km" INTEGER,
ADD COLUMN     "latitude" DOUBLE PRECISION,
ADD COLUMN     "longitude" DOUBLE PRECISION;

-- AlterTable
ALTER TABLE "located_sale" ADD COLUMN     "fan_keys" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "flags" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "isrc" TEXT,
ADD COLUMN     "upc" TEXT;

-- AlterTable
ALTER TABLE "sale_line" ADD COLUMN     "counted_at" TIMESTAMPTZ(3),
ADD COLUMN     "order_id" TEXT NOT NULL,
ADD COLUMN     "rules_version" INTEGER,
ADD COLUMN     "shop_domain" TEXT NOT NULL;

-- CreateTable
CREATE TABLE "chart_fan_key" (
    "chart" TEXT NOT NULL,
    "product" TEXT NOT NULL,
    "fan_key" TEXT NOT NULL,
    "sale_line_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "chart_fan_key_pkey" PRIMARY KEY ("chart","product","fan_key")
);

-- CreateIndex
CREATE INDEX "geo_capture_captured_at_idx" ON "geo_capture"("captured_at");
