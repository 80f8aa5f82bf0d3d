import { createHttpApp } from '@single/http';
import { silentLogger } from '@single/logger';
import { compileTrustedProxies } from '@single/trusted-proxy';
import { describe, expect, it } from 'vitest';
import { GeoIp } from '../geoip/geoip.ts';
import { IntegrityWindow } from '../integrity/integrity-window.ts';
import { Metrics } from '../integrity/metrics.ts';
import { geoipFixture } from '../test-support/fixtures.ts';
import { MemoryCaptureStore } from './capture.repository.ts';
import { registerCaptureRoutes } from './capture.routes.ts';
import { CaptureService } from './capture.service.ts';

// Issue 14: when our proxies strip X-Forwarded-For, every fan behind one Traefik pod shares that pod's
// bucket, so most captures are refused (429). The header-stripping alarm must see them all: each capture is
// counted before the limiter decides, and the limited ones are counted again, as their own metric.

const TRAEFIK = '10.42.1.7';
const body = { shopDomain: 'single-demo.myshopify.com', checkoutToken: 'c1a2b3c4d5e6f708192a3b4c5d6e7f80' };

async function build() {
  const logger = silentLogger();
  const geo = new GeoIp([geoipFixture('GeoIP2-City-Test')], { logger });
  await geo.load();
  const integrity = new IntegrityWindow({ windowSeconds: 60, threshold: 0.05, minSamples: 20 });
  const metrics = new Metrics();
  const service = new CaptureService({
    trusted: compileTrustedProxies(['10.0.0.0/16', '10.42.0.0/16']),
    headerSource: 'x-forwarded-for',
    geo,
    store: new MemoryCaptureStore(),
    integrity,
    metrics,
    logger,
  });
  const http = createHttpApp({ logger, readiness: [] });
  registerCaptureRoutes(http.app, { service, rateLimit: { max: 5, windowMs: 60_000 } });
  await http.app.ready();
  const post = (headers: Record<string, string> = {}) =>
    http.app.inject({ method: 'POST', url: '/v1/geo/captures', remoteAddress: TRAEFIK, headers, payload: body });
  return { post, integrity, metrics };
}

describe('header-stripping alarm and the capture limiter', () => {
  it('counts every capture before limiting, so stripped headers raise the alarm while captures are refused', async () => {
    const { post, integrity, metrics } = await build();
    // Healthy traffic: each fan has its own bucket, nothing is limited.
    for (let i = 0; i < 200; i++) {
      expect((await post({ 'x-forwarded-for': `216.160.${83 + (i >> 8)}.${i & 255}` })).statusCode).toBe(204);
    }
    expect(integrity.snapshot()).toMatchObject({ status: 'ok', captures: 200, flagged: 0 });

    // The header is stripped: 100 fans arrive as one Traefik pod, 5 pass and 95 are refused. Counting only
    // the 5 (5 of 205, under the 5 % threshold), the alarm said "ok" while 95 captures were lost.
    const answers = await Promise.all(Array.from({ length: 100 }, () => post()));
    expect(answers.filter((a) => a.statusCode === 429)).toHaveLength(95);
    const snapshot = integrity.snapshot();
    expect(snapshot).toMatchObject({
      status: 'degraded',
      captures: 300,
      flagged: 100,
      limited: 95,
      byFlag: { xff_missing: 100, peer_untrusted: 0 },
    });
    const text = await metrics.render(snapshot);
    expect(text).toContain('geo_captures_limited_total 95');
    expect(text).toContain('geo_capture_window_limited 95');
    expect(text).toContain('geo_capture_window_captures 300');
    // Stored captures stay what they were: 200 fans and the 5 header-less ones that got through.
    expect(text).toContain('geo_captures_total 205');
  });

  it('one greedy fan cannot dilute the alarm: its refused captures do not count toward the header-loss share', async () => {
    const { post, integrity } = await build();
    // 40 fans through the proxy chain, and 10 captures whose header our proxies lost: a 20 % loss.
    for (let i = 0; i < 40; i++) await post({ 'x-forwarded-for': `216.160.83.${i}, 10.0.1.34` });
    await Promise.all(Array.from({ length: 10 }, () => post()));
    expect(integrity.snapshot().status).toBe('degraded');
    // One client (a looping beacon, or someone hiding a proxy fault) sends 2,000 well-formed captures: all but
    // its bucket are refused. Counted in the share, they would drown the 10 flagged ones (0.5 %: "ok").
    const greedy = await Promise.all(Array.from({ length: 2000 }, () => post({ 'x-forwarded-for': '81.2.69.160' })));
    expect(greedy.filter((a) => a.statusCode === 429)).toHaveLength(1995);
    const snapshot = integrity.snapshot();
    expect(snapshot).toMatchObject({ status: 'degraded', captures: 2050, flagged: 10, limited: 2000 });
    // The share is over the captures that count: served ones, and refused ones only when header-less.
    expect(snapshot.share).toBeCloseTo(10 / 55, 5);
  });
});
