import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { type FanFacts, fanFacts, type SalesEventV1, type SalesEventV2, type SealedFan } from './sales-event.ts';

/** The facts of `fan` that version 2 seals: everything but the countries. */
const SEALED_KEYS = ['emailHash', 'billingZip', 'shippingZip', 'browserIp', 'checkoutToken'] as const;

/** A fan's data key as stored in fan_data_key: 32 random bytes for AES-256-GCM. */
export interface FanDataKey {
  id: string;
  key: Buffer;
}

/**
 * The keyed email hash (HMAC-SHA256 with a platform secret) of the trimmed, lower-cased address: stable across
 * events, so "one unit per fan" still recognises a fan, but nobody without the secret can recompute it from a
 * list of addresses, as anyone could a plain sha256.
 */
export function keyedEmailHash(secret: string, email: string): string {
  return createHmac('sha256', secret).update(`sales-fan-email:${email.trim().toLowerCase()}`).digest('hex');
}

const aad = (keyId: string, eventId: string) => Buffer.from(`${keyId}\n${eventId}`);

/**
 * Turns an event as produced (version 1 shape, facts in clear) into version 2: the countries stay in `fan`,
 * the rest is sealed with the fan's data key (bound to the key and the event id, so a sealed block cannot be
 * moved to another event). Without a key, or with nothing to seal, the event carries no sealed facts at all.
 */
export function sealSalesEvent(event: SalesEventV1, key: FanDataKey | null): SalesEventV2 {
  const { fan, version: _, ...rest } = event;
  const secret: Partial<FanFacts> = {};
  for (const name of SEALED_KEYS) if (fan[name]) secret[name] = fan[name];
  const open = {
    ...(fan.billingCountry ? { billingCountry: fan.billingCountry } : {}),
    ...(fan.shippingCountry ? { shippingCountry: fan.shippingCountry } : {}),
  };
  if (!key || Object.keys(secret).length === 0) return { ...rest, version: 2, fan: open };
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(aad(key.id, event.eventId));
  const data = Buffer.concat([cipher.update(JSON.stringify(secret), 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return {
    ...rest,
    version: 2,
    fan: open,
    fanSealed: { keyId: key.id, iv: iv.toString('base64url'), data: data.toString('base64url') },
  };
}

/**
 * The sealed facts of a version 2 event, or null when they cannot be opened: the key was deleted (the fan was
 * redacted), or the block does not belong to this event. Never throws.
 */
export function openSealedFan(sealed: SealedFan, eventId: string, key: Buffer | undefined): FanFacts | null {
  if (!key) return null;
  try {
    const bytes = Buffer.from(sealed.data, 'base64url');
    if (bytes.length < 17) return null;
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64url'));
    decipher.setAAD(aad(sealed.keyId, eventId));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    const json = Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]);
    const parsed = fanFacts
      .pick({ emailHash: true, billingZip: true, shippingZip: true, browserIp: true, checkoutToken: true })
      .safeParse(JSON.parse(json.toString('utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
