import { createTestDatabase, type HttpErrorsService, httpErrorsContract, type TestDatabase } from '@single/testing';
import { startWorkerHarness } from './test-support/worker-harness.ts';

async function listening(): Promise<HttpErrorsService> {
  const database: TestDatabase = await createTestDatabase();
  const h = await startWorkerHarness(database.url);
  const { app } = h.worker.http;
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    inject: async (request) => (await app.inject(request as never)) as never,
    address,
    close: async () => {
      await app.close();
      await h.close();
      await database.drop();
    },
  };
}

// The worker serves only its health probes: everything else, and every malformed request, is problem+json.
httpErrorsContract('fulfillment-worker health server', {
  start: listening,
  getPath: '/health/ready',
  methodNotAllowed: { method: 'POST', url: '/health/live', allow: ['GET', 'HEAD'] },
  postPath: '/health/live',
});
