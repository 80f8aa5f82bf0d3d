import {
  customersRedactBody,
  dataRequestBody,
  OTHER_SHOP,
  paidBody,
  refundBody,
  type Sender,
  type StormOrder,
  signed,
  stormOrder,
  UNKNOWN_SHOP,
  type Webhook,
} from './shopify-load.ts';
import type { SmtpRecorder } from './smtp-recorder.ts';

// The storm's traffic: for each order a checkout capture to geo-reporting, then its signed orders/paid, and
// around it the mix release day brings: Shopify's redeliveries (same webhook id), bodies replayed under new
// ids, bad signatures, forged headers, and, once the fan has the email, refunds and privacy requests.

/** Which orders get what; by index, so that a run is reproducible and the expectations exact. */
export const mix = {
  redelivery: (i: number) => i % 10 === 1, // 10 %
  replay: (i: number) => i % 20 === 2, // 5 %
  badSignature: (i: number) => i % 100 === 3, // 1 %
  forged: (i: number) => i % 100 === 4, // 1 %: another connected shop, a shop never installed, a wrong topic
  refund: (i: number) => i % 25 === 6, // 4 %
  redact: (i: number) => i % 50 === 8, // 2 %
  dataRequest: (i: number) => i % 50 === 9, // 2 %
};

export interface LoadOutcome {
  /** Orders whose orders/paid was answered 200 (the platform took them). */
  accepted: StormOrder[];
  /** Orders whose orders/paid got no 200 even after the retry window. */
  notAccepted: StormOrder[];
  refunded: StormOrder[];
  redacted: StormOrder[];
  /** Orders whose only copies were rejected or forged: nothing may exist for them. */
  neverValid: StormOrder[];
  sent: Record<string, number>;
}

export interface LoadTargets {
  dispatcherUrl: string;
  geoUrl: string;
  secret: string;
  smtp: SmtpRecorder;
  sender: Sender;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the SMTP server received a message for `email` (a refund or a redaction comes after the email). */
async function emailArrived(smtp: SmtpRecorder, email: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (smtp.firstFor.has(email)) return true;
    await sleep(500);
  }
  return false;
}

export function createLoad(targets: LoadTargets) {
  const outcome: LoadOutcome = { accepted: [], notAccepted: [], refunded: [], redacted: [], neverValid: [], sent: {} };
  const webhookUrl = `${targets.dispatcherUrl}/webhooks/shopify`;
  const deliver = async (webhook: Webhook) => {
    outcome.sent[webhook.kind] = (outcome.sent[webhook.kind] ?? 0) + 1;
    return targets.sender.send(webhookUrl, webhook);
  };
  const capture = (order: StormOrder) => {
    outcome.sent.capture = (outcome.sent.capture ?? 0) + 1;
    return targets.sender.send(`${targets.geoUrl}/v1/geo/captures`, {
      kind: 'capture',
      body: JSON.stringify({ shopDomain: 'storm-records.myshopify.com', checkoutToken: order.checkoutToken }),
      // The fan's browser, then the load balancer (trusted), then the proxy in front of the replicas.
      headers: { 'content-type': 'application/json', 'x-forwarded-for': `${order.browserIp}, 10.0.1.23` },
    });
  };

  async function runOrder(i: number, followUpTimeoutMs: number): Promise<void> {
    const order = stormOrder(i);
    await capture(order);
    const paid = signed('orders/paid', targets.secret, 'orders/paid', paidBody(order));
    const status = await deliver(paid);
    (status === 200 ? outcome.accepted : outcome.notAccepted).push(order);
    if (mix.redelivery(i)) await deliver({ ...paid, kind: 'redelivery' });
    if (mix.replay(i)) await deliver(signed('replay', targets.secret, 'orders/updated', paid.body));
    if (mix.badSignature(i)) {
      const other = stormOrder(i, 7_000_000_000);
      outcome.neverValid.push(other);
      await deliver(signed('bad-signature', 'not-our-secret-not-our-secret-0', 'orders/paid', paidBody(other)));
    }
    if (mix.forged(i)) {
      const flavour = Math.floor(i / 100) % 3;
      if (flavour === 0) await deliver(signed('forged-shop', targets.secret, 'orders/paid', paid.body, OTHER_SHOP));
      if (flavour === 1) await deliver(signed('forged-topic', targets.secret, 'refunds/create', paid.body));
      if (flavour === 2) {
        const other = stormOrder(i, 7_100_000_000);
        outcome.neverValid.push(other);
        await deliver(signed('forged-unknown-shop', targets.secret, 'orders/paid', paidBody(other), UNKNOWN_SHOP));
      }
    }
    if (mix.dataRequest(i))
      await deliver(signed('data-request', targets.secret, 'customers/data_request', dataRequestBody(order)));
    if (status !== 200 || !(mix.refund(i) || mix.redact(i))) return;
    // Refunds and redactions come after the fan has the email (so "exactly one email" stays exact for them).
    if (!(await emailArrived(targets.smtp, order.email, followUpTimeoutMs))) return;
    if (mix.refund(i) && (await deliver(signed('refund', targets.secret, 'refunds/create', refundBody(order)))) === 200)
      outcome.refunded.push(order);
    if (
      mix.redact(i) &&
      (await deliver(signed('customers/redact', targets.secret, 'customers/redact', customersRedactBody(order)))) ===
        200
    )
      outcome.redacted.push(order);
  }

  return {
    outcome,
    /**
     * Orders `from` to `to - 1` at `ratePerSecond`, each started on time whatever the earlier ones are waiting
     * for (an outage makes requests pile up, as at Shopify). `until` ends the stream early (the rolling restart).
     */
    async run(options: {
      from: number;
      to: number;
      ratePerSecond: number;
      followUpTimeoutMs: number;
      until?: () => boolean;
    }): Promise<number> {
      const started = Date.now();
      const inFlight: Promise<void>[] = [];
      let i = options.from;
      for (; i < options.to; i++) {
        if (options.until?.()) break;
        const due = started + ((i - options.from) * 1000) / options.ratePerSecond;
        const wait = due - Date.now();
        if (wait > 0) await sleep(wait);
        inFlight.push(runOrder(i, options.followUpTimeoutMs));
      }
      await Promise.all(inFlight);
      return i;
    },
  };
}
