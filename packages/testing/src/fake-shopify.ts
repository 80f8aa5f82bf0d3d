import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// A local stand-in for the Shopify side of an app install (OAuth authorization code grant) and the Admin
// API's webhook subscriptions, in the manner of the fulfilment tests' fake Admin API
// (apps/fulfillment-worker/src/test-support/fake-shopify-admin.ts): the same `{origin}/{shop}/...` layout, so
// one origin template (`http://127.0.0.1:<port>/{shop}`) stands for `https://{shop}`.

export interface FakeWebhookSubscription {
  id: string;
  topic: string;
  uri: string;
}

export interface FakeShopify {
  /** `https://{shop}` for this fake: `http://127.0.0.1:<port>/{shop}`. */
  originTemplate: string;
  /** Offline tokens issued and still valid, per shop (an uninstall revokes them). */
  tokens: Map<string, string>;
  /** Subscriptions per shop, as webhookSubscriptionCreate made them. */
  subscriptions: Map<string, FakeWebhookSubscription[]>;
  /** Every request: path and the access token it carried (to show only the token in clear reaches Shopify). */
  requests: { path: string; accessToken: string | undefined }[];
  /** Status codes to answer next on the Admin API before behaving normally again. */
  failAdminNext: number[];
  /**
   * The merchant approves the install at `installUrl` (the artist API's answer): checks the app's client id
   * and redirect URI as Shopify does, issues a code, and returns the callback URL Shopify would redirect to,
   * its query signed with the client secret.
   */
  approve(installUrl: string): URL;
  /** Signs an arbitrary callback query as Shopify would (for forged and altered callbacks in tests). */
  sign(params: Record<string, string>): string;
  /** The app is uninstalled from the shop: its tokens stop working and its subscriptions are gone. */
  uninstall(shop: string): void;
  close(): Promise<void>;
}

export interface FakeShopifyOptions {
  clientId: string;
  clientSecret: string;
}

export async function startFakeShopify(options: FakeShopifyOptions): Promise<FakeShopify> {
  const codes = new Map<string, string>(); // code -> shop, single use
  let ids = 0;
  let origin = '';
  const sign = (params: Record<string, string>) => {
    const sorted = Object.keys(params)
      .sort()
      .map((k) => [k, params[k]!] as [string, string]);
    const message = new URLSearchParams(sorted).toString();
    return `${message}&hmac=${createHmac('sha256', options.clientSecret).update(message).digest('hex')}`;
  };

  const fake: Omit<FakeShopify, 'originTemplate' | 'close'> = {
    tokens: new Map(),
    subscriptions: new Map(),
    requests: [],
    failAdminNext: [],
    sign,
    approve(installUrl) {
      const url = new URL(installUrl);
      const [, shop, ...rest] = url.pathname.split('/');
      if (!url.href.startsWith(`${origin}/`) || rest.join('/') !== 'admin/oauth/authorize' || !shop) {
        throw new Error(`not an authorization URL of this fake: ${url.pathname}`);
      }
      if (url.searchParams.get('client_id') !== options.clientId) throw new Error('unknown client_id');
      const redirect = url.searchParams.get('redirect_uri');
      const state = url.searchParams.get('state');
      if (!redirect || !state) throw new Error('redirect_uri and state are required');
      const code = randomBytes(16).toString('hex');
      codes.set(code, shop);
      const callback = new URL(redirect);
      callback.search = sign({
        code,
        host: Buffer.from(`admin.shopify.com/store/${shop.split('.')[0]}`).toString('base64url'),
        shop,
        state,
        timestamp: String(Math.floor(Date.now() / 1000)),
      });
      return callback;
    },
    uninstall(shop) {
      fake.tokens.delete(shop);
      fake.subscriptions.delete(shop);
    },
  };

  const json = (response: import('node:http').ServerResponse, status: number, body: unknown) => {
    response.statusCode = status;
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify(body));
  };

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const path = (request.url ?? '').split('?')[0] ?? '';
      const [, shop = '', ...rest] = path.split('/');
      const header = request.headers['x-shopify-access-token'];
      const accessToken = typeof header === 'string' ? header : undefined;
      fake.requests.push({ path, accessToken });
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>;
      } catch {
        return json(response, 400, { errors: 'invalid JSON' });
      }
      const route = rest.join('/');
      if (route === 'admin/oauth/authorize') {
        // The merchant's side in a browser: the approval page (GET), and its Install button (POST) redirecting
        // to the app's callback as Shopify does.
        const full = `${origin}${request.url ?? ''}`;
        if (request.method === 'POST') {
          let callback: URL;
          try {
            callback = fake.approve(full);
          } catch (error) {
            return json(response, 400, { errors: (error as Error).message });
          }
          response.writeHead(302, { location: callback.toString() }).end();
          return;
        }
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end(
          `<!doctype html><html lang="en"><head><title>Install app</title></head><body><main>` +
            `<h1>Install the app on ${shop.replace(/[^a-z0-9.-]/g, '')}?</h1>` +
            `<form method="post"><button type="submit">Install app</button></form></main></body></html>`,
        );
        return;
      }
      if (request.method === 'POST' && route === 'admin/oauth/access_token') {
        // Shopify answers 400 to a wrong client, an unknown or used code, or a code of another shop.
        const code = String(body.code ?? '');
        if (body.client_id !== options.clientId || body.client_secret !== options.clientSecret) {
          return json(response, 400, { error: 'invalid_client' });
        }
        if (codes.get(code) !== shop) return json(response, 400, { error: 'invalid_request' });
        codes.delete(code);
        const token = `shpat_${randomBytes(16).toString('hex')}`;
        fake.tokens.set(shop, token);
        return json(response, 200, { access_token: token, scope: 'read_orders,write_fulfillments' });
      }
      if (request.method === 'POST' && /^admin\/api\/\d{4}-\d{2}\/graphql\.json$/.test(route)) {
        const status = fake.failAdminNext.shift();
        if (status !== undefined) return json(response, status, { errors: [{ message: 'try later' }] });
        if (!accessToken || fake.tokens.get(shop) !== accessToken) {
          return json(response, 401, { errors: '[API] Invalid API key or access token' });
        }
        const query = String(body.query ?? '');
        const variables = (body.variables ?? {}) as Record<string, unknown>;
        const list = fake.subscriptions.get(shop) ?? [];
        if (/query ExistingWebhooks/.test(query)) {
          return json(response, 200, { data: { webhookSubscriptions: { nodes: list } } });
        }
        if (/webhookSubscriptionCreate/.test(query)) {
          const topic = String(variables.topic);
          const uri = String((variables.webhookSubscription as { uri?: string } | undefined)?.uri ?? '');
          if (list.some((s) => s.topic === topic && s.uri === uri)) {
            return json(response, 200, {
              data: {
                webhookSubscriptionCreate: {
                  webhookSubscription: null,
                  userErrors: [
                    { field: ['webhookSubscription', 'uri'], message: 'Address for this topic has already been taken' },
                  ],
                },
              },
            });
          }
          const subscription = { id: `gid://shopify/WebhookSubscription/${++ids}`, topic, uri };
          fake.subscriptions.set(shop, [...list, subscription]);
          return json(response, 200, {
            data: { webhookSubscriptionCreate: { webhookSubscription: subscription, userErrors: [] } },
          });
        }
        return json(response, 200, { errors: [{ message: 'unknown operation' }] });
      }
      json(response, 404, { errors: 'Not Found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  return Object.assign(fake, {
    originTemplate: `${origin}/{shop}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}
