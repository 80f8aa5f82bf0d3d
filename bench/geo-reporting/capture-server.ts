// One server per process for captures.ts: BENCH_MODE=bare (a plain fastify route that parses the same JSON
// body and answers 204), platform (that route on @single/http's base) or captures (the real geo-reporting app: trusted-proxy resolution, rate limit keyed by
// client IP, GeoIP on the shipped GeoLite2 build, capture stored in Postgres when DATABASE_URL is set, else in
// memory). Prints {"listening": url} once ready.
import { createHttpApp } from '@single/http';
import { createLogger } from '@single/logger';
import { compileTrustedProxies } from '@single/trusted-proxy';
import Fastify from 'fastify';
import pg from 'pg';
import { buildApp } from '../../apps/geo-reporting/src/app.ts';
import { MemoryCaptureStore, PgCaptureStore } from '../../apps/geo-reporting/src/captures/capture.repository.ts';
import { GEOLITE2_ATTRIBUTION, shippedGeoLite2Paths } from '../../apps/geo-reporting/src/config.ts';
import { GeoIp } from '../../apps/geo-reporting/src/geoip/geoip.ts';
import { IntegrityWindow } from '../../apps/geo-reporting/src/integrity/integrity-window.ts';
import { Metrics } from '../../apps/geo-reporting/src/integrity/metrics.ts';

const mode = process.env.BENCH_MODE ?? 'bare';
// Request logging as in production would measure pino, not the route: both servers log warnings only.
// Warnings and errors go to stderr, which the runner shows (stdout carries the listening line).
const logger = createLogger({ level: 'warn', service: 'bench', allowIps: true, destination: process.stderr });

if (mode === 'bare' || mode === 'platform') {
  // platform: the same empty route on @single/http's base (logger, request ids, load shedding, problem+json).
  const app = mode === 'bare' ? Fastify() : createHttpApp({ logger }).app;
  app.post('/v1/geo/captures', async (_request, reply) => reply.code(204).send());
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  console.log(JSON.stringify({ listening: url }));
} else {
  const geo = new GeoIp(shippedGeoLite2Paths(), { logger });
  await geo.load();
  const pool = process.env.DATABASE_URL
    ? new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 })
    : undefined;
  const { app } = buildApp({
    logger,
    geo,
    trusted: compileTrustedProxies(['127.0.0.1/32']),
    headerSource: 'x-forwarded-for',
    captureStore: pool ? new PgCaptureStore(pool) : new MemoryCaptureStore(),
    integrity: new IntegrityWindow({ windowSeconds: 300, threshold: 0.05, minSamples: 20 }),
    metrics: new Metrics(),
    attribution: GEOLITE2_ATTRIBUTION,
    rateLimit: { max: 1_000_000, windowMs: 60_000 },
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  console.log(JSON.stringify({ listening: url }));
}

// The runner asks for this process's CPU time around each measured run (IPC), so the figures hold on a busy box.
process.on('message', (message) => {
  if (message === 'cpu') process.send?.(process.cpuUsage());
});
// Exit cleanly on the runner's SIGTERM (lets --cpu-prof write its profile when profiling).
process.once('SIGTERM', () => process.exit(0));
