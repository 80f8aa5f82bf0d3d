-- AlterTable
ALTER TABLE "fulfillment" ADD COLUMN     "attempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "last_error" TEXT,
ADD COLUMN     "line_item_ids" BIGINT[],
ADD COLUMN     "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- AlterTable
ALTER TABLE "shop" ADD COLUMN     "access_token" TEXT;

-- CreateTable
CREATE TABLE "refund_line" (
    "id" BIGSERIAL NOT NULL,
    "shop_domain" TEXT NOT NULL,
    "shopify_order_id" BIGINT NOT NULL,
    "shopify_refund_id" BIGINT NOT NULL,
    "shopify_line_id" BIGINT NOT NULL,
    "quantity" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "refund_line_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "redacted_customer" (
    "shop_domain" TEXT NOT NULL,
    "customer_id" BIGINT NOT NULL,
    "redacted_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "redacted_customer_pkey" PRIMARY KEY ("shop_domain","customer_id")
);

-- CreateIndex
CREATE INDEX "refund_line_shop_domain_shopify_order_id_idx" ON "refund_line"("shop_domain", "shopify_order_id");

-- CreateIndex
CREATE UNIQUE INDEX "refund_line_shop_domain_shopify_refund_id_shopify_line_id_key" ON "refund_line"("shop_domain", "shopify_refund_id", "shopify_line_id");

-- CreateIndex
CREATE UNIQUE INDEX "data_request_export_shop_domain_data_request_id_key" ON "data_request_export"("shop_domain", "data_request_id");

-- CreateIndex
CREATE INDEX "fulfillment_status_next_attempt_at_idx" ON "fulfillment"("status", "next_attempt_at");
