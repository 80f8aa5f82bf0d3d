import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDb } from '@single/db';
import { applyMigrations } from '@single/db/migrations';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeShopifyAdmin, startFakeShopifyAdmin } from '../test-support/fake-shopify-admin.ts';
import { seedCatalogue } from '../test-support/fixtures.ts';
import { answerChecks, refusals } from './answers.ts';
import { type Fault, runFaults } from './faults.ts';
import { createLoad, mix } from './load.ts';
import { rabbitQueues, readSalesTopic } from './observe.ts';
import { type Platform, startPlatform } from './platform.ts';
import { stormServers, stormServersDown, stormServersUp } from './servers.ts';
import { type Answer, createSender, errorCode, OTHER_SHOP, STORM_SHOP, stormOrder } from './shopify-load.ts';
import { type SmtpRecorder, startSmtpRecorder } from './smtp-recorder.ts';
import {
  type Check,
  check,
  emailChecks,
  formatTable,
  grantChecks,
  logChecks,
  redactionChecks,
  salesChecks,
  tokensIn,
} from './verify.ts';

// Release day with faults (issue 15): every app as its own process on the storm's own PostgreSQL, Redis,
// RabbitMQ and Kafka (servers.ts: restarting them never touches the shared ones), a real SMTP server, signed
// orders at a steady rate with Shopify's mix of redeliveries, replays, forgeries and bad signatures, faults
// during the run, then a rolling restart under load. CI size by default; STORM=large for 50,000 at 1,000/s.

const large = process.env.STORM === 'large';
const ORDERS = Number(process.env.STORM_ORDERS ?? (large ? 50_000 : 3_000));
const RATE = large ? 1_000 : 200;
const SECRET = `storm-webhook-${randomBytes(12).toString('hex')}`;
const TOKEN_SECRET = `storm-token-${randomBytes(24).toString('hex')}`;
const FAN_SECRET = `storm-fan-hash-${randomBytes(24).toString('hex')}`;
const ACCESS_TOKEN = `shpat_storm_${randomBytes(16).toString('hex')}`;
const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const salesTopic = `sales.v1.storm-${runId}`;

let platform: Platform | undefined;
let smtp: SmtpRecorder | undefined;
let admin: FakeShopifyAdmin | undefined;
let pool: pg.Pool | undefined;
let databaseUrl = '';
const logDir = mkdtempSync(path.join(tmpdir(), 'storm-logs-'));

beforeAll(async () => {
  await stormServersUp();
  const adminUrl = new URL(stormServers.DATABASE_URL);
  const maintenance = new pg.Client({ connectionString: adminUrl.toString() });
  await maintenance.connect();
  await maintenance.query(`CREATE DATABASE "storm_${runId}"`);
  await maintenance.end();
  adminUrl.pathname = `/storm_${runId}`;
  databaseUrl = adminUrl.toString();
  await applyMigrations(databaseUrl);
  const db = createDb(databaseUrl, { maxConnections: 2 });
  await seedCatalogue(db, { shopDomain: STORM_SHOP });
  await db.$disconnect();
  pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  pool.on('error', () => undefined); // PostgreSQL restarts under it
  for (const domain of [STORM_SHOP, OTHER_SHOP])
    await pool.query(
      `INSERT INTO shop (domain, install_state, access_token, updated_at) VALUES ($1, 'installed', $2, now())`,
      [domain, ACCESS_TOKEN],
    );
  smtp = await startSmtpRecorder();
  admin = await startFakeShopifyAdmin();
  const common = {
    DATABASE_URL: databaseUrl,
    DD_TRACE_ENABLED: 'false',
    LOG_LEVEL: 'info',
    TRUSTED_PROXIES: '127.0.0.1/32,10.0.0.0/8',
    KAFKA_BROKERS: stormServers.KAFKA_BROKERS,
    SALES_TOPIC: salesTopic,
  };
  platform = await startPlatform({
    logDir,
    env: {
      'fulfillment-worker': {
        ...common,
        RABBITMQ_URL: stormServers.RABBITMQ_URL,
        SMTP_URL: smtp.url,
        DOWNLOAD_TOKEN_SECRETS: TOKEN_SECRET,
        FAN_HASH_SECRET: FAN_SECRET,
        DOWNLOAD_BASE_URL: 'https://dl.single.example',
        SHOPIFY_ADMIN_URL_TEMPLATE: admin.urlTemplate,
        // Compressed, so that a run ends: the ladder still outlasts every outage of the storm (~60 s).
        RETRY_DELAYS_MS: '1000,2000,4000,8000,15000,30000',
        OUTBOX_LEASE_MS: '30000',
        POLL_INTERVAL_MS: '200',
      },
      'webhook-dispatcher': {
        ...common,
        RABBITMQ_URL: stormServers.RABBITMQ_URL,
        REDIS_URL: stormServers.REDIS_URL,
        // The storm's Redis outlives a run: a prefix per run, or the fast path would take this run's refunds
        // and redactions (the same bodies each run) for the last run's.
        REDIS_KEY_PREFIX: `storm-${runId}:`,
        SHOPIFY_WEBHOOK_SECRETS: SECRET,
      },
      'geo-reporting': {
        ...common,
        SALES_CONSUMER_GROUP: `geo-reporting-${runId}`,
        GEOIP_RELOAD_INTERVAL_MS: '0',
      },
      'artist-api': {
        ...common,
        RABBITMQ_URL: stormServers.RABBITMQ_URL,
        REDIS_URL: stormServers.REDIS_URL,
        AUDIO_STORAGE_DIR: path.join(logDir, 'audio'),
      },
    },
  });
}, 300_000);

afterAll(async () => {
  await platform?.stop();
  await smtp?.close();
  await admin?.close();
  await pool?.end();
  if (process.env.STORM_KEEP_SERVERS === '1') return;
  // The run's database stays on disk when its server stops (a large run leaves gigabytes): dropped first.
  const maintenance = new pg.Client({ connectionString: stormServers.DATABASE_URL });
  try {
    await maintenance.connect();
    await maintenance.query(`DROP DATABASE IF EXISTS "storm_${runId}" WITH (FORCE)`);
  } catch {
    // The server is not answering: the database stays until its cluster is dropped.
  } finally {
    await Promise.race([maintenance.end().catch(() => undefined), new Promise((r) => setTimeout(r, 2_000))]);
  }
  await stormServersDown();
}, 180_000);

describe('release-day storm', () => {
  it(
    `${ORDERS} signed orders at ${RATE}/s with faults, then a rolling restart: nothing lost, nothing doubled`,
    async () => {
      const p = platform as Platform;
      const mail = smtp as SmtpRecorder;
      const db = pool as pg.Pool;
      // Retries until it gets an answer (Shopify retries for 4 hours): given up = never answered in the run.
      const sender = createSender({ retryForMs: large ? 1_800_000 : 300_000 });
      const load = createLoad({
        dispatcherUrl: p.http['webhook-dispatcher'].proxy.url,
        geoUrl: p.http['geo-reporting'].proxy.url,
        secret: SECRET,
        smtp: mail,
        sender,
      });
      const started = Date.now();

      // 1. The storm, with the faults while it runs.
      const faults: Fault[] = [];
      const faultRun = runFaults({ platform: p, smtp: mail, faults, scale: large ? 2 : 1 });
      const stormLoad = load.run({ from: 0, to: ORDERS, ratePerSecond: RATE, followUpTimeoutMs: 180_000 });
      await faultRun;
      const loadSeconds = (Date.now() - started) / 1000;

      // 2. Rolling restart of every app under a steady load, a tenth of the storm's rate with fans following their
      // links beside it (no fault now: nothing may fail).
      const rollingFrom = Date.now();
      const proxyRetries = () => Object.values(p.http).reduce((n, h) => n + h.proxy.retried, 0);
      const retriedBeforeRolling = proxyRetries();
      let rolling = true;
      const steps: string[] = [];
      const restart = p
        .rollingRestart((step) => steps.push(step))
        .finally(() => {
          rolling = false;
        });
      const linkLoad = followLinks(p, mail, sender.answers, () => rolling);
      const rollingLoad = load.run({
        from: ORDERS,
        to: ORDERS + (RATE / 10) * 180, // bounded: three minutes of rolling restart at most
        ratePerSecond: RATE / 10,
        followUpTimeoutMs: 180_000,
        until: () => !rolling,
      });
      await restart;
      const lastOrder = await rollingLoad;
      await linkLoad;
      await stormLoad;

      // 3. Drain: every accepted order's email received, no email pending or sending, every outbox and queue empty
      // (RabbitMQ's management figures lag up to 5 s).
      const { outcome } = load;
      const drainDeadline = Date.now() + (large ? 600_000 : 120_000);
      const recipients = new Set(outcome.accepted.map((o) => o.email));
      // Drained once everything reads empty twice, 6 s apart: the management API refreshes its figures every 5 s,
      // so one empty reading may predate a message just moved from a retry queue back to its work queue.
      let emptySince: number | undefined;
      while (Date.now() < drainDeadline) {
        const pending = await db
          .query<{ n: number }>(
            `SELECT ((SELECT count(*) FROM email_message WHERE status IN ('pending', 'sending'))
                   + (SELECT count(*) FROM sales_outbox WHERE published_at IS NULL)
                   + (SELECT count(*) FROM dispatch_outbox))::int AS n`,
          )
          .then((r) => r.rows[0]?.n ?? 1)
          .catch(() => 1);
        const queued = await rabbitQueues().then(
          (queues) => queues.reduce((n, q) => n + q.messages, 0),
          () => 1,
        );
        if (pending === 0 && queued === 0 && [...recipients].every((r) => mail.firstFor.has(r))) {
          emptySince ??= Date.now();
          if (Date.now() - emptySince >= 6_000) break;
        } else emptySince = undefined;
        await new Promise((r) => setTimeout(r, 1_000));
      }
      // No email is pending or sending now; a copy still on its way (a send that timed out) shows within seconds.
      await new Promise((r) => setTimeout(r, 5_000));
      const drainedSeconds = (Date.now() - started) / 1000;

      const units = outcome.accepted.reduce((n, o) => n + o.quantity, 0);
      const reversed = outcome.refunded.reduce((n, o) => n + o.quantity, 0);
      const events = await readSalesTopic(salesTopic, large ? 600_000 : 120_000);
      // RabbitMQ's management figures lag up to 5 s behind the queues: a message still settling at the drain shows
      // for one reading. Read until every queue is empty, for at most 30 s; one truly left still fails below.
      let queues = await rabbitQueues();
      for (const until = Date.now() + 30_000; queues.some((q) => q.messages > 0) && Date.now() < until; ) {
        await new Promise((r) => setTimeout(r, 2_000));
        queues = await rabbitQueues();
      }
      const deadLetters = queues.filter((q) => /dlq|dead/i.test(q.name) && q.messages > 0);
      const leftInQueues = queues.filter((q) => q.messages > 0);

      // Processes: none ended but those the storm stopped or killed; those stopped (SIGTERM), cleanly: exit
      // code 0 within their SHUTDOWN_TIMEOUT_MS (an app past it logs "killed by timeout" and exits 1).
      const describe = (a: (typeof p.all)[number]) => `${a.name} pid ${a.pid} ${JSON.stringify(a.exit())}`;
      const crashed = p.all.filter((a) => a.exit() && !p.endedOnPurpose.has(a)).map(describe);
      const uncleanStops = p.all
        .filter((a) => p.endedOnPurpose.has(a) && a.exit() && a.exit()?.signal !== 'SIGKILL' && a.exit()?.code !== 0)
        .map(describe);

      const logs = new Map(
        readdirSync(logDir)
          .filter((f) => f.endsWith('.log'))
          .map((f) => [f, readFileSync(path.join(logDir, f), 'utf8')] as const),
      );
      const sentOrders = [...Array.from({ length: lastOrder }, (_, i) => stormOrder(i)), ...outcome.neverValid];
      const refundedLinks = await refundedLinkAnswers(
        p,
        mail,
        outcome.refunded.map((o) => o.email),
      );

      const checks: Check[] = [
        check(
          'faults that could not be carried out',
          0,
          faults.filter((f) => f.error).length,
          faults.filter((f) => f.error),
        ),
        check('orders/paid not accepted after retries', 0, outcome.notAccepted.length, outcome.notAccepted),
        check('requests given up after retries', 0, sender.givenUp.length, sender.givenUp),
        ...answerChecks(sender.answers, faults, rollingFrom),
        // The proxy tries a refused or reset connection on the next replica, as an ingress would; during the
        // rolling restart that would hide a replica dropping requests on SIGTERM, so there it must not happen.
        check('rolling restart: connections retried on another replica', 0, proxyRetries() - retriedBeforeRolling),
        check(
          'proxy: requests that reached no replica',
          0,
          Object.values(p.http).reduce((n, h) => n + h.proxy.failed, 0),
        ),
        ...emailChecks(mail, outcome),
        ...(await grantChecks(db, outcome)),
        check(
          'refunded orders: links answered other than 404',
          0,
          refundedLinks.filter((s) => s !== 404).length,
          refundedLinks.filter((s) => s !== 404),
        ),
        ...(await redactionChecks(db, outcome)),
        ...salesChecks(events, outcome),
        check('dead-letter queues: messages', 0, deadLetters.length, deadLetters),
        check('queues with messages left', 0, leftInQueues.length, leftInQueues),
        check('processes crashed (other than the one killed)', 0, crashed.length, crashed),
        check('SIGTERM: processes not stopped cleanly in time', 0, uncleanStops.length, uncleanStops),
        logChecks(logs, [SECRET, TOKEN_SECRET, FAN_SECRET, ACCESS_TOKEN], sentOrders, tokensIn(mail)),
      ];
      const badInputs = Object.entries(outcome.sent)
        .filter(([k]) => /forged|bad-signature|replay|redelivery/.test(k))
        .reduce((n, [, v]) => n + v, 0);
      const facts: [string, string][] = [
        ['storm', `${ORDERS} orders at ${RATE}/s, then ${lastOrder - ORDERS} more during the rolling restart`],
        [
          'load held',
          `${outcome.accepted.length} orders accepted, storm + faults ${loadSeconds.toFixed(0)} s, drained at ${drainedSeconds.toFixed(0)} s`,
        ],
        ['requests sent', JSON.stringify(outcome.sent)],
        ['bad inputs tried', `${badInputs} (redeliveries, replays, forged headers, bad signatures)`],
        ['faults survived', faults.map((f) => `${f.name} (${((f.end - f.start) / 1000).toFixed(1)} s)`).join(', ')],
        ['rolling restart', steps.join(', ')],
        ['answers', JSON.stringify(countStatuses(sender.answers))],
        ['emails received', `${mail.received.length} for ${outcome.accepted.length} accepted orders`],
        ['sales.v1', `${events.length} events (${units} recorded + ${reversed} reversed expected)`],
        ['503s by code', refusals(sender.answers)],
        [
          'proxy: connections retried on another replica',
          `${proxyRetries()} (${proxyRetries() - retriedBeforeRolling} during the rolling restart)`,
        ],
        ['lost', String(outcome.accepted.filter((o) => !mail.firstFor.has(o.email)).length)],
        ['duplicated', String(duplicatedEmails(mail, outcome.accepted))],
        ['logs', logDir],
      ];
      console.log(`\n${formatTable(checks, facts)}\n`);
      expect(checks.filter((c) => !c.ok)).toEqual([]);
    },
    large ? 3_600_000 : 1_200_000,
  );
});

/** Copies beyond the first per accepted order's fan, plus emails to anyone else. */
function duplicatedEmails(mail: SmtpRecorder, accepted: { email: string }[]): number {
  const fans = new Set(accepted.map((o) => o.email));
  const perRecipient = new Map<string, number>();
  let stray = 0;
  for (const m of mail.received)
    for (const to of m.to) {
      if (!fans.has(to)) stray += 1;
      else perRecipient.set(to, (perRecipient.get(to) ?? 0) + 1);
    }
  return [...perRecipient.values()].reduce((n, count) => n + count - 1, 0) + stray;
}

function countStatuses(answers: Answer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of answers) {
    const key = a.error ? `${a.status} ${a.error}` : String(a.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** A distinct documentation address per request: the per-IP download limit is not what the storm tests. */
const fanAddress = (k: number) => `198.51.${Math.floor(k / 250) % 250}.${(k % 250) + 1}`;

/** Fans following the links in their emails (JSON landing, counts nothing) while `going()`: 200 expected. */
async function followLinks(p: Platform, mail: SmtpRecorder, answers: Answer[], going: () => boolean) {
  let k = 0;
  while (going()) {
    const message = mail.received[Math.floor(Math.random() * mail.received.length)];
    const index = Number(/storm\.fan(\d+)@/.exec(message?.to[0] ?? '')?.[1]);
    const token = message && /\/d\/([A-Za-z0-9_-]{20,})/.exec(message.source)?.[1];
    if (token && Number.isFinite(index) && !mix.refund(index)) {
      let status = 0;
      try {
        const response = await fetch(`${p.http['artist-api'].proxy.url}/d/${token}`, {
          headers: { accept: 'application/json', 'x-forwarded-for': `${fanAddress(10_000 + k++)}, 10.0.1.23` },
        });
        await response.arrayBuffer();
        status = response.status;
      } catch (error) {
        status = 0;
        answers.push({ kind: 'download-link', status, at: Date.now(), error: errorCode(error) });
        continue;
      }
      answers.push({ kind: 'download-link', status, at: Date.now() });
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A refunded order's link, as its fan would follow it (JSON landing): revoked links answer 404. */
async function refundedLinkAnswers(p: Platform, mail: SmtpRecorder, emails: string[]): Promise<number[]> {
  const statuses: number[] = [];
  for (const [k, email] of emails.entries()) {
    const message = mail.firstFor.get(email);
    const token = message && /\/d\/([A-Za-z0-9_-]{20,})/.exec(message.source)?.[1];
    if (!token) {
      statuses.push(-1);
      continue;
    }
    const response = await fetch(`${p.http['artist-api'].proxy.url}/d/${token}`, {
      headers: { accept: 'application/json', 'x-forwarded-for': `${fanAddress(k)}, 10.0.1.23` },
    });
    await response.arrayBuffer();
    statuses.push(response.status);
  }
  return statuses;
}
