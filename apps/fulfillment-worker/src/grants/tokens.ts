import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Download tokens are random: 256 bits from crypto.randomBytes, owed to nothing but chance, so neither a
 * secret nor a database read derives them. The database keeps sha256(token) for the redemption route
 * (a hash of 256 random bits cannot be reversed or guessed).
 *
 * The link still has to reach the fan's emails, which the mailer sends later (after retries, and for a
 * pre-order at its release instant). Until then the token is kept on its grant **sealed**:
 * AES-256-GCM under a key derived from the configured DOWNLOAD_TOKEN_SECRETS, so a database dump or backup
 * alone never yields a link. Once the last email that needs it is sent (or can no longer be), the mailer
 * wipes the sealed copy (download_grant.token_sealed = NULL): from then on no secret and no database read
 * together give the link back.
 *
 * Rotation: list the new secret first; it seals new tokens, and older secrets stay listed only to open
 * tokens sealed before the rotation whose email is still pending (each sealed value names its secret by a
 * fingerprint). Retiring a secret early costs those pending emails their links, never a link already sent.
 */
export class DownloadTokens {
  readonly #keys: readonly { id: string; key: Buffer }[];

  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new Error('DownloadTokens needs at least one secret');
    this.#keys = secrets.map((secret) => ({
      id: createHash('sha256').update(`download-token-seal-id:${secret}`).digest('base64url').slice(0, 8),
      key: Buffer.from(hkdfSync('sha256', secret, '', 'single/download-token-seal/v1', 32)),
    }));
  }

  /** A new grant's token, its hash (stored) and its sealed copy (stored until its emails are sent). */
  issue(): { token: string; hash: string; sealed: string } {
    const token = randomBytes(32).toString('base64url');
    return { token, hash: hashToken(token), sealed: this.seal(token) };
  }

  /** `<secret fingerprint>.<iv>.<ciphertext + tag>`, base64url. */
  seal(token: string): string {
    const { id, key } = this.#keys[0]!;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(id));
    const data = Buffer.concat([cipher.update(token, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${id}.${iv.toString('base64url')}.${data.toString('base64url')}`;
  }

  /** The token of a sealed copy, or undefined when no configured secret opens it (retired, or tampered). */
  open(sealed: string): string | undefined {
    const [id, iv, data] = sealed.split('.');
    const entry = this.#keys.find((k) => k.id === id);
    if (!entry || !iv || !data) return undefined;
    try {
      const bytes = Buffer.from(data, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', entry.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(entry.id));
      decipher.setAuthTag(bytes.subarray(bytes.length - 16));
      return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
