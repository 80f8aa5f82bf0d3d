import { isShopifyTopic, MYSHOPIFY_DOMAIN, type ShopifyTopic } from '@single/contracts';

export interface ShopifyWebhookHeaders {
  topic: ShopifyTopic;
  shopDomain: string;
  webhookId: string;
  eventId: string | null;
  triggeredAt: string | null;
  apiVersion: string | null;
  hmac: string | undefined;
}

export type HeaderProblem = { field: string; message: string };

const ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const API_VERSION = /^(\d{4}-\d{2}|unstable)$/;

type RawHeaders = Record<string, string | string[] | undefined>;

// Node lower-cases header names, so lookups are case-insensitive. A repeated header is ambiguous: rejected.
function single(headers: RawHeaders, name: string): string | undefined | null {
  const value = headers[name];
  if (Array.isArray(value)) return null;
  return value?.trim() || undefined;
}

export function parseShopifyHeaders(
  headers: RawHeaders,
): { ok: true; value: ShopifyWebhookHeaders } | { ok: false; problems: HeaderProblem[] } {
  const problems: HeaderProblem[] = [];
  const read = (name: string, required: boolean, pattern?: RegExp): string | null => {
    const value = single(headers, name);
    if (value === null) problems.push({ field: name, message: 'must appear once' });
    else if (value === undefined) {
      if (required) problems.push({ field: name, message: 'is required' });
    } else if (pattern && !pattern.test(value)) problems.push({ field: name, message: 'is malformed' });
    else return value;
    return null;
  };
  const topic = read('x-shopify-topic', true);
  const shopDomain = read('x-shopify-shop-domain', true, MYSHOPIFY_DOMAIN);
  const webhookId = read('x-shopify-webhook-id', true, ID);
  const eventId = read('x-shopify-event-id', false, ID);
  const triggeredAtRaw = read('x-shopify-triggered-at', false);
  const apiVersion = read('x-shopify-api-version', false, API_VERSION);
  let triggeredAt: string | null = null;
  if (triggeredAtRaw) {
    const parsed = new Date(triggeredAtRaw);
    if (Number.isNaN(parsed.getTime()))
      problems.push({ field: 'x-shopify-triggered-at', message: 'is not a timestamp' });
    else triggeredAt = parsed.toISOString();
  }
  if (topic && !isShopifyTopic(topic))
    problems.push({ field: 'x-shopify-topic', message: 'is not a topic we subscribe to' });
  if (problems.length > 0 || !topic || !shopDomain || !webhookId) return { ok: false, problems };
  const hmac = single(headers, 'x-shopify-hmac-sha256') ?? undefined;
  return {
    ok: true,
    value: { topic: topic as ShopifyTopic, shopDomain, webhookId, eventId, triggeredAt, apiVersion, hmac },
  };
}

/** How far back a delivery may say it was triggered: Shopify retries a failed delivery for 48 hours. */
export const TRIGGERED_AT_HORIZON_MS = 48 * 3_600_000;

/**
 * X-Shopify-Triggered-At is not signed (only the body is), so it is a claim, bounded by what we saw: never
 * after we received the delivery, never before Shopify's retry horizon; out of bounds, it is the received time
 * (absent stays absent: the worker falls back to the received time). An app/uninstalled is judged by it: a 2099
 * must not let later orders in, a 1971 must not make the uninstall look stale and be lost.
 */
export function boundedTriggeredAt(triggeredAt: string | null, receivedAt: Date): string | null {
  if (!triggeredAt) return null;
  const at = Date.parse(triggeredAt);
  const received = receivedAt.getTime();
  return new Date(at <= received && at >= received - TRIGGERED_AT_HORIZON_MS ? at : received).toISOString();
}
