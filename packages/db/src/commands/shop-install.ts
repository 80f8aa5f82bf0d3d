// Owned by the fulfillment worker (shop); exported here so that cmdr (and any install path to come: the
// app's OAuth callback) connects or reconnects a shop with the same statement.
//
// An uninstall is not for ever: a merchant who reinstalls the app is installed again, and the orders of the
// reinstalled shop fulfil. The uninstall instant is cleared (the worker judges queued orders by it only while
// the shop is uninstalled); a stale app/uninstalled triggered before this install changes nothing
// (markShopUninstalled compares it with installed_at).

/** Anything with pg's `query` (a Pool, a PoolClient). */
interface Queryable {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[] }>;
}

export interface InstalledShop {
  id: string;
  domain: string;
  accountId: string | null;
  installState: 'installed';
  installedAt: Date;
  /** true when the row existed (a reinstall or a repeated install), false when it was created */
  existed: boolean;
  /** the state before this install */
  previousState: 'installed' | 'uninstalled' | 'redacted' | null;
}

/**
 * Connects the shop, or reconnects it: `installed`, installed now, uninstall and redaction instants cleared.
 * The account is kept unless one is given; so is the Admin API token.
 */
export async function installShop(
  db: Queryable,
  input: { domain: string; accountId?: string | null; accessToken?: string | null; now: Date },
): Promise<InstalledShop> {
  const { rows } = await db.query<{
    id: string;
    domain: string;
    account_id: string | null;
    installed_at: Date;
    existed: boolean;
    previous_state: InstalledShop['previousState'];
  }>(
    `WITH before AS MATERIALIZED (SELECT install_state FROM shop WHERE domain = $1)
     INSERT INTO shop (domain, account_id, access_token, install_state, installed_at, updated_at)
     VALUES ($1, $2::uuid, $3, 'installed', $4, $4)
     ON CONFLICT (domain) DO UPDATE SET install_state = 'installed', installed_at = $4, uninstalled_at = NULL,
       redacted_at = NULL, account_id = coalesce($2::uuid, shop.account_id),
       access_token = coalesce($3, shop.access_token), updated_at = $4
     RETURNING id::text, domain, account_id::text, installed_at, (SELECT count(*) > 0 FROM before) AS existed,
       (SELECT install_state::text FROM before) AS previous_state`,
    [input.domain, input.accountId ?? null, input.accessToken ?? null, input.now],
  );
  const r = rows[0]!;
  return {
    id: r.id,
    domain: r.domain,
    accountId: r.account_id,
    installState: 'installed',
    installedAt: r.installed_at,
    existed: r.existed,
    previousState: r.previous_state,
  };
}
