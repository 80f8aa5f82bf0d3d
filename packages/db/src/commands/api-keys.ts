import { createHash, randomBytes } from 'node:crypto';
import type { ApiKey } from '../generated/prisma/client.ts';

// API keys belong to the artist API (table api_key); cmdr issues the first ones. One format for both:
// `sgl_` + 256 random bits in base64url, stored only as its sha256.

const PREFIX = 'sgl_';
/** `sgl_` + 43 base64url characters. */
export const API_KEY_FORMAT = /^sgl_[A-Za-z0-9_-]{43}$/;

/** A new secret and its hash; only the hash is stored, the secret is shown once. */
export function generateApiKey(): { secret: string; hash: string } {
  const secret = `${PREFIX}${randomBytes(32).toString('base64url')}`;
  return { secret, hash: hashApiKey(secret) };
}

/**
 * sha256 is enough here (no slow KDF): the secret is 256 random bits, not a password, so the hash cannot be
 * brute-forced, and a fast hash keeps authentication to one indexed lookup.
 */
export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/**
 * Every scope an API key can hold, the one list the artist API, cmdr and geo-reporting check against.
 * `read`/`write`: the account's own data. `admin`: the account's API keys (minting and revoking; a key never
 * grants more than it holds). `ops`: cross-account operations (dead letters, geo-reporting's
 * reports); issued by cmdr only.
 */
export const API_KEY_SCOPES = ['read', 'write', 'admin', 'ops'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** Anything with pg's `query` (a Pool, a PoolClient). */
interface Queryable {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[] }>;
}

/** One API key as the artist API lists it: the model's fields but its hash (never shown) and its account. */
export type ApiKeyRow = Pick<
  ApiKey,
  'id' | 'name' | 'scopes' | 'createdAt' | 'lastUsedAt' | 'revokedAt' | 'createdByKeyId'
>;

export interface ApiKeyLineageRow extends ApiKeyRow, Pick<ApiKey, 'accountId'> {
  /** 0 = the key named, 1 = a key it minted, 2 = minted by one of those, ... */
  depth: number;
  /** Already revoked before this call. */
  wasRevoked: boolean;
}

/**
 * Revokes a key (idempotent: a revoked key keeps its first revocation time) and returns it with every key it
 * minted, directly or through keys it minted (`created_by_key_id`). With `cascade` those are revoked in the
 * same statement; without, they are only named so the caller can decide. `accountId` scopes the key and every
 * key of its lineage to an account (the artist API: a lineage row across accounts, however it came to be, never
 * lets one account revoke another's key); cmdr passes none. Undefined when there is no such key.
 */
export async function revokeApiKeyLineage(
  sql: Queryable,
  input: { keyId: string; accountId?: string | undefined; cascade: boolean; now: Date },
): Promise<{ key: ApiKeyLineageRow; minted: ApiKeyLineageRow[] } | undefined> {
  const { rows } = await sql.query<ApiKeyLineageRow & Record<string, unknown>>(
    `WITH RECURSIVE lineage AS (
       SELECT k.id, 0 AS depth FROM api_key k WHERE k.id = $1::uuid AND ($2::uuid IS NULL OR k.account_id = $2::uuid)
       UNION ALL
       SELECT c.id, l.depth + 1 FROM api_key c JOIN lineage l ON c.created_by_key_id = l.id
        WHERE $2::uuid IS NULL OR c.account_id = $2::uuid
     ), updated AS (
       UPDATE api_key k SET revoked_at = coalesce(k.revoked_at, $3)
         FROM lineage l WHERE k.id = l.id AND (l.depth = 0 OR $4::boolean)
       RETURNING k.id, k.revoked_at
     )
     SELECT k.id::text, k.account_id::text AS "accountId", k.name, k.scopes, k.created_at AS "createdAt",
            k.last_used_at AS "lastUsedAt", coalesce(u.revoked_at, k.revoked_at) AS "revokedAt",
            k.created_by_key_id::text AS "createdByKeyId", l.depth, k.revoked_at IS NOT NULL AS "wasRevoked"
       FROM lineage l JOIN api_key k ON k.id = l.id LEFT JOIN updated u ON u.id = k.id
      ORDER BY l.depth, k.created_at, k.id`,
    [input.keyId, input.accountId ?? null, input.now, input.cascade],
  );
  const [key, ...minted] = rows;
  return key === undefined ? undefined : { key, minted };
}
