import { MemoryBroker } from './memory/broker.ts';
import { MessagingClient, type MessagingOptions } from './messaging.ts';
import type { Messaging } from './port.ts';

export { MemoryBroker } from './memory/broker.ts';

export interface MemoryMessagingOptions extends MessagingOptions {
  /** Share one broker between the apps of one process (the demo); a fresh one by default. */
  broker?: MemoryBroker;
  connectionName?: string;
}

/** In-memory adapter for the zero-setup demo: the same client over an in-process broker. */
export function createMemoryMessaging(options: MemoryMessagingOptions): Messaging {
  const broker = options.broker ?? new MemoryBroker();
  const name = options.connectionName ?? 'memory';
  return new MessagingClient(() => broker.connect(name), options);
}
