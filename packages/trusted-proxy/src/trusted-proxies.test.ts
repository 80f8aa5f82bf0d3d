import { describe, expect, it } from 'vitest';
import { compileTrustedProxies, TrustedProxyConfigError } from './trusted-proxies.ts';

const rejection = (entry: string) => {
  try {
    compileTrustedProxies([entry]);
  } catch (error) {
    expect(error).toBeInstanceOf(TrustedProxyConfigError);
    return (error as TrustedProxyConfigError).issues[0]?.reason;
  }
  throw new Error(`expected ${JSON.stringify(entry)} to be rejected`);
};

describe('compileTrustedProxies: accepted entries', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1/32'],
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['172.16.0.0/12', '172.16.0.0/12'],
    ['192.168.1.0/24', '192.168.1.0/24'],
    ['203.0.113.7/32', '203.0.113.7/32'],
    ['2001:db8::1', '2001:db8::1/128'],
    ['2001:DB8::/32', '2001:db8::/32'],
    ['fd00::/48', 'fd00::/48'],
    ['2001:db8::1/128', '2001:db8::1/128'],
    ['::ffff:10.0.0.0/104', '10.0.0.0/8'],
    ['::ffff:172.16.0.0/108', '172.16.0.0/12'],
    ['::ffff:10.0.0.1', '10.0.0.1/32'],
    ['::ffff:a00:1/128', '10.0.0.1/32'],
    ['::1.2.3.4', '::102:304/128'],
  ])('compiles %s to %s', (entry, range) => {
    const trusted = compileTrustedProxies([entry]);
    expect(trusted.ranges).toEqual([range]);
    expect(trusted.warnings).toEqual([]);
  });

  it.each([
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['192.168.1.77/24', '192.168.1.0/24'],
    ['2001:db8:1234::1/32', '2001:db8::/32'],
    ['2001:db8:ffff::/33', '2001:db8:8000::/33'],
    ['::ffff:10.1.2.3/104', '10.0.0.0/8'],
  ])('masks the host bits of %s to %s and warns', (entry, range) => {
    const trusted = compileTrustedProxies([entry]);
    expect(trusted.ranges).toEqual([range]);
    expect(trusted.warnings).toEqual([expect.stringContaining(range)]);
  });

  it('allows an empty list, trusting no peer, and reports a start-up warning', () => {
    const trusted = compileTrustedProxies([]);
    expect(trusted.ranges).toEqual([]);
    expect(trusted.warnings).toEqual([expect.stringMatching(/empty/)]);
    expect(trusted.has('10.0.0.1')).toBe(false);
    expect(trusted.has('::1')).toBe(false);
  });

  it('returns an immutable object', () => {
    const trusted = compileTrustedProxies(['10.0.0.0/8']);
    expect(Object.isFrozen(trusted)).toBe(true);
    expect(Object.isFrozen(trusted.ranges)).toBe(true);
  });
});

describe('compileTrustedProxies: rejected entries', () => {
  it.each([
    ['empty', '', /empty/],
    ['/0 IPv4', '0.0.0.0/0', /every address/],
    ['/0 IPv6', '::/0', /every address/],
    ['IPv4 shorter than /8', '10.0.0.0/7', /wider than \/8/],
    ['IPv4 /1', '128.0.0.0/1', /wider than \/8/],
    ['IPv6 shorter than /32', '2001:db8::/31', /wider than \/32/],
    ['IPv6 /16', '2001::/16', /wider than \/32/],
    ['mapped below /96', '::ffff:0.0.0.0/95', /at least \/96/],
    ['mapped /96 (all of IPv4)', '::ffff:0.0.0.0/96', /wider than \/8/],
    ['mapped /100 (IPv4 /4)', '::ffff:0.0.0.0/100', /wider than \/8/],
    ['IPv4 prefix above 32', '10.0.0.0/33', /at most 32/],
    ['IPv6 prefix above 128', '2001:db8::/129', /at most 128/],
    ['mapped prefix above 128', '::ffff:10.0.0.0/129', /at most 128/],
    ['negative prefix', '10.0.0.0/-8', /without sign/],
    ['signed prefix', '10.0.0.0/+8', /without sign/],
    ['leading-zero prefix', '10.0.0.0/08', /leading zeros/],
    ['empty prefix', '10.0.0.0/', /prefix length/],
    ['two prefixes', '10.0.0.0/8/8', /prefix length/],
    ['netmask notation', '10.0.0.0/255.0.0.0', /netmask/],
    ['partial netmask notation', '10.0.0.0/255.0', /netmask/],
    ['a hostname', 'traefik.internal', /not an IPv4 or IPv6 address/],
    ['localhost', 'localhost', /not an IPv4 or IPv6 address/],
    ['a zone id', 'fe80::1%eth0', /zone/],
    ['a zone id with prefix', 'fe80::%eth0/64', /zone/],
    ['a leading-zero octet', '10.0.0.01', /not an IPv4/],
    ['an octal-looking octet with prefix', '010.0.0.0/8', /not an IPv4/],
    ['a short IPv4', '10.1/16', /not an IPv4/],
    ['an integer IPv4', '167772161', /not an IPv4/],
    ['surrounding spaces', ' 10.0.0.1', /not an IPv4/],
    ['a bracketed IPv6', '[2001:db8::1]', /not a valid IPv6/],
    ['a malformed IPv6', '2001:db8:::1', /not a valid IPv6/],
    ['an address with port', '10.0.0.1:80', /not a valid IPv6/],
    ['a wildcard', '*', /not an IPv4/],
  ])('rejects %s (%j)', (_label, entry, reason) => {
    expect(rejection(entry)).toMatch(reason);
  });

  it('lists every rejected entry with its index and reason in one error', () => {
    let caught: unknown;
    try {
      compileTrustedProxies(['10.0.0.0/8', 'proxy.local', '0.0.0.0/0', '2001:db8::/32', '10.0.0.0/255.0.0.0']);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TrustedProxyConfigError);
    const error = caught as TrustedProxyConfigError;
    expect(error.name).toBe('TrustedProxyConfigError');
    expect(error.issues.map((issue) => [issue.index, issue.entry])).toEqual([
      [1, 'proxy.local'],
      [2, '0.0.0.0/0'],
      [4, '10.0.0.0/255.0.0.0'],
    ]);
    expect(error.message).toContain('proxy.local');
    expect(error.message).toContain('0.0.0.0/0');
    expect(error.message).toContain('10.0.0.0/255.0.0.0');
  });
});

describe('TrustedProxies matching', () => {
  const trusted = compileTrustedProxies([
    '10.0.0.0/8',
    '192.168.1.7',
    '2001:db8::/32',
    '::ffff:172.16.0.0/108',
    'fd00:1:2:3:4:5:6:7/127',
    '::1.2.3.4',
  ]);

  it.each([
    ['10.0.0.0', true],
    ['10.255.255.255', true],
    ['9.255.255.255', false],
    ['11.0.0.0', false],
    ['192.168.1.7', true],
    ['192.168.1.8', false],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['172.32.0.0', false],
    ['::ffff:10.42.1.7', true],
    ['::ffff:a2a:107', true],
    ['::ffff:172.20.0.1', true],
    ['2001:db8::1', true],
    ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', true],
    ['2001:db9::', false],
    ['fd00:1:2:3:4:5:6:6', true],
    ['fd00:1:2:3:4:5:6:7', true],
    ['fd00:1:2:3:4:5:6:8', false],
    ['fe80::1%eth0', false],
    ['2001:db8::1%eth0', true],
    ['::1.2.3.4', true],
    ['1.2.3.4', false],
    ['::ffff:1.2.3.4', false],
    ['not an address', false],
    ['', false],
  ])('%s trusted: %s', (address, expected) => {
    expect(trusted.has(address)).toBe(expected);
  });

  it('matches IPv4 only against IPv4 ranges and IPv6 only against IPv6 ranges', () => {
    const v6Only = compileTrustedProxies(['::/32']);
    expect(v6Only.has('::1.2.3.4')).toBe(true);
    expect(v6Only.has('1.2.3.4')).toBe(false);
    expect(v6Only.has('::ffff:1.2.3.4')).toBe(false);
    const v4Only = compileTrustedProxies(['1.0.0.0/8']);
    expect(v4Only.has('::ffff:1.2.3.4')).toBe(true);
    expect(v4Only.has('::1.2.3.4')).toBe(false);
    expect(v4Only.has('::102:304')).toBe(false);
  });
});
