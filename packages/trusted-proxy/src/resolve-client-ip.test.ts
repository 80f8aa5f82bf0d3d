import { describe, expect, it } from 'vitest';
import {
  CLIENT_IP_FLAGS,
  type ClientIpFlag,
  type ClientIpResult,
  type HeaderSource,
  MAX_HOPS,
  resolveClientIp,
} from './resolve-client-ip.ts';
import { compileTrustedProxies } from './trusted-proxies.ts';

// Our proxies: the ALB and Traefik sit in 10.0.0.0/8 and fd00:10::/32.
const trusted = compileTrustedProxies(['10.0.0.0/8', 'fd00:10::/32']);

type Headers = Record<string, string | string[] | undefined>;
type Case = {
  name: string;
  peer: string | undefined;
  headers?: Headers;
  source?: HeaderSource;
  expected: ClientIpResult;
};

const resolve = (peer: string | undefined, headers: Headers = {}, source?: HeaderSource) =>
  resolveClientIp({ remoteAddress: peer, headers }, trusted, source ? { headerSource: source } : undefined);

const result = (clientIp: string | null, chain: string[], flags: ClientIpFlag[] = []): ClientIpResult => ({
  clientIp,
  chain,
  flags,
});

const trustedHops = (count: number) => Array.from({ length: count }, (_, i) => `10.0.${i >> 8}.${i & 255}`);

function check(cases: Case[]) {
  it.each(cases)('$name', ({ peer, headers, source, expected }) => {
    expect(resolve(peer, headers, source)).toEqual(expected);
  });
}

describe('socket peer', () => {
  check([
    { name: 'no peer address', peer: undefined, expected: result(null, [], ['peer_unknown']) },
    { name: 'empty peer address', peer: '', expected: result(null, [], ['peer_unknown']) },
    { name: 'unparseable peer address', peer: 'localhost', expected: result(null, [], ['peer_unknown']) },
    { name: 'peer with an empty zone id', peer: 'fe80::1%', expected: result(null, [], ['peer_unknown']) },
    {
      name: 'unknown peer does not read headers',
      peer: undefined,
      headers: { 'x-forwarded-for': '203.0.113.9' },
      expected: result(null, [], ['peer_unknown']),
    },
    {
      name: 'dual-stack peer ::ffff:10.42.1.7 is the trusted IPv4 proxy 10.42.1.7',
      peer: '::ffff:10.42.1.7',
      headers: { 'x-forwarded-for': '203.0.113.9' },
      expected: result('203.0.113.9', ['10.42.1.7', '203.0.113.9']),
    },
    {
      name: 'hex mapped peer ::ffff:a2a:107 is 10.42.1.7',
      peer: '::ffff:a2a:107',
      headers: { 'x-forwarded-for': '203.0.113.9' },
      expected: result('203.0.113.9', ['10.42.1.7', '203.0.113.9']),
    },
    {
      name: 'zone id on a trusted IPv6 peer is dropped',
      peer: 'fd00:10::7%eth0',
      headers: { 'x-forwarded-for': '2001:db8::9' },
      expected: result('2001:db8::9', ['fd00:10::7', '2001:db8::9']),
    },
    {
      name: 'zone id on an untrusted link-local peer is dropped',
      peer: 'FE80::1%eth0',
      expected: result('fe80::1', ['fe80::1'], ['peer_untrusted']),
    },
    {
      name: 'IPv4-compatible peer ::10.42.1.7 stays IPv6 and is not the trusted IPv4 range',
      peer: '::10.42.1.7',
      headers: { 'x-forwarded-for': '203.0.113.9' },
      expected: result('::a2a:107', ['::a2a:107'], ['peer_untrusted', 'xff_ignored']),
    },
  ]);
});

describe('untrusted peer: the peer is the client and headers are not read', () => {
  check([
    {
      name: 'no forwarding headers',
      peer: '198.51.100.4',
      expected: result('198.51.100.4', ['198.51.100.4'], ['peer_untrusted']),
    },
    {
      name: 'X-Forwarded-For present',
      peer: '198.51.100.4',
      headers: { 'x-forwarded-for': '203.0.113.9' },
      expected: result('198.51.100.4', ['198.51.100.4'], ['peer_untrusted', 'xff_ignored']),
    },
    {
      name: 'Forwarded present',
      peer: '198.51.100.4',
      headers: { forwarded: 'for=203.0.113.9' },
      expected: result('198.51.100.4', ['198.51.100.4'], ['peer_untrusted', 'xff_ignored']),
    },
    {
      name: 'empty X-Forwarded-For line still counts as present',
      peer: '198.51.100.4',
      headers: { 'x-forwarded-for': '' },
      expected: result('198.51.100.4', ['198.51.100.4'], ['peer_untrusted', 'xff_ignored']),
    },
    {
      name: 'malformed header is not read, so not flagged malformed',
      peer: '198.51.100.4',
      headers: { 'x-forwarded-for': 'garbage' },
      expected: result('198.51.100.4', ['198.51.100.4'], ['peer_untrusted', 'xff_ignored']),
    },
    {
      name: 'X-Real-IP is never read',
      peer: '198.51.100.4',
      headers: { 'x-real-ip': '203.0.113.9' },
      expected: result('198.51.100.4', ['198.51.100.4'], ['peer_untrusted']),
    },
    {
      name: 'IPv6 peer output is canonical',
      peer: '2001:0DB8:0:0:0:0:0:0001',
      expected: result('2001:db8::1', ['2001:db8::1'], ['peer_untrusted']),
    },
    {
      name: 'undefined and empty-array headers are absent',
      peer: '198.51.100.4',
      headers: { 'x-forwarded-for': undefined, forwarded: [] },
      expected: result('198.51.100.4', ['198.51.100.4'], ['peer_untrusted']),
    },
  ]);
});

describe('X-Forwarded-For (default header source)', () => {
  check([
    {
      name: 'ALB -> Traefik: rightmost untrusted element is the client',
      peer: '10.0.1.20',
      headers: { 'x-forwarded-for': '203.0.113.9, 10.0.0.5' },
      expected: result('203.0.113.9', ['10.0.1.20', '10.0.0.5', '203.0.113.9']),
    },
    {
      name: 'spoofed elements left of the client are never reached',
      peer: '10.0.1.20',
      headers: { 'x-forwarded-for': '1.1.1.1, garbage, 203.0.113.9, 10.0.0.5' },
      expected: result('203.0.113.9', ['10.0.1.20', '10.0.0.5', '203.0.113.9']),
    },
    {
      name: 'ports and brackets are stripped and IPv6 is canonical',
      peer: '10.0.1.20',
      headers: { 'x-forwarded-for': '[2001:DB8:0:0::9]:51234, 10.0.0.5:443' },
      expected: result('2001:db8::9', ['10.0.1.20', '10.0.0.5', '2001:db8::9']),
    },
    {
      name: 'mapped client element is reported as IPv4',
      peer: '10.0.1.20',
      headers: { 'x-forwarded-for': '::ffff:203.0.113.9' },
      expected: result('203.0.113.9', ['10.0.1.20', '203.0.113.9']),
    },
    {
      name: 'mapped proxy element is matched as IPv4',
      peer: '10.0.1.20',
      headers: { 'x-forwarded-for': '203.0.113.9, ::ffff:a00:5' },
      expected: result('203.0.113.9', ['10.0.1.20', '10.0.0.5', '203.0.113.9']),
    },
    {
      name: 'spaces, tabs and empty elements are dropped',
      peer: '10.0.1.20',
      headers: { 'x-forwarded-for': ' ,\t203.0.113.9 ,, \t10.0.0.5\t, ' },
      expected: result('203.0.113.9', ['10.0.1.20', '10.0.0.5', '203.0.113.9']),
    },
    {
      name: 'several header lines are joined in order',
      peer: '10.0.1.20',
      headers: { 'x-forwarded-for': ['203.0.113.9, 10.0.0.4', '10.0.0.5'] },
      expected: result('203.0.113.9', ['10.0.1.20', '10.0.0.5', '10.0.0.4', '203.0.113.9'], ['multiple_header_lines']),
    },
    {
      name: 'one header line in an array is not multiple lines',
      peer: '10.0.1.20',
      headers: { 'x-forwarded-for': ['203.0.113.9'] },
      expected: result('203.0.113.9', ['10.0.1.20', '203.0.113.9']),
    },
    {
      name: 'header lines are joined with "," so elements do not merge',
      peer: '10.0.1.20',
      headers: { 'x-forwarded-for': ['203.0.113.9', '10.0.0.5'] },
      expected: result('203.0.113.9', ['10.0.1.20', '10.0.0.5', '203.0.113.9'], ['multiple_header_lines']),
    },
    {
      name: 'forwarded_ignored when a Forwarded header is also present',
      peer: '10.0.1.20',
      headers: { 'x-forwarded-for': '203.0.113.9', forwarded: 'for=198.51.100.1' },
      expected: result('203.0.113.9', ['10.0.1.20', '203.0.113.9'], ['forwarded_ignored']),
    },
    {
      name: 'no fallback to Forwarded when X-Forwarded-For is missing',
      peer: '10.0.1.20',
      headers: { forwarded: 'for=198.51.100.1' },
      expected: result(null, ['10.0.1.20'], ['forwarded_ignored', 'xff_missing']),
    },
    {
      name: 'no fallback to X-Real-IP',
      peer: '10.0.1.20',
      headers: { 'x-real-ip': '203.0.113.9' },
      expected: result(null, ['10.0.1.20'], ['xff_missing']),
    },
    {
      name: 'xff_missing without the header',
      peer: '10.0.1.20',
      expected: result(null, ['10.0.1.20'], ['xff_missing']),
    },
    {
      name: 'xff_missing when only separators and blanks remain',
      peer: '10.0.1.20',
      headers: { 'x-forwarded-for': ' , \t,' },
      expected: result(null, ['10.0.1.20'], ['xff_missing']),
    },
    {
      name: 'xff_missing with several empty lines',
      peer: '10.0.1.20',
      headers: { 'x-forwarded-for': ['', ' '] },
      expected: result(null, ['10.0.1.20'], ['multiple_header_lines', 'xff_missing']),
    },
    {
      name: 'malformed rightmost element',
      peer: '10.0.1.20',
      headers: { 'x-forwarded-for': '203.0.113.9, unknown' },
      expected: result(null, ['10.0.1.20'], ['malformed_entry']),
    },
    {
      name: 'malformed element after trusted hops stops the walk and is not in the chain',
      peer: '10.0.1.20',
      headers: { 'x-forwarded-for': '203.0.113.9, client.example, 10.0.0.5' },
      expected: result(null, ['10.0.1.20', '10.0.0.5'], ['malformed_entry']),
    },
    ...[
      'unknown',
      '"203.0.113.9"',
      '_hidden',
      'fe80::1%eth0',
      '3405803785',
      '0xcb007109',
      '0313.0.113.9',
      '203.113',
      '203.0.113.9:99999',
      '203.0 .113.9',
      '[203.0.113.9]',
    ].map((element) => ({
      name: `malformed element ${JSON.stringify(element)}`,
      peer: '10.0.1.20',
      headers: { 'x-forwarded-for': `198.51.100.1, ${element}, 10.0.0.5` },
      expected: result(null, ['10.0.1.20', '10.0.0.5'], ['malformed_entry']),
    })),
    {
      name: 'no_untrusted_hop when every element is a proxy',
      peer: '10.0.1.20',
      headers: { 'x-forwarded-for': '10.9.9.9, fd00:10::1, 10.0.0.5' },
      expected: result(null, ['10.0.1.20', '10.0.0.5', 'fd00:10::1', '10.9.9.9'], ['no_untrusted_hop']),
    },
    {
      name: `no_untrusted_hop with exactly ${MAX_HOPS} trusted elements`,
      peer: '10.0.1.20',
      headers: { 'x-forwarded-for': trustedHops(MAX_HOPS).join(', ') },
      expected: result(null, ['10.0.1.20', ...trustedHops(MAX_HOPS).reverse()], ['no_untrusted_hop']),
    },
    {
      name: `client found as element ${MAX_HOPS} from the right`,
      peer: '10.0.1.20',
      headers: { 'x-forwarded-for': ['203.0.113.9', ...trustedHops(MAX_HOPS - 1)].join(', ') },
      expected: result('203.0.113.9', ['10.0.1.20', ...trustedHops(MAX_HOPS - 1).reverse(), '203.0.113.9']),
    },
    {
      name: `too_many_hops: 17-hop chain, ${MAX_HOPS} trusted examined and the client beyond`,
      peer: '10.0.1.20',
      headers: { 'x-forwarded-for': ['203.0.113.9', ...trustedHops(MAX_HOPS)].join(', ') },
      expected: result(null, ['10.0.1.20', ...trustedHops(MAX_HOPS).reverse()], ['too_many_hops']),
    },
    {
      name: 'too_many_hops even if the element beyond the limit is malformed',
      peer: '10.0.1.20',
      headers: { 'x-forwarded-for': ['garbage', ...trustedHops(MAX_HOPS)].join(', ') },
      expected: result(null, ['10.0.1.20', ...trustedHops(MAX_HOPS).reverse()], ['too_many_hops']),
    },
    {
      name: 'empty elements do not count as hops',
      peer: '10.0.1.20',
      headers: { 'x-forwarded-for': trustedHops(MAX_HOPS).join(', ,') },
      expected: result(null, ['10.0.1.20', ...trustedHops(MAX_HOPS).reverse()], ['no_untrusted_hop']),
    },
    {
      name: 'IPv4-compatible element stays IPv6 and is the client',
      peer: '10.0.1.20',
      headers: { 'x-forwarded-for': '::10.0.0.5' },
      expected: result('::a00:5', ['10.0.1.20', '::a00:5']),
    },
    {
      name: 'an internal address outside the trusted list is the client (trust is the list)',
      peer: '10.0.1.20',
      headers: { 'x-forwarded-for': '192.168.1.1' },
      expected: result('192.168.1.1', ['10.0.1.20', '192.168.1.1']),
    },
  ]);
});

describe('Forwarded (headerSource: forwarded)', () => {
  const forwarded = (header: string | string[], extra: Headers = {}) => ({ forwarded: header, ...extra });
  check([
    {
      name: 'IPv4 node',
      peer: '10.0.1.20',
      source: 'forwarded',
      headers: forwarded('for=203.0.113.9;proto=https, for=10.0.0.5;by=10.0.1.20'),
      expected: result('203.0.113.9', ['10.0.1.20', '10.0.0.5', '203.0.113.9']),
    },
    {
      name: 'quoted "[2001:db8::1]:4711"',
      peer: '10.0.1.20',
      source: 'forwarded',
      headers: forwarded('for="[2001:db8::1]:4711"'),
      expected: result('2001:db8::1', ['10.0.1.20', '2001:db8::1']),
    },
    {
      name: 'commas inside quoted strings do not split elements',
      peer: '10.0.1.20',
      source: 'forwarded',
      headers: forwarded('for=203.0.113.9;host="a,b", for="[fd00:10::2]"'),
      expected: result('203.0.113.9', ['10.0.1.20', 'fd00:10::2', '203.0.113.9']),
    },
    {
      name: 'case-insensitive parameter names',
      peer: '10.0.1.20',
      source: 'forwarded',
      headers: forwarded('For=203.0.113.9, FOR=10.0.0.5'),
      expected: result('203.0.113.9', ['10.0.1.20', '10.0.0.5', '203.0.113.9']),
    },
    {
      name: 'obfuscated port is accepted',
      peer: '10.0.1.20',
      source: 'forwarded',
      headers: forwarded('for="203.0.113.9:_abc"'),
      expected: result('203.0.113.9', ['10.0.1.20', '203.0.113.9']),
    },
    {
      name: 'for=_hidden is malformed',
      peer: '10.0.1.20',
      source: 'forwarded',
      headers: forwarded('for=203.0.113.9, for=_hidden, for=10.0.0.5'),
      expected: result(null, ['10.0.1.20', '10.0.0.5'], ['malformed_entry']),
    },
    {
      name: 'for=unknown is malformed',
      peer: '10.0.1.20',
      source: 'forwarded',
      headers: forwarded('for=unknown'),
      expected: result(null, ['10.0.1.20'], ['malformed_entry']),
    },
    {
      name: 'multiple for= in one element is malformed',
      peer: '10.0.1.20',
      source: 'forwarded',
      headers: forwarded('for=203.0.113.9;for=198.51.100.1'),
      expected: result(null, ['10.0.1.20'], ['malformed_entry']),
    },
    {
      name: 'element without for= is malformed',
      peer: '10.0.1.20',
      source: 'forwarded',
      headers: forwarded('for=203.0.113.9, proto=https'),
      expected: result(null, ['10.0.1.20'], ['malformed_entry']),
    },
    {
      name: 'unquoted IPv6 is malformed',
      peer: '10.0.1.20',
      source: 'forwarded',
      headers: forwarded('for=2001:db8::1'),
      expected: result(null, ['10.0.1.20'], ['malformed_entry']),
    },
    {
      name: 'unterminated quote swallows the rest and is malformed',
      peer: '10.0.1.20',
      source: 'forwarded',
      headers: forwarded('for="203.0.113.9, for=10.0.0.5'),
      expected: result(null, ['10.0.1.20'], ['malformed_entry']),
    },
    {
      name: 'several Forwarded lines are joined in order',
      peer: '10.0.1.20',
      source: 'forwarded',
      headers: forwarded(['for=203.0.113.9', 'for=10.0.0.5']),
      expected: result('203.0.113.9', ['10.0.1.20', '10.0.0.5', '203.0.113.9'], ['multiple_header_lines']),
    },
    {
      name: 'no fallback to X-Forwarded-For, and no forwarded_ignored flag',
      peer: '10.0.1.20',
      source: 'forwarded',
      headers: { 'x-forwarded-for': '203.0.113.9' },
      expected: result(null, ['10.0.1.20'], ['xff_missing']),
    },
    {
      name: 'X-Forwarded-For is not read when Forwarded is configured',
      peer: '10.0.1.20',
      source: 'forwarded',
      headers: forwarded('for=198.51.100.1', { 'x-forwarded-for': '203.0.113.9' }),
      expected: result('198.51.100.1', ['10.0.1.20', '198.51.100.1']),
    },
    {
      name: 'no_untrusted_hop',
      peer: '10.0.1.20',
      source: 'forwarded',
      headers: forwarded('for=10.0.0.4, for="[fd00:10::1]:80"'),
      expected: result(null, ['10.0.1.20', 'fd00:10::1', '10.0.0.4'], ['no_untrusted_hop']),
    },
    {
      name: 'too_many_hops on a 17-hop chain',
      peer: '10.0.1.20',
      source: 'forwarded',
      headers: forwarded(['203.0.113.9', ...trustedHops(MAX_HOPS)].map((hop) => `for=${hop}`).join(', ')),
      expected: result(null, ['10.0.1.20', ...trustedHops(MAX_HOPS).reverse()], ['too_many_hops']),
    },
    {
      name: 'xff_missing on an empty Forwarded header',
      peer: '10.0.1.20',
      source: 'forwarded',
      headers: forwarded(' , '),
      expected: result(null, ['10.0.1.20'], ['xff_missing']),
    },
    {
      name: 'explicit x-forwarded-for source reads X-Forwarded-For',
      peer: '10.0.1.20',
      source: 'x-forwarded-for',
      headers: { 'x-forwarded-for': '203.0.113.9' },
      expected: result('203.0.113.9', ['10.0.1.20', '203.0.113.9']),
    },
  ]);
});

describe('flags', () => {
  it('CLIENT_IP_FLAGS lists every flag once', () => {
    expect(new Set(CLIENT_IP_FLAGS).size).toBe(CLIENT_IP_FLAGS.length);
    expect([...CLIENT_IP_FLAGS].sort()).toEqual(
      [
        'peer_unknown',
        'peer_untrusted',
        'xff_ignored',
        'forwarded_ignored',
        'multiple_header_lines',
        'xff_missing',
        'malformed_entry',
        'too_many_hops',
        'no_untrusted_hop',
      ].sort(),
    );
  });

  it('with an empty trusted list every peer is the client', () => {
    const none = compileTrustedProxies([]);
    expect(
      resolveClientIp({ remoteAddress: '10.0.1.20', headers: { 'x-forwarded-for': '203.0.113.9' } }, none),
    ).toEqual(result('10.0.1.20', ['10.0.1.20'], ['peer_untrusted', 'xff_ignored']));
  });

  it('never reports a trusted address as the client, even one listed as a bare address', () => {
    const ip = compileTrustedProxies(['10.0.0.0/8', '203.0.113.9']);
    expect(resolveClientIp({ remoteAddress: '10.0.1.20', headers: { 'x-forwarded-for': '203.0.113.9' } }, ip)).toEqual(
      result(null, ['10.0.1.20', '203.0.113.9'], ['no_untrusted_hop']),
    );
  });
});
