import { API_KEY_FORMAT } from '@single/db/commands/api-keys';

export const SCOPES = ['read', 'write', 'ops'] as const;
export type Scope = (typeof SCOPES)[number];

/** Scopes an account can give its own keys; `ops` (cross-account operations) is issued by cmdr only. */
export const SELF_SERVICE_SCOPES = ['read', 'write'] as const;

export { generateApiKey, hashApiKey } from '@single/db/commands/api-keys';

/** The secret from `Authorization: Bearer <key>`, or undefined when absent or malformed. */
export function bearerSecret(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer ([^\s]+)$/i.exec(header.trim());
  const secret = match?.[1];
  return secret !== undefined && API_KEY_FORMAT.test(secret) ? secret : undefined;
}
