-- Shopify OAuth install (issue 17): the state nonce of each install link the artist API hands out. Stored as
-- the sha256 of the nonce (the nonce itself is only in the link), bound to the account and the shop it was
-- issued for, short-lived and single use: the callback consumes it with one UPDATE ... WHERE used_at IS NULL.
CREATE TABLE "shopify_install_state" (
    "nonce_hash" TEXT NOT NULL,
    "account_id" UUID NOT NULL,
    "api_key_id" UUID,
    "shop_domain" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "used_at" TIMESTAMPTZ(3),
    CONSTRAINT "shopify_install_state_pkey" PRIMARY KEY ("nonce_hash")
);
CREATE INDEX "shopify_install_state_expires_at_idx" ON "shopify_install_state"("expires_at");
ALTER TABLE "shopify_install_state" ADD CONSTRAINT "shopify_install_state_account_id_fkey" FOREIGN KEY ("account_id")
  REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;
