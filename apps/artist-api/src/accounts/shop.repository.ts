import type { Pool } from 'pg';
import { z } from 'zod';
import { isUuid } from '../support/db.ts';

export const shop = z
  .object({
    id: z.uuid(),
    domain: z.string(),
    installState: z.enum(['installed', 'uninstalled', 'redacted']),
    installedAt: z.string(),
    uninstalledAt: z.string().nullable(),
    redactedAt: z.string().nullable(),
  })
  .meta({ id: 'Shop' });

interface ShopRow {
  id: string;
  domain: string;
  installState: 'installed' | 'uninstalled' | 'redacted';
  installedAt: Date;
  uninstalledAt: Date | null;
  redactedAt: Date | null;
}

// Never the access token: the API only says which storefronts are connected and how.
const COLUMNS = `id, domain, install_state AS "installState", installed_at AS "installedAt",
  uninstalled_at AS "uninstalledAt", redacted_at AS "redactedAt"`;

const toShop = (s: ShopRow) => ({
  ...s,
  installedAt: s.installedAt.toISOString(),
  uninstalledAt: s.uninstalledAt?.toISOString() ?? null,
  redactedAt: s.redactedAt?.toISOString() ?? null,
});

/** Shops are written by the fulfillment worker (installs); the API reads the account's own. */
export class ShopRepository {
  readonly #pool: Pool;
  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async list(accountId: string) {
    const { rows } = await this.#pool.query<ShopRow>(
      `SELECT ${COLUMNS} FROM shop WHERE account_id = $1 ORDER BY domain`,
      [accountId],
    );
    return rows.map(toShop);
  }

  async get(accountId: string, id: string) {
    if (!isUuid(id)) return undefined;
    const { rows } = await this.#pool.query<ShopRow>(`SELECT ${COLUMNS} FROM shop WHERE account_id = $1 AND id = $2`, [
      accountId,
      id,
    ]);
    return rows[0] && toShop(rows[0]);
  }

  /** The account's shop domains: the scope of orders, mappings and webhook deliveries. */
  async domains(accountId: string): Promise<string[]> {
    const { rows } = await this.#pool.query<{ domain: string }>(
      'SELECT domain FROM shop WHERE account_id = $1 ORDER BY domain',
      [accountId],
    );
    return rows.map((r) => r.domain);
  }
}
