import { createDb } from '@single/db';
import type { Logger } from '@single/logger';
import { LUMINATE_VERSIONS } from '../charts/rules.ts';
import type { GeoReportingConfig } from '../config.ts';
import { seedChartRules } from '../sales/sales.repository.ts';
import { type ProducedFile, produceDueChartFiles } from './chart-files.ts';

/**
 * The scheduled job, once: connects, makes the due chart files (chart-files.ts), disconnects. The chart's
 * CronJob runs it after New York midnight through produce-chart-files.ts; cmdr reports produce does one day
 * on demand through the service.
 */
export async function runChartFileJob(
  config: GeoReportingConfig,
  options: { logger: Logger; now?: Date },
): Promise<ProducedFile[]> {
  const db = createDb(config.DATABASE_URL, { maxConnections: 2 });
  try {
    await seedChartRules(db, LUMINATE_VERSIONS); // as the service does on start, for a database it never saw
    const files = await produceDueChartFiles(db, {
      now: options.now ?? new Date(),
      retailerAccount: config.LUMINATE_RETAILER_ACCOUNT,
      catchUpDays: config.CHART_FILE_CATCH_UP_DAYS,
    });
    for (const file of files) options.logger.info(file, file.stored ? 'chart file produced' : 'chart file unchanged');
    return files;
  } finally {
    await db.$disconnect();
  }
}
