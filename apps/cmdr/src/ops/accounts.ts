import { type AccountKind, type Db, Prisma, sqlOf } from '@single/db';
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

const ACCOUNT_FIELDS = { id: true, kind: true, name: true, createdAt: true } as const;
export type AccountRow = Prisma.AccountGetPayload<{ select: typeof ACCOUNT_FIELDS }>;

export async function createAccount(db: Db, input: { name: string; kind: string }): Promise<AccountRow> {
  if (!(ACCOUNT_KINDS as readonly string[]).includes(input.kind)) {
    throw usageError(`--kind must be one of ${ACCOUNT_KINDS.join(', ')}`);
  }
  const name = input.name.trim();
  if (name.length === 0 || name.length > 200) throw usageError('account name must be 1 to 200 characters');
  return db.account.create({ data: { kind: input.kind as AccountKind, name }, select: ACCOUNT_FIELDS });
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
  db: Db,
  input: { accountId: string; name: string; scopes: string[] },
): Promise<CreatedKey> {
  if (!UUID.test(input.accountId)) throw usageError(`invalid account id "${input.accountId}"`);
  const unknown = input.scopes.filter((s) => !(KEY_SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0 || input.scopes.length === 0) {
    throw usageError(`--scopes must be a comma-separated subset of ${KEY_SCOPES.join(', ')}`);
  }
  const { secret, hash } = generateApiKey();
  const scopes = [...new Set(input.scopes)];
  try {
    // One INSERT, as before: the account's foreign key is the check that it exists (P2003 when it does not).
    const { id } = await db.apiKey.create({
      data: { accountId: input.accountId, name: input.name, hash, scopes },
      select: { id: true },
    });
    return { id, accountId: input.accountId, name: input.name, scopes, secret };
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2003') {
      throw notFound(`account ${input.accountId} not found`);
    }
    throw error;
  }
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
  db: Db,
  keyId: string,
  options: { cascade?: boolean } = {},
): Promise<{ id: string; revokedAt: Date; alreadyRevoked: boolean; minted: MintedKey[] }> {
  if (!UUID.test(keyId)) throw usageError(`invalid key id "${keyId}"`);
  // The shared recursive-CTE statement (the artist API's too): one UPDATE of the whole lineage, on Prisma's connection.
  const result = await revokeApiKeyLineage(sqlOf(db), { keyId, cascade: options.cascade === true, now: new Date() });
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
