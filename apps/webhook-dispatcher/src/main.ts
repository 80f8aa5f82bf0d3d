import { serve } from '@single/http';
import { loadDispatcherConfig } from './config.ts';
import { createRuntime } from './runtime.ts';

const config = loadDispatcherConfig(process.env);
const runtime = createRuntime(config, { relay: true });
// Ready first: the Prisma client's warm-up (app.ts) blocks the event loop once, before the relay and the sweeps run.
await runtime.dispatcher.app.ready();
await runtime.relay.start();
await serve(runtime.dispatcher, {
  host: config.HOST,
  port: config.PORT,
  logger: runtime.logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  onClose: runtime.closers,
});
