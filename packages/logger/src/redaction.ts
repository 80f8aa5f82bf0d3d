// Paths pino censors wherever they appear in a log line: secrets and tokens, and the fan's personal data
// (emails, names, addresses, phone numbers, IPs). The geo pipeline logs IPs through its own child logger
// built with `allowIps: true`; nobody else may.
const SECRET_KEYS = [
  'authorization',
  'cookie',
  'set-cookie',
  'x-shopify-hmac-sha256',
  'password',
  'secret',
  'secrets',
  'token',
  'apiKey',
  'api_key',
  'accessToken',
  'access_token',
  'clientSecret',
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

const IP_KEYS = ['browser_ip', 'browserIp', 'clientIp', 'client_ip', 'remoteAddress', 'x-forwarded-for', 'forwarded'];

function everywhere(keys: readonly string[]): string[] {
  // pino's redaction needs explicit depths; four levels cover our objects (req.headers.x, payload.customer.x).
  return keys.flatMap((key) => {
    const k = /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `["${key}"]`;
    return [k.slice(k.startsWith('.') ? 1 : 0), `*${k}`, `*.*${k}`, `*.*.*${k}`];
  });
}

export function redactPaths(options: { allowIps?: boolean } = {}): string[] {
  return everywhere([...SECRET_KEYS, ...PERSONAL_KEYS, ...(options.allowIps ? [] : IP_KEYS)]);
}

export const REDACTED = '[redacted]';
