import { hashApiKey } from '@single/db/commands/api-keys';
import type { Pool } from 'pg';

/**
 * The scopes of an active (not revoked) artist-API key, read-only: api_key belongs to the artist API, which
 * mints, revokes and touches keys; geo-reporting only looks one up by the hash of the presented secret.
 * undefined: no such key, or revoked.
 */
export async function activeKeyScopes(pool: Pool, secret: string): Promise<string[] | undefined> {
  const { rows } = await pool.query<{ scopes: string[] }>(
    'SELECT scopes FROM api_key WHERE hash = $1 AND revoked_at IS NULL',
    [hashApiKey(secret)],
  );
  return rows[0]?.scopes;
}
