import awsLambdaFastify from '@fastify/aws-lambda';
import type { FastifyInstance } from 'fastify';
import { loadDispatcherConfig } from './config.ts';
import { createRuntime } from './runtime.ts';

/**
 * The same routes on AWS Lambda behind API Gateway (payload v2). A Lambda accepts deliveries into the
 * PostgreSQL outbox only: a function frozen between invocations cannot run the relay, so the relay runs
 * where something stays up (the dispatcher Deployment, or `cmdr` on a schedule).
 */
export function lambdaHandler(app: FastifyInstance) {
  // Bodies stay binary-safe so the HMAC is computed over the exact bytes API Gateway received.
  return awsLambdaFastify(app, {
    binaryMimeTypes: ['application/octet-stream'],
    callbackWaitsForEmptyEventLoop: false,
  });
}

let cached: ReturnType<typeof lambdaHandler> | undefined;

export const handler: ReturnType<typeof lambdaHandler> = async (event, context) => {
  if (!cached) {
    const runtime = createRuntime(loadDispatcherConfig(process.env), { relay: false });
    await runtime.dispatcher.app.ready();
    cached = lambdaHandler(runtime.dispatcher.app);
  }
  return cached(event, context);
};
