import type { MessagingHooks } from '@single/messaging';
import { traceHeaders, withSpan } from '@single/tracing';

/**
 * Each handler runs in a span that continues the trace the dispatcher injected into the message headers
 * (webhook request -> relay publish -> this consume), and retried/dead-lettered copies carry it on.
 */
export const tracingHooks: MessagingHooks = {
  onPublishHeaders: (headers) => ({ ...headers, ...traceHeaders() }),
  onConsume: (message, run) =>
    withSpan(
      'fulfillment.handle',
      {
        resource: message.routingKey,
        tags: { 'messaging.queue': message.queue, 'messaging.retry_count': message.retryCount },
        parentHeaders: message.headers,
      },
      run,
    ),
};
