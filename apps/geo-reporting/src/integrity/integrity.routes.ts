import type { FastifyInstance } from 'fastify';
import type { GeoIp } from '../geoip/geoip.ts';
import type { IntegrityWindow } from './integrity-window.ts';
import type { Metrics } from './metrics.ts';

export interface IntegrityRouteOptions {
  integrity: IntegrityWindow;
  metrics: Metrics;
  geo: GeoIp;
  attribution: string;
}

export function registerIntegrityRoutes(app: FastifyInstance, options: IntegrityRouteOptions) {
  // Header-stripping alarm. Always 200: the alarm is the `status` field (and the metric), not the transport.
  app.get('/v1/geo/integrity', async () => ({ ...options.integrity.snapshot(), attribution: options.attribution }));

  app.get('/v1/geo/databases', async () => ({
    databases: options.geo.status(),
    available: options.geo.available(),
    attribution: options.attribution,
  }));

  app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) =>
    reply.type('text/plain; version=0.0.4; charset=utf-8').send(options.metrics.render(options.integrity.snapshot())),
  );
}
