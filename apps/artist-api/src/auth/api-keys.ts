import { API_KEY_FORMAT, API_KEY_SCOPES, type ApiKeyScope } from '@single/db/commands/api-keys';

/** The platform's one list of scopes (@single/db), shared with cmdr and geo-reporting. */
export const SCOPES = API_KEY_SCOPES;
export type Scope = ApiKeyScope;

/**
 * Scopes a key with `admin` can give the account's new keys (only scopes it holds itself); `ops`
 * (cross-account operations) is issued by cmdr only.
 */
export const SELF_SERVICE_SCOPES = ['read', 'write', 'admin'] as const;

export { generateApiKey, hashApiKey } from '@single/db/commands/api-keys';

/** The secret from `Authorization: Bearer <key>`, or undefined when absent or malformed. */
export function bearerSecret(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer ([^\s]+)$/i.exec(header.trim());
  const secret = match?.[1];
  return secret !== undefined && API_KEY_FORMAT.test(secret) ? secret : undefined;
}
