import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AdminCall {
  shop: string;
  accessToken: string | undefined;
  operation: 'FulfillmentOrders' | 'DigitalFulfillment' | string;
  variables: Record<string, unknown>;
}

export interface FakeShopifyAdmin {
  urlTemplate: string;
  calls: AdminCall[];
  /** Status codes to answer next (e.g. 429, 503), before behaving normally again. */
  failNext: number[];
  /** Remaining quantity per Shopify line item id of the one fulfilment order. */
  remaining: Map<string, number>;
  close(): Promise<void>;
}

/** A local stand-in for the Admin GraphQL API: one open fulfilment order per order, calls recorded. */
export async function startFakeShopifyAdmin(): Promise<FakeShopifyAdmin> {
  const state: Omit<FakeShopifyAdmin, 'urlTemplate' | 'close'> = { calls: [], failNext: [], remaining: new Map() };
  let fulfillments = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const shop = request.url?.split('/')[1] ?? '';
      const body = JSON.parse(Buffer.concat(chunks).toString()) as {
        query: string;
        variables: Record<string, unknown>;
      };
      const operation = /(?:query|mutation) (\w+)/.exec(body.query)?.[1] ?? 'unknown';
      const header = request.headers['x-shopify-access-token'];
      state.calls.push({
        shop,
        accessToken: typeof header === 'string' ? header : undefined,
        operation,
        variables: body.variables,
      });
      const status = state.failNext.shift();
      response.setHeader('content-type', 'application/json');
      if (status !== undefined) {
        response.statusCode = status;
        response.end(JSON.stringify({ errors: [{ message: 'try later' }] }));
        return;
      }
      if (operation === 'FulfillmentOrders') {
        const nodes = [...state.remaining].map(([line, remainingQuantity]) => ({
          id: `gid://shopify/FulfillmentOrderLineItem/${line}0`,
          remainingQuantity,
          lineItem: { id: `gid://shopify/LineItem/${line}` },
        }));
        response.end(
          JSON.stringify({
            data: {
              order: {
                fulfillmentOrders: {
                  nodes: [{ id: 'gid://shopify/FulfillmentOrder/77', status: 'OPEN', lineItems: { nodes } }],
                },
              },
            },
          }),
        );
        return;
      }
      const input = body.variables.fulfillment as {
        lineItemsByFulfillmentOrder: { fulfillmentOrderLineItems: { id: string; quantity: number }[] }[];
      };
      for (const fo of input.lineItemsByFulfillmentOrder) {
        for (const li of fo.fulfillmentOrderLineItems) {
          const line = li.id.split('/').pop()!.slice(0, -1);
          state.remaining.set(line, (state.remaining.get(line) ?? 0) - li.quantity);
        }
      }
      fulfillments++;
      response.end(
        JSON.stringify({
          data: {
            fulfillmentCreate: {
              fulfillment: { id: `gid://shopify/Fulfillment/${900 + fulfillments}`, status: 'SUCCESS' },
              userErrors: [],
            },
          },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    urlTemplate: `http://127.0.0.1:${port}/{shop}/admin/api/{version}/graphql.json`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
