-- A download is counted when the fan asks for a file on the landing page (POST), and the file is then
-- fetched from a link of its own: the hash of that link's key and how long it serves range re-requests
-- without counting again. track_position says which file was sent (null = the release archive).
ALTER TABLE "download" ADD COLUMN "track_position" INTEGER;
ALTER TABLE "download" ADD COLUMN "file_key_hash" TEXT;
ALTER TABLE "download" ADD COLUMN "serve_until" TIMESTAMPTZ(3);
CREATE UNIQUE INDEX "download_file_key_hash_key" ON "download"("file_key_hash");
