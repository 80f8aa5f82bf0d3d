import { createHash, randomBytes } from 'node:crypto';

export const SCOPES = ['read', 'write', 'ops'] as const;
export type Scope = (typeof SCOPES)[number];

/** Scopes an account can give its own keys; `ops` (cross-account operations) is issued by cmdr only. */
export const SELF_SERVICE_SCOPES = ['read', 'write'] as const;

const PREFIX = 'sgl_';
/** `sgl_` + 43 base64url characters (256 random bits). */
const KEY_FORMAT = /^sgl_[A-Za-z0-9_-]{43}$/;

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

/** The secret from `Authorization: Bearer <key>`, or undefined when absent or malformed. */
export function bearerSecret(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer ([^\s]+)$/i.exec(header.trim());
  const secret = match?.[1];
  return secret !== undefined && KEY_FORMAT.test(secret) ? secret : undefined;
}
