import { describe, expect, it } from 'vitest';
import { formatIp } from './ip-address.ts';
import { MAX_XFF_ELEMENT_LENGTH, parseXffElement } from './x-forwarded-for.ts';

const parsed = (element: string) => {
  const ip = parseXffElement(element);
  return ip === null ? null : formatIp(ip);
};

describe('parseXffElement', () => {
  it.each([
    ['203.0.113.9', '203.0.113.9'],
    ['203.0.113.9:0', '203.0.113.9'],
    ['203.0.113.9:4711', '203.0.113.9'],
    ['203.0.113.9:65535', '203.0.113.9'],
    ['203.0.113.9:00080', '203.0.113.9'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['::ffff:10.42.1.7', '10.42.1.7'],
    ['::ffff:a2a:107', '10.42.1.7'],
    ['[::ffff:10.42.1.7]:80', '10.42.1.7'],
    ['::1.2.3.4', '::102:304'],
    ['::', '::'],
  ])('accepts %s as %s', (element, expected) => {
    expect(parsed(element)).toBe(expected);
  });

  it.each([
    ['empty', ''],
    ['a hostname', 'client.example.com'],
    ['unknown', 'unknown'],
    ['a quoted address', '"203.0.113.9"'],
    ['an obfuscated identifier', '_hidden'],
    ['an integer IPv4', '3405803785'],
    ['a hex IPv4', '0xcb.0.113.9'],
    ['an octal-looking IPv4', '0203.0.113.9'],
    ['a leading-zero octet', '203.0.113.09'],
    ['a short IPv4', '203.113'],
    ['an out-of-range octet', '203.0.113.256'],
    ['inner space', '203.0.113. 9'],
    ['inner tab', '203.0.113.9\t:80'],
    ['a trailing newline (only spaces and tabs are trimmed)', '203.0.113.9\n'],
    ['a port of six digits', '203.0.113.9:000080'],
    ['a port above 65535', '203.0.113.9:65536'],
    ['an empty port', '203.0.113.9:'],
    ['a signed port', '203.0.113.9:+80'],
    ['an obfuscated port', '203.0.113.9:_p'],
    ['a zone id', 'fe80::1%eth0'],
    ['a zone id in brackets', '[fe80::1%eth0]:80'],
    ['a bracketed IPv4', '[203.0.113.9]'],
    ['an unclosed bracket', '[2001:db8::1'],
    ['text after the bracket', '[2001:db8::1]x'],
    ['an empty bracketed port', '[2001:db8::1]:'],
    ['an IPv6 port without brackets', '2001:db8::1:80:1:2:3:4'],
    ['two ports', '203.0.113.9:80:80'],
    ['a URL', 'http://203.0.113.9/'],
  ])('rejects %s', (_label, element) => {
    expect(parseXffElement(element)).toBeNull();
  });

  it(`accepts the longest valid forms, which fit within ${MAX_XFF_ELEMENT_LENGTH} characters`, () => {
    const longest = '[0000:0000:0000:0000:0000:ffff:255.255.255.255]:65535';
    expect(longest.length).toBeLessThanOrEqual(MAX_XFF_ELEMENT_LENGTH);
    expect(parsed(longest)).toBe('255.255.255.255');
    expect(parsed('0000:0000:0000:0000:0000:0000:255.255.255.255')).toBe('::ffff:ffff');
  });

  it(`rejects elements longer than ${MAX_XFF_ELEMENT_LENGTH} characters without parsing them`, () => {
    expect(parseXffElement('1'.repeat(MAX_XFF_ELEMENT_LENGTH + 1))).toBeNull();
    expect(parseXffElement(`${'1.'.repeat(1000)}1`)).toBeNull();
  });
});
