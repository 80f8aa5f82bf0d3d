import { createHash, randomBytes } from 'node:crypto';
import { type AccountDb, platformAccess, type TenantDb } from '@single/db';

const hash = (nonce: string) => createHash('sha256').update(nonce).digest('hex');

export type ConsumedState =
  | { ok: true; accountId: string; shopDomain: string }
  | { ok: false; reason: 'unknown_or_used' | 'expired' | 'other_shop' };

/**
 * The state nonces of install links: 256 random bits, only their sha256 stored, bound to the account (and
 * key) that asked and to the shop, accepted once and only until they expire.
 */
export class InstallStates {
  readonly #db: TenantDb;
  constructor(db: TenantDb) {
    this.#db = db;
  }

  /** Issued through the calling account's scoped client (`db`), which refuses any other account. */
  async issue(
    db: AccountDb,
    input: { accountId: string; apiKeyId: string; shopDomain: string; now: Date; ttlMs: number },
  ) {
    const nonce = randomBytes(32).toString('base64url');
    const expiresAt = new Date(input.now.getTime() + input.ttlMs);
    // Old rows are swept here, a few at a time: nothing else reads them, and there is no scheduler in this app.
    // Every account's (they are no one's business any more); the oldest 100, read then deleted by key (the
    // client's deleteMany has no LIMIT). A row read here and used meanwhile is still expired a day ago.
    await platformAccess('sweep of expired install states (every account)', async () => {
      const old = await this.#db.shopifyInstallState.findMany({
        where: { expiresAt: { lt: new Date(input.now.getTime() - 86_400_000) } },
        orderBy: { expiresAt: 'asc' },
        take: 100,
        select: { nonceHash: true },
      });
      if (old.length === 0) return;
      await this.#db.shopifyInstallState.deleteMany({ where: { nonceHash: { in: old.map((r) => r.nonceHash) } } });
    });
    await db.shopifyInstallState.create({
      data: {
        nonceHash: hash(nonce),
        accountId: input.accountId,
        apiKeyId: input.apiKeyId,
        shopDomain: input.shopDomain,
        createdAt: input.now,
        expiresAt,
      },
    });
    return { state: nonce, expiresAt };
  }

  /**
   * Uses the state up, in one statement (two callbacks with it cannot both pass), whatever the outcome: a
   * state shown with the wrong shop or too late is spent as well.
   */
  async consume(nonce: string, shopDomain: string, now: Date): Promise<ConsumedState> {
    // One UPDATE ... WHERE used_at IS NULL ... RETURNING (updateManyAndReturn), as before. No account is known
    // yet: the state is what finds it.
    const [row] = await platformAccess('install callback: the state names the account', () =>
      this.#db.shopifyInstallState.updateManyAndReturn({
        where: { nonceHash: hash(nonce), usedAt: null },
        data: { usedAt: now },
        select: { accountId: true, shopDomain: true, expiresAt: true },
      }),
    );
    if (!row) return { ok: false, reason: 'unknown_or_used' };
    if (row.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired' };
    if (row.shopDomain !== shopDomain) return { ok: false, reason: 'other_shop' };
    return { ok: true, accountId: row.accountId, shopDomain: row.shopDomain };
  }
}
