import { type HttpErrorsService, httpErrorsContract } from '@single/testing';
import { describe, expect, it } from 'vitest';
import { lambdaHandler } from './lambda.ts';
import { type Harness, signedRequest, startHarness } from './test-support/harness.ts';

const BODY_LIMIT = 1024;

async function listening(h: Harness): Promise<HttpErrorsService> {
  const { app } = h.dispatcher;
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return { inject: async (request) => (await app.inject(request as never)) as never, address, close: () => h.close() };
}

// Node's parser, the router and the raw-body webhook route all answer problem+json.
httpErrorsContract('webhook-dispatcher', {
  start: async () => listening(await startHarness({ bodyLimit: BODY_LIMIT })),
  getPath: '/health/live',
  methodNotAllowed: { method: 'GET', url: '/webhooks/shopify', allow: ['POST'] },
  postPath: '/webhooks/shopify',
  body: {
    tooLarge: signedRequest('orders/paid', Buffer.from(JSON.stringify({ id: 1, pad: 'x'.repeat(BODY_LIMIT) }))),
    unsupportedMediaType: {
      ...signedRequest('orders/paid', Buffer.from('{"id":1}')),
      headers: { ...signedRequest('orders/paid', Buffer.from('{"id":1}')).headers, 'content-type': 'text/plain' },
    },
    // Signed, so the route gets as far as parsing it.
    invalidJson: signedRequest('orders/paid', Buffer.from('{"id":')),
  },
});

describe('webhook-dispatcher on Lambda', () => {
  it('answers router errors as problem+json through @fastify/aws-lambda too', async () => {
    const h = await startHarness();
    try {
      const handler = lambdaHandler(h.dispatcher.app);
      const event = (method: string, path: string) => ({
        version: '2.0',
        routeKey: '$default',
        rawPath: path,
        rawQueryString: '',
        headers: { host: 'hooks.single.example' },
        requestContext: { http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.10' }, stage: '$default' },
        isBase64Encoded: false,
      });
      const wrongMethod = await handler(event('GET', '/webhooks/shopify') as never, {} as never);
      expect([wrongMethod.statusCode, wrongMethod.headers?.['content-type'], wrongMethod.headers?.allow]).toEqual([
        405,
        'application/problem+json; charset=utf-8',
        'POST',
      ]);
      expect(JSON.parse(wrongMethod.body).code).toBe('method_not_allowed');
      const badUrl = await handler(event('GET', '/webhooks/%zz') as never, {} as never);
      expect([badUrl.statusCode, JSON.parse(badUrl.body).code]).toEqual([400, 'bad_url']);
    } finally {
      await h.close();
    }
  });
});
