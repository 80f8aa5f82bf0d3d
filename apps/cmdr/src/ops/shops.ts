import { writeFileSync } from 'node:fs';
import { MYSHOPIFY_DOMAIN } from '@single/contracts';
import { type Db, sqlOf } from '@single/db';
import { dataRequestExportDocument, readDataRequestExport } from '@single/db/commands/data-request-exports';
import { type InstalledShop, installShop } from '@single/db/commands/shop-install';
import { CmdrError, ExitCode, notFound, usageError } from '../exit-codes.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Connects a shop, or reconnects one that uninstalled the app (issue 14: an uninstall is not for ever): the
 * shop is `installed` again and its new orders fulfil. The account is required for a new shop and kept
 * otherwise unless given. The Admin API token is kept (the app's OAuth install writes it, never a command line).
 */
export async function installShopCommand(
  db: Db,
  input: { domain: string; accountId?: string; now?: Date },
): Promise<InstalledShop> {
  const domain = input.domain.trim().toLowerCase();
  if (!MYSHOPIFY_DOMAIN.test(domain))
    throw usageError(`"${input.domain}" is not a myshopify domain (name.myshopify.com)`);
  if (input.accountId !== undefined) {
    if (!UUID.test(input.accountId)) throw usageError(`invalid account id "${input.accountId}"`);
    if ((await db.account.count({ where: { id: input.accountId } })) === 0)
      throw notFound(`account ${input.accountId} not found`);
  } else {
    if ((await db.shop.count({ where: { domain } })) === 0)
      throw usageError(`shop ${domain} is new: --account is required`);
  }
  // The shared statement (the artist API's OAuth callback runs it too), on Prisma's connection.
  return installShop(sqlOf(db), { domain, accountId: input.accountId ?? null, now: input.now ?? new Date() });
}

/**
 * The export a customers/data_request collected, for the merchant (issue 14), by export id or Shopify's data
 * request id. Written to a file only the operator can read (mode 0600): it holds fans' personal data.
 * An expired export is a conflict (exit 4): it was deleted after its 30 days.
 */
export async function writeDataRequestExport(
  db: Db,
  input: { domain: string; id: string; path: string; now?: Date },
): Promise<{ id: string; path: string; expiresAt: Date; orders: number }> {
  const domain = input.domain.trim().toLowerCase();
  if (!MYSHOPIFY_DOMAIN.test(domain))
    throw usageError(`"${input.domain}" is not a myshopify domain (name.myshopify.com)`);
  const found = await readDataRequestExport(sqlOf(db), {
    shopDomain: domain,
    id: input.id,
    now: input.now ?? new Date(),
  });
  if (found.status === 'not_found') throw notFound(`no data request export ${input.id} for ${domain}`);
  if (found.status === 'expired') {
    throw new CmdrError(
      `data request export ${found.id} expired at ${found.expiresAt.toISOString()} and was deleted`,
      ExitCode.conflict,
    );
  }
  const document = dataRequestExportDocument(found);
  writeFileSync(input.path, `${JSON.stringify(document, null, 2)}\n`, { mode: 0o600 });
  const orders = Array.isArray(found.export.orders) ? found.export.orders.length : 0;
  return { id: found.id, path: input.path, expiresAt: found.expiresAt, orders };
}
