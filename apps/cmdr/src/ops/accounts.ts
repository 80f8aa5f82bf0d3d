import type pg from 'pg';
import { CmdrError, ExitCode, notFound, usageError } from '../exit-codes.ts';

// Account and ApiKey belong to the artist API; cmdr is the operator's way to bootstrap them (the first
// account and its `ops` key exist before anyone can call the API). The key format matches
// @single/db/commands/api-keys (shared with the artist API).

export const ACCOUNT_KINDS = ['artist', 'label'] as const;
export const KEY_SCOPES = ['read', 'write', 'ops'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

import { generateApiKey } from '@single/db/commands/api-keys';

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

/** Revoking is idempotent: a key already revoked stays revoked at its first revocation time. */
export async function revokeKey(
  pool: pg.Pool,
  keyId: string,
): Promise<{ id: string; revokedAt: Date; alreadyRevoked: boolean }> {
  if (!UUID.test(keyId)) throw usageError(`invalid key id "${keyId}"`);
  const { rows } = await pool.query<{ revokedAt: Date; was: Date | null }>(
    `UPDATE api_key k SET revoked_at = coalesce(k.revoked_at, now())
       FROM (SELECT id, revoked_at FROM api_key WHERE id = $1::uuid FOR UPDATE) before
      WHERE k.id = before.id
      RETURNING k.revoked_at AS "revokedAt", before.revoked_at AS was`,
    [keyId],
  );
  const row = rows[0];
  if (row === undefined) throw notFound(`API key ${keyId} not found`);
  return { id: keyId, revokedAt: row.revokedAt, alreadyRevoked: row.was !== null };
}

export function assertConnected(error: unknown): never {
  const code = (error as { code?: string }).code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT') {
    throw new CmdrError(`PostgreSQL unavailable (${code})`, ExitCode.unavailable);
  }
  throw error;
}
