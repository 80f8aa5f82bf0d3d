import type { Pool } from 'pg';
import type { Sql } from '../support/db.ts';
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

export interface ApiKeyRow {
  id: string;
  name: string;
  scopes: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const KEY_COLUMNS = `id, name, scopes, created_at AS "createdAt", last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"`;

/** Throttles last-used writes: one UPDATE per key per minute is enough for "last used" and costs nothing. */
const LAST_USED_GRANULARITY_MS = 60_000;

export class ApiKeyRepository {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  /** The active (not revoked) key with this hash and its account. */
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

  async touch(principal: Principal, now: Date): Promise<void> {
    if (principal.lastUsedAt && now.getTime() - principal.lastUsedAt.getTime() < LAST_USED_GRANULARITY_MS) return;
    await this.#pool.query(
      'UPDATE api_key SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)',
      [principal.keyId, now],
    );
  }

  async list(accountId: string): Promise<ApiKeyRow[]> {
    const { rows } = await this.#pool.query<ApiKeyRow>(
      `SELECT ${KEY_COLUMNS} FROM api_key WHERE account_id = $1 ORDER BY created_at DESC, id DESC`,
      [accountId],
    );
    return rows;
  }

  async get(accountId: string, id: string): Promise<ApiKeyRow | undefined> {
    const { rows } = await this.#pool.query<ApiKeyRow>(
      `SELECT ${KEY_COLUMNS} FROM api_key WHERE account_id = $1 AND id = $2`,
      [accountId, id],
    );
    return rows[0];
  }

  /** Revokes the account's key (idempotent); undefined when the key is not the account's. */
  async revoke(accountId: string, id: string, now: Date): Promise<ApiKeyRow | undefined> {
    const { rows } = await this.#pool.query<ApiKeyRow>(
      `UPDATE api_key SET revoked_at = COALESCE(revoked_at, $3) WHERE account_id = $1 AND id = $2 RETURNING ${KEY_COLUMNS}`,
      [accountId, id, now],
    );
    return rows[0];
  }
}

/** Creates a key for an account; the secret is returned once and never stored. Also used by cmdr. */
export async function issueApiKey(sql: Sql, input: { accountId: string; name: string; scopes: readonly Scope[] }) {
  const { secret, hash } = generateApiKey();
  const { rows } = await sql.query<ApiKeyRow>(
    `INSERT INTO api_key (account_id, name, hash, scopes) VALUES ($1, $2, $3, $4) RETURNING ${KEY_COLUMNS}`,
    [input.accountId, input.name, hash, [...new Set(input.scopes)]],
  );
  return { key: rows[0]!, secret };
}
