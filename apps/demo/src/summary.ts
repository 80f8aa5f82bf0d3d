import type { Db } from '@single/db';
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

const tally = (list: { k: string | null; n: number | null }[]) => {
  const out: Record<string, number> = {};
  for (const { k, n } of list) out[k ?? 'unknown'] = (out[k ?? 'unknown'] ?? 0) + (n ?? 0);
  return out;
};

/** Everything in the summary is read back from what the apps stored or answered: no number is assumed. */
export async function collectSummary(input: {
  db: Db;
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
  const { db, seeded, answers } = input;
  const w = answers.webhooks;
  const grantsByStatus = tally(
    (await db.downloadGrant.groupBy({ by: ['status'], _count: { _all: true } })).map((g) => ({
      k: g.status,
      n: g._count._all,
    })),
  );
  // Grouped by release id, then named by title (summed, as grouping by the joined title did).
  const grantsPerRelease = await db.downloadGrant.groupBy({ by: ['releaseId'], _count: { _all: true } });
  const titles = new Map(
    (
      await db.release.findMany({
        where: { id: { in: grantsPerRelease.map((g) => g.releaseId) } },
        select: { id: true, title: true },
      })
    ).map((r) => [r.id, r.title]),
  );
  const grantsByRelease = tally(
    grantsPerRelease.map((g) => ({ k: titles.get(g.releaseId) ?? null, n: g._count._all })),
  );
  const emailsByKind = tally(
    (await db.emailMessage.groupBy({ by: ['kind'], where: { status: 'sent' }, _count: { _all: true } })).map((g) => ({
      k: g.kind,
      n: g._count._all,
    })),
  );
  const preorderGrants = tally(
    (
      await db.downloadGrant.groupBy({
        by: ['status'],
        where: { releaseId: seeded.preorder.id },
        _count: { _all: true },
      })
    ).map((g) => ({ k: g.status, n: g._count._all })),
  );
  // Units by country (no country: 'unknown'), most first, then by name.
  const located = Object.entries(
    tally(
      (
        await db.locatedSale.groupBy({ by: ['country'], where: { type: 'sale.recorded' }, _sum: { quantity: true } })
      ).map((g) => ({ k: g.country, n: g._sum.quantity })),
    ),
  ).sort(([ka, na], [kb, nb]) => nb - na || (ka < kb ? -1 : ka > kb ? 1 : 0));
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
      stored: await db.webhookDelivery.count(),
      published: await db.webhookDelivery.count({ where: { status: 'published' } }),
    },
    orders: await db.order.count(),
    grants: {
      issued: Object.values(grantsByStatus).reduce((a, b) => a + b, 0),
      active: grantsByStatus.active ?? 0,
      scheduled: grantsByStatus.scheduled ?? 0,
      revoked: grantsByStatus.revoked ?? 0,
      byRelease: grantsByRelease,
    },
    emails: {
      sent: Object.values(emailsByKind).reduce((a, b) => a + b, 0),
      pending: await db.emailMessage.count({ where: { status: { not: 'sent' } } }),
      byKind: emailsByKind,
      inMailbox: input.mailboxCount,
    },
    downloads: { answered: answers.downloads, counted: await db.download.count() },
    preorder: {
      release: seeded.preorder.title,
      releaseInstant: seeded.preorder.releaseInstant,
      released: Date.parse(seeded.preorder.releaseInstant) <= Date.now(),
      grantsScheduled: preorderGrants.scheduled ?? 0,
      grantsActivated: await db.downloadGrant.count({
        where: { releaseId: seeded.preorder.id, activatedAt: { not: null } },
      }),
      availabilityEmails: emailsByKind.preorder_available ?? 0,
    },
    privacy: { dataRequestsExported: await db.dataRequestExport.count() },
    sales: {
      eventsPublished: await db.salesOutbox.count({ where: { publishedAt: { not: null } } }),
      located: await db.locatedSale.count(),
      byTerritory: Object.fromEntries(located),
      bySource: tally(
        (
          await db.locatedSale.groupBy({ by: ['source'], where: { type: 'sale.recorded' }, _count: { _all: true } })
        ).map((g) => ({ k: g.source, n: g._count._all })),
      ),
      reversed: await db.locatedSale.count({ where: { type: 'sale.reversed' } }),
    },
    captures: {
      answered: answers.captures,
      stored: await db.geoCapture.count(),
      byCountry: tally(
        (await db.geoCapture.groupBy({ by: ['country'], _count: { _all: true } })).map((g) => ({
          k: g.country,
          n: g._count._all,
        })),
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
