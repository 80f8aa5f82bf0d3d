/** Anything with pg's `query` (a Pool, a PoolClient in the caller's transaction). */
export interface PurgeSql {
  query(text: string, values?: unknown[]): Promise<{ rowCount: number | null }>;
}

/**
 * What a privacy request reaches: the whole shop (shop/redact), or one customer's orders (customers/redact)
 * named by their Shopify order ids, with the checkout tokens those orders carried (the geo beacon is keyed
 * by checkout, not by order).
 */
export type PurgeScope =
  | { shopDomain: string; all: true }
  | { shopDomain: string; all?: false; orderIds: readonly string[]; checkoutTokens?: readonly string[] };
