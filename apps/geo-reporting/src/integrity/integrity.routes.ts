import { metricsRoute } from '@single/http';
import type { FastifyInstance } from 'fastify';
import type { GeoDatabaseStatus, GeoIp } from '../geoip/geoip.ts';
import type { IntegrityWindow } from './integrity-window.ts';
import type { Metrics } from './metrics.ts';

export interface IntegrityRouteOptions {
  integrity: IntegrityWindow;
  metrics: Metrics;
  geo: GeoIp;
  attribution: string;
}

/**
 * A database's status as the route shows it: the place of each file on disk is not the caller's business
 * (GEOIP_DB_PATHS order names them: `file` 1, 2, ...), and a load error that quotes the path quotes the number.
 */
function withoutPath({ path, ...status }: GeoDatabaseStatus, index: number) {
  const file = index + 1;
  return { file, ...status, error: status.error === null ? null : status.error.replaceAll(path, `file ${file}`) };
}

export function registerIntegrityRoutes(app: FastifyInstance, options: IntegrityRouteOptions) {
  // Header-stripping alarm. Always 200: the alarm is the `status` field (and the metric), not the transport.
  app.get('/v1/geo/integrity', async () => ({ ...options.integrity.snapshot(), attribution: options.attribution }));

  app.get('/v1/geo/databases', async () => ({
    databases: options.geo.status().map(withoutPath),
    available: options.geo.available(),
    attribution: options.attribution,
  }));

  // The shared route (text 0.0.4 or OpenMetrics by Accept), the integrity gauges set from the window first.
  app.get(
    '/metrics',
    { logLevel: 'warn' },
    metricsRoute(options.metrics.registry, () => options.metrics.update(options.integrity.snapshot())),
  );
}
