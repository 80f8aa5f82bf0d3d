import { type InstalledShop, installShop, SHOP_DOMAIN } from '@single/db/commands/shop-install';
import type pg from 'pg';
import { notFound, usageError } from '../exit-codes.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Connects a shop, or reconnects one that uninstalled the app (issue 14: an uninstall is not for ever): the
 * shop is `installed` again and its new orders fulfil. The account is required for a new shop and kept
 * otherwise unless given. The Admin API token is kept (the app's OAuth install writes it, never a command line).
 */
export async function installShopCommand(
  pool: pg.Pool,
  input: { domain: string; accountId?: string; now?: Date },
): Promise<InstalledShop> {
  const domain = input.domain.trim().toLowerCase();
  if (!SHOP_DOMAIN.test(domain)) throw usageError(`"${input.domain}" is not a myshopify domain (name.myshopify.com)`);
  if (input.accountId !== undefined) {
    if (!UUID.test(input.accountId)) throw usageError(`invalid account id "${input.accountId}"`);
    const { rowCount } = await pool.query('SELECT 1 FROM account WHERE id = $1::uuid', [input.accountId]);
    if (!rowCount) throw notFound(`account ${input.accountId} not found`);
  } else {
    const { rowCount } = await pool.query('SELECT 1 FROM shop WHERE domain = $1', [domain]);
    if (!rowCount) throw usageError(`shop ${domain} is new: --account is required`);
  }
  return installShop(pool, { domain, accountId: input.accountId ?? null, now: input.now ?? new Date() });
}
