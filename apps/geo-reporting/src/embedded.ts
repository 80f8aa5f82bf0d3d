import type { GeoReportingApp } from './app.ts';
import type { GeoReportingConfig } from './config.ts';
import { type GeoReportingPorts, wireGeoReporting } from './runtime.ts';
import { warmDb } from './support/db.ts';

export { type GeoReportingConfig, loadGeoReportingConfig } from './config.ts';
/** The chart-file job, once (the chart's CronJob): for a host that schedules it itself (the demo). */
export { runChartFileJob } from './reports/chart-file-job.ts';

/** The adapters a host process hands in (the zero-setup demo: the in-memory event bus, or Kafka). */
export type EmbeddedGeoPorts = GeoReportingPorts;

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
  const { app, geo, db, pool, bus, captureStore, consumeSales } = wireGeoReporting(config, ports, {
    busName: 'events',
  });
  await warmDb(db);
  await geo.load();
  const subscription = await consumeSales();
  return {
    app,
    async close() {
      geo.close();
      await subscription.stop();
      await captureStore.drained();
      await bus.close();
      await db.$disconnect();
      await pool.end();
    },
  };
}
