import { createHash, randomBytes } from 'node:crypto';

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
