import { sqlOf } from '@single/db';
import {
  listFailedOutbox,
  type OutboxKind,
  type RedriveOutcome,
  redriveFailedOutbox,
} from '@single/db/commands/outbox-redrive';
import type { Command } from 'commander';
import { usageError } from '../exit-codes.ts';
import type { Context } from './context.ts';
import { positiveInt } from './options.ts';
import { table } from './output.ts';

const KINDS: readonly OutboxKind[] = ['email', 'fulfillment'];

const outboxKind = (value: string): OutboxKind => {
  if (!KINDS.includes(value as OutboxKind)) throw usageError(`--kind is one of ${KINDS.join(', ')}, got "${value}"`);
  return value as OutboxKind;
};

function describeRedrive(result: RedriveOutcome): string {
  const verb = result.dryRun ? 'would redrive' : 'redriven';
  return [
    `${verb} ${result.redriven.length} failed ${result.kind} row(s)${result.dryRun ? ' (dry run: nothing changed)' : ''}`,
    ...result.redriven.map((id) => `  ${id}`),
    ...result.skipped.map((s) => `  skipped ${s.id}: ${s.reason}`),
  ].join('\n');
}

/**
 * The worker's failed emails and Shopify fulfilments (issue 15), with the dead-letter queue's shape: list,
 * then redrive by id or all, with a dry run. The rows belong to the fulfillment worker: cmdr goes through
 * the command @single/db exports for it, on cmdr's Prisma client (`sqlOf`).
 */
export function registerOutboxCommands(program: Command, context: () => Context) {
  const outbox = program
    .command('outbox')
    .description("the fulfillment worker's failed emails and Shopify fulfilments (alarm: fulfillment_outbox_failed)");
  outbox
    .command('list')
    .description('failed rows, newest first (no recipient addresses are shown)')
    .option('--kind <kind>', KINDS.join(' or '), outboxKind, 'email' as OutboxKind)
    .option('--limit <n>', 'rows to show', positiveInt, 20)
    .action(async (options: { kind: OutboxKind; limit: number }) => {
      const ctx = context();
      const result = await ctx.withDb((db) => listFailedOutbox(sqlOf(db), options.kind, { limit: options.limit }));
      ctx.output.result(
        result,
        () =>
          `${result.total} failed ${result.kind} row(s)\n${table(result.items as unknown as Record<string, unknown>[], ['id', 'kind', 'attempts', 'errorClass', 'lastError', 'failedAt', 'redrivable'])}`,
      );
    });
  outbox
    .command('redrive')
    .description('put failed rows back to pending with a fresh retry ladder (same Message-ID / idempotency key)')
    .argument('[ids...]', 'row ids (uuid); or --all')
    .option('--kind <kind>', KINDS.join(' or '), outboxKind, 'email' as OutboxKind)
    .option('--all', 'every failed row a new attempt can help (not no_recipient, not grants_revoked)', false)
    .option('--limit <n>', 'rows at most with --all', positiveInt, 10_000)
    .option('--dry-run', 'show what would be redriven, change nothing', false)
    .action(async (ids: string[], options: { kind: OutboxKind; all: boolean; limit: number; dryRun: boolean }) => {
      const ctx = context();
      if (ids.length > 0 === options.all) throw usageError('give either row ids or --all');
      const result = await ctx.withDb((db) =>
        redriveFailedOutbox(sqlOf(db), options.kind, {
          ...(options.all ? { all: true, limit: options.limit } : { ids }),
          dryRun: options.dryRun,
        }),
      );
      ctx.output.result(result, () => describeRedrive(result));
    });
}
