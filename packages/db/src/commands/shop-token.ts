import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

// The Admin API access token of a shop (shop.access_token) is kept encrypted at rest: the artist API seals
// it in the OAuth callback, the fulfillment worker opens it to call the Admin API. AES-256-GCM with a key
// from configuration (SHOP_TOKEN_KEYS), never from the database, so a copy of the database (a backup, a
// replica, a dump shared for support) holds no usable token.
//
// Stored form: `v1.<keyId>.<iv>.<ciphertext+tag>` (base64url parts). The key id is stored with each token, so
// keys rotate: a new key goes first in SHOP_TOKEN_KEYS (new tokens), old ones stay after it to open the tokens
// they sealed. The shop domain is the additional data: a sealed token copied into another shop's row does not
// open. Shopify tokens (`shpat_...`) never contain a dot.

/** One key: an id (stored with each token) and 32 bytes. */
export interface ShopTokenKey {
  id: string;
  key: Buffer;
}

/** The keys, first one seals. */
export type ShopTokenKeyring = readonly ShopTokenKey[];

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const VERSION = 'v1';

/**
 * Parses `id:base64key,id2:base64key2` (each key 32 bytes, standard or url-safe base64). Throws on a malformed
 * entry, naming it by id only (never the key).
 */
export function parseShopTokenKeys(value: string): ShopTokenKeyring {
  const keys = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry, index) => {
      const at = entry.indexOf(':');
      const id = at > 0 ? entry.slice(0, at) : '';
      if (!KEY_ID.test(id)) throw new Error(`entry ${index + 1}: expected <id>:<base64 of 32 bytes>`);
      const key = Buffer.from(entry.slice(at + 1), 'base64');
      if (key.length !== 32) throw new Error(`key "${id}": must be 32 bytes (base64), got ${key.length}`);
      return { id, key };
    });
  if (new Set(keys.map((k) => k.id)).size !== keys.length) throw new Error('key ids must be unique');
  return keys;
}

/** Seals a token for one shop with the first key of the ring. */
export function sealShopToken(token: string, shopDomain: string, keys: ShopTokenKeyring): string {
  const key = keys[0];
  if (!key) throw new Error('no shop token key configured');
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(Buffer.from(shopDomain));
  const data = Buffer.concat([cipher.update(token, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return [VERSION, key.id, iv.toString('base64url'), data.toString('base64url')].join('.');
}

/** Whether a stored value is a sealed token (and not one written in clear before tokens were sealed). */
export function isSealedShopToken(stored: string): boolean {
  return stored.startsWith(`${VERSION}.`);
}

/** Why a stored token cannot be used. */
export class ShopTokenError extends Error {
  override name = 'ShopTokenError';
}

/**
 * The token in clear. Throws ShopTokenError when its key is not configured or the value does not open for this
 * shop (tampered, or copied from another shop's row); the message names the key id, never any secret.
 */
export function openShopToken(stored: string, shopDomain: string, keys: ShopTokenKeyring): string {
  const [version, keyId, iv, data, ...rest] = stored.split('.');
  if (version !== VERSION || !keyId || !iv || !data || rest.length > 0) {
    throw new ShopTokenError('not a sealed shop token');
  }
  const key = keys.find((k) => k.id === keyId);
  if (!key) throw new ShopTokenError(`shop token key "${keyId}" is not configured`);
  try {
    const bytes = Buffer.from(data, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(shopDomain));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    throw new ShopTokenError(`shop token does not open with key "${keyId}"`);
  }
}
