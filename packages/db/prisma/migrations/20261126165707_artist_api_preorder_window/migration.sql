-- AlterTable
ALTER TABLE "release" ADD COLUMN     "preorder_starts_at" TIMESTAMPTZ(3);
