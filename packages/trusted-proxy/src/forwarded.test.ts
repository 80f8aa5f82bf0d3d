import { describe, expect, it } from 'vitest';
import { parseForwardedElement, splitForwarded } from './forwarded.ts';
import { formatIp } from './ip-address.ts';

const parsed = (element: string) => {
  const ip = parseForwardedElement(element);
  return ip === null ? null : formatIp(ip);
};

describe('splitForwarded', () => {
  it.each([
    ['for=1.2.3.4', ['for=1.2.3.4']],
    ['for=1.2.3.4, for=5.6.7.8', ['for=1.2.3.4', 'for=5.6.7.8']],
    ['for=1.2.3.4 ,\t for=5.6.7.8\t', ['for=1.2.3.4', 'for=5.6.7.8']],
    [', ,for=1.2.3.4,,', ['for=1.2.3.4']],
    ['for="[2001:db8::1]:4711";host="a,b", for=5.6.7.8', ['for="[2001:db8::1]:4711";host="a,b"', 'for=5.6.7.8']],
    ['for="a\\",b", for=5.6.7.8', ['for="a\\",b"', 'for=5.6.7.8']],
    ['for="1.2.3.4, for=5.6.7.8', ['for="1.2.3.4, for=5.6.7.8']],
    ['', []],
    [' \t ', []],
  ])('splits %j', (header, expected) => {
    expect(splitForwarded(header)).toEqual(expected);
  });
});

describe('parseForwardedElement', () => {
  it.each([
    ['for=192.0.2.43', '192.0.2.43'],
    ['For=192.0.2.43', '192.0.2.43'],
    ['FOR=192.0.2.43', '192.0.2.43'],
    ['for="192.0.2.43"', '192.0.2.43'],
    ['for="192.0.2.43:8080"', '192.0.2.43'],
    ['for="192.0.2.43:_gazonk"', '192.0.2.43'],
    ['for="[2001:db8:cafe::17]"', '2001:db8:cafe::17'],
    ['for="[2001:db8::1]:4711"', '2001:db8::1'],
    ['for="[2001:db8::1]:_p.x-1"', '2001:db8::1'],
    ['for="[::ffff:10.42.1.7]"', '10.42.1.7'],
    ['for="\\[2001:db8::1\\]"', '2001:db8::1'],
    ['for=192.0.2.60;proto=http;by=203.0.113.43', '192.0.2.60'],
    ['proto=https;for=192.0.2.60', '192.0.2.60'],
    ['by="[2001:db8::2]";for=192.0.2.60;host="shop.example;x"', '192.0.2.60'],
    ['for=192.0.2.60; proto=https', '192.0.2.60'],
    ['for=192.0.2.60;', '192.0.2.60'],
    [';;for=192.0.2.60', '192.0.2.60'],
    ['for=192.0.2.60;proto=http;proto=https', '192.0.2.60'],
  ])('reads the node of %j as %s', (element, expected) => {
    expect(parsed(element)).toBe(expected);
  });

  it.each([
    ['for=unknown', 'unknown'],
    ['an obfuscated identifier', 'for=_hidden'],
    ['a quoted obfuscated identifier', 'for="_hidden"'],
    ['a quoted unknown', 'for="unknown"'],
    ['no for=', 'proto=https;by=203.0.113.43'],
    ['two for=', 'for=192.0.2.43;for=198.51.100.17'],
    ['two for= in different case', 'for=192.0.2.43;FOR=198.51.100.17'],
    ['an empty value', 'for='],
    ['an empty quoted value', 'for=""'],
    ['an unquoted IPv6', 'for=2001:db8::1'],
    ['a quoted IPv6 without brackets', 'for="2001:db8::1"'],
    ['an unquoted bracketed IPv6', 'for=[2001:db8::1]'],
    ['an unquoted port', 'for=192.0.2.43:80'],
    ['a bracketed IPv4', 'for="[192.0.2.43]"'],
    ['a zone id', 'for="[fe80::1%eth0]"'],
    ['a port above 65535', 'for="192.0.2.43:65536"'],
    ['an empty port', 'for="192.0.2.43:"'],
    ['a bare underscore port', 'for="192.0.2.43:_"'],
    ['a bad obfuscated port', 'for="192.0.2.43:_a+b"'],
    ['a hostname', 'for=client.example'],
    ['a leading-zero octet', 'for=192.0.2.043'],
    ['an unterminated quote', 'for="192.0.2.43'],
    ['text after a quoted value', 'for="192.0.2.43"x'],
    ['a missing =', 'for'],
    ['a space around =', 'for = 192.0.2.43'],
    ['a pair without a name', '=192.0.2.43'],
    ['a control character in a quoted value', 'for="192.0.2.43\u0001"'],
    ['a dangling backslash', 'for="192.0.2.43\\'],
    ['an invalid other pair', 'for=192.0.2.43;proto=a b'],
    ['a comma-separated list (one element expected)', 'for=192.0.2.43,for=192.0.2.44'],
    ['an X-Forwarded-For style value', '192.0.2.43'],
  ])('rejects %s', (_label, element) => {
    expect(parseForwardedElement(element)).toBeNull();
  });
});
