-- Hand-written (Prisma's schema language has no storage parameters, so `migrate diff` does not see it).
-- The relay marks each delivery published right after inserting it: free space on every page lets those
-- updates be HOT (status and published_at are not indexed), so they skip the table's five indexes.
ALTER TABLE "webhook_delivery" SET (fillfactor = 60);
