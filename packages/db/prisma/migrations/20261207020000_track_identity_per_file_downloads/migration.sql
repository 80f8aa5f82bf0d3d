-- A track sale's mapping must not vanish with its track: removing a mapped track is refused (the artist
-- API answers 409 track_in_use first, and the database guards it too).
ALTER TABLE "product_mapping" DROP CONSTRAINT "product_mapping_track_id_fkey";
ALTER TABLE "product_mapping" ADD CONSTRAINT "product_mapping_track_id_fkey" FOREIGN KEY ("track_id") REFERENCES "track"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
-- Which track a download sent, by identity (the track row, whose ISRC names it), not by its position: a
-- release's tracks may be reordered after the download. Each file has its own download allowance, counted
-- from these rows (track_id null and track_position null = the release archive). A track removed from its
-- release keeps its downloads as history (set null), and their file links stop serving.
ALTER TABLE "download" ADD COLUMN "track_id" UUID;
ALTER TABLE "download" ADD CONSTRAINT "download_track_id_fkey" FOREIGN KEY ("track_id") REFERENCES "track"("id") ON DELETE SET NULL ON UPDATE CASCADE;
UPDATE "download" d SET "track_id" = t."id"
FROM "download_grant" g JOIN "track" t ON t."release_id" = g."release_id"
WHERE g."id" = d."grant_id" AND t."position" = d."track_position";
CREATE INDEX "download_grant_id_track_id_idx" ON "download"("grant_id", "track_id");
