import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  businessDate,
  CHART_TIME_ZONE,
  chartFileReadyAt,
  SALES_TOPIC,
  SALES_TOPIC_PARTITIONS,
} from '@single/contracts';
import { createDbOnPool } from '@single/db';
import { withServiceSession } from '@single/db/pool';
import { createLogger, type Logger } from '@single/logger';
import cliProgress from 'cli-progress';
import pg from 'pg';
import { chartFileEntry, luminateSalesDays } from './chart-link.ts';
import { FolderMailbox } from './embedded/mailbox.ts';
import { createDemoPorts } from './embedded/ports.ts';
import { type EmbeddedPostgres, startEmbeddedPostgres } from './embedded/postgres.ts';
import { serverDatabase } from './embedded/server-database.ts';
import { requestJson } from './storm/http.ts';
import { seed } from './storm/seed.ts';
import { plannedRequests, runStorm, waitFor } from './storm/storm.ts';
import { type AppState, collectSummary, type DemoSummary, formatSummary } from './summary.ts';

// The zero-setup demo: every app of the platform in one process on embedded defaults (PGlite, the
// in-memory broker, cache and event bus, GeoLite2 from npm, a local audio folder, a mailbox folder),
// wired through each app's own builder; then a release-day storm through the real HTTP endpoints.

const { values: args } = parseArgs({
  options: {
    ci: { type: 'boolean', default: false },
    orders: { type: 'string', default: '36' },
    downloads: { type: 'string', default: '6' },
    'preorder-in': { type: 'string' },
    'data-dir': { type: 'string' },
  },
});
const ci = args.ci === true;
const startedAt = Date.now();
const orders = Math.max(3, Number(args.orders));
const downloads = Math.max(0, Number(args.downloads));
// Interactive: the pre-order releases a minute in, while you watch. Headless: the artist moves the release to
// `--preorder-in` seconds after the storm has settled (below), so every pre-order was bought before it released
// however long the storm took on this machine.
const preorderInSeconds = Number(args['preorder-in'] ?? (ci ? 2 : 60));

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
// The migrated database snapshot is shared; a run's mailbox, audio and log go to --data-dir.
const cacheDir = path.join(repoRoot, '.data', 'demo');
const dataDir = path.resolve(args['data-dir'] ?? cacheDir);
const mailboxDir = path.join(dataDir, 'mailbox');
const audioDir = path.join(dataDir, 'audio');
await rm(mailboxDir, { recursive: true, force: true });
await rm(audioDir, { recursive: true, force: true });
await mkdir(mailboxDir, { recursive: true });
const logFile = path.join(dataDir, 'demo.log');
const logger: Logger = createLogger({ level: 'info', service: 'demo', destination: createWriteStream(logFile) });

const say = (line: string) => {
  if (!ci) process.stderr.write(`${line}\n`);
};
const env = process.env;
const ports = createDemoPorts(env, logger);

say(`▸ starting PostgreSQL (${ports.choice.postgres === 'pglite' ? 'PGlite, in memory' : 'DATABASE_URL'})…`);
let embedded: EmbeddedPostgres | undefined;
let databaseUrl: string;
let dropDatabase: (() => Promise<void>) | undefined;
if (env.DATABASE_URL) {
  const fresh = await serverDatabase(env.DATABASE_URL);
  databaseUrl = fresh.url;
  dropDatabase = fresh.drop;
} else {
  embedded = await startEmbeddedPostgres({ cacheDir });
  databaseUrl = embedded.url;
}
const pool = new pg.Pool(withServiceSession({ connectionString: databaseUrl, max: 4 }));
// Every query of the demo's own (seed, storm, settling, summary) goes through Prisma Client on that pool.
const db = createDbOnPool(pool);

const secret = `demo_${randomBytes(24).toString('hex')}`;
const downloadSecret = randomBytes(32).toString('hex');
const common = {
  HOST: '127.0.0.1',
  LOG_LEVEL: 'info',
  DATABASE_URL: databaseUrl,
  // The in-memory adapters take no URL; the configs still validate one, so they get a placeholder.
  RABBITMQ_URL: env.RABBITMQ_URL ?? 'amqp://in-memory',
  REDIS_URL: env.REDIS_URL ?? 'redis://in-memory',
  KAFKA_BROKERS: env.KAFKA_BROKERS ?? 'in-memory:9092',
  TRUSTED_PROXIES: '127.0.0.1/32,10.0.0.0/8',
  DD_TRACE_ENABLED: 'false',
};
const apps: DemoSummary['apps'] = {
  webhookDispatcher: 'not available yet',
  fulfillmentWorker: 'not available yet',
  geoReporting: 'not available yet',
  artistApi: 'not available yet',
  dashboard: 'not available yet',
};
const notes: string[] = [];
const closers: (() => Promise<void>)[] = [];
const child = (service: string) => logger.child({ service });

interface Listenable {
  app: { listen(options: { host: string; port: number }): Promise<string>; close(): Promise<unknown> };
  health: { shuttingDown: boolean };
}
/** Listens on the app's usual port when it is free (interactive), else on any free port. */
async function listen(http: Listenable, preferred: number): Promise<string> {
  try {
    return await http.app.listen({ host: '127.0.0.1', port: ci ? 0 : preferred });
  } catch {
    return http.app.listen({ host: '127.0.0.1', port: 0 });
  }
}
/** An app whose build is missing or broken is left out, and the summary says so. */
async function optional<T>(name: keyof DemoSummary['apps'], start: () => Promise<T>): Promise<T | undefined> {
  try {
    const started = await start();
    apps[name] = 'running';
    return started;
  } catch (err) {
    logger.error({ err, app: name }, 'app not started');
    notes.push(
      `${name} did not start (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); see ${logFile}`,
    );
    return undefined;
  }
}

// What the infrastructure provisions before the apps start (as scripts/infra.sh does for Kafka).
const provisioning = ports.events('demo-provisioning');
await provisioning.ensureTopics([SALES_TOPIC], SALES_TOPIC_PARTITIONS);
await provisioning.close();

say('▸ starting the apps…');
const artistApi = await optional('artistApi', async () => {
  const { loadArtistApiConfig, startEmbeddedArtistApi } = await import('@single/artist-api/embedded');
  const config = loadArtistApiConfig({ ...common, PORT: '0', AUDIO_STORAGE_DIR: audioDir });
  const started = await startEmbeddedArtistApi(config, { ...ports, logger: child('artist-api') });
  const url = await listen(started.api, 3003);
  closers.unshift(async () => {
    started.api.health.shuttingDown = true;
    await started.api.app.close();
    await started.close();
  });
  return { url };
});
const geo = await optional('geoReporting', async () => {
  const { loadGeoReportingConfig, runChartFileJob, startEmbeddedGeoReporting } = await import(
    '@single/geo-reporting/embedded'
  );
  // Reports need a credential: a service token of this run's own, printed with the links that use it.
  const token = randomBytes(24).toString('base64url');
  const config = loadGeoReportingConfig({
    ...common,
    PORT: '0',
    GEOIP_RELOAD_INTERVAL_MS: '0',
    GEO_REPORTS_TOKENS: token,
  });
  const started = await startEmbeddedGeoReporting(config, { ...ports, logger: child('geo-reporting') });
  const url = await listen(started.app, 3004);
  closers.unshift(async () => {
    started.app.health.shuttingDown = true;
    await started.app.app.close();
    await started.close();
  });
  const logger = child('geo-reporting');
  return {
    url,
    token,
    delayMinutes: config.CHART_FILE_DELAY_MINUTES,
    produceChartFiles: () => runChartFileJob(config, { logger }),
  };
});
// The dashboard's BFF and its built web app, in front of the artist API; sessions in the cache port (in memory).
const dashboard = await optional('dashboard', async () => {
  if (!artistApi) throw new Error('it needs the artist API');
  const { buildApp, defaultWebRoot } = await import('@single/dashboard');
  const store = ports.cache('dashboard:');
  const started = buildApp({
    logger: child('dashboard'),
    store,
    artistApiUrl: artistApi.url,
    sessionSecret: randomBytes(32).toString('hex'),
    sessionTtlSeconds: 8 * 3600,
    secureCookies: false,
    webRoot: defaultWebRoot(),
  });
  const url = await listen(started, 3005);
  closers.unshift(async () => {
    started.health.shuttingDown = true;
    await started.app.close();
    await store.close();
  });
  return { url, signInLinks: started.signInLinks };
});
const mailbox = new FolderMailbox(mailboxDir);
const worker = await optional('fulfillmentWorker', async () => {
  const { loadWorkerConfig, startEmbeddedWorker } = await import('@single/fulfillment-worker/embedded');
  const config = loadWorkerConfig({
    ...common,
    PORT: '0',
    DOWNLOAD_TOKEN_SECRETS: downloadSecret,
    FAN_HASH_SECRET: randomBytes(32).toString('hex'),
    DOWNLOAD_BASE_URL: artistApi?.url ?? 'http://127.0.0.1:3003',
    // Quick retries: a demo has no minutes to wait (production climbs 5 s, 30 s, 5 min, 30 min).
    RETRY_DELAYS_MS: '200,1000,5000',
    POLL_INTERVAL_MS: '250',
  });
  const started = await startEmbeddedWorker(config, { ...ports, logger: child('fulfillment-worker'), mail: mailbox });
  const url = await listen(started.worker.http, 3002);
  closers.unshift(async () => {
    await started.worker.http.app.close();
    await started.close();
  });
  return { url };
});
const dispatcher = await optional('webhookDispatcher', async () => {
  const { loadDispatcherConfig, startEmbeddedDispatcher } = await import('@single/webhook-dispatcher/embedded');
  const config = loadDispatcherConfig({ ...common, PORT: '0', SHOPIFY_WEBHOOK_SECRETS: secret });
  const started = await startEmbeddedDispatcher(config, { ...ports, logger: child('webhook-dispatcher') });
  const url = await listen(started.dispatcher, 3001);
  closers.unshift(async () => {
    started.dispatcher.health.shuttingDown = true;
    await started.dispatcher.app.close();
    await started.close();
  });
  return { url };
});

async function shutdown() {
  for (const close of closers) await close().catch((err: unknown) => logger.error({ err }, 'close failed'));
  await ports.close();
  await db.$disconnect();
  await pool.end();
  await embedded?.close();
  await dropDatabase?.();
}

if (!dispatcher || !artistApi) {
  process.stderr.write(`The demo needs the webhook dispatcher and the artist API: ${notes.join('; ')}\n`);
  await shutdown();
  process.exit(1);
}

say('▸ seeding the label, the artist, the shop, two releases, product mappings, an API key and audio files…');
let preorderInstant = new Date(Date.now() + (ci ? 3_600_000 : preorderInSeconds * 1000));
const seeded = await seed({ db, artistApiUrl: artistApi.url, audioDir, preorderInstant });

const bar =
  !ci && process.stderr.isTTY
    ? new cliProgress.SingleBar(
        { format: '▸ release-day storm |{bar}| {value}/{total} requests', hideCursor: true, stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
bar?.start(plannedRequests(orders, downloads, geo !== undefined), 0);
const deadline = Date.now() + 20_000;
const { sent, answers } = await runStorm({
  db,
  seeded,
  targets: { dispatcherUrl: dispatcher.url, geoUrl: geo?.url, artistApiUrl: artistApi.url },
  mailbox,
  secret,
  orders,
  downloads,
  fulfillment: worker !== undefined,
  progress: () => bar?.increment(),
  deadline,
});
bar?.stop();

// Let the pipeline settle: every accepted delivery published, every email out, every sales event located.
const unsentEmails = () => db.emailMessage.count({ where: { status: { not: 'sent' } } });
const availabilityEmailsSent = () => db.emailMessage.count({ where: { kind: 'preorder_available', status: 'sent' } });
await waitFor(async () => (await db.dispatchOutbox.count()) === 0, deadline);
if (worker) {
  await waitFor(async () => (await unsentEmails()) === 0, deadline);
  if (ci) {
    // The artist brings the release forward (PATCH /v1/releases/:id), as the dashboard would: the worker's
    // scheduler follows the catalogue, so the grants open and the fans are told at the new instant.
    preorderInstant = new Date(Date.now() + preorderInSeconds * 1000);
    const moved = await requestJson<{ releaseInstant: string }>(`${artistApi.url}/v1/releases/${seeded.preorder.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${seeded.apiKey}` },
      body: { releaseInstant: preorderInstant.toISOString() },
    });
    seeded.preorder.releaseInstant = moved.releaseInstant;
    say('▸ waiting for the pre-order to release…');
    const releaseDeadline = preorderInstant.getTime() + 20_000;
    await waitFor(async () => (await availabilityEmailsSent()) >= sent.orders.preorderUnits, releaseDeadline, 200);
    await waitFor(async () => (await unsentEmails()) === 0, releaseDeadline);
  }
  if (geo) {
    await waitFor(
      async () =>
        (await db.salesOutbox.count({ where: { publishedAt: null } })) === 0 &&
        (await db.salesOutbox.count()) === (await db.locatedSale.count()),
      Date.now() + 10_000,
    );
  }
}
if (!geo) notes.push('geo-reporting is not available yet: sales are not located.');
if (!worker) notes.push('fulfillment-worker is not available yet: deliveries are published but nobody fulfils them.');

// A chart file exists only for a closed New York business day: the last one with the demo's sales, or when
// the first one will exist (the storm's sales are "today" in New York).
const chartFile = geo
  ? chartFileEntry({
      now: new Date(),
      geoUrl: geo.url,
      token: geo.token,
      delayMinutes: geo.delayMinutes,
      salesDays: await luminateSalesDays(db),
    })
  : undefined;
// A sign-in link for the seeded label's dashboard key (admin of its account), good once (a second use is refused)
// for 15 minutes.
const dashboardLink = dashboard
  ? `${dashboard.url}/auth/link/${await dashboard.signInLinks.issue(seeded.dashboardKey)}`
  : undefined;
const urls: Record<string, string> = {
  ...(dashboardLink ? { 'dashboard (one-time link)': dashboardLink } : {}),
  'API docs': `${artistApi.url}/docs`,
  ...(answers.workingDownloadLink ? { 'a download link': answers.workingDownloadLink } : {}),
  'sales summary': `curl -H 'authorization: Bearer ${seeded.apiKey}' '${artistApi.url}/v1/sales/summary?releaseId=${seeded.outNow.id}'`,
  'chart CSV (artist API)': `curl -H 'authorization: Bearer ${seeded.apiKey}' '${artistApi.url}/v1/sales/chart.csv?releaseId=${seeded.outNow.id}'`,
  ...(chartFile ? { 'chart file (Luminate)': chartFile } : {}),
  'webhook endpoint': `${dispatcher.url}/webhooks/shopify`,
  mailbox: mailboxDir,
  ...(embedded ? { psql: `psql ${embedded.url}` } : {}),
  logs: logFile,
};
const summary = await collectSummary({
  db,
  startedAt,
  servers: ports.choice,
  apps: apps as Record<keyof DemoSummary['apps'], AppState>,
  seeded,
  sent,
  answers,
  urls,
  notes,
  mailboxCount: (await mailbox.read()).length,
});

if (ci) {
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  await shutdown();
  process.exit(0);
}
process.stdout.write(formatSummary(summary));
process.stdout.write('\nStill serving: press Ctrl-C to stop.\n');

// The pre-order is still ahead: say so when its scheduler releases it.
if (summary.preorder.grantsScheduled > 0) {
  let announced = false;
  const watch = setInterval(async () => {
    if (announced) return;
    const activated = await db.downloadGrant
      .count({ where: { releaseId: seeded.preorder.id, activatedAt: { not: null } } })
      .catch(() => 0);
    if (activated > 0 && Date.now() > preorderInstant.getTime()) {
      announced = true;
      clearInterval(watch);
      // The scheduler has just activated the grants; their emails follow within a poll or two.
      await new Promise((r) => setTimeout(r, 2_000));
      const emails = await availabilityEmailsSent().catch(() => 0);
      process.stdout.write(
        `\n▸ "${seeded.preorder.title}" is out: ${activated} pre-order grants activated, ${emails} fans emailed (${mailboxDir}).\n`,
      );
    }
  }, 1_000);
  watch.unref();
}
// The chart's CronJob, in process: after each New York midnight (plus its delay) the closed day's file is made.
if (geo) {
  const scheduleChartFiles = () => {
    const today = businessDate(new Date(), CHART_TIME_ZONE);
    const at = chartFileReadyAt(today, CHART_TIME_ZONE, geo.delayMinutes).getTime();
    setTimeout(
      async () => {
        const files = await geo.produceChartFiles().catch(() => []);
        for (const file of files.filter((f) => f.stored))
          process.stdout.write(`\n▸ chart file ${file.chart} ${file.date}: ${file.lines} lines (${file.sha256}).\n`);
        scheduleChartFiles();
      },
      Math.max(0, at - Date.now()),
    ).unref();
  };
  scheduleChartFiles();
}
let stopping = false;
const stop = async () => {
  if (stopping) process.exit(1);
  stopping = true;
  process.stdout.write('\nStopping…\n');
  await shutdown();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
