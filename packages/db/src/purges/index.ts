// Privacy purges, one per owner of personal data (GUIDE: "each owner exports from packages/db a purge for
// its own tables; the privacy handlers call all of them"). Each file names the service that owns the
// tables it writes; the fulfillment worker's privacy handlers call them in their own transaction.
export { purgeDownloadClientIps } from './downloads.ts';
export { purgeFanDataKeys } from './fan-data-keys.ts';
export { type GeoPurgeResult, purgeGeoPersonalData } from './geo.ts';
export {
  downloadsOfGrants,
  type ExportedDownload,
  type ExportedGeoCapture,
  type ExportedLocatedSale,
  type ExportedSaleLine,
  type ExportedWebhookDelivery,
  geoCapturesOfCheckouts,
  locatedSalesOfOrders,
  saleLinesOfOrders,
  webhookPayloadsOf,
} from './personal-data-readers.ts';
export type { PurgeScope, PurgeSql } from './types.ts';
export { purgeWebhookDeliveryPayloads } from './webhook-deliveries.ts';
