import { type AccountDb, sqlOf } from '@single/db';
import { type ApiKeyRow, revokeApiKeyLineage } from '@single/db/commands/api-keys';
import type { Pool } from 'pg';
import { generateApiKey, type Scope } from './api-keys.ts';

export interface Principal {
  keyId: string;
  accountId: string;
  accountKind: 'artist' | 'label';
  accountName: string;
  keyName: string;
  scopes: Scope[];
  lastUsedAt: Date | null;
}

export type { ApiKeyRow };

// issueApiKey's RETURNING: the columns of ApiKeyRow (never the hash).
const KEY_COLUMNS = `id, name, scopes, created_at AS "createdAt", last_used_at AS "lastUsedAt", revoked_at AS "revokedAt",
  created_by_key_id AS "createdByKeyId"`;
const KEY_FIELDS = {
  id: true,
  name: true,
  scopes: true,
  createdAt: true,
  lastUsedAt: true,
  revokedAt: true,
  createdByKeyId: true,
} as const;

/** Throttles last-used writes: one UPDATE per key per minute is enough for "last used" and costs nothing. */
const LAST_USED_GRANULARITY_MS = 60_000;

export class ApiKeyRepository {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  /**
   * The active (not revoked) key with this hash and its account: the lookup that finds the account, on every
   * request. Hot path kept on pg: through Prisma it added ~3 ms a request under load (ARCHITECTURE.md). It
   * runs before any account is known, so no tenant scope applies; it is the one read of api_key by hash.
   */
  async findActiveByHash(hash: string): Promise<Principal | undefined> {
    const { rows } = await this.#pool.query<Principal>(
      `SELECT k.id AS "keyId", k.account_id AS "accountId", a.kind AS "accountKind", a.name AS "accountName",
              k.name AS "keyName", k.scopes, k.last_used_at AS "lastUsedAt"
       FROM api_key k JOIN account a ON a.id = k.account_id
       WHERE k.hash = $1 AND k.revoked_at IS NULL`,
      [hash],
    );
    return rows[0];
  }

  async touch(db: AccountDb, principal: Principal, now: Date): Promise<void> {
    if (principal.lastUsedAt && now.getTime() - principal.lastUsedAt.getTime() < LAST_USED_GRANULARITY_MS) return;
    await db.apiKey.updateMany({
      where: { id: principal.keyId, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: now } }] },
      data: { lastUsedAt: now },
    });
  }

  async list(db: AccountDb): Promise<ApiKeyRow[]> {
    return db.apiKey.findMany({ select: KEY_FIELDS, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
  }

  async get(db: AccountDb, id: string): Promise<ApiKeyRow | null> {
    return db.apiKey.findFirst({ where: { id }, select: KEY_FIELDS });
  }

  /**
   * Revokes the account's key (idempotent) and names every key it minted, directly or not; `cascade`
   * revokes those too. Undefined when the key is not the account's. Typed SQL shared with cmdr (a recursive
   * CTE updating the lineage in one statement, which the client cannot express), run on the account's client
   * (`sqlOf`); the account is its parameter (raw SQL is beyond the scope's reach).
   */
  async revoke(db: AccountDb, accountId: string, id: string, now: Date, cascade: boolean) {
    return revokeApiKeyLineage(sqlOf(db), { keyId: id, accountId, cascade, now });
  }
}

/**
 * Creates a key for an account; the secret is returned once and never stored. `createdByKeyId`: the key that
 * mints it, which must still be active when the row is written (its row is share-locked, so a concurrent
 * revocation either sees this key in the lineage or makes this insert write nothing: MintingKeyRevokedError).
 */
export async function issueApiKey(
  sql: Queryable,
  input: { accountId: string; name: string; scopes: readonly Scope[]; createdByKeyId?: string },
) {
  const { secret, hash } = generateApiKey();
  const { rows } = await sql.query<ApiKeyRow & Record<string, unknown>>(
    `INSERT INTO api_key (account_id, name, hash, scopes, created_by_key_id)
     SELECT $1, $2, $3, $4, $5::uuid
      WHERE $5::uuid IS NULL
         OR EXISTS (SELECT 1 FROM api_key c WHERE c.id = $5::uuid AND c.account_id = $1 AND c.revoked_at IS NULL FOR SHARE)
     RETURNING ${KEY_COLUMNS}`,
    [input.accountId, input.name, hash, [...new Set(input.scopes)], input.createdByKeyId ?? null],
  );
  const key = rows[0];
  if (key === undefined) throw new MintingKeyRevokedError();
  return { key, secret };
}

/** pg's `query` (a Pool: cmdr, tests, the benchmark) or Prisma's through `sqlOf` (the API's route). */
interface Queryable {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[] }>;
}

/** The minting key was revoked between authentication and the insert. */
export class MintingKeyRevokedError extends Error {}
