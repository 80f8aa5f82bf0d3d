import type { AccountDb, Prisma } from '@single/db';
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

// Never the access token: the API only says which storefronts are connected and how.
const FIELDS = {
  id: true,
  domain: true,
  installState: true,
  installedAt: true,
  uninstalledAt: true,
  redactedAt: true,
} as const;

const toShop = (s: Prisma.ShopGetPayload<{ select: typeof FIELDS }>) => ({
  ...s,
  installedAt: s.installedAt.toISOString(),
  uninstalledAt: s.uninstalledAt?.toISOString() ?? null,
  redactedAt: s.redactedAt?.toISOString() ?? null,
});

/** Shops are written by the fulfillment worker (installs); the API reads the account's own. */
export class ShopRepository {
  async list(db: AccountDb) {
    return (await db.shop.findMany({ select: FIELDS, orderBy: { domain: 'asc' } })).map(toShop);
  }

  async get(db: AccountDb, id: string) {
    if (!isUuid(id)) return undefined;
    const found = await db.shop.findFirst({ where: { id }, select: FIELDS });
    return found ? toShop(found) : undefined;
  }

  /** The account's shop domains: the scope of orders, mappings and webhook deliveries. */
  async domains(db: AccountDb): Promise<string[]> {
    return (await db.shop.findMany({ select: { domain: true }, orderBy: { domain: 'asc' } })).map((s) => s.domain);
  }
}
