import { EVENTS_EXCHANGE } from '@single/contracts';
import type { Topology } from '@single/messaging';

/** The worker's queues, one per kind of work; privacy has its own so an order flood never delays it. */
export const QUEUES = {
  orderSnapshots: 'fulfillment.orders.snapshot',
  orderCancellations: 'fulfillment.orders.cancelled',
  refunds: 'fulfillment.refunds.create',
  appUninstalled: 'fulfillment.privacy.app-uninstalled',
  customersRedact: 'fulfillment.privacy.customers-redact',
  customersDataRequest: 'fulfillment.privacy.customers-data-request',
  shopRedact: 'fulfillment.privacy.shop-redact',
  deadLetter: 'fulfillment.dlq',
} as const;

export const RETRY_POLICY = 'fulfillment-transient';

/** Production ladder: 5 s, 30 s, 5 min, 30 min, then the dead-letter queue. */
export const DEFAULT_RETRY_DELAYS_MS = [5_000, 30_000, 300_000, 1_800_000] as const;

const bindings: Record<Exclude<keyof typeof QUEUES, 'deadLetter'>, readonly string[]> = {
  orderSnapshots: ['shopify.orders.create', 'shopify.orders.paid', 'shopify.orders.updated'],
  orderCancellations: ['shopify.orders.cancelled'],
  refunds: ['shopify.refunds.create'],
  appUninstalled: ['shopify.app.uninstalled'],
  customersRedact: ['shopify.customers.redact'],
  customersDataRequest: ['shopify.customers.data_request'],
  shopRedact: ['shopify.shop.redact'],
};

export function workerTopology(retryDelaysMs: readonly number[] = DEFAULT_RETRY_DELAYS_MS): Topology {
  const work = Object.entries(bindings).map(([key, routingKeys]) => ({
    name: QUEUES[key as keyof typeof bindings],
    bindings: routingKeys.map((routingKey) => ({ exchange: EVENTS_EXCHANGE, routingKey })),
    retryPolicy: RETRY_POLICY,
    deadLetterQueue: QUEUES.deadLetter,
  }));
  return {
    exchanges: [{ name: EVENTS_EXCHANGE, type: 'topic' }],
    queues: [...work, { name: QUEUES.deadLetter }],
    retryPolicies: { [RETRY_POLICY]: { delaysMs: retryDelaysMs } },
  };
}
