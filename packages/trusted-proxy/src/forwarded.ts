// RFC 7239 `Forwarded` header: elements separated by commas outside quoted strings, each a `;`-separated list of
// `name=value` pairs with token or quoted-string values. Only the `for=` node is used.

import { fromIPv6, type IpAddress, parseIPv4Range, parseIPv6Range } from './ip-address.ts';
import { isPort } from './x-forwarded-for.ts';

const CHAR_QUOTE = 34;
const CHAR_BACKSLASH = 92;
const CHAR_COMMA = 44;
const CHAR_SEMICOLON = 59;
const CHAR_EQUALS = 61;
const CHAR_COLON = 58;
const CHAR_SPACE = 32;
const CHAR_TAB = 9;

/** RFC 9110 tchar lookup for the ASCII range. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
  TCHAR[c.charCodeAt(0)] = 1;

function isTchar(c: number): boolean {
  return c < 128 && TCHAR[c] === 1;
}

/** qdtext (RFC 9110): HTAB, SP, VCHAR except `"` and `\`, obs-text. */
const QDTEXT = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  QDTEXT[c] =
    c === CHAR_TAB || c === CHAR_SPACE || c === 0x21 || (c >= 0x23 && c <= 0x7e && c !== 0x5c) || c >= 0x80 ? 1 : 0;
}

function isQdtext(c: number): boolean {
  return c < 256 && QDTEXT[c] === 1;
}

/** The character after `\` in a quoted-pair: HTAB, SP, VCHAR, obs-text. */
function isQuotedPairChar(c: number): boolean {
  return c === CHAR_TAB || (c >= CHAR_SPACE && c <= 0x7e) || (c >= 0x80 && c <= 0xff);
}

function isOws(c: number): boolean {
  return c === CHAR_SPACE || c === CHAR_TAB;
}

/** Trims spaces and tabs only (not other whitespace, which makes an element malformed). */
export function trimOws(text: string, start: number, end: number): string {
  while (start < end && isOws(text.charCodeAt(start))) start++;
  while (end > start && isOws(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

/**
 * Splits a Forwarded header on commas outside quoted strings, trims spaces and tabs and drops empty elements.
 * An unterminated quoted string runs to the end of the header, making that element malformed.
 */
export function splitForwarded(header: string): string[] {
  const elements: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < header.length; i++) {
    const c = header.charCodeAt(i);
    if (quoted) {
      if (c === CHAR_BACKSLASH) i++;
      else if (c === CHAR_QUOTE) quoted = false;
    } else if (c === CHAR_QUOTE) {
      quoted = true;
    } else if (c === CHAR_COMMA) {
      const element = trimOws(header, start, i);
      if (element.length > 0) elements.push(element);
      start = i + 1;
    }
  }
  const last = trimOws(header, start, header.length);
  if (last.length > 0) elements.push(last);
  return elements;
}

/**
 * Parses one Forwarded element and returns its `for=` node as an address. Null when the element is not
 * well-formed, has no or several `for=` pairs, or the node is `unknown`, an obfuscated identifier, IPv6 without
 * brackets, or anything else that is not an IP address.
 */
export function parseForwardedElement(element: string): IpAddress | null {
  const end = element.length;
  let forValue: string | null = null;
  let i = 0;
  while (i < end) {
    while (i < end && isOws(element.charCodeAt(i))) i++;
    if (i === end) break;
    if (element.charCodeAt(i) === CHAR_SEMICOLON) {
      i++; // empty pair, allowed by the grammar
      continue;
    }
    const nameStart = i;
    while (i < end && isTchar(element.charCodeAt(i))) i++;
    if (i === nameStart || i === end || element.charCodeAt(i) !== CHAR_EQUALS) return null;
    const isFor =
      i - nameStart === 3 &&
      (element.charCodeAt(nameStart) | 0x20) === 102 /* f */ &&
      (element.charCodeAt(nameStart + 1) | 0x20) === 111 /* o */ &&
      (element.charCodeAt(nameStart + 2) | 0x20) === 114; /* r */
    i++;
    let value: string;
    if (i < end && element.charCodeAt(i) === CHAR_QUOTE) {
      i++;
      value = '';
      let closed = false;
      let chunkStart = i;
      while (i < end) {
        const c = element.charCodeAt(i);
        if (c === CHAR_QUOTE) {
          value += element.slice(chunkStart, i);
          i++;
          closed = true;
          break;
        }
        if (c === CHAR_BACKSLASH) {
          if (i + 1 >= end || !isQuotedPairChar(element.charCodeAt(i + 1))) return null;
          value += element.slice(chunkStart, i);
          chunkStart = i + 1;
          i += 2;
          continue;
        }
        if (!isQdtext(c)) return null;
        i++;
      }
      if (!closed) return null;
    } else {
      const valueStart = i;
      while (i < end && isTchar(element.charCodeAt(i))) i++;
      if (i === valueStart) return null;
      value = element.slice(valueStart, i);
    }
    if (isFor) {
      if (forValue !== null) return null;
      forValue = value;
    }
    while (i < end && isOws(element.charCodeAt(i))) i++;
    if (i < end) {
      if (element.charCodeAt(i) !== CHAR_SEMICOLON) return null;
      i++;
    }
  }
  return forValue === null ? null : parseForwardedNode(forValue);
}

/** Obfuscated port (RFC 7239 6.3): `_` followed by ALPHA / DIGIT / `.` / `_` / `-`. */
function isObfuscatedPort(text: string, start: number, end: number): boolean {
  if (end - start < 2 || text.charCodeAt(start) !== 95 /* _ */) return false;
  for (let i = start + 1; i < end; i++) {
    const c = text.charCodeAt(i);
    const alnum = (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 122);
    if (!alnum && c !== 46 && c !== 95 && c !== 45) return false;
  }
  return true;
}

function isNodePort(text: string, start: number, end: number): boolean {
  return isPort(text, start, end) || isObfuscatedPort(text, start, end);
}

/** node = IPv4 or `[IPv6]`, optionally `:port` (digits or obfuscated). */
function parseForwardedNode(node: string): IpAddress | null {
  const length = node.length;
  if (node.charCodeAt(0) === 91 /* [ */) {
    const close = node.indexOf(']');
    if (close < 0) return null;
    if (close + 1 < length && (node.charCodeAt(close + 1) !== CHAR_COLON || !isNodePort(node, close + 2, length))) {
      return null;
    }
    const groups = parseIPv6Range(node, 1, close);
    return groups === null ? null : fromIPv6(groups);
  }
  const colon = node.indexOf(':');
  if (colon >= 0 && !isNodePort(node, colon + 1, length)) return null;
  const v4 = parseIPv4Range(node, 0, colon < 0 ? length : colon);
  return v4 < 0 ? null : { kind: 4, value: v4 };
}
