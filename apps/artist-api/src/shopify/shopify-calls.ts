import { ProblemError } from '@single/http';
import { type ShopifyAppSettings, shopOrigin } from './shopify-app.ts';

/**
 * The Admin API topics the platform takes (DOMAIN.md). The mandatory privacy topics (customers/data_request,
 * customers/redact, shop/redact) cannot be subscribed through the API: they are set once in the app's
 * configuration (Partner dashboard or shopify.app.toml) with the same dispatcher URL.
 */
export const WEBHOOK_TOPICS = [
  'ORDERS_CREATE',
  'ORDERS_PAID',
  'ORDERS_UPDATED',
  'ORDERS_CANCELLED',
  'REFUNDS_CREATE',
  'APP_UNINSTALLED',
] as const;

const upstream = (what: string) =>
  new ProblemError(502, 'shopify_unavailable', 'Shopify did not complete the request', { detail: what });

async function post(url: string, body: unknown, timeoutMs: number, token?: string): Promise<Response> {
  try {
    return await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        ...(token ? { 'x-shopify-access-token': token } : {}),
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
  } catch {
    throw upstream('unreachable');
  }
}

/**
 * Exchanges the authorization code for the shop's offline access token. An answer that carries a user
 * (`associated_user`, an online token) is refused: the fulfilments run with no merchant present.
 */
export async function exchangeCode(settings: ShopifyAppSettings, shop: string, code: string): Promise<string> {
  const response = await post(
    `${shopOrigin(settings, shop)}/admin/oauth/access_token`,
    { client_id: settings.clientId, client_secret: settings.clientSecret, code },
    settings.timeoutMs ?? 10_000,
  );
  if (response.status >= 400 && response.status < 500) {
    // Shopify refuses a used, expired or foreign code with a 400: the merchant must start the install again.
    throw new ProblemError(400, 'code_rejected', 'Shopify refused the authorization code', {
      detail: 'start the install again',
    });
  }
  if (!response.ok) throw upstream(`token exchange answered ${response.status}`);
  const body = (await response.json().catch(() => ({}))) as { access_token?: unknown; associated_user?: unknown };
  if (typeof body.access_token !== 'string' || body.access_token.length === 0) throw upstream('no access token');
  if (body.associated_user !== undefined) throw upstream('an online (per-user) token was issued');
  return body.access_token;
}

const EXISTING = `query ExistingWebhooks { webhookSubscriptions(first: 100) { nodes { id topic uri } } }`;
const CREATE = `mutation RegisterWebhook($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}`;

async function graphql<T>(
  settings: ShopifyAppSettings,
  shop: string,
  token: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const response = await post(
    `${shopOrigin(settings, shop)}/admin/api/${settings.apiVersion}/graphql.json`,
    { query, variables },
    settings.timeoutMs ?? 10_000,
    token,
  );
  if (!response.ok) throw upstream(`Admin API answered ${response.status}`);
  const body = (await response.json().catch(() => ({}))) as { data?: T; errors?: unknown };
  if (!body.data || body.errors) throw upstream('Admin API answered errors');
  return body.data;
}

export interface WebhookRegistration {
  /** Topics subscribed by this call. */
  created: string[];
  /** Topics already subscribed to the dispatcher (a reinstall, a repeated callback): left as they are. */
  existing: string[];
}

/**
 * Subscribes the shop to every topic of WEBHOOK_TOPICS at the dispatcher, idempotently: the shop's
 * subscriptions are read first and only the missing (topic, address) pairs are created, so a reinstall or a
 * retried callback creates no duplicates (Shopify would refuse them anyway: "address already taken").
 */
export async function registerWebhooks(
  settings: ShopifyAppSettings,
  shop: string,
  token: string,
): Promise<WebhookRegistration> {
  const listed = await graphql<{ webhookSubscriptions: { nodes: { topic: string; uri?: string | null }[] } }>(
    settings,
    shop,
    token,
    EXISTING,
  );
  const have = new Set(
    listed.webhookSubscriptions.nodes.filter((n) => n.uri === settings.webhookUrl).map((n) => n.topic),
  );
  const result: WebhookRegistration = { created: [], existing: [] };
  for (const topic of WEBHOOK_TOPICS) {
    if (have.has(topic)) {
      result.existing.push(topic);
      continue;
    }
    const data = await graphql<{ webhookSubscriptionCreate: { userErrors: { message: string }[] } }>(
      settings,
      shop,
      token,
      CREATE,
      { topic, webhookSubscription: { uri: settings.webhookUrl, format: 'JSON' } },
    );
    const errors = data.webhookSubscriptionCreate.userErrors;
    if (errors.length > 0) throw upstream(`${topic}: ${errors.map((e) => e.message).join('; ')}`);
    result.created.push(topic);
  }
  return result;
}
