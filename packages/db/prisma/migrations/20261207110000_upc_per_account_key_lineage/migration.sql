-- A UPC is unique per artist, no longer across accounts: a global unique let one account learn another's
-- catalogue from a 409 and block the real owner by registering its UPC first. Within one account the
-- artist API still refuses a duplicate (409 upc_taken). A UPC claimed by two accounts is a conflict that
-- ops resolves (upc_conflict), and until then neither release charts.
DROP INDEX "release_upc_key";
CREATE UNIQUE INDEX "release_artist_id_upc_key" ON "release"("artist_id", "upc");
CREATE INDEX "release_upc_idx" ON "release"("upc");

-- null = no other account claims the UPC. under_review: claimed by another account too, not reported.
-- confirmed: ops named this release the UPC's owner. rejected: another release owns the UPC, and this
-- one's sales never chart under it.
CREATE TYPE "upc_review_state" AS ENUM ('under_review', 'confirmed', 'rejected');
ALTER TABLE "release" ADD COLUMN "upc_review" "upc_review_state";

CREATE TABLE "upc_conflict" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "upc" TEXT NOT NULL,
    "opened_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolved_at" TIMESTAMPTZ(3),
    "owner_release_id" UUID,
    "resolved_by" TEXT,
    CONSTRAINT "upc_conflict_pkey" PRIMARY KEY ("id")
);
-- One open conflict per UPC: a third claimant joins it.
CREATE UNIQUE INDEX "upc_conflict_open_upc_key" ON "upc_conflict"("upc") WHERE "resolved_at" IS NULL;
CREATE INDEX "upc_conflict_upc_idx" ON "upc_conflict"("upc");
ALTER TABLE "upc_conflict" ADD CONSTRAINT "upc_conflict_owner_release_id_fkey" FOREIGN KEY ("owner_release_id") REFERENCES "release"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Which key minted a key (null: cmdr, or before this was recorded), so revoking a key can name the keys
-- it made and revoke them with it.
ALTER TABLE "api_key" ADD COLUMN "created_by_key_id" UUID;
ALTER TABLE "api_key" ADD CONSTRAINT "api_key_created_by_key_id_fkey" FOREIGN KEY ("created_by_key_id") REFERENCES "api_key"("id") ON DELETE SET NULL ON UPDATE CASCADE;
CREATE INDEX "api_key_created_by_key_id_idx" ON "api_key"("created_by_key_id");
