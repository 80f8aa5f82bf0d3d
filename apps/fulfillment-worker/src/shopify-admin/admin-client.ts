/** Shopify answered 429 or 5xx, or the network failed: worth retrying later. */
export class ShopifyTransientError extends Error {
  override name = 'ShopifyTransientError';
}

/** Shopify refused the request for good (4xx, user errors): retrying cannot help. */
export class ShopifyPermanentError extends Error {
  override name = 'ShopifyPermanentError';
}

export interface ShopifyAdminOptions {
  apiVersion: string;
  /** `{shop}` and `{version}` are replaced; default https://{shop}/admin/api/{version}/graphql.json. */
  urlTemplate?: string;
  timeoutMs?: number;
}

/** A minimal Admin GraphQL client: one POST per call, errors classified as transient or permanent. */
export class ShopifyAdminClient {
  readonly #o: Required<ShopifyAdminOptions>;

  constructor(options: ShopifyAdminOptions) {
    this.#o = { urlTemplate: 'https://{shop}/admin/api/{version}/graphql.json', timeoutMs: 10_000, ...options };
  }

  async graphql<T>(
    shopDomain: string,
    accessToken: string,
    query: string,
    variables: Record<string, unknown>,
    /**
     * Sent as the `Idempotency-Key` header: the same key on every attempt of one outbox row, so a receiver
     * that keeps keys (the local stand-in does) answers a repeat with the first result instead of acting twice.
     */
    idempotencyKey?: string,
  ): Promise<T> {
    const url = this.#o.urlTemplate.replace('{shop}', shopDomain).replace('{version}', this.#o.apiVersion);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-shopify-access-token': accessToken,
          ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
        },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(this.#o.timeoutMs),
      });
    } catch (err) {
      throw new ShopifyTransientError(`Admin API unreachable: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (response.status === 429 || response.status >= 500) {
      throw new ShopifyTransientError(`Admin API answered ${response.status}`);
    }
    if (!response.ok) throw new ShopifyPermanentError(`Admin API answered ${response.status}`);
    const body = (await response.json()) as {
      data?: T;
      errors?: { message: string; extensions?: { code?: string } }[];
    };
    if (body.errors?.length) {
      const throttled = body.errors.some((e) => e.extensions?.code === 'THROTTLED');
      const message = body.errors.map((e) => e.message).join('; ');
      throw throttled ? new ShopifyTransientError(message) : new ShopifyPermanentError(message);
    }
    if (!body.data) throw new ShopifyTransientError('Admin API answered without data');
    return body.data;
  }
}
