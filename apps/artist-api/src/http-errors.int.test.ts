import { type HttpErrorsService, httpErrorsContract } from '@single/testing';
import { startHarness } from './test-support/harness.ts';
import { seedAccount } from './test-support/seed.ts';

async function listening(): Promise<HttpErrorsService> {
  const h = await startHarness();
  const { auth } = await seedAccount(h.pool, 'Errors Label');
  const address = await h.api.app.listen({ host: '127.0.0.1', port: 0 });
  return {
    inject: async (request) => (await h.api.app.inject(request as never)) as never,
    address,
    headers: auth,
    close: () => h.close(),
  };
}

const releaseBody = (payload: string, contentType = 'application/json') => ({
  method: 'POST',
  url: '/v1/releases',
  headers: { 'content-type': contentType },
  payload,
});

// The API key is checked before the body is read: these run as a signed-in label.
httpErrorsContract('artist-api', {
  start: listening,
  getPath: '/v1/me',
  methodNotAllowed: { method: 'PUT', url: '/v1/product-mappings/1', allow: ['DELETE', 'GET', 'HEAD', 'PATCH'] },
  paramRoute: '/v1/releases/{param}',
  postPath: '/v1/releases',
  body: {
    tooLarge: releaseBody(JSON.stringify({ title: 'x'.repeat(300 * 1024) })),
    unsupportedMediaType: releaseBody('title,upc', 'text/csv'),
    invalidJson: releaseBody('{"title":'),
  },
});
