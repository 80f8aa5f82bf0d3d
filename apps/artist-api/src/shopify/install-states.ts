import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from 'pg';

const hash = (nonce: string) => createHash('sha256').update(nonce).digest('hex');

export type ConsumedState =
  | { ok: true; accountId: string; shopDomain: string }
  | { ok: false; reason: 'unknown_or_used' | 'expired' | 'other_shop' };

/**
 * The state nonces of install links: 256 random bits, only their sha256 stored, bound to the account (and
 * key) that asked and to the shop, accepted once and only until they expire.
 */
export class InstallStates {
  readonly #pool: Pool;
  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async issue(input: { accountId: string; apiKeyId: string; shopDomain: string; now: Date; ttlMs: number }) {
    const nonce = randomBytes(32).toString('base64url');
    const expiresAt = new Date(input.now.getTime() + input.ttlMs);
    // Old rows are swept here, a few at a time: nothing else reads them, and there is no scheduler in this app.
    await this.#pool.query(
      `DELETE FROM shopify_install_state WHERE nonce_hash IN
         (SELECT nonce_hash FROM shopify_install_state WHERE expires_at < $1 ORDER BY expires_at LIMIT 100)`,
      [new Date(input.now.getTime() - 86_400_000)],
    );
    await this.#pool.query(
      `INSERT INTO shopify_install_state (nonce_hash, account_id, api_key_id, shop_domain, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [hash(nonce), input.accountId, input.apiKeyId, input.shopDomain, input.now, expiresAt],
    );
    return { state: nonce, expiresAt };
  }

  /**
   * Uses the state up, in one statement (two callbacks with it cannot both pass), whatever the outcome: a
   * state shown with the wrong shop or too late is spent as well.
   */
  async consume(nonce: string, shopDomain: string, now: Date): Promise<ConsumedState> {
    const { rows } = await this.#pool.query<{ account_id: string; shop_domain: string; expires_at: Date }>(
      `UPDATE shopify_install_state SET used_at = $2 WHERE nonce_hash = $1 AND used_at IS NULL
       RETURNING account_id::text, shop_domain, expires_at`,
      [hash(nonce), now],
    );
    const row = rows[0];
    if (!row) return { ok: false, reason: 'unknown_or_used' };
    if (row.expires_at.getTime() <= now.getTime()) return { ok: false, reason: 'expired' };
    if (row.shop_domain !== shopDomain) return { ok: false, reason: 'other_shop' };
    return { ok: true, accountId: row.account_id, shopDomain: row.shop_domain };
  }
}
