// The chart-file job's entry point (the chart's CronJob, after New York midnight): one run, then exit.
// Like main.ts, the only other place with side effects.
import { createLogger } from '@single/logger';
import { loadGeoReportingConfig } from './config.ts';
import { runChartFileJob } from './reports/chart-file-job.ts';

const config = loadGeoReportingConfig(process.env);
const logger = createLogger({ level: config.LOG_LEVEL, service: 'geo-reporting', base: { job: 'chart-files' } });
try {
  const files = await runChartFileJob(config, { logger });
  logger.info({ files: files.length, stored: files.filter((f) => f.stored).length }, 'chart-file job done');
} catch (err) {
  logger.error({ err }, 'chart-file job failed');
  process.exitCode = 1;
}
