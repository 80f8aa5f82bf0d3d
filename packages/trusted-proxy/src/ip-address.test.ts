import { isIPv4, isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIPv4, formatIPv6, formatIp, parseIPv4, parseIPv6, parseSocketAddress } from './ip-address.ts';

/** The reference serialisation: what the WHATWG URL parser prints for an IPv6 host. */
const whatwg = (ipv6: string) => new URL(`http://[${ipv6}]/`).hostname.slice(1, -1);

const format6 = (text: string) => {
  const groups = parseIPv6(text);
  if (groups === null) throw new Error(`expected ${text} to parse`);
  return formatIPv6(groups);
};

describe('parseIPv4', () => {
  it.each([
    ['0.0.0.0', 0],
    ['1.2.3.4', 0x01020304],
    ['10.42.1.7', 0x0a2a0107],
    ['255.255.255.255', 0xffffffff],
    ['192.168.100.200', 0xc0a864c8],
  ])('accepts %s', (text, value) => {
    expect(parseIPv4(text)).toBe(value);
    expect(formatIPv4(value)).toBe(text);
  });

  it.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '01.2.3.4',
    '1.2.3.04',
    '1.2.3.00',
    '256.1.1.1',
    '1.2.3.999',
    '1.2.3.1000',
    '0x7f.0.0.1',
    '0x7f000001',
    '2130706433',
    '127.1',
    '1..2.3',
    '1.2.3.',
    '.1.2.3',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '1.2.3.4a',
    '+1.2.3.4',
    '-1.2.3.4',
    '１.2.3.4',
    'localhost',
  ])('rejects %j', (text) => {
    expect(parseIPv4(text)).toBe(-1);
  });

  it('agrees with node:net isIPv4 on generated near-miss strings', () => {
    const text = fc.string({
      unit: fc.constantFrom('0', '1', '2', '5', '9', '.', '25', '255', '00', 'x'),
      maxLength: 12,
    });
    fc.assert(
      fc.property(text, (candidate) => {
        expect(parseIPv4(candidate) >= 0).toBe(isIPv4(candidate));
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips every generated IPv4 address', () => {
    fc.assert(
      fc.property(fc.ipV4(), (address) => {
        expect(formatIPv4(parseIPv4(address))).toBe(address);
      }),
    );
  });
});

describe('parseIPv6 and formatIPv6', () => {
  it.each([
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['0:0:1:0:0:0:0:0', '0:0:1::'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ['fe80::abcd:ef01:2345:6789', 'fe80::abcd:ef01:2345:6789'],
    ['::1.2.3.4', '::102:304'],
    ['::ffff:1.2.3.4', '::ffff:102:304'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['1:2:3:4:5:6:255.255.255.255', '1:2:3:4:5:6:ffff:ffff'],
    ['0000:0000:0000:0000:0000:ffff:255.255.255.255', '::ffff:ffff:ffff'],
  ])('parses %s and prints %s, like the WHATWG URL serialiser', (text, expected) => {
    expect(format6(text)).toBe(expected);
    expect(whatwg(text)).toBe(expected);
  });

  it.each([
    '',
    ':',
    ':::',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1:2:3:4::5:6:7:8',
    '1::2::3',
    ':1::',
    '1::2:',
    '1:2:3:4:5:6:7:8:',
    ':1:2:3:4:5:6:7:8',
    '12345::',
    'g::1',
    '::1.2.3',
    '::1.2.3.04',
    '::256.1.1.1',
    '1.2.3.4::',
    '::1.2.3.4:5',
    '1:2:3:4:5:6:7:1.2.3.4',
    'fe80::1%eth0',
    '[::1]',
    ' ::1',
    '::1 ',
    ':: 1',
    '0000:0000:0000:0000:0000:0000:0000:0000:0',
    '00000:0000:0000:0000:0000:ffff:255.255.255.255',
  ])('rejects %j', (text) => {
    expect(parseIPv6(text)).toBeNull();
  });

  it('agrees with node:net isIPv6 on generated near-miss strings', () => {
    const unit = fc.constantFrom('0', '1', 'f', 'ffff', '1.2.3.4', '.', ':', '::', 'g', '00000', '255');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 14 }), (candidate) => {
        expect(parseIPv6(candidate) !== null).toBe(isIPv6(candidate));
      }),
      { numRuns: 5000 },
    );
  });

  it('prints every generated IPv6 address exactly as the WHATWG URL serialiser does', () => {
    fc.assert(
      fc.property(fc.ipV6(), (address) => {
        expect(format6(address)).toBe(whatwg(address));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parseSocketAddress', () => {
  it.each([
    ['10.42.1.7', '10.42.1.7'],
    ['::ffff:10.42.1.7', '10.42.1.7'],
    ['::ffff:a2a:107', '10.42.1.7'],
    ['::FFFF:0A2A:0107', '10.42.1.7'],
    ['0:0:0:0:0:ffff:a2a:107', '10.42.1.7'],
    ['::1.2.3.4', '::102:304'],
    ['::1', '::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['fe80::1%25', 'fe80::1'],
    ['::ffff:10.42.1.7%eth0', '10.42.1.7'],
    ['2001:DB8::1', '2001:db8::1'],
  ])('normalises %s to %s', (text, expected) => {
    const ip = parseSocketAddress(text);
    expect(ip).not.toBeNull();
    expect(formatIp(ip!)).toBe(expected);
  });

  it('reports mapped addresses as IPv4 and IPv4-compatible ones as IPv6', () => {
    expect(parseSocketAddress('::ffff:1.2.3.4')?.kind).toBe(4);
    expect(parseSocketAddress('::1.2.3.4')?.kind).toBe(6);
  });

  it.each(['', 'fe80::1%', '1.2.3.4%eth0', '[::1]', 'localhost', '1.2.3.4:80', '01.2.3.4', 'unknown'])(
    'rejects %j',
    (text) => {
      expect(parseSocketAddress(text)).toBeNull();
    },
  );
});
