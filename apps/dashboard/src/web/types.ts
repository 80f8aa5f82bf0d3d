// The artist API's shapes the pages read (see apps/artist-api/openapi.json).
export interface Page<T> {
  items: T[];
  nextCursor?: string | null;
}
export interface Amount {
  currency: string;
  netAmount: string;
}
export interface Bucket {
  key: string | null;
  units: number;
  amounts: Amount[];
}
export interface SalesSummary {
  from: string;
  to: string;
  groupBy: string;
  level: string;
  periods: Bucket[];
  territories: Bucket[];
  cached: boolean;
}
export interface SoldVsReported {
  chart: string;
  from: string;
  to: string;
  sold: number;
  reported: number;
  pending: number;
  pendingByReason: { reasonCode: string; units: number }[];
  excluded: { reasonCode: string; units: number }[];
  returns: { total: number; reported: number };
}
export interface Track {
  id: string;
  position: number;
  title: string;
  isrc: string;
  releaseInstant: string | null;
}
export interface Release {
  id: string;
  artistId: string;
  title: string;
  upc: string;
  releaseInstant: string;
  preorder: boolean;
  preorderStartsAt: string | null;
  downloadLimit: number;
  downloadExpiryDays: number;
  territories: string[];
  tracks: Track[];
}
export interface ProductMapping {
  id: string;
  shopDomain: string;
  productId: string | null;
  variantId: string | null;
  sku: string | null;
  releaseId: string;
  reportedRelease: boolean;
  fanPack: boolean;
  trackId: string | null;
}
export interface Shop {
  id: string;
  domain: string;
}
export interface OrderSummary {
  id: string;
  shopDomain: string;
  name: string;
  financialStatus: string;
  cancelledAt: string | null;
  test: boolean;
  currency: string;
  billingCountry: string | null;
  shopifyCreatedAt: string | null;
  updatedAt: string;
}
export interface Grant {
  id: string;
  releaseId: string;
  unitIndex: number;
  status: string;
  activateAt: string | null;
  expiresAt: string | null;
  downloadLimit: number;
  downloadsUsed: number;
  firstDownloadAt: string | null;
  revokedAt: string | null;
}
export interface OrderDetail extends OrderSummary {
  lines: {
    id: string;
    sku: string | null;
    quantity: number;
    refundedQuantity: number;
    price: string;
    releaseTitle: string | null;
    upc: string | null;
    unmapped: boolean;
    grants: Grant[];
  }[];
  emails: { id: string; kind: string; status: string; attempts: number; sentAt: string | null }[];
  fulfillments: { id: string; status: string; attempts: number; updatedAt: string }[];
  fulfillmentState: string;
}
export interface WebhookDelivery {
  id: string;
  shopDomain: string;
  topic: string;
  webhookId: string;
  status: string;
  receivedAt: string;
  publishedAt: string | null;
  replayable: boolean;
  pendingPublishes: number;
}
export interface DeadLetter {
  queue: string;
  messageId: string | null;
  shopDomain: string | null;
  topic: string | null;
  reason: string | null;
  errorClass: string | null;
  errorMessage: string | null;
  retryCount: number;
}
export interface ApiKey {
  id: string;
  name: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}
export interface Shop {
  id: string;
  domain: string;
  installState: 'installed' | 'uninstalled' | 'redacted';
  installedAt: string;
  uninstalledAt: string | null;
  redactedAt: string | null;
}
export interface SalesLocations {
  from: string;
  to: string;
  units: number;
  bySource: { source: string; precision: string; units: number }[];
}
export interface ChartDayLines {
  chart: string;
  date: string;
  timeZone: string;
  truncated: boolean;
  lines: {
    kind: string;
    eligibility: string;
    reasonCode: string | null;
    releaseTitle: string;
    upc: string | null;
    isrc: string | null;
    country: string | null;
    zip: string | null;
    currency: string;
    netPrice: string;
    units: number;
  }[];
}

/** GET /v1/preorders/waiting: units sold and not yet delivered, per release. */
export interface WaitingPreorders {
  items: { releaseId: string; title: string; releaseInstant: string; units: number }[];
}
