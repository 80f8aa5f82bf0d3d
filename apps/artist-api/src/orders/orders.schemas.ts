import { z } from 'zod';
import { pageOf, pageQuery } from '../support/pagination.ts';

export const orderSummary = z
  .object({
    id: z.uuid(),
    shopDomain: z.string(),
    shopifyOrderId: z.string(),
    name: z.string(),
    financialStatus: z.string(),
    cancelledAt: z.string().nullable(),
    test: z.boolean(),
    currency: z.string(),
    billingCountry: z.string().nullable(),
    shippingCountry: z.string().nullable(),
    shopifyCreatedAt: z.string().nullable(),
    updatedAt: z.string(),
  })
  .meta({ id: 'OrderSummary' });

export const grant = z.object({
  id: z.uuid(),
  releaseId: z.uuid(),
  unitIndex: z.number().int(),
  status: z.enum(['scheduled', 'active', 'revoked', 'expired']),
  activateAt: z.string(),
  expiresAt: z.string().nullable(),
  downloadLimit: z.number().int(),
  downloadsUsed: z.number().int(),
  firstDownloadAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

export const orderLine = z.object({
  id: z.uuid(),
  shopifyLineId: z.string(),
  productId: z.string().nullable(),
  variantId: z.string().nullable(),
  sku: z.string().nullable(),
  quantity: z.number().int(),
  refundedQuantity: z.number().int(),
  price: z.string(),
  requiresShipping: z.boolean(),
  releaseId: z.uuid().nullable(),
  releaseTitle: z.string().nullable(),
  upc: z.string().nullable(),
  unmapped: z.boolean(),
  grants: z.array(grant),
});

export const orderDetail = orderSummary
  .extend({
    lines: z.array(orderLine),
    emails: z.array(
      z.object({
        id: z.uuid(),
        kind: z.string(),
        status: z.enum(['pending', 'sending', 'sent', 'failed']),
        attempts: z.number().int(),
        sentAt: z.string().nullable(),
      }),
    ),
    fulfillments: z.array(
      z.object({
        id: z.uuid(),
        status: z.enum(['pending', 'sending', 'created', 'failed']),
        shopifyFulfillmentId: z.string().nullable(),
        lineItemIds: z.array(z.string()),
        attempts: z.number().int(),
        updatedAt: z.string(),
      }),
    ),
    fulfillmentState: z
      .enum(['not_required', 'pending', 'fulfilled', 'partially_fulfilled', 'failed'])
      .describe('Shopify digital fulfilment, summarised over the fulfilment records'),
  })
  .meta({ id: 'Order' });

export const listOrdersQuery = z.object({
  ...pageQuery,
  shopDomain: z.string().max(255).optional(),
  financialStatus: z.string().max(40).optional(),
  releaseId: z.uuid().optional().describe('Orders with at least one line of this release'),
  test: z.enum(['true', 'false']).optional(),
});

export const orderPage = pageOf(orderSummary);
