import { salesEventV1 } from '@single/contracts';
import type { EventHandler } from '@single/events';
import type { Logger } from '@single/logger';
import type { Metrics } from '../integrity/metrics.ts';
import type { SalesService } from './sales.service.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The sales.v1 consumer. An event that fails its contract is logged and skipped (redelivering it would only
 * block its partition forever); a store failure throws, so the event comes again.
 */
export function salesEventHandler(service: SalesService, logger: Logger, metrics: Metrics): EventHandler {
  return async (message) => {
    let json: unknown;
    try {
      json = JSON.parse(message.value.toString('utf8'));
    } catch {
      json = undefined;
    }
    const parsed = salesEventV1.safeParse(json);
    if (!parsed.success || !UUID.test(parsed.data.releaseId)) {
      metrics.countSalesEvent('unknown', 'invalid');
      logger.warn(
        {
          topic: message.topic,
          partition: message.partition,
          offset: message.offset,
          issues: parsed.error?.issues.length ?? 0,
        },
        'sales event skipped: not a valid sales.v1 event',
      );
      return;
    }
    const outcome = await service.handle(parsed.data);
    metrics.countSalesEvent(parsed.data.type, outcome);
  };
}
