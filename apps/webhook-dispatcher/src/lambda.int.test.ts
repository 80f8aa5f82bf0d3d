import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lambdaHandler } from './lambda.ts';
import { fixture, type Harness, signedRequest, startHarness } from './test-support/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => h.close());

/** An API Gateway HTTP API (payload format 2.0) event, as the Lambda integration delivers it. */
function apiGatewayV2Event(request: ReturnType<typeof signedRequest>, base64: boolean) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: request.url,
    rawQueryString: '',
    headers: request.headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'hooks.single.example',
      domainPrefix: 'hooks',
      http: {
        method: 'POST',
        path: request.url,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.10',
        userAgent: 'Shopify-Captain-Hook',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: '26/Nov/2026:10:00:00 +0000',
      timeEpoch: Date.now(),
    },
    body: base64 ? request.payload.toString('base64') : request.payload.toString('utf8'),
    isBase64Encoded: base64,
  };
}

describe('AWS Lambda handler', () => {
  it.each([false, true])('runs the same route for API Gateway v2 events (base64 body: %s)', async (base64) => {
    const handler = lambdaHandler(h.dispatcher.app);
    const context = {} as Context;
    const request = signedRequest('orders/paid', fixture('orders-paid'));
    const accepted = await handler(apiGatewayV2Event(request, base64), context);
    expect(accepted.statusCode).toBe(200);
    expect(JSON.parse(accepted.body)).toEqual({ status: 'accepted' });
    const duplicate = await handler(apiGatewayV2Event(request, base64), context);
    expect(JSON.parse(duplicate.body)).toEqual({ status: 'duplicate' });
    const forged = await handler(
      apiGatewayV2Event({ ...request, headers: { ...request.headers, 'x-shopify-hmac-sha256': 'AAAA' } }, base64),
      context,
    );
    expect(forged.statusCode).toBe(401);
    expect(JSON.parse(forged.body).code).toBe('invalid_hmac');
    expect(await h.count('SELECT count(*) AS n FROM dispatch_outbox')).toBe(1);
  });
});
