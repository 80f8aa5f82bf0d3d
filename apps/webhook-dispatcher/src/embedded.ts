import type { Cache } from '@single/cache';
import type { Logger } from '@single/logger';
import type { Messaging, MessagingHooks, Topology } from '@single/messaging';
import { traceHeaders } from '@single/tracing';
import type { Dispatcher } from './app.ts';
import type { DispatcherConfig } from './config.ts';
import type { OutboxRelay } from './relay/outbox-relay.ts';
import { wireDispatcher } from './runtime.ts';

export { type DispatcherConfig, loadDispatcherConfig } from './config.ts';

/** The adapters a host process hands in (the zero-setup demo: in-memory broker and cache, or real ones). */
export interface EmbeddedDispatcherPorts {
  logger: Logger;
  messaging(options: {
    connectionName: string;
    topology: Topology;
    hooks?: MessagingHooks;
    publishTimeoutMs?: number;
  }): Messaging;
  cache(keyPrefix: string): Cache;
}

export interface EmbeddedDispatcher {
  dispatcher: Dispatcher;
  relay: OutboxRelay;
  /** Same order as main.ts: intake drained, relay stopped, then connections. */
  close(): Promise<void>;
}

/** The dispatcher as main.ts wires it, on adapters chosen by the host; the relay is started. */
export async function startEmbeddedDispatcher(
  config: DispatcherConfig,
  ports: EmbeddedDispatcherPorts,
): Promise<EmbeddedDispatcher> {
  const runtime = wireDispatcher(
    config,
    {
      logger: ports.logger,
      cache: ports.cache('dispatcher:'),
      messaging: (connection) =>
        ports.messaging({
          ...connection,
          hooks: { onPublishHeaders: (headers) => ({ ...headers, ...traceHeaders() }) },
        }),
    },
    // No payload retention sweep: the embedded dispatcher has never scheduled one.
    { relay: true, payloadSweep: false },
  );
  // Ready first, as main.ts: the Prisma client's warm-up blocks the event loop once, before the relay runs.
  await runtime.dispatcher.app.ready();
  await runtime.relay.start();
  return {
    dispatcher: runtime.dispatcher,
    relay: runtime.relay,
    async close() {
      for (const close of runtime.closers) await close();
    },
  };
}
