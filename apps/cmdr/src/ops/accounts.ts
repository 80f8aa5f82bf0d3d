import type pg from 'pg';
import { CmdrError, ExitCode, notFound, usageError } from '../exit-codes.ts';

// Account and ApiKey belong to the artist API; cmdr is the operator's way to bootstrap them (the first
// account and its `ops` key exist before anyone can call the API). The key format matches
// @single/db/commands/api-keys (shared with the artist API).

export const ACCOUNT_KINDS = ['artist', 'label'] as const;
/** The platform's one list of scopes (read, write, admin, ops), shared with the artist API. */
export const KEY_SCOPES = API_KEY_SCOPES;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

import { API_KEY_SCOPES, generateApiKey, revokeApiKeyLineage } from '@single/db/commands/api-keys';

export { generateApiKey };

export interface AccountRow {
  id: string;
  kind: string;
  name: string;
  createdAt: Date;
}

export async function createAccount(pool: pg.Pool, input: { name: string; kind: string }): Promise<AccountRow> {
  if (!(ACCOUNT_KINDS as readonly string[]).includes(input.kind)) {
    throw usageError(`--kind must be one of ${ACCOUNT_KINDS.join(', ')}`);
  }
  const name = input.name.trim();
  if (name.length === 0 || name.length > 200) throw usageError('account name must be 1 to 200 characters');
  const { rows } = await pool.query<AccountRow>(
    `INSERT INTO account (kind, name, updated_at) VALUES ($1::account_kind, $2, now())
     RETURNING id::text, kind::text, name, created_at AS "createdAt"`,
    [input.kind, name],
  );
  return rows[0] as AccountRow;
}

export interface CreatedKey {
  id: string;
  accountId: string;
  name: string;
  scopes: string[];
  /** Shown once; only its hash is stored. */
  secret: string;
}

export async function createKey(
  pool: pg.Pool,
  input: { accountId: string; name: string; scopes: string[] },
): Promise<CreatedKey> {
  if (!UUID.test(input.accountId)) throw usageError(`invalid account id "${input.accountId}"`);
  const unknown = input.scopes.filter((s) => !(KEY_SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0 || input.scopes.length === 0) {
    throw usageError(`--scopes must be a comma-separated subset of ${KEY_SCOPES.join(', ')}`);
  }
  const { secret, hash } = generateApiKey();
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO api_key (account_id, name, hash, scopes)
     SELECT id, $2, $3, $4::text[] FROM account WHERE id = $1::uuid
     RETURNING id::text`,
    [input.accountId, input.name, hash, [...new Set(input.scopes)]],
  );
  const id = rows[0]?.id;
  if (id === undefined) throw notFound(`account ${input.accountId} not found`);
  return { id, accountId: input.accountId, name: input.name, scopes: [...new Set(input.scopes)], secret };
}

export interface MintedKey {
  id: string;
  name: string;
  scopes: string[];
  createdByKeyId: string | null;
  revokedAt: Date | null;
}

/**
 * Revoking is idempotent: a key already revoked stays revoked at its first revocation time. The answer names
 * every key the revoked key minted (directly or not); `cascade` revokes them too (as the artist API's
 * `DELETE /v1/api-keys/{id}?cascade=true`).
 */
export async function revokeKey(
  pool: pg.Pool,
  keyId: string,
  options: { cascade?: boolean } = {},
): Promise<{ id: string; revokedAt: Date; alreadyRevoked: boolean; minted: MintedKey[] }> {
  if (!UUID.test(keyId)) throw usageError(`invalid key id "${keyId}"`);
  const result = await revokeApiKeyLineage(pool, { keyId, cascade: options.cascade === true, now: new Date() });
  if (result === undefined) throw notFound(`API key ${keyId} not found`);
  const { key, minted } = result;
  return {
    id: keyId,
    revokedAt: key.revokedAt as Date,
    alreadyRevoked: key.wasRevoked,
    minted: minted.map((k) => ({
      id: k.id,
      name: k.name,
      scopes: k.scopes,
      createdByKeyId: k.createdByKeyId,
      revokedAt: k.revokedAt,
    })),
  };
}

export function assertConnected(error: unknown): never {
  const code = (error as { code?: string }).code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT') {
    throw new CmdrError(`PostgreSQL unavailable (${code})`, ExitCode.unavailable);
  }
  throw error;
}
