// Strict IP address text parsing and canonical formatting, written by hand rather than with node:net so that
// every accepted form is decided here (no zone ids, no short/octal/hex IPv4) and parsing stays allocation-light.

/** An IPv4 address as an unsigned 32-bit number, or an IPv6 address as eight 16-bit groups. */
export type IpAddress =
  | { readonly kind: 4; readonly value: number }
  | { readonly kind: 6; readonly groups: Uint16Array };

const CHAR_0 = 48;
const CHAR_9 = 57;
const CHAR_DOT = 46;
const CHAR_COLON = 58;

/** Longest valid IPv6 text, `ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`. */
const MAX_IPV6_LENGTH = 45;

/**
 * Parses a strict dotted quad in `text[start, end)`: four decimal octets 0-255, no leading zeros, nothing else.
 * Returns the address as an unsigned 32-bit number, or -1.
 */
export function parseIPv4Range(text: string, start: number, end: number): number {
  if (end - start < 7 || end - start > 15) return -1;
  let value = 0;
  let octets = 0;
  let i = start;
  while (true) {
    const first = text.charCodeAt(i);
    if (first < CHAR_0 || first > CHAR_9) return -1;
    let octet = first - CHAR_0;
    let digits = 1;
    i++;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c < CHAR_0 || c > CHAR_9) break;
      // A second digit after a leading zero is octal-looking input: reject rather than guess.
      if (octet === 0 || digits === 3) return -1;
      octet = octet * 10 + (c - CHAR_0);
      digits++;
      i++;
    }
    if (octet > 255) return -1;
    value = value * 256 + octet;
    octets++;
    if (octets === 4) return i === end ? value : -1;
    if (i >= end || text.charCodeAt(i) !== CHAR_DOT) return -1;
    i++;
  }
}

export function parseIPv4(text: string): number {
  return parseIPv4Range(text, 0, text.length);
}

function hexValue(c: number): number {
  if (c >= CHAR_0 && c <= CHAR_9) return c - CHAR_0;
  const lower = c | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/**
 * Parses IPv6 text in `text[start, end)` (RFC 4291 section 2.2: 1-4 hex digits per group, at most one `::`
 * standing for one or more zero groups, an optional dotted quad in the last 32 bits). No zone id, no brackets.
 */
export function parseIPv6Range(text: string, start: number, end: number): Uint16Array | null {
  if (end - start < 2 || end - start > MAX_IPV6_LENGTH) return null;
  const groups = new Uint16Array(8);
  let count = 0;
  let compressAt = -1;
  let i = start;
  if (text.charCodeAt(i) === CHAR_COLON) {
    if (text.charCodeAt(i + 1) !== CHAR_COLON) return null;
    compressAt = 0;
    i += 2;
    if (i === end) return groups;
  }
  while (true) {
    if (count === 8) return null;
    const groupStart = i;
    let group = 0;
    while (i < end && i - groupStart < 5) {
      const digit = hexValue(text.charCodeAt(i));
      if (digit < 0) break;
      group = group * 16 + digit;
      i++;
    }
    const digits = i - groupStart;
    if (digits === 0 || digits > 4) {
      return null;
    }
    if (i < end && text.charCodeAt(i) === CHAR_DOT) {
      // Embedded dotted quad: only as the last two groups.
      if (count > 6) return null;
      const v4 = parseIPv4Range(text, groupStart, end);
      if (v4 < 0) return null;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      break;
    }
    groups[count++] = group;
    if (i === end) break;
    if (text.charCodeAt(i) !== CHAR_COLON) return null;
    i++;
    if (i === end) return null; // a single trailing colon
    if (text.charCodeAt(i) === CHAR_COLON) {
      if (compressAt >= 0) return null;
      compressAt = count;
      i++;
      if (i === end) break;
    }
  }
  if (compressAt < 0) return count === 8 ? groups : null;
  // `::` must stand for at least one group.
  if (count > 7) return null;
  const tail = count - compressAt;
  const shift = 8 - count;
  for (let k = tail - 1; k >= 0; k--) {
    groups[compressAt + shift + k] = groups[compressAt + k]!;
    groups[compressAt + k] = 0;
  }
  return groups;
}

export function parseIPv6(text: string): Uint16Array | null {
  return parseIPv6Range(text, 0, text.length);
}

/** `::ffff:a.b.c.d` (RFC 4291 2.5.5.2) — in any text form — is an IPv4 address. */
export function isIPv4Mapped(groups: Uint16Array): boolean {
  return (
    groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff
  );
}

/** Turns IPv4-mapped IPv6 into IPv4; IPv4-compatible `::a.b.c.d` deliberately stays IPv6. */
export function fromIPv6(groups: Uint16Array): IpAddress {
  if (isIPv4Mapped(groups)) return { kind: 4, value: groups[6]! * 0x10000 + groups[7]! };
  return { kind: 6, groups };
}

export function formatIPv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 0xff}.${(value >>> 8) & 0xff}.${value & 0xff}`;
}

/** Lower-case hex, first longest run of two or more zero groups compressed: the WHATWG URL host serialiser. */
export function formatIPv6(groups: Uint16Array): string {
  let bestStart = -1;
  let bestLength = 1;
  let runStart = -1;
  for (let i = 0; i <= 8; i++) {
    if (i < 8 && groups[i] === 0) {
      if (runStart < 0) runStart = i;
    } else if (runStart >= 0) {
      if (i - runStart > bestLength) {
        bestStart = runStart;
        bestLength = i - runStart;
      }
      runStart = -1;
    }
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += i === 0 ? '::' : ':';
      i += bestLength - 1;
      continue;
    }
    out += groups[i]!.toString(16);
    if (i < 7) out += ':';
  }
  return out;
}

export function formatIp(ip: IpAddress): string {
  return ip.kind === 4 ? formatIPv4(ip.value) : formatIPv6(ip.groups);
}

/**
 * Parses an address as the operating system reports a socket peer: IPv4, or IPv6 with an optional zone id
 * (`fe80::1%eth0`), which is dropped. Mapped IPv6 becomes IPv4. Returns null for anything else.
 */
export function parseSocketAddress(text: string): IpAddress | null {
  if (text.indexOf(':') < 0) {
    const v4 = parseIPv4(text);
    return v4 < 0 ? null : { kind: 4, value: v4 };
  }
  let end = text.indexOf('%');
  if (end < 0) end = text.length;
  else if (end === text.length - 1) return null; // an empty zone id is not a zone id
  const groups = parseIPv6Range(text, 0, end);
  return groups === null ? null : fromIPv6(groups);
}
