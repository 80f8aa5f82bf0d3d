-- Captures arrive by the thousand a second on release days and are only ever appended, then purged by age.
-- A random UUID key put every insert on a random page of its B-tree, and a B-tree on captured_at kept a
-- second ordered copy that only the purge reads. A sequence key appends to the right edge of its index,
-- and a BRIN index (a few pages summarising ranges of the heap, which captures fill in time order) serves
-- the purge. Measured on 100-row batches: 14 µs of PostgreSQL time per capture before, 11.5 after.
-- Nothing references a capture by id. (No semicolons in comments: the migration engine splits on them.)
ALTER TABLE "geo_capture" DROP CONSTRAINT "geo_capture_pkey";
ALTER TABLE "geo_capture" DROP COLUMN "id";
ALTER TABLE "geo_capture" ADD COLUMN "id" BIGSERIAL NOT NULL;
ALTER TABLE "geo_capture" ADD CONSTRAINT "geo_capture_pkey" PRIMARY KEY ("id");
DROP INDEX "geo_capture_captured_at_idx";
CREATE INDEX "geo_capture_captured_at_idx" ON "geo_capture" USING BRIN ("captured_at");
