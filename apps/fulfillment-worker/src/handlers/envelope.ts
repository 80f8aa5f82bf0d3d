import { type WebhookEnvelopeV1, webhookEnvelopeV1 } from '@single/contracts';
import { type MessageContext, PermanentError } from '@single/messaging';
import type { z } from 'zod';

const parsed = new WeakMap<MessageContext, unknown>();

/** The JSON body, parsed once per delivery (serializeBy and the handler both need it). */
function json(message: MessageContext): unknown {
  if (parsed.has(message)) return parsed.get(message);
  let value: unknown;
  try {
    value = JSON.parse(message.body.toString('utf8'));
  } catch {
    value = undefined;
  }
  parsed.set(message, value);
  return value;
}

/**
 * Validates the dispatcher's envelope and the Shopify payload inside it. Anything malformed is permanent:
 * retrying cannot fix it, so it goes straight to the dead-letter queue (ZodError is classified permanent).
 */
export function readEnvelope<P extends z.ZodType>(
  message: MessageContext,
  payloadSchema: P,
): { envelope: WebhookEnvelopeV1; payload: z.infer<P> } {
  const body = json(message);
  if (body === undefined) throw new PermanentError('message body is not JSON');
  const envelope = webhookEnvelopeV1.parse(body);
  return { envelope, payload: payloadSchema.parse(envelope.payload) };
}

/** Per-order serialisation key: shop + Shopify order id (`id` in order payloads, `order_id` in refunds). */
export function orderSerializationKey(message: MessageContext): string | undefined {
  const body = json(message) as { shopDomain?: unknown; payload?: { id?: unknown; order_id?: unknown } } | undefined;
  const orderId = body?.payload?.order_id ?? body?.payload?.id;
  if (typeof body?.shopDomain !== 'string' || (typeof orderId !== 'number' && typeof orderId !== 'string')) {
    return undefined;
  }
  return `${body.shopDomain}:${orderId}`;
}
