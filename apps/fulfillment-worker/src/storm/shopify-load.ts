import { createHmac, randomUUID } from 'node:crypto';
import { shopifyFixture } from '../test-support/fixtures.ts';

// Shopify's side of the storm: one distinct fan per order, each order's body signed as Shopify signs it, and a
// sender that retries a 503 or a connection error as Shopify does (Shopify waits minutes to hours between its
// retries; the storm waits under a second, so that a run ends).

export const STORM_SHOP = 'storm-records.myshopify.com';
/** Another connected shop: a body of STORM_SHOP under this header is a forgery. */
export const OTHER_SHOP = 'storm-other.myshopify.com';
export const UNKNOWN_SHOP = 'never-installed.myshopify.com';
const RELEASED_LINE = { product_id: 8100001, variant_id: 45000001, sku: 'NH-LP1-DIG', price: '9.99' };
const FAN_NETWORKS = ['216.160.83', '81.2.69', '1.128.0', '62.4.1', '99.228.0', '89.160.20'];

export interface StormOrder {
  index: number;
  shopifyOrderId: number;
  lineId: number;
  quantity: number;
  email: string;
  customerId: number;
  street: string;
  browserIp: string;
  checkoutToken: string;
}

export function stormOrder(index: number, idBase = 6_000_000_000): StormOrder {
  const network = FAN_NETWORKS[index % FAN_NETWORKS.length] as string;
  return {
    index,
    shopifyOrderId: idBase + index,
    lineId: 20_000_000_000 + (idBase - 6_000_000_000) + index,
    quantity: index % 10 === 9 ? 2 : 1,
    email: `storm.fan${idBase === 6_000_000_000 ? '' : `x${idBase}.`}${index}@fans.example`,
    customerId: 800_000_000 + (idBase - 6_000_000_000) + index,
    street: `${index + 1} Stormwater Lane`,
    browserIp: `${network}.${1 + ((index * 7) % 250)}`,
    checkoutToken: `stormcheckout${idBase}x${index}`,
  };
}

/** An orders/paid body with the fixture's shape: names, phone, addresses (personal data the logs must not show). */
type PaidFixture = Record<string, unknown> & {
  line_items: Record<string, unknown>[];
  billing_address: Record<string, unknown>;
  customer: Record<string, unknown>;
};
let paidFixture: PaidFixture | undefined;

export function paidBody(order: StormOrder): string {
  paidFixture ??= shopifyFixture('orders/paid') as PaidFixture;
  const fixture = paidFixture;
  const address = { ...fixture.billing_address, address1: order.street, address2: null };
  const line = { ...(fixture.line_items[0] as Record<string, unknown>) };
  const now = new Date().toISOString();
  return JSON.stringify({
    ...fixture,
    id: order.shopifyOrderId,
    admin_graphql_api_id: `gid://shopify/Order/${order.shopifyOrderId}`,
    name: `#S${order.index}`,
    order_number: 100_000 + order.index,
    created_at: now,
    updated_at: now,
    processed_at: now,
    email: order.email,
    contact_email: order.email,
    browser_ip: order.browserIp,
    client_details: { browser_ip: order.browserIp, accept_language: 'en', user_agent: 'Mozilla/5.0 (storm)' },
    checkout_token: order.checkoutToken,
    customer: { ...fixture.customer, id: order.customerId, email: order.email, default_address: address },
    billing_address: address,
    shipping_address: null,
    line_items: [
      {
        ...line,
        ...RELEASED_LINE,
        id: order.lineId,
        admin_graphql_api_id: `gid://shopify/LineItem/${order.lineId}`,
        quantity: order.quantity,
        current_quantity: order.quantity,
        fulfillable_quantity: order.quantity,
        requires_shipping: false,
      },
    ],
  });
}

export function refundBody(order: StormOrder): string {
  return JSON.stringify({
    id: 900_000_000 + order.index,
    admin_graphql_api_id: `gid://shopify/Refund/${900_000_000 + order.index}`,
    order_id: order.shopifyOrderId,
    created_at: new Date().toISOString(),
    processed_at: new Date().toISOString(),
    note: null,
    restock: false,
    refund_line_items: [
      { id: 910_000_000 + order.index, line_item_id: order.lineId, quantity: order.quantity, subtotal: 9.99 },
    ],
  });
}

export function customersRedactBody(order: StormOrder): string {
  return JSON.stringify({
    shop_id: 71_000_001,
    shop_domain: STORM_SHOP,
    customer: { id: order.customerId, email: order.email, phone: null },
    orders_to_redact: [order.shopifyOrderId],
  });
}

export function dataRequestBody(order: StormOrder): string {
  return JSON.stringify({
    shop_id: 71_000_001,
    shop_domain: STORM_SHOP,
    orders_requested: [order.shopifyOrderId],
    customer: { id: order.customerId, email: order.email, phone: null },
    data_request: { id: 930_000_000 + order.index },
  });
}

export interface Webhook {
  kind: string;
  body: string;
  headers: Record<string, string>;
}

export function signed(
  kind: string,
  secret: string,
  topic: string,
  body: string,
  shopDomain: string = STORM_SHOP,
): Webhook {
  return {
    kind,
    body,
    headers: {
      'content-type': 'application/json',
      'x-shopify-topic': topic,
      'x-shopify-shop-domain': shopDomain,
      'x-shopify-webhook-id': randomUUID(),
      'x-shopify-event-id': randomUUID(),
      'x-shopify-triggered-at': new Date().toISOString(),
      'x-shopify-api-version': '2026-10',
      'x-shopify-hmac-sha256': createHmac('sha256', secret).update(body, 'utf8').digest('base64'),
    },
  };
}

/** Every answer the storm got, for the table and the "no answer other than…" assertion. */
export interface Answer {
  kind: string;
  /** 0 = no answer (connection refused or reset). */
  status: number;
  at: number;
  /** Why there was no answer (the error's code). */
  error?: string;
  /** A 503's problem code (`storage_unavailable`, `overloaded`, ...): which refusal it was. */
  code?: string;
}

/** The `code` of a problem+json body, if it is one. */
function problemCode(body: ArrayBuffer): string | undefined {
  try {
    const code = (JSON.parse(Buffer.from(body).toString('utf8')) as { code?: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

export const errorCode = (error: unknown) => {
  const e = error as { cause?: { code?: string; message?: string }; message?: string };
  return String(e.cause?.code ?? e.cause?.message ?? e.message);
};

export interface Sender {
  answers: Answer[];
  /** Requests given up after the retry window (each would be a delivery Shopify finally drops). */
  givenUp: { kind: string; last: number }[];
  /** Sends until an answer other than 503 or a connection error; returns that answer's status. */
  send(url: string, request: { kind: string; body: string; headers: Record<string, string> }): Promise<number>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * At most `concurrency` requests open at once (Shopify's own delivery is bounded too): when the platform slows
 * down, requests wait here instead of piling up sockets until the process runs out of file descriptors.
 */
export function createSender(options: { retryForMs: number; concurrency?: number }): Sender {
  const answers: Answer[] = [];
  let open = 0;
  const waiting: (() => void)[] = [];
  const slot = async () => {
    if (open >= (options.concurrency ?? 256)) await new Promise<void>((resolve) => waiting.push(resolve));
    open += 1;
  };
  const release = () => {
    open -= 1;
    waiting.shift()?.();
  };
  const givenUp: Sender['givenUp'] = [];
  return {
    answers,
    givenUp,
    async send(url, request) {
      const started = Date.now();
      for (let attempt = 1; ; attempt++) {
        let status = 0;
        let error: string | undefined;
        let code: string | undefined;
        await slot();
        try {
          const response = await fetch(url, {
            method: 'POST',
            headers: request.headers,
            body: request.body,
            signal: AbortSignal.timeout(30_000),
          });
          const body = await response.arrayBuffer();
          status = response.status;
          if (status === 503) code = problemCode(body);
        } catch (e) {
          status = 0;
          error = errorCode(e);
        } finally {
          release();
        }
        answers.push({
          kind: request.kind,
          status,
          at: Date.now(),
          ...(error ? { error } : {}),
          ...(code ? { code } : {}),
        });
        if (status !== 0 && status !== 503) return status;
        if (Date.now() - started > options.retryForMs) {
          givenUp.push({ kind: request.kind, last: status });
          return status;
        }
        await sleep(Math.min(250 * attempt, 2_000));
      }
    },
  };
}
