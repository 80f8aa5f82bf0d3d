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

// Issue 14, limits per client, driven through the production proxy chain: fan -> ALB (appends the fan's
// address) -> Traefik (appends the ALB's, connects from its pod address) -> geo-reporting. Many distinct
// fans at once each get their own bucket; one fan over the limit is refused alone, whatever it writes into
// X-Forwarded-For itself. (Traefik's own edge limit keys on the same element: ipStrategy depth 1 counts
// from the right of the header Traefik receives, which is the ALB's entry for the fan.)

const ALB = '10.0.1.34';
const TRAEFIK = '10.42.1.7';
const MAX = 5;
const body = { shopDomain: 'single-demo.myshopify.com', checkoutToken: 'c1a2b3c4d5e6f708192a3b4c5d6e7f80' };

async function build() {
  const logger = silentLogger();
  const geo = new GeoIp([geoipFixture('GeoIP2-City-Test')], { logger });
  await geo.load();
  const service = new CaptureService({
    trusted: compileTrustedProxies(['10.0.0.0/16', '10.42.0.0/16']),
    headerSource: 'x-forwarded-for',
    geo,
    store: new MemoryCaptureStore(),
    integrity: new IntegrityWindow({ windowSeconds: 60, threshold: 0.05, minSamples: 1 }),
    metrics: new Metrics(),
    logger,
  });
  const http = createHttpApp({ logger, readiness: [] });
  registerCaptureRoutes(http.app, { service, rateLimit: { max: MAX, windowMs: 60_000 } });
  await http.app.ready();
  // What geo-reporting receives for a fan: X-Forwarded-For "<what the fan sent>, <fan>, <ALB>" from Traefik.
  const fromFan = (fan: string, forged?: string) =>
    http.app.inject({
      method: 'POST',
      url: '/v1/geo/captures',
      remoteAddress: TRAEFIK,
      headers: { 'x-forwarded-for': [forged, fan, ALB].filter(Boolean).join(', ') },
      payload: body,
    });
  return { fromFan };
}

const fan = (i: number) => `81.2.${69 + (i >> 8)}.${i & 255}`;

describe('capture rate limit per client, behind ALB and Traefik', () => {
  it('gives each of 300 concurrent fans its own bucket while one fan over the limit is refused', async () => {
    const { fromFan } = await build();
    const greedy = '216.160.83.56';
    const requests = [
      // 300 fans, MAX captures each, all at once through the same ALB and Traefik pod.
      ...Array.from({ length: 300 * MAX }, (_, i) => fromFan(fan(i % 300)).then((r) => ({ who: 'fan', r }))),
      // One fan sending four times its share, half of it with a forged left part of the header.
      ...Array.from({ length: 4 * MAX }, (_, i) =>
        fromFan(greedy, i % 2 ? `${fan(i)}, 10.0.9.9` : undefined).then((r) => ({ who: 'greedy', r })),
      ),
    ];
    const answers = await Promise.all(requests);
    const fans = answers.filter((a) => a.who === 'fan').map((a) => a.r.statusCode);
    expect(fans.filter((s) => s === 204)).toHaveLength(300 * MAX);
    const greedyAnswers = answers.filter((a) => a.who === 'greedy').map((a) => a.r);
    expect(greedyAnswers.filter((r) => r.statusCode === 204)).toHaveLength(MAX);
    const refused = greedyAnswers.filter((r) => r.statusCode === 429);
    expect(refused).toHaveLength(3 * MAX);
    expect(refused[0]?.json()).toMatchObject({ code: 'rate_limited' });
    expect(Number(refused[0]?.headers['retry-after'])).toBeGreaterThan(0);
    // The forged entries had no bucket of their own: those fans' buckets are untouched.
    expect((await fromFan(fan(1000))).statusCode).toBe(204);
  });
});
