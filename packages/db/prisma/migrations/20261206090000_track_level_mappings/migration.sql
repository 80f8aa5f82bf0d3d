-- A product mapped to one track of a release (a track sale) reports that track's ISRC, and its grant
-- serves only that track. Null = the whole release, as before.
ALTER TABLE "product_mapping" ADD COLUMN "track_id" UUID;
ALTER TABLE "product_mapping" ADD CONSTRAINT "product_mapping_track_id_fkey" FOREIGN KEY ("track_id") REFERENCES "track"("id") ON DELETE CASCADE ON UPDATE CASCADE;
CREATE INDEX "product_mapping_track_id_idx" ON "product_mapping"("track_id");
ALTER TABLE "download_grant" ADD COLUMN "track_id" UUID;
ALTER TABLE "download_grant" ADD CONSTRAINT "download_grant_track_id_fkey" FOREIGN KEY ("track_id") REFERENCES "track"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
