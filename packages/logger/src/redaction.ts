// Keys whose values never reach the logs, at any depth: secrets and tokens, and the fan's personal data
// (emails, names, addresses, phone numbers, IPs). The geo pipeline logs IPs through a logger built with
// `allowIps: true`; nobody else may.
//
// Matched by key name in one walk over the logged object, not with pino's path-based redaction: dozens of
// wildcard paths cost more than the rest of a webhook request put together.
const SECRET_KEYS = [
  'authorization',
  'cookie',
  'set-cookie',
  'x-shopify-hmac-sha256',
  'password',
  'secret',
  'secrets',
  'token',
  'apikey',
  'api_key',
  'accesstoken',
  'access_token',
  'clientsecret',
  'client_secret',
  'hmac',
];

const PERSONAL_KEYS = [
  'email',
  'contact_email',
  'customer_email',
  'first_name',
  'last_name',
  'phone',
  'address1',
  'address2',
  'zip',
  'billing_address',
  'shipping_address',
  'default_address',
  'addresses',
  'customer',
];

const IP_KEYS = ['browser_ip', 'browserip', 'clientip', 'client_ip', 'remoteaddress', 'x-forwarded-for', 'forwarded'];

export const REDACTED = '[redacted]';
const MAX_DEPTH = 8;

export function redactedKeys(options: { allowIps?: boolean } = {}): ReadonlySet<string> {
  return new Set([...SECRET_KEYS, ...PERSONAL_KEYS, ...(options.allowIps ? [] : IP_KEYS)]);
}

/** A copy of `value` with every redacted key's value replaced; the caller's object is left untouched. */
export function redact(value: unknown, keys: ReadonlySet<string>, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Buffer.isBuffer(value) || value instanceof Date) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const next = redact(value[i], keys, depth + 1);
      if (next !== value[i]) {
        copy ??= value.slice();
        copy[i] = next;
      }
    }
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const current = (value as Record<string, unknown>)[key];
    const next = keys.has(key.toLowerCase()) ? REDACTED : redact(current, keys, depth + 1);
    if (next !== current) {
      copy ??= { ...(value as Record<string, unknown>) };
      copy[key] = next;
    }
  }
  return copy ?? value;
}
