import { createHash } from 'node:crypto';

/**
 * How a customers/redact remembers an email without keeping it: sha256 over the shop and the trimmed,
 * lower-cased address. The tombstone must recognise that address on a later snapshot (a guest order has no
 * customer id), so it is a hash of the address by design; it is scoped to the shop and never leaves the
 * worker's `redacted_email` table.
 */
export function redactedEmailHash(shopDomain: string, email: string): string {
  return createHash('sha256').update(`${shopDomain}\n${email.trim().toLowerCase()}`).digest('hex');
}
