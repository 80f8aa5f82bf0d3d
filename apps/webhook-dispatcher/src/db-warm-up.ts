import type { Db } from '@single/db';
import { warmUpBeforeTraffic } from '@single/http';
import type { Logger } from '@single/logger';

/**
 * Warms the dispatcher's Prisma client before it takes traffic. The client's query compiler (WebAssembly) is
 * instantiated by the first query and compiles each new query shape synchronously: 0.25-1 s of blocked event loop
 * on the loaded two-core machine, tens of ms afterwards. Taken by an unknown shop's first delivery or the first
 * scrape, that stalls the claims behind it. warmUpBeforeTraffic also waits out the overload guard's sample a long
 * block fills, and only logs a failure (PostgreSQL down at start-up must not keep the dispatcher from starting).
 */
export async function warmDb(db: Db, logger: Logger): Promise<void> {
  await warmUpBeforeTraffic(async () => {
    await db.$executeRaw`SELECT 1`;
    await db.shop.findUnique({ where: { domain: '' }, select: { id: true } });
    await db.dispatchOutbox.groupBy({ by: ['lane'], where: { lane: '' }, _count: { _all: true } });
  }, logger);
}
