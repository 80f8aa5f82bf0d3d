import type { Command } from 'commander';
import { usageError } from '../exit-codes.ts';
import { dateRange, type ProducedFile, produceChartFile } from '../ops/reports.ts';
import type { Context } from './context.ts';

/**
 * `cmdr reports produce`: has geo-reporting make closed days' chart files now, as its CronJob does after New
 * York midnight (a missed run, or a day to redo). A day regenerated with no change keeps its bytes.
 */
export function registerReportProduce(reports: Command, context: () => Context) {
  reports
    .command('produce')
    .description("make closed business days' chart files now (what the nightly job does)")
    .requiredOption('--chart <chart>', 'e.g. luminate')
    .option('--date <date>', 'one business day (YYYY-MM-DD)')
    .option('--from <date>', 'first day of a range')
    .option('--to <date>', 'last day of a range')
    .action(async (options: { chart: string; date?: string; from?: string; to?: string }) => {
      const ctx = context();
      const days = options.date
        ? dateRange(options.date, options.date)
        : options.from && options.to
          ? dateRange(options.from, options.to)
          : undefined;
      if (days === undefined) throw usageError('give --date, or --from and --to');
      const { GEO_REPORTING_URL: base, GEO_REPORTS_TOKEN: token } = ctx.ops();
      const progress = ctx.output.progress('produce');
      const files: ProducedFile[] = [];
      for (const [i, day] of days.entries()) {
        files.push(await produceChartFile(base, options.chart, day, token));
        progress(i + 1, days.length);
      }
      ctx.output.result(files, () =>
        files
          .map(
            (f) =>
              `${f.chart} ${f.date} ${f.lines} line(s) sha256 ${f.sha256} ${f.stored ? 'produced' : 'unchanged (already there)'}`,
          )
          .join('\n'),
      );
    });
}
