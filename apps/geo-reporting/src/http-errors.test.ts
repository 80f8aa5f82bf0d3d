import { type HttpErrorsService, httpErrorsContract } from '@single/testing';
import { buildTestApp } from './test-support/setup.ts';

async function listening(): Promise<HttpErrorsService> {
  const { app } = await buildTestApp({
    attribution: 'GeoLite2 data created by MaxMind',
    rateLimit: { max: 1_000, windowMs: 60_000 },
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    inject: async (request) => (await app.inject(request as never)) as never,
    address,
    close: () => app.close(),
  };
}

const capture = (payload: string, contentType = 'application/json') => ({
  method: 'POST',
  url: '/v1/geo/captures',
  headers: { 'content-type': contentType },
  payload,
});

// The public capture route (beacon bodies of at most 1 KiB) and everything in front of it.
httpErrorsContract('geo-reporting', {
  start: listening,
  getPath: '/health/live',
  methodNotAllowed: { method: 'GET', url: '/v1/geo/captures', allow: ['OPTIONS', 'POST'] },
  postPath: '/v1/geo/captures',
  body: {
    tooLarge: capture(JSON.stringify({ shopDomain: 'a.myshopify.com', pad: 'x'.repeat(2_000) })),
    unsupportedMediaType: capture('shopDomain=a', 'application/x-www-form-urlencoded'),
    invalidJson: capture('{"shopDomain":', 'text/plain'),
  },
});
