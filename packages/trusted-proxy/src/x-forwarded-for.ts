import { fromIPv6, type IpAddress, parseIPv4Range, parseIPv6Range } from './ip-address.ts';

/** Longer X-Forwarded-For elements are malformed: no address with a port is this long. */
export const MAX_XFF_ELEMENT_LENGTH = 64;

const CHAR_0 = 48;
const CHAR_9 = 57;
const CHAR_COLON = 58;

/** Whether `text[start, end)` is a port: 1-5 decimal digits, at most 65535. */
export function isPort(text: string, start: number, end: number): boolean {
  const length = end - start;
  if (length < 1 || length > 5) return false;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < CHAR_0 || c > CHAR_9) return false;
    value = value * 10 + (c - CHAR_0);
  }
  return value <= 65535;
}

/**
 * Parses one trimmed X-Forwarded-For element: `a.b.c.d`, `a.b.c.d:port`, bare IPv6 text, `[IPv6]` or
 * `[IPv6]:port`. Mapped IPv6 becomes IPv4. Returns null for anything else (names, `unknown`, zone ids,
 * integer/hex/octal/short IPv4, quotes, inner whitespace).
 */
export function parseXffElement(element: string): IpAddress | null {
  const length = element.length;
  if (length === 0 || length > MAX_XFF_ELEMENT_LENGTH) return null;
  if (element.charCodeAt(0) === 91 /* [ */) {
    const close = element.indexOf(']');
    if (close < 0) return null;
    if (close + 1 < length && (element.charCodeAt(close + 1) !== CHAR_COLON || !isPort(element, close + 2, length))) {
      return null;
    }
    const groups = parseIPv6Range(element, 1, close);
    return groups === null ? null : fromIPv6(groups);
  }
  const colon = element.indexOf(':');
  if (colon < 0) {
    const v4 = parseIPv4Range(element, 0, length);
    return v4 < 0 ? null : { kind: 4, value: v4 };
  }
  if (element.indexOf(':', colon + 1) < 0) {
    // One colon can only be IPv4 with a port: IPv6 text always has at least two.
    if (!isPort(element, colon + 1, length)) return null;
    const v4 = parseIPv4Range(element, 0, colon);
    return v4 < 0 ? null : { kind: 4, value: v4 };
  }
  const groups = parseIPv6Range(element, 0, length);
  return groups === null ? null : fromIPv6(groups);
}
