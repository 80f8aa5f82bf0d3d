/** Body of POST /v1/geo/captures, sent by the storefront's checkout beacon. */
export interface CaptureBody {
  shopDomain: string;
  checkoutToken: string;
}

export const captureBodySchema = {
  type: 'object',
  required: ['shopDomain', 'checkoutToken'],
  properties: {
    shopDomain: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}\\.myshopify\\.com$' },
    checkoutToken: { type: 'string', pattern: '^[A-Za-z0-9_-]{8,128}$' },
  },
} as const;
