import type { EventBus } from '@single/events';
import type { Logger } from '@single/logger';
import { compileTrustedProxies } from '@single/trusted-proxy';
import pg from 'pg';
import { buildApp, type GeoReportingApp } from './app.ts';
import { PgCaptureStore } from './captures/capture.repository.ts';
import { LUMINATE_V1 } from './charts/rules.ts';
import type { GeoReportingConfig } from './config.ts';
import { GeoIp } from './geoip/geoip.ts';
import { IntegrityWindow } from './integrity/integrity-window.ts';
import { Metrics } from './integrity/metrics.ts';
import { salesEventHandler } from './sales/sales.consumer.ts';
import { seedChartRules } from './sales/sales.repository.ts';
import { SalesService } from './sales/sales.service.ts';

export { type GeoReportingConfig, loadGeoReportingConfig } from './config.ts';

/** The adapters a host process hands in (the zero-setup demo: the in-memory event bus, or Kafka). */
export interface EmbeddedGeoPorts {
  logger: Logger;
  events(clientId: string): EventBus;
}

export interface EmbeddedGeoReporting {
  app: GeoReportingApp;
  /** Consumer stopped, pending captures written, then connections. */
  close(): Promise<void>;
}

/**
 * geo-reporting as runtime.ts wires it (GeoIP loaded, chart rules seeded, the sales consumer group joined),
 * on an event bus chosen by the host, without listening: the host listens and owns the shutdown.
 */
export async function startEmbeddedGeoReporting(
  config: GeoReportingConfig,
  ports: EmbeddedGeoPorts,
): Promise<EmbeddedGeoReporting> {
  const { logger } = ports;
  const trusted = compileTrustedProxies(config.TRUSTED_PROXIES);
  for (const warning of trusted.warnings) logger.warn({ warning }, 'TRUSTED_PROXIES');
  const geo = new GeoIp(config.GEOIP_DB_PATHS, { logger });
  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: 10 });
  pool.on('error', (err) => logger.error({ err }, 'idle postgres client failed'));
  const bus = ports.events(config.KAFKA_CLIENT_ID ?? 'geo-reporting');
  const captureStore = new PgCaptureStore(pool);
  const metrics = new Metrics();
  const app = buildApp({
    logger,
    geo,
    trusted,
    headerSource: config.CLIENT_IP_HEADER,
    captureStore,
    integrity: new IntegrityWindow({
      windowSeconds: config.INTEGRITY_WINDOW_SECONDS,
      threshold: config.INTEGRITY_THRESHOLD,
      minSamples: config.INTEGRITY_MIN_SAMPLES,
    }),
    metrics,
    attribution: config.GEOIP_ATTRIBUTION,
    rateLimit: { max: config.CAPTURE_RATE_LIMIT_MAX, windowMs: config.CAPTURE_RATE_LIMIT_WINDOW_MS },
    reports: { pool, retailerAccount: config.LUMINATE_RETAILER_ACCOUNT },
    readiness: [
      { name: 'postgres', check: async () => void (await pool.query('SELECT 1')) },
      { name: 'events', check: () => bus.health() },
    ],
  });
  const sales = new SalesService({
    pool,
    geo,
    logger,
    charts: [LUMINATE_V1.chart],
    reportTimeZone: config.REPORT_TIME_ZONE,
  });
  await geo.load();
  await seedChartRules(pool, LUMINATE_V1);
  await bus.ensureTopics([config.SALES_TOPIC], 3);
  const subscription = await bus.subscribe({
    topics: [config.SALES_TOPIC],
    groupId: config.SALES_CONSUMER_GROUP,
    fromBeginning: true,
    handler: salesEventHandler(sales, logger, metrics),
  });
  return {
    app,
    async close() {
      geo.close();
      await subscription.stop();
      await captureStore.drained();
      await bus.close();
      await pool.end();
    },
  };
}
