import { z } from 'zod';
import { isIsoCurrency, MONEY_PATTERN } from './unit-price.ts';

/** Kafka topic of the sales stream; key = order id. */
export const SALES_TOPIC = 'sales.v1';
/**
 * Partitions `sales.v1` is created with (SALES_TOPIC_PARTITIONS overrides it per app): docs/CAPACITY.md section 5,
 * at least geo-reporting's maximum replicas (8, one consumer per partition) with room for the sales lane's shards.
 */
export const SALES_TOPIC_PARTITIONS = 12;

/** A unit's amount: non-negative, bounded, at most 4 decimals (see MONEY_PATTERN). */
const money = z.string().regex(MONEY_PATTERN, 'a non-negative decimal amount (at most 9 digits, 4 decimals)');

const salesEventFields = {
  eventId: z.uuid(),
  type: z.enum(['sale.recorded', 'sale.redeemed', 'sale.reversed']),
  occurredAt: z.iso.datetime({ offset: true }),
  shopDomain: z.string().min(1),
  orderId: z.string().min(1),
  orderLineId: z.string().min(1),
  releaseId: z.string().min(1),
  /**
   * Which unit of the line (0-based) the event is about; producers emit one event per unit (quantity 1), so
   * consumers key their sale lines on (orderLineId, unitIndex). Optional: events without it stay valid.
   */
  unitIndex: z.number().int().min(0).optional(),
  upc: z
    .string()
    .regex(/^\d{13}$/)
    .optional(),
  isrc: z
    .string()
    .regex(/^[A-Z]{2}[A-Z0-9]{3}\d{7}$/)
    .optional(),
  quantity: z.number().int().positive(),
  /** What the fan paid for the unit: list price less its share of the line's discounts, without tax. */
  unitPriceNet: money,
  /**
   * Beside the net, so that a chart rule can choose (optional: events without them stay valid): the list
   * price, the unit's share of the line's discounts, and its share of the line's taxes (contained in the
   * list price when the shop's prices include tax, else added on top). Same currency and digits as the net.
   */
  unitPriceGross: money.optional(),
  unitDiscount: money.optional(),
  unitTax: money.optional(),
  /**
   * The line ships physical goods (Shopify `requires_shipping`) alongside the music: a merch bundle, which
   * counts for charts only when its mapping is an approved fan pack (`fanPack`). Absent = false.
   */
  merchBundle: z.boolean().optional(),
  fanPack: z.boolean().optional(),
  currency: z.string().refine(isIsoCurrency, 'an ISO 4217 currency code'),
};

/** The fan facts that identify or locate a buyer (personal data): version 2 carries them only sealed. */
export const fanFacts = z.object({
  emailHash: z.string().optional(),
  billingZip: z.string().optional(),
  billingCountry: z.string().length(2).optional(),
  shippingZip: z.string().optional(),
  shippingCountry: z.string().length(2).optional(),
  browserIp: z.string().optional(),
  checkoutToken: z.string().optional(),
});
export type FanFacts = z.infer<typeof fanFacts>;

/** Version 1: the fan facts in clear. Still accepted from the stream during the rollout of version 2. */
export const salesEventV1 = z.object({
  ...salesEventFields,
  version: z.literal(1),
  fan: fanFacts,
});
export type SalesEventV1 = z.infer<typeof salesEventV1>;

const base64url = z.string().regex(/^[A-Za-z0-9_-]+$/, 'base64url');

/**
 * Version 2 (issue 14, crypto-shredding): a Kafka copy cannot be erased, so the facts that identify or locate
 * the fan (keyed email hash, ZIPs, browser IP, checkout token) travel only in `fanSealed`: AES-256-GCM under
 * the fan's data key (one per shop and customer, or per keyed email hash for guests), kept in PostgreSQL
 * (fan_data_key) and deleted by customers/redact and shop/redact, after which every copy is unreadable.
 * `fan` keeps only the countries (they identify nobody); `fanSealed` is absent when there was nothing to seal.
 * The email hash inside is an HMAC with a platform secret, never a sha256 anyone could recompute.
 */
export const sealedFan = z.object({
  /** fan_data_key.id: the consumer reads the key by it (@single/db readFanDataKeys). */
  keyId: z.uuid(),
  /** 12-byte GCM nonce, base64url. */
  iv: base64url,
  /** Ciphertext of the JSON of the sealed facts, then the 16-byte tag, base64url; AAD = keyId + eventId. */
  data: base64url,
});
export type SealedFan = z.infer<typeof sealedFan>;

export const salesEventV2 = z.object({
  ...salesEventFields,
  version: z.literal(2),
  fan: fanFacts.pick({ billingCountry: true, shippingCountry: true }),
  fanSealed: sealedFan.optional(),
});
export type SalesEventV2 = z.infer<typeof salesEventV2>;

/** What consumers accept from the topic: version 1 and version 2, during the rollout and after. */
export const salesEvent = z.discriminatedUnion('version', [salesEventV1, salesEventV2]);
export type SalesEvent = z.infer<typeof salesEvent>;
