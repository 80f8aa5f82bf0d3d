import { serve } from '@single/http';
import { loadDispatcherConfig } from './config.ts';
import { createRuntime } from './runtime.ts';

const config = loadDispatcherConfig(process.env);
const runtime = createRuntime(config, { relay: true });
await runtime.relay.start();
await serve(runtime.dispatcher, {
  host: config.HOST,
  port: config.PORT,
  logger: runtime.logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  onClose: runtime.closers,
});
