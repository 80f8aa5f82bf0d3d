import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AdminCall {
  shop: string;
  accessToken: string | undefined;
  operation: 'FulfillmentOrders' | 'DigitalFulfillment' | string;
  variables: Record<string, unknown>;
  /** The `Idempotency-Key` header, when sent. */
  idempotencyKey: string | undefined;
}

export interface FakeShopifyAdmin {
  urlTemplate: string;
  calls: AdminCall[];
  /** Status codes to answer next (e.g. 429, 503), before behaving normally again. */
  failNext: number[];
  /** Remaining quantity per Shopify line item id of the one fulfilment order. */
  remaining: Map<string, number>;
  /** Fulfilments created (a repeat with a known idempotency key creates none). */
  created: number;
  /** Creates that are carried out but answered 503 (the answer lost on the way back). */
  loseAnswerNext: number;
  /** While set, a create is carried out and its answer waits for this promise (a sender that dies meanwhile). */
  holdCreateAnswer: Promise<void> | undefined;
  /** FulfillmentOrders answers the remaining quantities as they were before any create (a lagging read). */
  staleReads: boolean;
  /**
   * A repeat of a known `Idempotency-Key` answers the first result and creates nothing. Off by default: Shopify's
   * docs promise no such thing for fulfillmentCreate; like Shopify, the stand-in refuses, with a user error, a
   * quantity beyond what is left to fulfil.
   */
  honoursIdempotencyKey: boolean;
  /** The next creates answered with a user error (e.g. a fulfilment order closed meanwhile). */
  refuseCreatesNext: number;
  close(): Promise<void>;
}

/** A local stand-in for the Admin GraphQL API: one open fulfilment order per order, calls recorded. */
export async function startFakeShopifyAdmin(): Promise<FakeShopifyAdmin> {
  const state: Omit<FakeShopifyAdmin, 'urlTemplate' | 'close'> = {
    calls: [],
    failNext: [],
    remaining: new Map(),
    created: 0,
    loseAnswerNext: 0,
    holdCreateAnswer: undefined,
    staleReads: false,
    honoursIdempotencyKey: false,
    refuseCreatesNext: 0,
  };
  let before: Map<string, number> | undefined;
  // Like Shopify's idempotent mutations: a repeat of a key answers the first result and does nothing.
  const byKey = new Map<string, string>();
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
      const key = request.headers['idempotency-key'];
      const idempotencyKey = typeof key === 'string' ? key : undefined;
      state.calls.push({
        shop,
        accessToken: typeof header === 'string' ? header : undefined,
        operation,
        variables: body.variables,
        idempotencyKey,
      });
      const status = state.failNext.shift();
      response.setHeader('content-type', 'application/json');
      if (status !== undefined) {
        response.statusCode = status;
        response.end(JSON.stringify({ errors: [{ message: 'try later' }] }));
        return;
      }
      if (operation === 'FulfillmentOrders') {
        const nodes = [...(state.staleReads && before ? before : state.remaining)].map(([line, remainingQuantity]) => ({
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
      const known = idempotencyKey && state.honoursIdempotencyKey ? byKey.get(idempotencyKey) : undefined;
      if (known) {
        response.end(
          JSON.stringify({
            data: { fulfillmentCreate: { fulfillment: { id: known, status: 'SUCCESS' }, userErrors: [] } },
          }),
        );
        return;
      }
      const input = body.variables.fulfillment as {
        lineItemsByFulfillmentOrder: { fulfillmentOrderLineItems: { id: string; quantity: number }[] }[];
      };
      const requested = input.lineItemsByFulfillmentOrder.flatMap((fo) => fo.fulfillmentOrderLineItems);
      const lineOf = (li: { id: string }) => li.id.split('/').pop()!.slice(0, -1);
      const refused = state.refuseCreatesNext > 0;
      if (refused) state.refuseCreatesNext--;
      if (refused || requested.some((li) => li.quantity > (state.remaining.get(lineOf(li)) ?? 0))) {
        response.end(
          JSON.stringify({
            data: {
              fulfillmentCreate: {
                fulfillment: null,
                userErrors: [
                  { field: ['fulfillment'], message: 'Invalid fulfillment order line item quantity requested.' },
                ],
              },
            },
          }),
        );
        return;
      }
      before ??= new Map(state.remaining);
      for (const li of requested) state.remaining.set(lineOf(li), (state.remaining.get(lineOf(li)) ?? 0) - li.quantity);
      state.created++;
      const id = `gid://shopify/Fulfillment/${900 + state.created}`;
      if (idempotencyKey) byKey.set(idempotencyKey, id);
      if (state.loseAnswerNext > 0) {
        state.loseAnswerNext--;
        response.statusCode = 503;
        response.end(JSON.stringify({ errors: [{ message: 'upstream timeout' }] }));
        return;
      }
      void (state.holdCreateAnswer ?? Promise.resolve()).then(() =>
        response.end(
          JSON.stringify({
            data: {
              fulfillmentCreate: {
                fulfillment: { id, status: 'SUCCESS' },
                userErrors: [],
              },
            },
          }),
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    urlTemplate: `http://127.0.0.1:${port}/{shop}/admin/api/{version}/graphql.json`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // a held answer must not keep the server open
      }),
  });
}
