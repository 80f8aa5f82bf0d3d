import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIp, parseSocketAddress } from './ip-address.ts';
import { CLIENT_IP_FLAGS, type HeaderSource, MAX_HOPS, resolveClientIp } from './resolve-client-ip.ts';
import { compileTrustedProxies, type TrustedProxies, TrustedProxyConfigError } from './trusted-proxies.ts';

// Fuzzing: resolveClientIp is pure and never throws on request input, and its invariants hold for any input.

const whatwg = (ipv6: string) => new URL(`http://[${ipv6}]/`).hostname.slice(1, -1);

const ipv4InTrusted = fc.tuple(
  fc.integer({ min: 0, max: 255 }),
  fc.integer({ min: 0, max: 255 }),
  fc.integer({ min: 0, max: 255 }),
);
const trustedV4 = ipv4InTrusted.map(([a, b, c]) => `10.${a}.${b}.${c}`);
const trustedV6 = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { minLength: 6, maxLength: 6 })
  .map((groups) => `fd00:10:${groups.map((group) => group.toString(16)).join(':')}`);
const anyV4 = fc.oneof(fc.ipV4(), trustedV4);
const anyV6 = fc.oneof(fc.ipV6(), trustedV6);
const mapped = anyV4.chain((v4) => {
  const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
  const hex = `::ffff:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  return fc.constantFrom(`::ffff:${v4}`, hex, hex.toUpperCase(), `0:0:0:0:0:ffff:${v4}`);
});
const address = fc.oneof(anyV4, anyV6, mapped);
const port = fc.integer({ min: 0, max: 99_999 }).map(String);

/** Strings that look like addresses, and strings that do not. */
const junk = fc.oneof(
  fc.constantFrom(
    'unknown',
    '_hidden',
    '',
    ' ',
    '"',
    '[',
    ']',
    ':',
    '%eth0',
    '0x7f.1',
    '1.2.3',
    '01.2.3.4',
    'a.example',
    '\t',
  ),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.ipV4Extended(),
);

const xffElement = fc.oneof(
  { weight: 5, arbitrary: address },
  { weight: 2, arbitrary: fc.tuple(anyV4, port).map(([ip, p]) => `${ip}:${p}`) },
  {
    weight: 2,
    arbitrary: fc.tuple(anyV6, fc.option(port)).map(([ip, p]) => (p === null ? `[${ip}]` : `[${ip}]:${p}`)),
  },
  { weight: 1, arbitrary: anyV6.map((ip) => `${ip}%eth0`) },
  { weight: 2, arbitrary: junk },
);
const forwardedElement = fc.oneof(
  { weight: 4, arbitrary: anyV4.map((ip) => `for=${ip}`) },
  {
    weight: 3,
    arbitrary: fc.tuple(anyV6, fc.option(port)).map(([ip, p]) => `for="[${ip}]${p === null ? '' : `:${p}`}"`),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(anyV4, fc.constantFrom('proto=https', 'by=10.0.0.1', 'host="a,b;c"'))
      .map(([ip, x]) => `${x};FOR="${ip}"`),
  },
  { weight: 2, arbitrary: junk.map((value) => `for=${value}`) },
  { weight: 1, arbitrary: junk },
);
const separator = fc.constantFrom(',', ', ', ' ,\t', ',,');
const trustedXff = fc.oneof(
  trustedV4,
  trustedV6.map((ip) => `[${ip}]:443`),
  trustedV4.map((ip) => `::ffff:${ip}`),
);
const trustedForwarded = fc.oneof(
  trustedV4.map((ip) => `for=${ip}`),
  trustedV6.map((ip) => `for="[${ip}]"`),
);
/** Either any elements, or a few of them left of a run of trusted proxies long enough to reach MAX_HOPS. */
const headerLine = (element: fc.Arbitrary<string>, trustedElement: fc.Arbitrary<string>) =>
  fc
    .tuple(
      fc.oneof(
        fc.array(element, { maxLength: 22 }),
        fc
          .tuple(
            fc.array(element, { maxLength: 3 }),
            fc
              .integer({ min: 0, max: MAX_HOPS + 3 })
              .chain((n) => fc.array(trustedElement, { minLength: n, maxLength: n })),
          )
          .map(([left, right]) => [...left, ...right]),
      ),
      separator,
    )
    .map(([elements, sep]) => elements.join(sep));
const headerValue = (element: fc.Arbitrary<string>, trustedElement: fc.Arbitrary<string>) =>
  fc.oneof(
    fc.constant(undefined),
    headerLine(element, trustedElement),
    fc.array(headerLine(element, trustedElement), { maxLength: 3 }),
    fc.string({ maxLength: 80 }),
  );

const peer = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.oneof(
      trustedV4,
      trustedV6,
      trustedV4.map((ip) => `::ffff:${ip}`),
    ),
  },
  { weight: 2, arbitrary: address },
  { weight: 1, arbitrary: anyV6.map((ip) => `${ip}%eth0`) },
  { weight: 1, arbitrary: fc.constantFrom(undefined, '', 'fe80::1%', '::1.2.3.4') },
  { weight: 1, arbitrary: junk },
);

const trustedLists: TrustedProxies[] = [
  compileTrustedProxies(['10.0.0.0/8', 'fd00:10::/32']),
  compileTrustedProxies(['10.0.0.0/8', '::ffff:192.168.0.0/112', 'fd00:10::/32', '2001:db8::/32', '::1']),
  compileTrustedProxies([]),
];
const generatedTrusted = fc
  .array(
    fc.oneof(
      fc.tuple(anyV4, fc.option(fc.integer({ min: 8, max: 32 }))),
      fc.tuple(anyV6, fc.option(fc.integer({ min: 32, max: 128 }))),
    ),
    { maxLength: 5 },
  )
  .map((entries) => {
    try {
      return compileTrustedProxies(entries.map(([ip, prefix]) => (prefix === null ? ip : `${ip}/${prefix}`)));
    } catch (error) {
      // A generated mapped address with an IPv6 prefix below /104 is a legitimate rejection.
      if (error instanceof TrustedProxyConfigError) return trustedLists[0]!;
      throw error;
    }
  });
const trusted = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(trustedLists[0]!, trustedLists[1]!) },
  { weight: 1, arbitrary: fc.constant(trustedLists[2]!) },
  { weight: 1, arbitrary: generatedTrusted },
);

const request = fc.record({
  remoteAddress: peer,
  headers: fc.record(
    {
      'x-forwarded-for': headerValue(xffElement, trustedXff),
      forwarded: headerValue(forwardedElement, trustedForwarded),
      'x-real-ip': fc.option(address, { nil: undefined }),
    },
    { requiredKeys: [] },
  ),
});
const source = fc.constantFrom<HeaderSource | undefined>(undefined, 'x-forwarded-for', 'forwarded');

const TERMINAL_FLAGS = new Set(['peer_unknown', 'xff_missing', 'malformed_entry', 'too_many_hops', 'no_untrusted_hop']);

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

describe('resolveClientIp under fuzzing', () => {
  it('never throws, never mutates its input, and keeps its invariants', () => {
    fc.assert(
      fc.property(request, trusted, source, (req, trustedProxies, headerSource) => {
        deepFreeze(req);
        const options = headerSource === undefined ? undefined : { headerSource };
        const result = resolveClientIp(req, trustedProxies, options);

        // Pure: the same input gives the same output.
        expect(resolveClientIp(req, trustedProxies, options)).toEqual(result);

        // Flags come from the published list, each at most once.
        for (const flag of result.flags) expect(CLIENT_IP_FLAGS).toContain(flag);
        expect(new Set(result.flags).size).toBe(result.flags.length);

        // A null client comes with exactly one reason; a client comes with none.
        const terminal = result.flags.filter((flag) => TERMINAL_FLAGS.has(flag));
        expect(terminal.length).toBe(result.clientIp === null ? 1 : 0);

        const normalisedPeer = typeof req.remoteAddress === 'string' ? parseSocketAddress(req.remoteAddress) : null;
        if (normalisedPeer === null) {
          expect(result).toEqual({ clientIp: null, chain: [], flags: ['peer_unknown'] });
          return;
        }
        expect(result.chain[0]).toBe(formatIp(normalisedPeer));
        expect(result.chain.length).toBeLessThanOrEqual(MAX_HOPS + 1);

        // Every address in the chain is canonical text; IPv6 as the WHATWG URL serialiser prints it.
        for (const hop of result.chain) {
          const reparsed = parseSocketAddress(hop);
          expect(reparsed).not.toBeNull();
          expect(formatIp(reparsed!)).toBe(hop);
          if (hop.includes(':')) expect(whatwg(hop)).toBe(hop);
        }

        if (result.clientIp !== null) {
          // The client is the last element of the chain, and never a trusted proxy.
          expect(result.chain.at(-1)).toBe(result.clientIp);
          expect(trustedProxies.has(result.clientIp)).toBe(false);
          // Every hop before the client is a trusted proxy.
          for (const hop of result.chain.slice(0, -1)) expect(trustedProxies.has(hop)).toBe(true);
        } else {
          for (const hop of result.chain) expect(trustedProxies.has(hop)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('cannot be moved by anything a client prepends to X-Forwarded-For', () => {
    const xffRequest = fc.record({
      remoteAddress: fc.oneof(trustedV4, peer),
      xff: headerLine(xffElement, trustedXff),
    });
    fc.assert(
      fc.property(
        xffRequest,
        fc.string({ maxLength: 60 }),
        trusted,
        ({ remoteAddress, xff }, spoof, trustedProxies) => {
          const original = resolveClientIp({ remoteAddress, headers: { 'x-forwarded-for': xff } }, trustedProxies);
          fc.pre(original.clientIp !== null);
          const spoofed = resolveClientIp(
            { remoteAddress, headers: { 'x-forwarded-for': `${spoof},${xff}` } },
            trustedProxies,
          );
          expect(spoofed).toEqual(original);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('never throws on arbitrary header objects and strings', () => {
    const headers = fc.dictionary(
      fc.oneof(fc.constantFrom('x-forwarded-for', 'forwarded', 'x-real-ip'), fc.string({ maxLength: 10 })),
      fc.oneof(
        fc.string({ unit: 'binary' }),
        fc.array(fc.string({ unit: 'binary' }), { maxLength: 4 }),
        fc.constant(undefined),
      ),
    );
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), peer), headers, source, trusted, (remoteAddress, h, s, t) => {
        const result = resolveClientIp(
          { remoteAddress, headers: h },
          t,
          s === undefined ? undefined : { headerSource: s },
        );
        if (result.clientIp !== null) {
          expect(result.chain.at(-1)).toBe(result.clientIp);
          expect(t.has(result.clientIp)).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
