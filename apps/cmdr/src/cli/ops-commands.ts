import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createAmqpMessaging, type Messaging } from '@single/messaging';
import type { Command } from 'commander';
import { CmdrError, ExitCode, usageError } from '../exit-codes.ts';
import { createAccount, createKey, KEY_SCOPES, revokeKey } from '../ops/accounts.ts';
import { DEFAULT_DLQ, listDlq, redriveDlq } from '../ops/dlq.ts';
import { getMaintenance, maintenanceService, setMaintenance } from '../ops/maintenance.ts';
import { type ExportedFile, fetchChartFile } from '../ops/reports.ts';
import { installShopCommand, writeDataRequestExport } from '../ops/shops.ts';
import { describeConflict, listConflicts, resolveConflict } from '../ops/upc-conflicts.ts';
import { listDeliveries, replayOne, replaySince } from '../ops/webhooks.ts';
import type { Context } from './context.ts';
import { positiveInt } from './options.ts';
import { parseSince, table } from './output.ts';
import { chosenDays, registerReportProduce, withDayOptions } from './report-commands.ts';

const SINCE_HELP =
  '30m, 2h, 7d (ago), a date YYYY-MM-DD (from 00:00 America/New_York, the business day) or an instant with offset; 1900-2199';

const since = (value: string) => {
  try {
    return parseSince(value);
  } catch (error) {
    throw usageError((error as Error).message);
  }
};

async function withMessaging<T>(ctx: Context, work: (messaging: Messaging) => Promise<T>): Promise<T> {
  const { RABBITMQ_URL: url, CMDR_CONNECT_TIMEOUT_MS: timeoutMs } = ctx.ops();
  const messaging = createAmqpMessaging({ url, connectionName: 'cmdr', topology: { exchanges: [], queues: [] } });
  try {
    try {
      await messaging.waitUntilConnected(timeoutMs);
    } catch (error) {
      throw new CmdrError(`RabbitMQ unavailable: ${(error as Error).message}`, ExitCode.unavailable);
    }
    return await work(messaging);
  } finally {
    await messaging.close();
  }
}

export function registerOpsCommands(program: Command, context: () => Context) {
  const accounts = program.command('accounts').description('artist and label accounts');
  accounts
    .command('create')
    .requiredOption('--name <name>')
    .option('--kind <kind>', 'artist or label', 'artist')
    .action(async (options: { name: string; kind: string }) => {
      const ctx = context();
      const account = await ctx.withDb((db) => createAccount(db, options));
      ctx.output.result(account, () => `created ${account.kind} account ${account.id} (${account.name})`);
    });

  const shops = program.command('shops').description('connected Shopify storefronts');
  shops
    .command('install')
    .description('connect a shop, or reconnect one that uninstalled the app (its new orders fulfil again)')
    .requiredOption('--domain <domain>', 'the myshopify domain, e.g. my-label.myshopify.com')
    .option('--account <id>', 'account id (uuid); required for a new shop')
    .action(async (options: { domain: string; account?: string }) => {
      const ctx = context();
      const shop = await ctx.withDb((db) =>
        installShopCommand(db, { domain: options.domain, accountId: options.account }),
      );
      ctx.output.result(
        shop,
        () =>
          `${shop.existed ? `reinstalled (was ${shop.previousState})` : 'installed'} shop ${shop.domain} ${shop.id}`,
      );
    });

  shops
    .command('data-request')
    .description("write a customers/data_request export to a file (mode 0600: it holds fans' personal data)")
    .requiredOption('--domain <domain>', 'the shop that sent the request')
    .requiredOption('--id <id>', "the export's id, or Shopify's data request id")
    .requiredOption('--out <file>', 'where to write the JSON')
    .action(async (options: { domain: string; id: string; out: string }) => {
      const ctx = context();
      const path = resolve(ctx.io.cwd, options.out);
      const written = await ctx.withDb((db) =>
        writeDataRequestExport(db, { domain: options.domain, id: options.id, path }),
      );
      ctx.output.result(
        written,
        () =>
          `wrote export ${written.id} (${written.orders} orders, expires ${written.expiresAt.toISOString()}) to ${path}`,
      );
    });

  const keys = program.command('keys').description('API keys of an account');
  keys
    .command('create')
    .requiredOption('--account <id>', 'account id (uuid)')
    .requiredOption('--name <name>', 'what the key is for')
    .option('--scopes <scopes>', `comma-separated: ${KEY_SCOPES.join(', ')}`, 'read')
    .action(async (options: { account: string; name: string; scopes: string }) => {
      const ctx = context();
      const scopes = options.scopes
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const key = await ctx.withDb((db) => createKey(db, { accountId: options.account, name: options.name, scopes }));
      ctx.output.result(
        key,
        () => `created key ${key.id} [${key.scopes.join(',')}]\n${key.secret}\n(shown once: store it now)`,
      );
    });
  keys
    .command('revoke')
    .argument('<keyId>')
    .option('--cascade', 'also revoke every key this key minted (directly or not)', false)
    .action(async (keyId: string, options: { cascade: boolean }) => {
      const ctx = context();
      const result = await ctx.withDb((db) => revokeKey(db, keyId, options));
      ctx.output.result(result, () =>
        [
          `${result.alreadyRevoked ? 'already revoked' : 'revoked'} key ${keyId}`,
          ...result.minted.map(
            (k) =>
              `  minted ${k.id} [${k.scopes.join(',')}] ${k.revokedAt ? 'revoked' : 'ACTIVE (revoke with --cascade)'}`,
          ),
        ].join('\n'),
      );
    });

  const upcConflicts = program
    .command('upc-conflicts')
    .description('UPCs claimed by more than one account: neither charts until ops names the owner');
  upcConflicts
    .command('list')
    .option('--all', 'resolved conflicts too', false)
    .action(async (options: { all: boolean }) => {
      const ctx = context();
      const conflicts = await ctx.withDb((db) => listConflicts(db, options));
      ctx.output.result(conflicts, () =>
        conflicts.length === 0 ? 'no UPC conflicts' : conflicts.map(describeConflict).join('\n'),
      );
    });
  upcConflicts
    .command('resolve')
    .argument('<conflictId>')
    .requiredOption('--owner <releaseId>', 'the release that owns the UPC (the others are rejected for it)')
    .action(async (conflictId: string, options: { owner: string }) => {
      const ctx = context();
      const conflict = await ctx.withDb((db) =>
        resolveConflict(db, { conflictId, ownerReleaseId: options.owner, resolvedBy: 'cmdr' }),
      );
      ctx.output.result(conflict, () => describeConflict(conflict));
    });

  const webhooks = program.command('webhooks').description("the webhook dispatcher's delivery log");
  webhooks
    .command('list')
    .option('--since <when>', SINCE_HELP, since)
    .option('--topic <topic>')
    .option('--shop <domain>')
    .option('--status <status>', 'received, published or failed')
    .option('--limit <n>', 'rows', positiveInt, 50)
    .action(async (options: { since?: Date; topic?: string; shop?: string; status?: string; limit: number }) => {
      const ctx = context();
      const rows = await ctx.withDb((db) => listDeliveries(db, options));
      ctx.output.result(rows, () =>
        table(rows as unknown as Record<string, unknown>[], [
          'id',
          'shopDomain',
          'topic',
          'status',
          'receivedAt',
          'replayable',
          'pendingPublishes',
        ]),
      );
    });
  webhooks
    .command('replay')
    .description("re-publish one delivery, or every delivery since a time (the dispatcher's relay publishes them)")
    .argument('[deliveryId]')
    .option('--since <when>', SINCE_HELP, since)
    .option('--topic <topic>')
    .option('--shop <domain>')
    .action(async (deliveryId: string | undefined, options: { since?: Date; topic?: string; shop?: string }) => {
      const ctx = context();
      if ((deliveryId === undefined) === (options.since === undefined)) {
        throw usageError('give either a delivery id or --since');
      }
      const summary = await ctx.withDb((db) =>
        deliveryId !== undefined
          ? replayOne(db, deliveryId, ctx.actor())
          : replaySince(db, {
              since: options.since as Date,
              requestedBy: ctx.actor(),
              ...(options.topic ? { topic: options.topic } : {}),
              ...(options.shop ? { shop: options.shop } : {}),
              onProgress: ctx.output.progress('replay'),
            }),
      );
      ctx.output.result(summary, () =>
        [
          `queued ${summary.queued.length} replay(s)`,
          ...(summary.expired.length ? [`payload purged, not replayed: ${summary.expired.join(', ')}`] : []),
        ].join('\n'),
      );
    });

  const dlq = program.command('dlq').description('dead-letter queues');
  dlq
    .command('list')
    .option('--queue <queue>', 'dead-letter queue', DEFAULT_DLQ)
    .option('--limit <n>', 'messages to show', positiveInt, 20)
    .action(async (options: { queue: string; limit: number }) => {
      const ctx = context();
      const result = await withMessaging(ctx, (m) => listDlq(m, options.queue, options.limit));
      ctx.output.result(
        result,
        () =>
          `${result.queue}: ${result.total} message(s)\n${table(result.items as unknown as Record<string, unknown>[], ['messageId', 'originalQueue', 'reason', 'errorClass', 'retryCount'])}`,
      );
    });
  dlq
    .command('redrive')
    .description('move dead-lettered messages back to their original queues')
    .option('--queue <queue>', 'dead-letter queue', DEFAULT_DLQ)
    .option('--limit <n>', 'messages at most', positiveInt, 10_000)
    .action(async (options: { queue: string; limit: number }) => {
      const ctx = context();
      const result = await withMessaging(ctx, (m) =>
        redriveDlq(m, options.queue, { limit: options.limit, onProgress: ctx.output.progress('redrive') }),
      );
      ctx.output.result(
        { queue: options.queue, ...result },
        () =>
          `redriven ${result.redriven}, skipped ${result.skipped} (unknown origin), ${result.remaining} left in ${options.queue}`,
      );
    });

  const maintenance = program.command('maintenance').description('runtime maintenance mode (the app answers 503)');
  for (const state of ['on', 'off'] as const) {
    maintenance
      .command(state)
      .option('--service <name>', 'app with a runtime switch', 'webhook-dispatcher')
      .option('--for <minutes>', 'turn itself off after this many minutes (on only)', positiveInt)
      .action(async (options: { service: string; for?: number }) => {
        const ctx = context();
        const service = maintenanceService(options.service);
        const ttlMs = state === 'on' && options.for ? options.for * 60_000 : undefined;
        const result = await setMaintenance(ctx.ops().REDIS_URL, service, state === 'on', ttlMs ? { ttlMs } : {});
        ctx.output.result(result, () => `maintenance ${state} for ${service} (applies within about a second)`);
      });
  }
  maintenance
    .command('status')
    .option('--service <name>', 'app with a runtime switch', 'webhook-dispatcher')
    .action(async (options: { service: string }) => {
      const ctx = context();
      const result = await getMaintenance(ctx.ops().REDIS_URL, maintenanceService(options.service));
      ctx.output.result(result, () => `maintenance ${result.on ? 'on' : 'off'} for ${result.service}`);
    });

  const reports = program.command('reports').description('chart report files (geo-reporting; GEO_REPORTS_TOKEN)');
  registerReportProduce(reports, context);
  withDayOptions(reports.command('export').requiredOption('--chart <chart>', 'e.g. luminate-us'))
    .option('--out <dir>', 'write <chart>-<date>.csv files here (default: print one file to stdout)')
    .action(async (options: { chart: string; date?: string; from?: string; to?: string; out?: string }) => {
      const ctx = context();
      const days = chosenDays(options);
      if (days.length > 1 && !options.out) throw usageError('a range needs --out <dir>');
      const base = ctx.ops().GEO_REPORTING_URL;
      const progress = ctx.output.progress('export');
      const files: (Omit<ExportedFile, 'content'> & { path?: string })[] = [];
      for (const [i, day] of days.entries()) {
        const file = await fetchChartFile(base, options.chart, day, ctx.ops().GEO_REPORTS_TOKEN);
        const { content, ...meta } = file;
        if (options.out) {
          const dir = resolve(ctx.io.cwd, options.out);
          mkdirSync(dir, { recursive: true });
          const path = join(dir, `${file.chart}-${file.date}.csv`);
          writeFileSync(path, content);
          files.push({ ...meta, path });
        } else {
          if (!ctx.output.json) ctx.io.out(content);
          files.push(meta);
        }
        progress(i + 1, days.length);
      }
      if (options.out || ctx.output.json) {
        ctx.output.result(files, () => files.map((f) => `${f.path} ${f.bytes} bytes sha256 ${f.sha256}`).join('\n'));
      }
    });
}
