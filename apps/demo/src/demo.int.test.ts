import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoSummary } from './summary.ts';

// Runs the demo headless from the built workspace, as `npm run demo -- --ci` does, with none of the real
// servers configured, and checks every number of its summary against what its storm says it sent.

const demoDir = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

describe('zero-setup demo (--ci)', () => {
  let summary: DemoSummary;
  let dataDir: string;
  let wallMs: number;

  beforeAll(async () => {
    if (!existsSync(path.join(demoDir, 'dist', 'main.js'))) throw new Error('build first: pnpm exec turbo run build');
    dataDir = await mkdtemp(path.join(tmpdir(), 'single-demo-'));
    const env: NodeJS.ProcessEnv = { ...process.env, DD_TRACE_ENABLED: 'false' };
    for (const name of ['DATABASE_URL', 'RABBITMQ_URL', 'REDIS_URL', 'KAFKA_BROKERS']) delete env[name];
    const started = Date.now();
    const { stdout } = await run(
      process.execPath,
      ['--import', '@single/tracing/register', 'dist/main.js', '--ci', '--data-dir', dataDir],
      { cwd: demoDir, env, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 },
    );
    wallMs = Date.now() - started;
    summary = JSON.parse(stdout) as DemoSummary;
  }, 120_000);

  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('runs every app on the embedded defaults', () => {
    expect(summary.servers).toEqual({ postgres: 'pglite', rabbitmq: 'memory', redis: 'memory', kafka: 'memory' });
    expect(summary.apps).toEqual({
      webhookDispatcher: 'running',
      fulfillmentWorker: 'running',
      geoReporting: 'running',
      artistApi: 'running',
      dashboard: 'running',
    });
    // The dashboard's one-time sign-in link (its single use: apps/dashboard sign-in-link.int.test.ts).
    expect(summary.urls['dashboard (one-time link)']).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/auth\/link\/[\w-]{43}$/);
    // Generous for a loaded CI machine; the README's 30 s is measured on an idle one.
    expect(wallMs).toBeLessThan(60_000);
  });

  it('accepts each genuine delivery once: retries and replays are duplicates, forgeries are refused', () => {
    const { webhooks } = summary.sent;
    expect(webhooks.genuine).toBeGreaterThan(0);
    expect(webhooks.retries + webhooks.replays).toBeGreaterThan(0);
    expect(webhooks.forgedHeaders).toBeGreaterThan(0);
    expect(webhooks.badSignatures).toBeGreaterThan(0);
    expect(summary.deliveries).toEqual({
      accepted: webhooks.genuine,
      duplicate: webhooks.retries + webhooks.replays,
      rejected: { badSignature: webhooks.badSignatures, invalidHeaders: webhooks.forgedHeaders, other: 0 },
      stored: webhooks.genuine,
      published: webhooks.genuine,
    });
  });

  it('turns each paid order into grants and one email, the refund into a revoked grant', () => {
    const { orders, refunds } = summary.sent;
    expect(summary.orders).toBe(orders.paid);
    const units = orders.outNowUnits + orders.preorderUnits;
    expect(summary.grants).toEqual({
      issued: units,
      active: units - refunds.units,
      scheduled: 0,
      revoked: refunds.units,
      byRelease: { 'Low Tide': orders.outNowUnits, 'High Water': orders.preorderUnits },
    });
    expect(summary.emails).toEqual({
      sent: orders.paid + orders.preorderUnits,
      pending: 0,
      byKind: { order_downloads: orders.paid, preorder_available: orders.preorderUnits },
      inMailbox: orders.paid + orders.preorderUnits,
    });
    expect(summary.privacy.dataRequestsExported).toBe(summary.sent.privacyRequests);
  });

  it('releases the pre-order on time: every scheduled grant activated and its fan told', () => {
    expect(summary.preorder.released).toBe(true);
    expect(summary.preorder.grantsScheduled).toBe(0);
    expect(summary.preorder.grantsActivated).toBe(summary.sent.orders.preorderUnits);
    expect(summary.preorder.availabilityEmails).toBe(summary.sent.orders.preorderUnits);
  });

  it('serves the links from the emails, and not the refunded one', () => {
    const { attempted, ofRefundedOrder } = summary.sent.downloads;
    expect(ofRefundedOrder).toBe(1);
    expect(summary.downloads).toEqual({
      answered: { '200': attempted - ofRefundedOrder, '404': ofRefundedOrder },
      counted: attempted - ofRefundedOrder,
    });
    expect(summary.urls['a download link']).toMatch(/\/d\/[A-Za-z0-9_-]{43}$/);
  });

  it('locates every sale where its fan is, from the billing address or the checkout capture', () => {
    const { orders, refunds, unitsByFanCountry, captures } = summary.sent;
    const units = orders.outNowUnits + orders.preorderUnits;
    expect(captures.withSpoofedHeader).toBeGreaterThan(0);
    expect(summary.captures.answered).toEqual({ '204': captures.sent });
    expect(summary.captures.stored).toBe(captures.sent);
    const redeemed = summary.downloads.counted;
    expect(summary.sales).toEqual({
      eventsPublished: units + redeemed + refunds.units,
      located: units + redeemed + refunds.units,
      byTerritory: unitsByFanCountry,
      bySource: {
        billing_address: orders.unitsWithBillingAddress,
        geo_capture: units - orders.unitsWithBillingAddress,
      },
      reversed: refunds.units,
    });
  });

  it("names the chart file of a closed New York day with the demo's sales, or when the first one exists", () => {
    // The storm sells "today" in New York, so no day with its sales is closed yet.
    expect(summary.urls['chart file (Luminate)']).toMatch(
      /^the first chart file, for (\d{4}-\d{2}-\d{2}), is made by the demo's chart-file job at \d{4}-\d{2}-\d{2}T0[45]:30:00\.000Z \(after midnight New York; keep the demo running\): curl -H 'authorization: Bearer [\w-]+' 'http:\/\/\S+\/v1\/reports\/chart\?chart=luminate&date=\1'; the day so far: curl /,
    );
  });

  it('leaves the emails in the mailbox folder it names', async () => {
    expect(summary.urls.mailbox).toBe(path.join(dataDir, 'mailbox'));
    const files = (await readdir(path.join(dataDir, 'mailbox'))).filter((f) => f.endsWith('.eml'));
    expect(files).toHaveLength(summary.emails.inMailbox);
  });
});
