import { hashApiKey } from '@single/db/commands/api-keys';
import type { DbClient } from '../support/db.ts';

/**
 * The scopes of an active (not revoked) artist-API key, read-only: api_key belongs to the artist API, which
 * mints, revokes and touches keys; geo-reporting only looks one up by the hash of the presented secret.
 * undefined: no such key, or revoked.
 */
export async function activeKeyScopes(db: DbClient, secret: string): Promise<string[] | undefined> {
  const key = await db.apiKey.findFirst({
    where: { hash: hashApiKey(secret), revokedAt: null },
    select: { scopes: true },
  });
  return key?.scopes;
}
