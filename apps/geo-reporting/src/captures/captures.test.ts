import { silentLogger } from '@single/logger';
import { compileTrustedProxies, type HeaderSource } from '@single/trusted-proxy';
import { describe, expect, it, vi } from 'vitest';
import { buildApp } from '../app.ts';
import { GeoIp } from '../geoip/geoip.ts';
import { IntegrityWindow } from '../integrity/integrity-window.ts';
import { Metrics } from '../integrity/metrics.ts';
import { geoipFixture, MILTON_WA } from '../test-support/fixtures.ts';
import { MemoryCaptureStore } from './capture.repository.ts';
import { rateLimitKey } from './capture.routes.ts';
import { forwardingHeaderLines } from './capture.service.ts';

const ALB = '10.0.1.34';
const TRAEFIK_DUAL_STACK = '::ffff:10.42.1.7';
const body = { shopDomain: 'single-demo.myshopify.com', checkoutToken: 'c1a2b3c4d5e6f708192a3b4c5d6e7f80' };
// A service token (GEO_REPORTS_TOKENS): every route but the capture needs one, or an ops-scoped API key.
const OPS_TOKEN = 'test-service-token-0123456789abcdef0123456789';
const asOps = (url: string) => ({ url, headers: { authorization: `Bearer ${OPS_TOKEN}` } });

async function build(
  options: { rateLimitMax?: number; geoPaths?: string[]; headerSource?: HeaderSource; minSamples?: number } = {},
) {
  const logger = silentLogger();
  const geo = new GeoIp(options.geoPaths ?? [geoipFixture('GeoIP2-City-Test')], { logger });
  await geo.load();
  const store = new MemoryCaptureStore();
  const integrity = new IntegrityWindow({ windowSeconds: 60, threshold: 0.05, minSamples: options.minSamples ?? 1 });
  const built = buildApp({
    logger,
    geo,
    trusted: compileTrustedProxies(['10.0.0.0/16', '10.42.0.0/16', 'fd00:10::/32']),
    headerSource: options.headerSource ?? 'x-forwarded-for',
    captureStore: store,
    integrity,
    metrics: new Metrics(),
    attribution: 'GeoLite2 data created by MaxMind',
    rateLimit: { max: options.rateLimitMax ?? 100, windowMs: 60_000 },
    serviceTokens: [OPS_TOKEN],
    now: () => new Date('2026-03-02T15:00:00Z'),
  });
  return { ...built, store };
}

const capture = (
  app: Awaited<ReturnType<typeof build>>['app'],
  remoteAddress: string,
  headers: Record<string, string | string[]> = {},
) => app.inject({ method: 'POST', url: '/v1/geo/captures', remoteAddress, headers, payload: body });

describe('POST /v1/geo/captures', () => {
  it('answers a store failure with a problem, not a 204 for a capture that was not stored, and carries on', async () => {
    const { app, store } = await build();
    const save = vi.spyOn(store, 'save').mockRejectedValueOnce(new Error('connection terminated'));
    const failed = await capture(app, ALB, { 'x-forwarded-for': '216.160.83.56' });
    expect(failed.statusCode).toBe(500);
    expect(failed.json()).toMatchObject({ code: 'internal_error' });
    expect(failed.body).not.toContain('connection terminated');
    const next = await capture(app, ALB, { 'x-forwarded-for': '216.160.83.56' });
    expect(next.statusCode).toBe(204);
    expect(save).toHaveBeenCalledTimes(2);
    expect(store.records).toHaveLength(1);
  });

  it('resolves the fan from the raw dual-stack socket peer and X-Forwarded-For, locates and stores it, 204', async () => {
    const { app, store } = await build();
    const res = await capture(app, TRAEFIK_DUAL_STACK, { 'x-forwarded-for': `216.160.83.56, ${ALB}` });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(store.records).toEqual([
      {
        ...body,
        clientIp: '216.160.83.56',
        chain: ['10.42.1.7', ALB, '216.160.83.56'],
        flags: [],
        ...MILTON_WA,
        geoDbBuildDate: '2026-02-04',
        capturedAt: new Date('2026-03-02T15:00:00Z'),
      },
    ]);
  });

  it('reads the raw header lines: two X-Forwarded-For lines are flagged and still resolved right to left', async () => {
    const { app, store } = await build();
    const res = await capture(app, TRAEFIK_DUAL_STACK, { 'x-forwarded-for': ['198.51.100.1, 216.160.83.56', ALB] });
    expect(res.statusCode).toBe(204);
    expect(store.records[0]).toMatchObject({
      clientIp: '216.160.83.56',
      chain: ['10.42.1.7', ALB, '216.160.83.56'],
      flags: ['multiple_header_lines'],
    });
  });

  it('answers 204 without X-Forwarded-For behind a trusted peer, storing the capture flagged and unlocated', async () => {
    const { app, store } = await build();
    const res = await capture(app, TRAEFIK_DUAL_STACK);
    expect(res.statusCode).toBe(204);
    expect(store.records[0]).toMatchObject({
      clientIp: null,
      chain: ['10.42.1.7'],
      flags: ['xff_missing'],
      precision: 'none',
    });
  });

  it('ignores a forged header from an untrusted peer: the peer is the client', async () => {
    const { app, store } = await build();
    await capture(app, '::ffff:81.2.69.142', { 'x-forwarded-for': '216.160.83.56' });
    expect(store.records[0]).toMatchObject({
      clientIp: '81.2.69.142',
      flags: ['peer_untrusted', 'xff_ignored'],
      city: 'London',
    });
  });

  it('never fails on odd headers: malformed entries and proxies only are flags', async () => {
    const { app, store } = await build();
    for (const xff of ['not-an-ip', `${ALB}`, '  ,  ,', `216.160.83.56:443, ${ALB}`, `[2001:480:10::1]:8080, ${ALB}`]) {
      expect((await capture(app, TRAEFIK_DUAL_STACK, { 'x-forwarded-for': xff })).statusCode, xff).toBe(204);
    }
    expect(store.records.map((r) => [r.clientIp, r.flags, r.city])).toEqual([
      [null, ['malformed_entry'], null],
      [null, ['no_untrusted_hop'], null],
      [null, ['xff_missing'], null],
      ['216.160.83.56', [], 'Milton'],
      ['2001:480:10::1', [], 'San Diego'],
    ]);
  });

  it('flags a client address that is private instead of locating it', async () => {
    const { app, store } = await build();
    await capture(app, TRAEFIK_DUAL_STACK, { 'x-forwarded-for': '192.168.1.20, 10.99.0.1' }); // 10.99/16 is not ours
    expect(store.records[0]).toMatchObject({ clientIp: '10.99.0.1', flags: ['ip_special'], precision: 'none' });
  });

  it('uses RFC 7239 Forwarded when configured to, and then ignores X-Forwarded-For', async () => {
    const { app, store } = await build({ headerSource: 'forwarded' });
    await capture(app, 'fd00:10::42:7', {
      forwarded: `for="[2001:480:10::1]:4711";proto=https, for=${ALB}`,
      'x-forwarded-for': '81.2.69.142',
    });
    expect(store.records[0]).toMatchObject({ clientIp: '2001:480:10::1', city: 'San Diego', flags: [] });
  });

  it('still answers 204 when the GeoIP file is missing, flagged geo_unavailable', async () => {
    const { app, store } = await build({ geoPaths: ['/nonexistent/GeoLite2-City.mmdb'] });
    expect((await capture(app, TRAEFIK_DUAL_STACK, { 'x-forwarded-for': '216.160.83.56' })).statusCode).toBe(204);
    expect(store.records[0]).toMatchObject({
      clientIp: '216.160.83.56',
      flags: ['geo_unavailable'],
      precision: 'none',
      geoDbBuildDate: null,
    });
  });

  it('rate-limits per resolved client IP, not per proxy peer', async () => {
    const { app } = await build({ rateLimitMax: 2 });
    const fan = { 'x-forwarded-for': `216.160.83.56, ${ALB}` };
    expect((await capture(app, TRAEFIK_DUAL_STACK, fan)).statusCode).toBe(204);
    expect((await capture(app, TRAEFIK_DUAL_STACK, fan)).statusCode).toBe(204);
    const limited = await capture(app, TRAEFIK_DUAL_STACK, fan);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toContain('application/problem+json');
    expect(limited.json()).toMatchObject({ code: 'rate_limited', status: 429 });
    // Two per minute: a token comes back every 30 s.
    expect(limited.headers['retry-after']).toBe('30');
    // Another fan behind the same proxies is not affected.
    expect((await capture(app, TRAEFIK_DUAL_STACK, { 'x-forwarded-for': `81.2.69.142, ${ALB}` })).statusCode).toBe(204);
  });

  it('groups an IPv6 fan by /64 for rate limiting', async () => {
    const { app } = await build({ rateLimitMax: 1 });
    expect((await capture(app, TRAEFIK_DUAL_STACK, { 'x-forwarded-for': '2001:480:10::1' })).statusCode).toBe(204);
    expect((await capture(app, TRAEFIK_DUAL_STACK, { 'x-forwarded-for': '2001:480:10::beef' })).statusCode).toBe(429);
  });

  it('validates the body, accepts a sendBeacon text/plain body and answers CORS preflight', async () => {
    const { app, store } = await build();
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/geo/captures',
      payload: { shopDomain: 'evil.example.com', checkoutToken: 'x' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('validation_failed');
    const beacon = await app.inject({
      method: 'POST',
      url: '/v1/geo/captures',
      remoteAddress: TRAEFIK_DUAL_STACK,
      headers: { 'content-type': 'text/plain;charset=UTF-8', 'x-forwarded-for': '216.160.83.56' },
      payload: JSON.stringify(body),
    });
    expect(beacon.statusCode).toBe(204);
    expect(store.records).toHaveLength(1);
    const garbage = await app.inject({
      method: 'POST',
      url: '/v1/geo/captures',
      headers: { 'content-type': 'text/plain' },
      payload: '{"shopDomain":',
    });
    expect(garbage.statusCode).toBe(400);
    expect(garbage.json().code).toBe('invalid_json');
    const poisoned = await app.inject({
      method: 'POST',
      url: '/v1/geo/captures',
      headers: { 'content-type': 'text/plain' },
      payload: `{"__proto__":{"x":1},"shopDomain":"${body.shopDomain}","checkoutToken":"${body.checkoutToken}"}`,
    });
    expect(poisoned.statusCode).toBe(400);
    expect(store.records).toHaveLength(1);
    const preflight = await app.inject({ method: 'OPTIONS', url: '/v1/geo/captures' });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
  });
});

describe('GET /v1/geo/integrity, /metrics and /v1/geo/databases', () => {
  it('turns degraded when the share of header-less captures passes the threshold', async () => {
    const { app } = await build({ minSamples: 4 });
    for (let i = 0; i < 19; i++) await capture(app, TRAEFIK_DUAL_STACK, { 'x-forwarded-for': `216.160.83.${i}` });
    const healthy = (await app.inject(asOps('/v1/geo/integrity'))).json();
    expect(healthy).toMatchObject({
      status: 'ok',
      captures: 19,
      flagged: 0,
      attribution: expect.stringContaining('MaxMind'),
    });
    await capture(app, TRAEFIK_DUAL_STACK); // xff_missing
    await capture(app, '203.0.113.50'); // peer_untrusted: traffic bypassing the proxies
    const degraded = (await app.inject(asOps('/v1/geo/integrity'))).json();
    expect(degraded).toMatchObject({
      status: 'degraded',
      captures: 21,
      flagged: 2,
      byFlag: { xff_missing: 1, peer_untrusted: 1 },
    });
    const metrics = await app.inject(asOps('/metrics'));
    expect(metrics.body).toContain('geo_capture_integrity_degraded 1');
    expect(metrics.body).toMatch(/geo_capture_header_loss_ratio\{window_seconds="60"\} 0\.095/);
  });

  it('lists the databases with build date and attribution', async () => {
    const { app } = await build();
    const res = (await app.inject(asOps('/v1/geo/databases'))).json();
    expect(res).toMatchObject({
      databases: [
        { file: 1, loaded: true, ipVersion: 6, databaseType: 'GeoIP2-City', buildDate: '2026-02-04', error: null },
      ],
      available: { ipv4: true, ipv6: true },
      attribution: 'GeoLite2 data created by MaxMind',
    });
  });
});

describe('forwardingHeaderLines', () => {
  it('keeps each X-Forwarded-For and Forwarded line, whatever the case, and nothing else', () => {
    expect(
      forwardingHeaderLines([
        'Host',
        'x',
        'X-Forwarded-For',
        'a',
        'x-forwarded-for',
        'b',
        'FORWARDED',
        'for=c',
        'X-Real-IP',
        'd',
      ]),
    ).toEqual({ 'x-forwarded-for': ['a', 'b'], forwarded: ['for=c'] });
  });
});

describe('rateLimitKey', () => {
  it.each([
    ['216.160.83.56', '216.160.83.56'],
    ['2001:480:10::1', '2001:480:10:0::/64'],
    ['2001:480:10:0:1::beef', '2001:480:10:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['fe80::', 'fe80:0:0:0::/64'],
  ])('%s -> %s', (ip, key) => {
    expect(rateLimitKey(ip)).toBe(key);
  });
});
