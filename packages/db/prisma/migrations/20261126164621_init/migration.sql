-- CreateEnum
CREATE TYPE "account_kind" AS ENUM ('artist', 'label');

-- CreateEnum
CREATE TYPE "shop_install_state" AS ENUM ('installed', 'uninstalled', 'redacted');

-- CreateEnum
CREATE TYPE "webhook_delivery_status" AS ENUM ('received', 'published', 'failed');

-- CreateEnum
CREATE TYPE "grant_status" AS ENUM ('scheduled', 'active', 'revoked', 'expired');

-- CreateEnum
CREATE TYPE "download_format" AS ENUM ('mp3', 'wav', 'flac', 'alac');

-- CreateEnum
CREATE TYPE "email_status" AS ENUM ('pending', 'sent', 'failed');

-- CreateEnum
CREATE TYPE "fulfillment_status" AS ENUM ('pending', 'created', 'failed');

-- CreateEnum
CREATE TYPE "geo_precision" AS ENUM ('postal', 'city', 'region', 'country', 'none');

-- CreateEnum
CREATE TYPE "location_source" AS ENUM ('shipping_address', 'billing_address', 'geo_capture', 'browser_ip', 'none');

-- CreateEnum
CREATE TYPE "sale_kind" AS ENUM ('sale', 'return');

-- CreateEnum
CREATE TYPE "sale_eligibility" AS ENUM ('eligible', 'excluded', 'pending');

-- CreateTable
CREATE TABLE "account" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "kind" "account_kind" NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "account_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_key" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "account_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "scopes" TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_key_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "shop" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "domain" TEXT NOT NULL,
    "account_id" UUID,
    "install_state" "shop_install_state" NOT NULL DEFAULT 'installed',
    "installed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "uninstalled_at" TIMESTAMPTZ(3),
    "redacted_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "shop_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "artist" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "account_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "artist_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "release" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "artist_id" UUID NOT NULL,
    "title" TEXT NOT NULL,
    "upc" TEXT NOT NULL,
    "release_instant" TIMESTAMPTZ(3) NOT NULL,
    "preorder" BOOLEAN NOT NULL DEFAULT false,
    "download_limit" INTEGER NOT NULL DEFAULT 5,
    "download_expiry_days" INTEGER NOT NULL DEFAULT 30,
    "territories" TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "release_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "track" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "release_id" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "title" TEXT NOT NULL,
    "isrc" TEXT NOT NULL,
    "release_instant" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "track_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "product_mapping" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "shop_domain" TEXT NOT NULL,
    "product_id" BIGINT,
    "variant_id" BIGINT,
    "sku" TEXT,
    "release_id" UUID NOT NULL,
    "reported_release" BOOLEAN NOT NULL DEFAULT true,
    "fan_pack" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "product_mapping_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_delivery" (
    "id" BIGSERIAL NOT NULL,
    "shop_domain" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "webhook_id" TEXT NOT NULL,
    "event_id" TEXT,
    "body_sha256" TEXT NOT NULL,
    "dedupe_family" TEXT NOT NULL,
    "lane" TEXT NOT NULL,
    "triggered_at" TIMESTAMPTZ(3),
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "api_version" TEXT,
    "status" "webhook_delivery_status" NOT NULL DEFAULT 'received',
    "payload" JSONB,
    "payload_expires_at" TIMESTAMPTZ(3),
    "published_at" TIMESTAMPTZ(3),

    CONSTRAINT "webhook_delivery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "dispatch_outbox" (
    "id" BIGSERIAL NOT NULL,
    "delivery_id" BIGINT NOT NULL,
    "lane" TEXT NOT NULL,
    "replay_requested_by" TEXT,
    "trace_headers" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "attempts" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "dispatch_outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "orders" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "shop_domain" TEXT NOT NULL,
    "shopify_order_id" BIGINT NOT NULL,
    "name" TEXT NOT NULL,
    "financial_status" TEXT NOT NULL,
    "cancelled_at" TIMESTAMPTZ(3),
    "test" BOOLEAN NOT NULL DEFAULT false,
    "currency" TEXT NOT NULL,
    "email" TEXT,
    "customer_id" BIGINT,
    "browser_ip" TEXT,
    "checkout_token" TEXT,
    "billing_zip" TEXT,
    "billing_country" TEXT,
    "billing_province" TEXT,
    "shipping_zip" TEXT,
    "shipping_country" TEXT,
    "shipping_province" TEXT,
    "shopify_created_at" TIMESTAMPTZ(3),
    "shopify_updated_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "orders_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "order_line" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "order_id" UUID NOT NULL,
    "shopify_line_id" BIGINT NOT NULL,
    "product_id" BIGINT,
    "variant_id" BIGINT,
    "sku" TEXT,
    "quantity" INTEGER NOT NULL,
    "price" DECIMAL(12,2) NOT NULL,
    "requires_shipping" BOOLEAN NOT NULL,
    "release_id" UUID,
    "unmapped" BOOLEAN NOT NULL DEFAULT false,
    "refunded_quantity" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "order_line_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "download_grant" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "token_hash" TEXT NOT NULL,
    "order_line_id" UUID NOT NULL,
    "release_id" UUID NOT NULL,
    "unit_index" INTEGER NOT NULL,
    "status" "grant_status" NOT NULL,
    "activate_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3),
    "download_limit" INTEGER NOT NULL,
    "downloads_used" INTEGER NOT NULL DEFAULT 0,
    "activated_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "download_grant_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "download" (
    "id" BIGSERIAL NOT NULL,
    "grant_id" UUID NOT NULL,
    "format" "download_format" NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "client_ip" TEXT,

    CONSTRAINT "download_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "email_message" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "idempotency_key" TEXT NOT NULL,
    "order_id" UUID,
    "to" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "status" "email_status" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMPTZ(3),
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "email_message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "fulfillment" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "order_id" UUID NOT NULL,
    "shopify_fulfillment_id" BIGINT,
    "status" "fulfillment_status" NOT NULL DEFAULT 'pending',
    "idempotency_key" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "fulfillment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sales_outbox" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),

    CONSTRAINT "sales_outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "geo_capture" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "shop_domain" TEXT NOT NULL,
    "checkout_token" TEXT NOT NULL,
    "client_ip" TEXT,
    "chain" TEXT[],
    "flags" TEXT[],
    "precision" "geo_precision" NOT NULL,
    "country" TEXT,
    "region" TEXT,
    "city" TEXT,
    "postal" TEXT,
    "geo_db_build_date" DATE,
    "captured_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "geo_capture_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "located_sale" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "event_id" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "shop_domain" TEXT NOT NULL,
    "order_id" TEXT NOT NULL,
    "order_line_id" TEXT NOT NULL,
    "release_id" UUID NOT NULL,
    "quantity" INTEGER NOT NULL,
    "net_price" DECIMAL(12,2) NOT NULL,
    "currency" TEXT NOT NULL,
    "source" "location_source" NOT NULL,
    "precision" "geo_precision" NOT NULL,
    "country" TEXT,
    "region" TEXT,
    "city" TEXT,
    "postal" TEXT,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "located_sale_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sale_line" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "chart" TEXT NOT NULL,
    "kind" "sale_kind" NOT NULL,
    "eligibility" "sale_eligibility" NOT NULL,
    "reason_code" TEXT,
    "order_line_id" TEXT NOT NULL,
    "unit_index" INTEGER NOT NULL,
    "release_id" UUID NOT NULL,
    "upc" TEXT,
    "isrc" TEXT,
    "zip" TEXT,
    "country" TEXT,
    "quantity" INTEGER NOT NULL,
    "net_price" DECIMAL(12,2) NOT NULL,
    "currency" TEXT NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "business_date" DATE,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "sale_line_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "chart_rule_set" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "chart" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "effective_from" TIMESTAMPTZ(3) NOT NULL,
    "rules" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "chart_rule_set_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "report_file" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "chart" TEXT NOT NULL,
    "business_date" DATE NOT NULL,
    "sha256" TEXT NOT NULL,
    "content" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "report_file_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "regional_rollup" (
    "id" BIGSERIAL NOT NULL,
    "release_id" UUID NOT NULL,
    "day" DATE NOT NULL,
    "level" "geo_precision" NOT NULL,
    "code" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "units" INTEGER NOT NULL DEFAULT 0,
    "net_amount" DECIMAL(14,2) NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "regional_rollup_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "data_request_export" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "shop_domain" TEXT NOT NULL,
    "customer_id" BIGINT NOT NULL,
    "data_request_id" BIGINT,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "data_request_export_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "api_key_hash_key" ON "api_key"("hash");

-- CreateIndex
CREATE INDEX "api_key_account_id_idx" ON "api_key"("account_id");

-- CreateIndex
CREATE UNIQUE INDEX "shop_domain_key" ON "shop"("domain");

-- CreateIndex
CREATE INDEX "shop_account_id_idx" ON "shop"("account_id");

-- CreateIndex
CREATE INDEX "artist_account_id_idx" ON "artist"("account_id");

-- CreateIndex
CREATE UNIQUE INDEX "release_upc_key" ON "release"("upc");

-- CreateIndex
CREATE INDEX "release_artist_id_idx" ON "release"("artist_id");

-- CreateIndex
CREATE INDEX "track_isrc_idx" ON "track"("isrc");

-- CreateIndex
CREATE UNIQUE INDEX "track_release_id_position_key" ON "track"("release_id", "position");

-- CreateIndex
CREATE INDEX "product_mapping_shop_domain_variant_id_idx" ON "product_mapping"("shop_domain", "variant_id");

-- CreateIndex
CREATE INDEX "product_mapping_shop_domain_product_id_idx" ON "product_mapping"("shop_domain", "product_id");

-- CreateIndex
CREATE INDEX "product_mapping_shop_domain_sku_idx" ON "product_mapping"("shop_domain", "sku");

-- CreateIndex
CREATE INDEX "product_mapping_release_id_idx" ON "product_mapping"("release_id");

-- CreateIndex
CREATE INDEX "webhook_delivery_received_at_idx" ON "webhook_delivery"("received_at");

-- CreateIndex
CREATE INDEX "webhook_delivery_payload_expires_at_idx" ON "webhook_delivery"("payload_expires_at");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_delivery_shop_domain_webhook_id_key" ON "webhook_delivery"("shop_domain", "webhook_id");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_delivery_shop_domain_topic_event_id_key" ON "webhook_delivery"("shop_domain", "topic", "event_id");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_delivery_shop_domain_dedupe_family_body_sha256_key" ON "webhook_delivery"("shop_domain", "dedupe_family", "body_sha256");

-- CreateIndex
CREATE INDEX "dispatch_outbox_lane_id_idx" ON "dispatch_outbox"("lane", "id");

-- CreateIndex
CREATE INDEX "dispatch_outbox_delivery_id_idx" ON "dispatch_outbox"("delivery_id");

-- CreateIndex
CREATE INDEX "orders_shop_domain_customer_id_idx" ON "orders"("shop_domain", "customer_id");

-- CreateIndex
CREATE UNIQUE INDEX "orders_shop_domain_shopify_order_id_key" ON "orders"("shop_domain", "shopify_order_id");

-- CreateIndex
CREATE INDEX "order_line_release_id_idx" ON "order_line"("release_id");

-- CreateIndex
CREATE UNIQUE INDEX "order_line_order_id_shopify_line_id_key" ON "order_line"("order_id", "shopify_line_id");

-- CreateIndex
CREATE UNIQUE INDEX "download_grant_token_hash_key" ON "download_grant"("token_hash");

-- CreateIndex
CREATE INDEX "download_grant_status_activate_at_idx" ON "download_grant"("status", "activate_at");

-- CreateIndex
CREATE INDEX "download_grant_release_id_idx" ON "download_grant"("release_id");

-- CreateIndex
CREATE UNIQUE INDEX "download_grant_order_line_id_release_id_unit_index_key" ON "download_grant"("order_line_id", "release_id", "unit_index");

-- CreateIndex
CREATE INDEX "download_grant_id_at_idx" ON "download"("grant_id", "at");

-- CreateIndex
CREATE UNIQUE INDEX "email_message_idempotency_key_key" ON "email_message"("idempotency_key");

-- CreateIndex
CREATE INDEX "email_message_status_next_attempt_at_idx" ON "email_message"("status", "next_attempt_at");

-- CreateIndex
CREATE INDEX "email_message_order_id_idx" ON "email_message"("order_id");

-- CreateIndex
CREATE UNIQUE INDEX "fulfillment_idempotency_key_key" ON "fulfillment"("idempotency_key");

-- CreateIndex
CREATE INDEX "fulfillment_order_id_idx" ON "fulfillment"("order_id");

-- CreateIndex
CREATE UNIQUE INDEX "sales_outbox_event_id_key" ON "sales_outbox"("event_id");

-- CreateIndex
CREATE INDEX "sales_outbox_published_at_id_idx" ON "sales_outbox"("published_at", "id");

-- CreateIndex
CREATE INDEX "geo_capture_shop_domain_checkout_token_idx" ON "geo_capture"("shop_domain", "checkout_token");

-- CreateIndex
CREATE UNIQUE INDEX "located_sale_event_id_key" ON "located_sale"("event_id");

-- CreateIndex
CREATE INDEX "located_sale_release_id_occurred_at_idx" ON "located_sale"("release_id", "occurred_at");

-- CreateIndex
CREATE INDEX "located_sale_order_line_id_idx" ON "located_sale"("order_line_id");

-- CreateIndex
CREATE INDEX "sale_line_chart_business_date_idx" ON "sale_line"("chart", "business_date");

-- CreateIndex
CREATE INDEX "sale_line_release_id_idx" ON "sale_line"("release_id");

-- CreateIndex
CREATE UNIQUE INDEX "sale_line_chart_order_line_id_unit_index_kind_key" ON "sale_line"("chart", "order_line_id", "unit_index", "kind");

-- CreateIndex
CREATE UNIQUE INDEX "chart_rule_set_chart_version_key" ON "chart_rule_set"("chart", "version");

-- CreateIndex
CREATE UNIQUE INDEX "chart_rule_set_chart_effective_from_key" ON "chart_rule_set"("chart", "effective_from");

-- CreateIndex
CREATE INDEX "report_file_chart_business_date_created_at_idx" ON "report_file"("chart", "business_date", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "report_file_chart_business_date_sha256_key" ON "report_file"("chart", "business_date", "sha256");

-- CreateIndex
CREATE UNIQUE INDEX "regional_rollup_release_id_day_level_code_currency_key" ON "regional_rollup"("release_id", "day", "level", "code", "currency");

-- CreateIndex
CREATE INDEX "data_request_export_shop_domain_customer_id_idx" ON "data_request_export"("shop_domain", "customer_id");

-- AddForeignKey
ALTER TABLE "api_key" ADD CONSTRAINT "api_key_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "shop" ADD CONSTRAINT "shop_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "artist" ADD CONSTRAINT "artist_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "release" ADD CONSTRAINT "release_artist_id_fkey" FOREIGN KEY ("artist_id") REFERENCES "artist"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "track" ADD CONSTRAINT "track_release_id_fkey" FOREIGN KEY ("release_id") REFERENCES "release"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "product_mapping" ADD CONSTRAINT "product_mapping_release_id_fkey" FOREIGN KEY ("release_id") REFERENCES "release"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "dispatch_outbox" ADD CONSTRAINT "dispatch_outbox_delivery_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "webhook_delivery"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "order_line" ADD CONSTRAINT "order_line_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "order_line" ADD CONSTRAINT "order_line_release_id_fkey" FOREIGN KEY ("release_id") REFERENCES "release"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "download_grant" ADD CONSTRAINT "download_grant_order_line_id_fkey" FOREIGN KEY ("order_line_id") REFERENCES "order_line"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "download_grant" ADD CONSTRAINT "download_grant_release_id_fkey" FOREIGN KEY ("release_id") REFERENCES "release"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "download" ADD CONSTRAINT "download_grant_id_fkey" FOREIGN KEY ("grant_id") REFERENCES "download_grant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "email_message" ADD CONSTRAINT "email_message_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "fulfillment" ADD CONSTRAINT "fulfillment_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;
