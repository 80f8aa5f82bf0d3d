import type pg from 'pg';
import type { PortChoice } from './embedded/ports.ts';
import type { Seeded } from './storm/seed.ts';
import type { StormAnswers, StormSent } from './storm/storm.ts';

export type AppState = 'running' | 'not available yet';

export interface DemoSummary {
  elapsedMs: number;
  servers: PortChoice;
  apps: Record<'webhookDispatcher' | 'fulfillmentWorker' | 'geoReporting' | 'artistApi' | 'dashboard', AppState>;
  sent: StormSent;
  deliveries: {
    /** The dispatcher's answers, as Shopify would have seen them. */
    accepted: number;
    duplicate: number;
    rejected: { badSignature: number; invalidHeaders: number; other: number };
    /** webhook_delivery rows, and how many the relay published to the broker. */
    stored: number;
    published: number;
  };
  orders: number;
  grants: { issued: number; active: number; scheduled: number; revoked: number; byRelease: Record<string, number> };
  emails: { sent: number; pending: number; byKind: Record<string, number>; inMailbox: number };
  downloads: { answered: Record<string, number>; counted: number };
  preorder: {
    release: string;
    releaseInstant: string;
    released: boolean;
    grantsScheduled: number;
    grantsActivated: number;
    availabilityEmails: number;
  };
  privacy: { dataRequestsExported: number };
  sales: {
    eventsPublished: number;
    located: number;
    byTerritory: Record<string, number>;
    bySource: Record<string, number>;
    reversed: number;
  };
  captures: { answered: Record<string, number>; stored: number; byCountry: Record<string, number> };
  urls: Record<string, string>;
  notes: string[];
}

const rows = async <T extends pg.QueryResultRow>(pool: pg.Pool, sql: string, params: unknown[] = []) =>
  (await pool.query<T>(sql, params)).rows;
const num = async (pool: pg.Pool, sql: string, params: unknown[] = []) =>
  Number((await rows<{ n: string | null }>(pool, sql, params))[0]?.n ?? 0);
const tallyRows = (list: { k: string | null; n: string }[]) =>
  Object.fromEntries(list.map((r) => [r.k ?? 'unknown', Number(r.n)]));

/** Everything in the summary is read back from what the apps stored or answered: no number is assumed. */
export async function collectSummary(input: {
  pool: pg.Pool;
  startedAt: number;
  servers: PortChoice;
  apps: DemoSummary['apps'];
  seeded: Seeded;
  sent: StormSent;
  answers: StormAnswers;
  urls: Record<string, string>;
  notes: string[];
  mailboxCount: number;
}): Promise<DemoSummary> {
  const { pool, seeded, answers } = input;
  const w = answers.webhooks;
  const grantsByStatus = tallyRows(
    await rows(pool, `SELECT status::text AS k, count(*) AS n FROM download_grant GROUP BY 1`),
  );
  const grantsByRelease = tallyRows(
    await rows(
      pool,
      `SELECT r.title AS k, count(*) AS n FROM download_grant g JOIN release r ON r.id = g.release_id GROUP BY 1`,
    ),
  );
  const emailsByKind = tallyRows(
    await rows(pool, `SELECT kind AS k, count(*) AS n FROM email_message WHERE status = 'sent' GROUP BY 1`),
  );
  const preorderGrants = tallyRows(
    await rows(pool, `SELECT status::text AS k, count(*) AS n FROM download_grant WHERE release_id = $1 GROUP BY 1`, [
      seeded.preorder.id,
    ]),
  );
  const located = await rows<{ k: string | null; n: string }>(
    pool,
    `SELECT coalesce(country, 'unknown') AS k, sum(quantity) AS n FROM located_sale WHERE type = 'sale.recorded' GROUP BY 1 ORDER BY 2 DESC, 1`,
  );
  return {
    elapsedMs: Date.now() - input.startedAt,
    servers: input.servers,
    apps: input.apps,
    sent: input.sent,
    deliveries: {
      accepted: w.accepted ?? 0,
      duplicate: w.duplicate ?? 0,
      rejected: {
        badSignature: w.http_401 ?? 0,
        invalidHeaders: w.http_400 ?? 0,
        other: Object.entries(w)
          .filter(([k]) => k.startsWith('http_') && k !== 'http_401' && k !== 'http_400')
          .reduce((sum, [, n]) => sum + n, 0),
      },
      stored: await num(pool, `SELECT count(*) AS n FROM webhook_delivery`),
      published: await num(pool, `SELECT count(*) AS n FROM webhook_delivery WHERE status = 'published'`),
    },
    orders: await num(pool, `SELECT count(*) AS n FROM orders`),
    grants: {
      issued: Object.values(grantsByStatus).reduce((a, b) => a + b, 0),
      active: grantsByStatus.active ?? 0,
      scheduled: grantsByStatus.scheduled ?? 0,
      revoked: grantsByStatus.revoked ?? 0,
      byRelease: grantsByRelease,
    },
    emails: {
      sent: Object.values(emailsByKind).reduce((a, b) => a + b, 0),
      pending: await num(pool, `SELECT count(*) AS n FROM email_message WHERE status <> 'sent'`),
      byKind: emailsByKind,
      inMailbox: input.mailboxCount,
    },
    downloads: { answered: answers.downloads, counted: await num(pool, `SELECT count(*) AS n FROM download`) },
    preorder: {
      release: seeded.preorder.title,
      releaseInstant: seeded.preorder.releaseInstant,
      released: Date.parse(seeded.preorder.releaseInstant) <= Date.now(),
      grantsScheduled: preorderGrants.scheduled ?? 0,
      grantsActivated: await num(
        pool,
        `SELECT count(*) AS n FROM download_grant WHERE release_id = $1 AND activated_at IS NOT NULL`,
        [seeded.preorder.id],
      ),
      availabilityEmails: emailsByKind.preorder_available ?? 0,
    },
    privacy: { dataRequestsExported: await num(pool, `SELECT count(*) AS n FROM data_request_export`) },
    sales: {
      eventsPublished: await num(pool, `SELECT count(*) AS n FROM sales_outbox WHERE published_at IS NOT NULL`),
      located: await num(pool, `SELECT count(*) AS n FROM located_sale`),
      byTerritory: tallyRows(located),
      bySource: tallyRows(
        await rows(
          pool,
          `SELECT source::text AS k, count(*) AS n FROM located_sale WHERE type = 'sale.recorded' GROUP BY 1`,
        ),
      ),
      reversed: await num(pool, `SELECT count(*) AS n FROM located_sale WHERE type = 'sale.reversed'`),
    },
    captures: {
      answered: answers.captures,
      stored: await num(pool, `SELECT count(*) AS n FROM geo_capture`),
      byCountry: tallyRows(
        await rows(pool, `SELECT coalesce(country, 'unknown') AS k, count(*) AS n FROM geo_capture GROUP BY 1`),
      ),
    },
    urls: input.urls,
    notes: input.notes,
  };
}

const pad = (label: string) => `  ${label.padEnd(28)}`;

/** The summary as a person reads it. */
export function formatSummary(s: DemoSummary): string {
  const w = s.sent.webhooks;
  const lines = [
    '',
    `Release day on Single — storm finished in ${(s.elapsedMs / 1000).toFixed(1)} s`,
    '',
    `${pad('servers')}PostgreSQL: ${s.servers.postgres}, RabbitMQ: ${s.servers.rabbitmq}, Redis: ${s.servers.redis}, Kafka: ${s.servers.kafka}`,
    `${pad('apps')}${Object.entries(s.apps)
      .map(([name, state]) => `${name} ${state === 'running' ? '✓' : `(${state})`}`)
      .join(', ')}`,
    '',
    'Webhooks',
    `${pad('sent')}${w.genuine} genuine, ${w.retries} retries, ${w.replays} replays, ${w.forgedHeaders} forged headers, ${w.badSignatures} bad signatures`,
    `${pad('accepted')}${s.deliveries.accepted} (stored ${s.deliveries.stored}, published ${s.deliveries.published})`,
    `${pad('duplicate')}${s.deliveries.duplicate}`,
    `${pad('rejected')}${s.deliveries.rejected.badSignature} bad signature (401), ${s.deliveries.rejected.invalidHeaders} forged headers (400)`,
    '',
    'Fulfilment',
    `${pad('orders')}${s.orders}`,
    `${pad('download grants')}${s.grants.issued} issued: ${s.grants.active} active, ${s.grants.scheduled} scheduled, ${s.grants.revoked} revoked (refund)`,
    `${pad('emails sent')}${s.emails.sent} (${Object.entries(s.emails.byKind)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ')}); ${s.emails.inMailbox} files in the mailbox`,
    `${pad('downloads')}${s.downloads.counted} counted; answers ${JSON.stringify(s.downloads.answered)}`,
    `${pad('pre-order')}"${s.preorder.release}" ${s.preorder.released ? 'released' : 'releases'} at ${s.preorder.releaseInstant}: ${s.preorder.grantsActivated} of ${s.preorder.grantsActivated + s.preorder.grantsScheduled} grants activated, ${s.preorder.availabilityEmails} "it's here" emails`,
    `${pad('privacy')}${s.privacy.dataRequestsExported} data request exported`,
    '',
    'Sales (geo-reporting)',
    `${pad('sales events')}${s.sales.eventsPublished} published, ${s.sales.located} located, ${s.sales.reversed} reversed`,
    `${pad('by territory')}${Object.entries(s.sales.byTerritory)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
    `${pad('located by')}${Object.entries(s.sales.bySource)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
    `${pad('checkout captures')}${s.captures.stored} stored (${s.sent.captures.withSpoofedHeader} with a spoofed X-Forwarded-For, ignored)`,
    '',
    'Try it',
    ...Object.entries(s.urls).map(([k, v]) => `${pad(k)}${v}`),
    ...(s.notes.length > 0 ? ['', 'Notes', ...s.notes.map((n) => `  - ${n}`)] : []),
    '',
  ];
  return lines.join('\n');
}
