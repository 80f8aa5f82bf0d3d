import type { Db } from '@single/db';
import type { FolderMailbox } from '../embedded/mailbox.ts';
import { FAN_ADDRESSES, type PlannedOrder, planOrders } from './fans.ts';
import { type Seeded, SHOP_DOMAIN, SHOP_ID } from './seed.ts';
import { dataRequestPayload, orderPayload, refundPayload, type SignedWebhook, signedWebhook } from './shopify.ts';

export interface StormTargets {
  dispatcherUrl: string;
  geoUrl: string | undefined;
  artistApiUrl: string | undefined;
}

export interface StormOptions {
  db: Db;
  seeded: Seeded;
  targets: StormTargets;
  mailbox: FolderMailbox;
  secret: string;
  orders: number;
  downloads: number;
  /** Whether the worker runs: without it, refunds and downloads have nothing to act on. */
  fulfillment: boolean;
  progress: (step: string) => void;
  /** Bounds every wait for the pipeline. */
  deadline: number;
}

/** What the storm sent, counted by what each request was meant to be. */
export interface StormSent {
  orders: { paid: number; outNowUnits: number; preorderUnits: number; unitsWithBillingAddress: number };
  /** Units by the country each fan is in (billing address, else the fan's own IP address). */
  unitsByFanCountry: Record<string, number>;
  webhooks: {
    /** Distinct deliveries with a valid signature and headers. */
    genuine: number;
    /** The same delivery again (same X-Shopify-Webhook-Id): Shopify's retry. */
    retries: number;
    /** A captured body sent again under new ids and another order topic: a replay. */
    replays: number;
    /** A valid body and signature with a topic header that does not fit the payload. */
    forgedHeaders: number;
    /** Signed with a secret that is not ours. */
    badSignatures: number;
  };
  refunds: { orders: number; units: number };
  privacyRequests: number;
  captures: { sent: number; withSpoofedHeader: number; fans: number };
  downloads: { attempted: number; ofRefundedOrder: number };
}

/** What the HTTP endpoints answered. */
export interface StormAnswers {
  webhooks: Record<string, number>;
  captures: Record<string, number>;
  downloads: Record<string, number>;
  /** A link that still works after the storm (for the summary's "try it"). */
  workingDownloadLink: string | undefined;
  refundedOrderId: number | undefined;
}

const ALB = '10.0.1.23';

/** Which orders get a Shopify retry, a replay, a forged-header copy, a copy signed with a wrong secret. */
const extras = {
  retry: (i: number) => i % 5 === 0,
  replay: (i: number) => i % 6 === 5,
  forged: (i: number) => i % 7 === 3,
  badSignature: (i: number) => i % 9 === 4,
};

/** How many requests the storm will make (the progress bar's total). */
export function plannedRequests(orders: number, downloads: number, withGeo: boolean): number {
  let total = 0;
  for (let i = 0; i < orders; i++) {
    total += 1 + (withGeo ? 1 : 0);
    for (const applies of Object.values(extras)) if (applies(i)) total += 1;
  }
  return total + 2 + downloads + 1;
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `worker` over `items` with at most `concurrency` at a time. */
async function inParallel<T>(
  items: readonly T[],
  concurrency: number,
  worker: (item: T, index: number) => Promise<void>,
) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        await worker(items[index] as T, index);
      }
    }),
  );
}

/** Polls `check` until it is true or the deadline passes (then the summary shows what did happen). */
export async function waitFor(check: () => Promise<boolean>, deadline: number, intervalMs = 100): Promise<boolean> {
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(intervalMs);
  }
  return check();
}

/**
 * Release day, played through the real HTTP endpoints: checkout geo captures through the proxy chain, then
 * signed `orders/paid` webhooks with Shopify's retries, replays, forged headers and bad signatures mixed in;
 * a refund and a privacy request once the grants exist; then fans follow the links in their emails.
 */
export async function runStorm(
  options: StormOptions,
): Promise<{ sent: StormSent; answers: StormAnswers; planned: PlannedOrder[] }> {
  const { seeded, targets, db } = options;
  const planned = planOrders(options.orders, seeded.outNow, seeded.preorder);
  const sent: StormSent = {
    orders: { paid: 0, outNowUnits: 0, preorderUnits: 0, unitsWithBillingAddress: 0 },
    unitsByFanCountry: {},
    webhooks: { genuine: 0, retries: 0, replays: 0, forgedHeaders: 0, badSignatures: 0 },
    refunds: { orders: 0, units: 0 },
    privacyRequests: 0,
    captures: { sent: 0, withSpoofedHeader: 0, fans: 0 },
    downloads: { attempted: 0, ofRefundedOrder: 0 },
  };
  const answers: StormAnswers = {
    webhooks: {},
    captures: {},
    downloads: {},
    workingDownloadLink: undefined,
    refundedOrderId: undefined,
  };
  const tally = (bucket: Record<string, number>, key: string) => {
    bucket[key] = (bucket[key] ?? 0) + 1;
  };

  const deliver = async (webhook: SignedWebhook) => {
    const response = await fetch(`${targets.dispatcherUrl}/webhooks/shopify`, {
      method: 'POST',
      headers: webhook.headers,
      body: webhook.body,
    });
    const text = await response.text();
    const status = response.ok ? ((JSON.parse(text) as { status: string }).status ?? 'ok') : `http_${response.status}`;
    tally(answers.webhooks, status);
    options.progress('webhook');
  };

  const capture = async (entry: PlannedOrder, index: number) => {
    if (!targets.geoUrl) return;
    // The fan's browser -> ALB (appends the fan) -> Traefik (appends the ALB) -> geo-reporting. Some
    // browsers send their own X-Forwarded-For first: it is not trusted, whatever it says.
    const spoofed = index % 4 === 2;
    const chain = [...(spoofed ? ['203.0.113.66'] : []), entry.order.browserIp, ALB].join(', ');
    const response = await fetch(`${targets.geoUrl}/v1/geo/captures`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': chain },
      body: JSON.stringify({ shopDomain: SHOP_DOMAIN, checkoutToken: entry.order.checkoutToken }),
    });
    await response.arrayBuffer();
    tally(answers.captures, String(response.status));
    sent.captures.sent += 1;
    if (spoofed) sent.captures.withSpoofedHeader += 1;
    options.progress('capture');
  };

  // 1. Checkout, then payment: the beacon fires at checkout, Shopify's webhook follows.
  await inParallel(planned, 6, async (entry, i) => {
    await capture(entry, i);
    const { order } = entry;
    const payload = orderPayload(order, 'paid', new Date().toISOString());
    const webhook = signedWebhook(options.secret, SHOP_DOMAIN, 'orders/paid', payload);
    await deliver(webhook);
    sent.webhooks.genuine += 1;
    sent.orders.paid += 1;
    if (entry.kind !== 'preorder') sent.orders.outNowUnits += 1;
    if (entry.kind !== 'out-now') sent.orders.preorderUnits += 1;
    const units = order.lines.reduce((sum, line) => sum + line.quantity, 0);
    if (order.billing) sent.orders.unitsWithBillingAddress += units;
    sent.unitsByFanCountry[entry.country] = (sent.unitsByFanCountry[entry.country] ?? 0) + units;
    if (extras.retry(i)) {
      await deliver(webhook); // Shopify did not see our 200 in time and retries the same delivery
      sent.webhooks.retries += 1;
    }
    if (extras.replay(i)) {
      // The same signed body replayed under fresh ids as another order topic: the body key catches it.
      const replay = signedWebhook(options.secret, SHOP_DOMAIN, 'orders/updated', payload);
      await deliver({ ...replay, body: webhook.body });
      sent.webhooks.replays += 1;
    }
    if (extras.forged(i)) {
      const forged = signedWebhook(options.secret, SHOP_DOMAIN, 'refunds/create', payload);
      await deliver(forged);
      sent.webhooks.forgedHeaders += 1;
    }
    if (extras.badSignature(i)) {
      const wrongSecret = signedWebhook('not-our-secret-not-our-secret-00', SHOP_DOMAIN, 'orders/paid', {
        ...payload,
        financial_status: 'paid',
        name: `${order.name}-x`,
      });
      await deliver(wrongSecret);
      sent.webhooks.badSignatures += 1;
    }
  });
  sent.captures.fans = new Set(planned.map((p) => p.order.browserIp)).size;

  if (!options.fulfillment) return { sent, answers, planned };

  // 2. The grants of paid orders exist: a refund and a privacy request follow.
  const outNowOrders = planned.filter((p) => p.kind === 'out-now');
  await waitFor(
    async () => (await db.downloadGrant.count({ where: { releaseId: seeded.outNow.id } })) >= sent.orders.outNowUnits,
    options.deadline,
  );
  const refunded = outNowOrders[0];
  if (refunded) {
    const line = refunded.order.lines[0];
    if (line) {
      await deliver(
        signedWebhook(
          options.secret,
          SHOP_DOMAIN,
          'refunds/create',
          refundPayload(refunded.order, 9_200_001, line.lineId, 1),
        ),
      );
      sent.webhooks.genuine += 1;
      sent.refunds = { orders: 1, units: 1 };
      answers.refundedOrderId = refunded.order.id;
    }
  }
  const asking = planned[2];
  if (asking) {
    await deliver(
      signedWebhook(
        options.secret,
        SHOP_DOMAIN,
        'customers/data_request',
        dataRequestPayload(SHOP_DOMAIN, SHOP_ID, asking.order),
      ),
    );
    sent.webhooks.genuine += 1;
    sent.privacyRequests = 1;
  }

  // 3. Fans follow the links in their emails (the mailbox folder is their inbox).
  if (targets.artistApiUrl) {
    // Single-line orders only: their one link is the album that is out now.
    const outNowEmails = new Set(outNowOrders.map((p) => p.order.email));
    await waitFor(
      async () => (await linksIn(options.mailbox, outNowEmails)).size >= outNowEmails.size,
      options.deadline,
    );
    if (refunded) {
      await waitFor(
        async () =>
          (await db.downloadGrant.count({
            where: { status: 'revoked', orderLine: { order: { shopifyOrderId: BigInt(refunded.order.id) } } },
          })) > 0,
        options.deadline,
      );
    }
    const links = await linksIn(options.mailbox, outNowEmails);
    const fans = [...links.entries()].filter(([email]) => email !== refunded?.order.email);
    const formats = ['mp3', 'flac', 'wav', 'alac'] as const;
    for (const [i, [, link]] of fans.slice(0, options.downloads).entries()) {
      // As a fan does: the link's landing page (counts nothing), then its button (one download, the file).
      const headers = { 'x-forwarded-for': `${FAN_ADDRESSES[i % FAN_ADDRESSES.length]}, ${ALB}` };
      await (await fetch(link, { headers: { ...headers, accept: 'text/html' } })).arrayBuffer();
      const response = await fetch(`${link}/download`, {
        method: 'POST',
        headers,
        body: new URLSearchParams({ format: formats[i % formats.length]! }),
      });
      await response.arrayBuffer();
      tally(answers.downloads, String(response.status));
      sent.downloads.attempted += 1;
      options.progress('download');
    }
    answers.workingDownloadLink = fans.at(-1)?.[1];
    const refundedLink = refunded ? links.get(refunded.order.email) : undefined;
    if (refundedLink) {
      const response = await fetch(`${refundedLink}/download`, {
        method: 'POST',
        body: new URLSearchParams({ format: 'mp3' }),
      });
      await response.arrayBuffer();
      tally(answers.downloads, String(response.status));
      sent.downloads.attempted += 1;
      sent.downloads.ofRefundedOrder += 1;
      options.progress('download');
    }
  }
  return { sent, answers, planned };
}

/** The first download link in each fan's order email, by recipient. */
export async function linksIn(mailbox: FolderMailbox, recipients: ReadonlySet<string>): Promise<Map<string, string>> {
  const links = new Map<string, string>();
  for (const { content } of await mailbox.read()) {
    const to = /^To: (.+)$/m.exec(content)?.[1]?.trim();
    const link = /(https?:\/\/[^\s"'<>]+\/d\/[A-Za-z0-9_-]+)/.exec(content)?.[1];
    if (to && link && recipients.has(to) && !links.has(to)) links.set(to, link);
  }
  return links;
}
