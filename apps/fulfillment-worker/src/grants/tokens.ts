import { createHash, createHmac } from 'node:crypto';

/**
 * Download tokens are derived, not stored: token = base64url(HMAC-SHA256(secret, grant id)), 256 bits that
 * nobody can compute without the secret. The database keeps only sha256(token) (the redemption route looks
 * the hash up), so a database dump, a backup or the email outbox never holds a usable link, and the mailer
 * can render (and retry) the email any time later from the grant id alone. Secrets rotate by listing the
 * new one first: links already issued keep working (their hash is stored), and a pending email finds the
 * secret whose derivation matches the stored hash.
 */
export class DownloadTokens {
  readonly #secrets: readonly string[];

  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new Error('DownloadTokens needs at least one secret');
    this.#secrets = secrets;
  }

  /** The token of a new grant (current secret). */
  issue(grantId: string): { token: string; hash: string } {
    const token = derive(this.#secrets[0]!, grantId);
    return { token, hash: hashToken(token) };
  }

  /** The token whose hash is stored for this grant, or undefined when no configured secret derives it. */
  recover(grantId: string, storedHash: string): string | undefined {
    for (const secret of this.#secrets) {
      const token = derive(secret, grantId);
      if (hashToken(token) === storedHash) return token;
    }
    return undefined;
  }
}

function derive(secret: string, grantId: string): string {
  return createHmac('sha256', secret).update(`download-grant:${grantId}`).digest('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
