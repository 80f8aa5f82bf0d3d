import { createDb, type Db } from '@single/db';
import { createServicePool } from '@single/db/pool';
import {
  createConsumerLagReader,
  createKafkaEventBus,
  type EventBus,
  ensureTopicPartitions,
  type KafkaSecurity,
  kafkajsSecurity,
  type Subscription,
} from '@single/events';
import { type RunningServer, serve } from '@single/http';
import { createLogger, type Logger } from '@single/logger';
import { traceLogFields, tracer } from '@single/tracing';
import { compileTrustedProxies } from '@single/trusted-proxy';
import type pg from 'pg';
import { buildApp, type GeoReportingApp } from './app.ts';
import { PgCaptureStore, purgeCapturesOlderThan } from './captures/capture.repository.ts';
import { LUMINATE_V1, LUMINATE_VERSIONS } from './charts/rules.ts';
import type { GeoReportingConfig } from './config.ts';
import { GeoIp } from './geoip/geoip.ts';
import { IntegrityWindow } from './integrity/integrity-window.ts';
import { Metrics } from './integrity/metrics.ts';
import { registerConsumerLagMetric } from './sales/consumer-lag-metrics.ts';
import { salesEventHandler } from './sales/sales.consumer.ts';
import { seedChartRules } from './sales/sales.repository.ts';
import { SalesService } from './sales/sales.service.ts';
import { warmDb } from './support/db.ts';

/** How often units waiting for a resolved UPC conflict are re-planned. */
const UPC_REVIEW_REPLAN_MS = 60_000;

export interface GeoReportingRuntime {
  app: GeoReportingApp;
  geo: GeoIp;
  logger: Logger;
  /** Prisma Client: every query but the listed typed-SQL hot paths (ARCHITECTURE.md, "Geo-reporting's data layer"). */
  db: Db;
  /** pg: the capture micro-batch (a measured hot path) and @single/db's readFanDataKeys. */
  pool: pg.Pool;
  bus: EventBus;
  /** Seeds chart rules, loads GeoIP, joins the consumer group, listens. */
  start(): Promise<RunningServer>;
}

/** The clients geo-reporting runs on: Kafka in createRuntime, the host's event bus in embedded.ts. */
export interface GeoReportingPorts {
  logger: Logger;
  events(clientId: string): EventBus;
  /** The clock the report routes close business days by; default the real one (tests move it a day on). */
  now?: () => Date;
}

export interface GeoReportingWiring extends Omit<GeoReportingRuntime, 'start'> {
  captureStore: PgCaptureStore;
  /**
   * Seeds chart rules, creates the sales topic if missing with this many partitions (SALES_TOPIC_PARTITIONS by
   * default; an existing topic is left as it is), joins the sales consumer group.
   */
  consumeSales(partitions?: number): Promise<Subscription>;
}

/** Wires real clients from the configuration; nothing connects until start(). Used by main.ts and the integration tests. */
export function createRuntime(
  config: GeoReportingConfig,
  options: { logger?: Logger; kafkaSecurity?: KafkaSecurity } = {},
): GeoReportingRuntime {
  // The geo pipeline is the one place allowed to log client IPs.
  const logger =
    options.logger ??
    createLogger({ level: config.LOG_LEVEL, service: 'geo-reporting', allowIps: true, mixin: traceLogFields });
  const events = (clientId: string) =>
    createKafkaEventBus({ brokers: config.KAFKA_BROKERS, clientId, logger, security: options.kafkaSecurity });
  const { captureStore, consumeSales, ...parts } = wireGeoReporting(config, { logger, events }, { busName: 'kafka' });
  const { app, geo, db, pool, bus } = parts;
  // Consumer lag from the broker's offsets (its own admin client, short deadlines), at scrape time.
  const lag = createConsumerLagReader({
    brokers: config.KAFKA_BROKERS,
    clientId: `${config.KAFKA_CLIENT_ID ?? 'geo-reporting'}-lag`,
    groupId: config.SALES_CONSUMER_GROUP,
    topic: config.SALES_TOPIC,
    kafka: kafkajsSecurity(options.kafkaSecurity), // the brokers' TLS and SASL, as the bus connects
  });
  registerConsumerLagMetric(app.metrics.registry, () => lag.read(), {
    topic: config.SALES_TOPIC,
    group: config.SALES_CONSUMER_GROUP,
  });
  return {
    ...parts,
    async start() {
      await warmDb(db);
      await geo.load();
      if (config.GEOIP_RELOAD_INTERVAL_MS > 0) geo.watch(config.GEOIP_RELOAD_INTERVAL_MS);
      const onHangup = () => void geo.reload();
      process.on('SIGHUP', onHangup);
      const subscription = await consumeSales();
      // The alarm as a DogStatsD gauge too (a no-op without the Datadog agent).
      const gauge = setInterval(() => {
        const snapshot = app.integrity.snapshot();
        tracer.dogstatsd.gauge('geo.capture.header_loss_ratio', snapshot.share ?? 0);
      }, 10_000);
      gauge.unref();
      const purge = () =>
        purgeCapturesOlderThan(db, config.GEO_CAPTURE_RETENTION_DAYS).catch((err: unknown) =>
          logger.error({ err }, 'capture retention sweep failed'),
        );
      void purge();
      const retention = setInterval(purge, 3_600_000);
      retention.unref();
      return serve(app, {
        host: config.HOST,
        port: config.PORT,
        logger,
        shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
        onClose: [
          async () => {
            clearInterval(gauge);
            clearInterval(retention);
            process.off('SIGHUP', onHangup);
            geo.close();
          },
          () => subscription.stop(),
          () => captureStore.drained(),
          () => bus.close(),
          () => lag.close(),
          () => db.$disconnect(),
          () => pool.end(),
        ],
      });
    },
  };
}

/**
 * The service on the given clients, without side effects: the app (its readiness checks the bus under
 * `busName`), the capture store and the sales consumer, not yet joined.
 */
export function wireGeoReporting(
  config: GeoReportingConfig,
  ports: GeoReportingPorts,
  options: { busName: string },
): GeoReportingWiring {
  const { logger } = ports;
  const trusted = compileTrustedProxies(config.TRUSTED_PROXIES);
  for (const warning of trusted.warnings) logger.warn({ warning }, 'TRUSTED_PROXIES');
  const geo = new GeoIp(config.GEOIP_DB_PATHS, { logger });
  const db = createDb(config.DATABASE_URL, { maxConnections: 10 });
  // One capture flush at a time and the fan data keys: a few connections are plenty.
  const pool = createServicePool({ connectionString: config.DATABASE_URL, max: 4 }, (obj, msg) =>
    logger.warn(obj, msg),
  );
  const bus = ports.events(config.KAFKA_CLIENT_ID ?? 'geo-reporting');
  const captureStore = new PgCaptureStore(pool);
  const integrity = new IntegrityWindow({
    windowSeconds: config.INTEGRITY_WINDOW_SECONDS,
    threshold: config.INTEGRITY_THRESHOLD,
    minSamples: config.INTEGRITY_MIN_SAMPLES,
  });
  const metrics = new Metrics();
  const app = buildApp({
    logger,
    geo,
    trusted,
    headerSource: config.CLIENT_IP_HEADER,
    captureStore,
    integrity,
    metrics,
    attribution: config.GEOIP_ATTRIBUTION,
    rateLimit: { max: config.CAPTURE_RATE_LIMIT_MAX, windowMs: config.CAPTURE_RATE_LIMIT_WINDOW_MS },
    serviceTokens: config.GEO_REPORTS_TOKENS,
    reports: {
      db,
      retailerAccount: config.LUMINATE_RETAILER_ACCOUNT,
      chartFileDelayMinutes: config.CHART_FILE_DELAY_MINUTES,
      ...(ports.now ? { now: ports.now } : {}),
    },
    readiness: [
      { name: 'postgres', check: async () => void (await db.$executeRaw`SELECT 1`) },
      { name: options.busName, check: () => bus.health() },
    ],
  });
  const sales = new SalesService({
    db,
    pool,
    geo,
    logger,
    charts: [LUMINATE_V1.chart],
    reportTimeZone: config.REPORT_TIME_ZONE,
  });
  return {
    app,
    geo,
    logger,
    db,
    pool,
    bus,
    captureStore,
    async consumeSales(partitions = config.SALES_TOPIC_PARTITIONS) {
      await seedChartRules(db, LUMINATE_VERSIONS);
      await ensureTopicPartitions(bus, config.SALES_TOPIC, partitions, logger);
      const subscription = await bus.subscribe({
        topics: [config.SALES_TOPIC],
        groupId: config.SALES_CONSUMER_GROUP,
        fromBeginning: true,
        handler: salesEventHandler(sales, logger, metrics),
      });
      // Units kept pending as upc_under_review get no event when ops resolves the UPC: re-plan them.
      const reviews = setInterval(
        () => void sales.replanUpcReviews().catch((err: unknown) => logger.error({ err }, 'UPC review re-plan failed')),
        UPC_REVIEW_REPLAN_MS,
      );
      reviews.unref();
      return {
        groupId: subscription.groupId,
        async stop() {
          clearInterval(reviews);
          await subscription.stop();
        },
      };
    },
  };
}
