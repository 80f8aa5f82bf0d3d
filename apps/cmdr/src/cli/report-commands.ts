import type { Command } from 'commander';
import { usageError } from '../exit-codes.ts';
import { dateRange, type ProducedFile, produceChartFile } from '../ops/reports.ts';
import type { Context } from './context.ts';

/** `--date`, or `--from` and `--to`: how `reports produce` and `reports export` name their business days. */
export function withDayOptions(command: Command): Command {
  return command
    .option('--date <date>', 'one business day (YYYY-MM-DD)')
    .option('--from <date>', 'first day of a range')
    .option('--to <date>', 'last day of a range');
}

/** The business days those options name. */
export function chosenDays(options: { date?: string; from?: string; to?: string }): string[] {
  if (options.date) return dateRange(options.date, options.date);
  if (options.from && options.to) return dateRange(options.from, options.to);
  throw usageError('give --date, or --from and --to');
}

/**
 * `cmdr reports produce`: has geo-reporting make closed days' chart files now, as its CronJob does after New
 * York midnight (a missed run, or a day to redo). A day regenerated with no change keeps its bytes.
 */
export function registerReportProduce(reports: Command, context: () => Context) {
  withDayOptions(
    reports
      .command('produce')
      .description("make closed business days' chart files now (what the nightly job does)")
      .requiredOption('--chart <chart>', 'e.g. luminate'),
  ).action(async (options: { chart: string; date?: string; from?: string; to?: string }) => {
    const ctx = context();
    const days = chosenDays(options);
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
