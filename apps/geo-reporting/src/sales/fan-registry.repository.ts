import { type FanClaim, type FanRegistry, splitFanKeys } from '../charts/fan-identity.ts';
import type { DbClient } from '../support/db.ts';
import { lockForTransaction } from './sales.repository.ts';

/**
 * chart_fan_key (rules in src/charts/fan-identity.ts): one row per key per unit. Claims of one (chart, product) are
 * serialised by a transaction-scoped advisory lock, so two units of one fan handled at once cannot both count.
 */
export class PgFanRegistry implements FanRegistry {
  private readonly db: DbClient;
  constructor(db: DbClient) {
    this.db = db;
  }
  async claim(claim: FanClaim): Promise<boolean> {
    const { strong, weak, identified } = splitFanKeys(claim.fanKeys);
    if (strong.length === 0 && weak.length === 0) return true;
    const { chart, product, seenAt } = claim;
    await lockForTransaction(this.db, `chart-fan:${chart}:${product}`);
    const windowMs = claim.ipMatchWindowHours * 3_600_000;
    // A weak key links only within the window, and never two units that both carry a person identifier.
    const weakMatch =
      claim.ipMatchWindowHours > 0 && !identified && weak.length > 0
        ? [
            {
              kind: 'weak' as const,
              fanKey: { in: weak },
              identified: false,
              seenAt: { gte: new Date(seenAt.getTime() - windowMs), lte: new Date(seenAt.getTime() + windowMs) },
            },
          ]
        : [];
    const seen = await this.db.chartFanKey.findFirst({
      where: { chart, product, OR: [{ kind: 'strong', fanKey: { in: strong } }, ...weakMatch] },
      select: { saleLineId: true },
    });
    // skipDuplicates is the ON CONFLICT DO NOTHING of the statement this replaced.
    await this.db.chartFanKey.createMany({
      data: [
        ...strong.map((fanKey) => ({ fanKey, kind: 'strong' as const })),
        ...weak.map((fanKey) => ({ fanKey, kind: 'weak' as const })),
      ].map((k) => ({ chart, product, saleLineId: claim.saleLineId, seenAt, identified, ...k })),
      skipDuplicates: true,
    });
    return seen === null;
  }
}
