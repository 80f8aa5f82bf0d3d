import { salesEvent, salesEventV1 } from '@single/contracts';
import type { EventHandler, IncomingEvent } from '@single/events';
import type { Logger } from '@single/logger';
import { withSpan } from '@single/tracing';
import type { Metrics } from '../integrity/metrics.ts';
import type { SalesService } from './sales.service.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The sales.v1 consumer. An event that fails its contract is skipped (redelivering it would only block its
 * partition forever), but never silently: a skipped event may be a granted sale that then never reaches the charts,
 * so it is logged at error level with its event id (ids only, no fan facts) and counted
 * (geo_sales_events_total{outcome="invalid"}) for an alert. A store failure throws, so the event comes again.
 */
export function salesEventHandler(service: SalesService, logger: Logger, metrics: Metrics): EventHandler {
  // Each event is handled in a span continuing the trace its headers carry (the sales relay sets them from the
  // outbox row: the webhook's trace), so the sale located here and its log lines belong to that trace.
  return (message) =>
    withSpan('sales.consume', { resource: message.topic, parentHeaders: message.headers }, () =>
      handle(service, logger, metrics, message),
    );
}

async function handle(service: SalesService, logger: Logger, metrics: Metrics, message: IncomingEvent) {
  let json: unknown;
  try {
    json = JSON.parse(message.value.toString('utf8'));
  } catch {
    json = undefined;
  }
  // Version 1 (fan facts in clear) and version 2 (sealed, opened by the service) alike, during the rollout.
  const parsed = salesEvent.safeParse(json);
  if (!parsed.success || !UUID.test(parsed.data.releaseId)) {
    metrics.countSalesEvent('unknown', 'invalid');
    const claimed = (json ?? {}) as { eventId?: unknown; type?: unknown };
    logger.error(
      {
        topic: message.topic,
        partition: message.partition,
        offset: message.offset,
        // Only an id-shaped value: whatever else the payload holds stays out of the logs.
        eventId: typeof claimed.eventId === 'string' && UUID.test(claimed.eventId) ? claimed.eventId : null,
        type: salesEventV1.shape.type.safeParse(claimed.type).data ?? null,
        issues: parsed.error?.issues.map((i) => `${i.path.join('.')}: ${i.code}`) ?? ['releaseId: not a uuid'],
      },
      'sales event skipped: not a valid sales.v1 event (a sale that will not reach the charts)',
    );
    return;
  }
  const outcome = await service.handle(parsed.data);
  metrics.countSalesEvent(parsed.data.type, outcome);
}
